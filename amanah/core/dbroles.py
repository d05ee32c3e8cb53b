"""What the application role may do in the database (DESIGN §2, "two roles").

The owner role runs the migrations and owns every object; the application role (web server,
workers) gets plain data access to every table, and only INSERT/SELECT on the tables an app
declared append-only (the audit trail). It owns nothing, so it can neither alter a table nor
switch a trigger off, and it is no superuser, so ``session_replication_role`` is out of reach.

The grants are applied after every ``migrate`` (a ``post_migrate`` handler), so a new table is
covered the moment it exists; default privileges cover tables the owner creates by other means.
"""

from __future__ import annotations

import re

from django.conf import settings
from django.db import connections

_append_only_tables: set[str] = set()
_PLAIN_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_$-]*")

TABLE_RIGHTS = "SELECT, INSERT, UPDATE, DELETE"
# nextval() (the audit chain takes its ids in advance) needs USAGE; no UPDATE, so no setval().
SEQUENCE_RIGHTS = "USAGE, SELECT"


def declare_append_only(table: str) -> None:
    """The application role may only INSERT and SELECT ``table``."""
    _append_only_tables.add(table)


def append_only_tables() -> frozenset[str]:
    return frozenset(_append_only_tables)


def _quoted(name: str) -> str:
    if not _PLAIN_NAME.fullmatch(name):
        raise ValueError("database role and table names must be plain identifiers")
    return f'"{name}"'


def _statements(role: str, *, create_missing: bool) -> list[str]:
    who = _quoted(role)
    statements = []
    if create_missing:
        # Roles are per server and test runs may share one: a twin run may create it first.
        statements.append(
            f"DO $$ BEGIN CREATE ROLE {who} NOLOGIN; "
            "EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$"
        )
    statements += [
        f"GRANT USAGE ON SCHEMA public TO {who}",
        f"GRANT {TABLE_RIGHTS} ON ALL TABLES IN SCHEMA public TO {who}",
        f"GRANT {SEQUENCE_RIGHTS} ON ALL SEQUENCES IN SCHEMA public TO {who}",
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT {TABLE_RIGHTS} ON TABLES TO {who}",
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT {SEQUENCE_RIGHTS} ON SEQUENCES TO {who}",
    ]
    statements += [
        f"REVOKE UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON {_quoted(table)} FROM {who}"
        for table in sorted(_append_only_tables)
    ]
    # Partitions (amanah.core.partitions) are reached through their parent, whose rights are
    # the only ones checked; a right on a partition itself would only bypass the parent's
    # (an append-only trail's DELETE, say), so the role keeps none.
    statements.append(
        "DO $$ DECLARE part regclass; BEGIN FOR part IN SELECT oid::regclass FROM pg_class "  # noqa: S608 (a checked role name)
        "WHERE relispartition AND relkind IN ('r', 'p') "
        "AND relnamespace = 'public'::regnamespace "
        f"LOOP EXECUTE format('REVOKE ALL ON %s FROM %I', part, '{role}'); END LOOP; END $$"
    )
    # The daily job keeps monthly partitions ahead through the owner's SECURITY DEFINER
    # function, which nobody else may call (amanah.core.partitions).
    statements.append(
        "DO $$ BEGIN IF to_regprocedure('amanah_month_partition(regclass, date)') IS NOT NULL "
        f"THEN GRANT EXECUTE ON FUNCTION amanah_month_partition(regclass, date) TO {who}; "
        "END IF; END $$"
    )
    return statements


def grant_app_role(using: str = "default") -> str | None:
    """Give the application role its rights in the database behind ``using``; its name or None.

    Nothing to do when there is no separate application role (a lone ``DATABASE_URL``) or when
    it is the role running this (it would revoke its own rights on its own tables). Under the
    tests the role is created if the server lacks it, so its limits are tested on any server.
    """
    role = settings.DATABASE_APP_ROLE
    connection = connections[using]
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user")
        if not role or cursor.fetchone()[0] == role:
            return None
        for statement in _statements(role, create_missing=settings.TESTING):
            cursor.execute(statement)
    return role


def grant_after_migrate(sender, using="default", **kwargs) -> None:
    grant_app_role(using)
