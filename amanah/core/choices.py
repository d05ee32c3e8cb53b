"""Choice labels without Django's per-call cost.

Django's ``get_FOO_display`` builds the field's whole choice list and hashes every label on
each call, and hashing a lazy label translates it: a 50-row queue paid for about 1,000
translations. :func:`choice_label` reads a field's choices once (labels stay lazy, so each is
still translated in the active language) and translates one label per call. Templates use
``{{ obj|display:"field" }}`` (``{% load choices %}``).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache

from django.utils.encoding import force_str


@cache
def _labels(field) -> dict | None:
    choices = field.choices
    if not isinstance(choices, list | tuple):  # a callable's choices may change: not cached
        return None
    return dict(field.flatchoices)


def choice_label(instance, name: str) -> str:
    """The label of ``instance.<name>`` as ``get_<name>_display()`` gives it."""
    field = instance._meta.get_field(name)
    labels = _labels(field)
    if labels is None:
        return getattr(instance, f"get_{name}_display")()
    value = getattr(instance, field.attname)
    return force_str(labels.get(value, value), strings_only=True)


def page_labels() -> Callable[[object, str], str]:
    """:func:`choice_label` for the rows of one page: each field's value translated once
    (a queue of fifty cases shows the same few statuses and priorities fifty times)."""
    seen: dict[tuple, str] = {}

    def label(instance, name: str) -> str:
        key = (type(instance), name, getattr(instance, name))
        text = seen.get(key)
        if text is None:
            text = seen[key] = choice_label(instance, name)
        return text

    return label
