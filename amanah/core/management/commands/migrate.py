"""Django's ``migrate``, stopping first — one line, nothing changed — when the unapplied
migrations create an extension this role may not create (``core.extensions``)."""

from __future__ import annotations

from django.core.management.base import CommandError
from django.core.management.commands import migrate
from django.db import connections

from amanah.core import extensions


class Command(migrate.Command):
    def handle(self, *args, **options):
        if not (options["plan"] or options["check_unapplied"] or options["fake"]):
            reason = extensions.refusal(connections[options["database"]])
            if reason:
                raise CommandError(reason)
        return super().handle(*args, **options)
