"""The session store: Django's database sessions, read with one statement built once.

Every signed-in request reads its session row. Django's store reads it through the ORM
(``Session.objects.get(session_key=…, expire_date__gt=now)``), compiling the same query each
time: about a twentieth of a small page's Python (``bench.load.profile_requests``). This store
runs that very statement from text built once from the model's columns; everything else
(writes, keys, expiry, clearing) is Django's database store unchanged.
"""

from __future__ import annotations

from functools import cache

from django.contrib.sessions.backends import db
from django.db import connections, router
from django.utils import timezone


@cache
def _select_sql(table: str, key_column: str, data_column: str, expiry_column: str) -> str:
    # Names come from the model's metadata, never from input.
    return (
        f'SELECT "{data_column}" FROM "{table}" '  # noqa: S608
        f'WHERE "{key_column}" = %s AND "{expiry_column}" > %s'
    )


class SessionStore(db.SessionStore):
    def load(self):
        """The session's data, or {} (and no key) for a key that is unknown or expired —
        as Django's database store answers."""
        key = self.session_key
        if not key:  # Django's setter refuses keys shorter than 8 characters
            self._session_key = None
            return {}
        meta = self.model._meta
        sql = _select_sql(
            meta.db_table,
            meta.get_field("session_key").column,
            meta.get_field("session_data").column,
            meta.get_field("expire_date").column,
        )
        alias = router.db_for_read(self.model)
        with connections[alias].cursor() as cursor:
            cursor.execute(sql, [key, timezone.now()])
            row = cursor.fetchone()
        if row is None:
            self._session_key = None
            return {}
        return self.decode(row[0])
