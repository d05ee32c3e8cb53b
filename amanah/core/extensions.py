"""The PostgreSQL extensions a migrate would create, checked before anything changes.

``cube`` and ``earthdistance`` are not *trusted* extensions: only a superuser may create them,
and the owner role that runs ``amanah migrate`` is none. Left to the migration, the run stops
half-way (``insight.0007``: "permission denied to create extension"), after the migrations
before it were applied. So ``migrate`` (``core/management/commands/migrate.py``) asks first:
which extensions do the unapplied migrations create (``CreateExtension``), which of them are
not there yet, and may this role create each (a superuser; or the extension is trusted and
the role may CREATE in the database)? Any it may not → it stops with the statements a
superuser must run, having changed nothing. The README's database block creates them all.
"""

from __future__ import annotations

from django.contrib.postgres.operations import CreateExtension
from django.db.migrations.executor import MigrationExecutor

STATE = """
    SELECT (SELECT rolsuper FROM pg_roles WHERE rolname = current_user),
           has_database_privilege(current_database(), 'CREATE'),
           current_database(), current_user
"""
CATALOGUE = """
    SELECT a.name, a.installed_version IS NOT NULL, v.trusted OR NOT v.superuser
      FROM pg_available_extensions a
      JOIN pg_available_extension_versions v
        ON v.name = a.name AND v.version = a.default_version
     WHERE a.name = ANY(%s)
"""


def wanted(connection) -> list[str]:
    """Extensions the unapplied migrations create, in the order they would."""
    executor = MigrationExecutor(connection)
    applied = executor.loader.applied_migrations
    names: list[str] = []
    for key, migration in executor.loader.graph.nodes.items():
        if key in applied:
            continue
        for operation in migration.operations:
            if isinstance(operation, CreateExtension) and operation.name not in names:
                names.append(operation.name)
    return names


def refusal(connection) -> str:
    """Why this role cannot run the pending migrations (one line), or "" when it can."""
    names = wanted(connection)
    if not names:
        return ""
    with connection.cursor() as cursor:
        cursor.execute(STATE)
        superuser, may_create, database, role = cursor.fetchone()
        cursor.execute(CATALOGUE, [names])
        catalogue = {name: (there, trusted) for name, there, trusted in cursor.fetchall()}
    unavailable = [name for name in names if name not in catalogue]
    if unavailable:
        return (
            f"the PostgreSQL server lacks the extension(s) {', '.join(unavailable)} "
            "(install its contrib package); nothing was migrated"
        )
    missing = [
        name
        for name in names
        if not catalogue[name][0] and not (superuser or (may_create and catalogue[name][1]))
    ]
    if not missing:
        return ""
    statements = " ".join(f"CREATE EXTENSION IF NOT EXISTS {name};" for name in missing)
    return (
        f"role {role} may not create the extension(s) {', '.join(missing)}: a superuser must "
        f'first run, in database "{database}": {statements} (README, "Production"); '
        "nothing was migrated"
    )
