"""The entry points of the dry run's helper processes (``imports._cleaned``). A helper is
started fresh (spawned), so what it is handed must be importable before Django is set up:
this module imports nothing of the project at its top."""

from __future__ import annotations


def setup() -> None:
    import django

    django.setup()


def clean_chunk(*args):
    from amanah.integrations.imports import _clean_chunk

    return _clean_chunk(*args)
