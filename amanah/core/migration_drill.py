"""Migrations back and forward again, and proof that the data came through (issue 19; seed 002
§3–4: a rollback in under two minutes without losing data).

Mechanisms only, used by the reversibility tests (``core/tests/test_migrations_reversible.py``)
and the drill script (``bench/rollback_drill.py``, docs/operations.md):

- ``project_apps()``: the labels of the Amanah apps that have migrations;
- ``latest_step(app)``: the app's latest migration, the one before it (``None``: zero) and
  the **plan** of rolling back to it — Django also unapplies every migration of another app
  that depends on it — with the tables the plan's operations touch (``tables``), those it
  drops on the way back (``creates``) and whether it runs data code (RunPython/RunSQL);
- ``migrate_back(targets)`` / ``migrate_forward()``: the executor's backward plan for several
  targets at once; ``migrate`` to the latest state (with its post-migrate grants); both can
  time every migration with a ``Stopwatch``;
- ``Rehearsal`` / ``rehearsal()``: the same round trips for the tests, with every operation's
  project state before and after it worked out (rendered) once per process instead of three
  times per round trip (see the class);
- ``fingerprints(tables)``: per table its row count and a checksum of its rows — the sum of a
  64-bit hash of each row's text (``hashtextextended(t::text, 0)``): order-independent, so it
  needs no sort of a million rows, and any changed, missing or extra row changes it;
- ``schema_fingerprint()``: columns, constraints, indexes, triggers and functions of the
  ``public`` schema, to show that forward again rebuilt exactly the schema there was;
- ``keep(tables)`` / ``restore(kept)``: a copy of the tables a rollback touches, in schema
  ``amanah_drill``, and putting back after forward what the round trip lost (rows of dropped
  tables, values of dropped columns), matched by primary key, in one transaction.

Nothing here imports an app: the apps and their migrations come from Django's registry.
"""

from __future__ import annotations

import functools
import time
from dataclasses import dataclass

from django.apps import apps as django_apps
from django.core.management import call_command
from django.core.management.sql import emit_post_migrate_signal
from django.db import connections, transaction
from django.db.migrations import operations as ops
from django.db.migrations.exceptions import IrreversibleError
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.recorder import MigrationRecorder

KEEP_SCHEMA = "amanah_drill"
IGNORED_TABLES = frozenset({"django_migrations"})  # ids and times of applying, by design


def _executor(connection=None, executor=None) -> MigrationExecutor:
    """``executor`` with what is applied read again, or a new one (it reads every migration)."""
    if executor is None:
        return MigrationExecutor(connection or connections["default"])
    executor.loader.applied_migrations = executor.recorder.applied_migrations()
    return executor


def project_apps(executor=None) -> list[str]:
    """Labels of the installed Amanah apps that have migrations, in INSTALLED_APPS order."""
    graph = (executor or MigrationExecutor(connections["default"])).loader.graph
    return [
        config.label
        for config in django_apps.get_app_configs()
        if config.name.startswith("amanah.") and graph.leaf_nodes(config.label)
    ]


@dataclass(frozen=True)
class Step:
    """Rolling ``app`` back from ``latest`` to ``target`` (``None``: zero)."""

    app: str
    latest: str
    target: str | None
    plan: tuple[tuple[str, str], ...]  # (app, migration) unapplied, in order
    tables: frozenset[str]
    creates: frozenset[str]
    data_code: bool

    @property
    def other_apps(self) -> frozenset[str]:
        """Apps whose migrations the rollback also unapplies (they depend on this one)."""
        return frozenset(a for a, _ in self.plan if a != self.app)

    @property
    def target_label(self) -> str:
        return self.target or "zero"


def _table_names(state, app_label: str, model_name: str) -> list[str]:
    """The table of a model (and its auto-created many-to-many tables) in a project state."""
    model = state.models.get((app_label, model_name.lower()))
    if model is None:  # deleted by a later migration: Django's default name
        return [f"{app_label}_{model_name.lower()}"]
    table = model.options.get("db_table") or f"{app_label}_{model.name_lower}"
    names = [table]
    for name, field in model.fields.items():
        remote = getattr(field, "remote_field", None)
        if getattr(field, "many_to_many", False) and remote and not remote.through:
            names.append(field.db_table or f"{table}_{name}")
    return names


def _touched(operation, app_label: str, state) -> tuple[set[str], set[str], bool]:
    """(tables touched, tables created, runs data code) for one operation."""
    if isinstance(operation, ops.SeparateDatabaseAndState):
        tables, creates, code = set(), set(), False
        for inner in operation.database_operations:
            t, c, k = _touched(inner, app_label, state)
            tables |= t
            creates |= c
            code = code or k
        return tables, creates, code
    if isinstance(operation, ops.RunPython | ops.RunSQL):
        return set(), set(), True
    model_name = getattr(operation, "model_name", None) or getattr(operation, "name", None)
    if not model_name:
        return set(), set(), False
    names = set(_table_names(state, app_label, model_name))
    if isinstance(operation, ops.AlterModelTable) and operation.table:
        names.add(operation.table)
    return names, (names if isinstance(operation, ops.CreateModel) else set()), False


def plan_of(targets: list[tuple[str, str | None]], connection=None, executor=None):
    """The backward plan of ``targets`` and what it touches: (plan, tables, creates, code)."""
    executor = _executor(connection, executor)
    plan = executor.migration_plan(targets)
    state = executor.loader.project_state()
    tables, creates, code = set(), set(), False
    for migration, backwards in plan:
        if not backwards:
            raise ValueError(f"{migration.app_label}.{migration.name} would be applied, not undone")
        for operation in migration.operations:
            t, c, k = _touched(operation, migration.app_label, state)
            tables |= t
            creates |= c
            code = code or k
    return [(m.app_label, m.name) for m, _ in plan], tables, creates, code


def latest_step(app: str, connection=None, executor=None) -> Step:
    """Rolling back the latest migration of ``app`` (which must be applied)."""
    executor = _executor(connection, executor)
    loader = executor.loader
    leaves = loader.graph.leaf_nodes(app)
    if len(leaves) != 1:
        raise ValueError(f"{app}: {len(leaves)} latest migrations (merge them first)")
    leaf = leaves[0]
    if leaf not in loader.applied_migrations:
        raise ValueError(f"{app}: {leaf[1]} is not applied; migrate first")
    parents = sorted(p.key[1] for p in loader.graph.node_map[leaf].parents if p.key[0] == app)
    target = parents[-1] if parents else None
    plan, tables, creates, code = plan_of([(app, target)], executor=executor)
    return Step(app, leaf[1], target, tuple(plan), frozenset(tables), frozenset(creates), code)


def combinable(steps: list[Step], connection=None, executor=None) -> tuple[list[Step], list[Step]]:
    """Split ``steps`` into those whose targets make one backward plan together, and the rest:
    a target inside another step's rollback (an app whose rollback to zero takes dependents
    along, or a previous migration that itself depends on a migration being undone) would
    need a migration applied again, so it is left for a step of its own."""
    executor = _executor(connection, executor)
    together, apart = [], []
    for step in steps:
        targets = [(s.app, s.target) for s in together] + [(step.app, step.target)]
        plan = executor.migration_plan(targets)
        (together if all(backwards for _, backwards in plan) else apart).append(step)
    return together, apart


def applied(connection=None) -> set[tuple[str, str]]:
    connection = connection or connections["default"]
    return set(MigrationRecorder(connection).applied_migrations())


def migrate_back(
    targets: list[tuple[str, str | None]], connection=None, progress=None
) -> list[tuple[str, str]]:
    """Unapply down to every ``(app, migration or None)`` target in one backward plan
    (``progress``: the executor's progress callback, e.g. a ``Stopwatch``)."""
    connection = connection or connections["default"]
    executor = MigrationExecutor(connection, progress)
    executor.loader.check_consistent_history(connection)
    plan = executor.migration_plan(targets)
    executor.migrate(targets, plan=plan)
    return [(m.app_label, m.name) for m, _ in plan]


def migrate_forward(database: str = "default", progress=None) -> None:
    """``migrate`` to the latest state, as ``amanah migrate`` does (post-migrate grants too);
    ``progress`` gets the command's progress callbacks (e.g. a ``Stopwatch``)."""
    if progress is None:
        call_command("migrate", database=database, interactive=False, verbosity=0)
        return
    from django.core.management.commands.migrate import Command

    class Timed(Command):  # the same command, its progress reported to ``progress`` too
        def migration_progress_callback(self, action, migration=None, fake=False):
            progress(action, migration, fake)
            super().migration_progress_callback(action, migration, fake)

    call_command(Timed(), database=database, interactive=False, verbosity=0)


class Stopwatch:
    """A migration executor's progress callback that times each migration undone or applied
    (``seconds[(app, name)]``) and the project-state rendering between them (``render``)."""

    def __init__(self):
        self.seconds: dict[tuple[str, str], float] = {}
        self.render = 0.0
        self._started = 0.0

    def __call__(self, action: str, migration=None, fake: bool = False) -> None:
        now = time.perf_counter()
        if action.endswith("_start"):
            self._started = now
        elif action == "render_success":
            self.render += now - self._started
        elif migration is not None:
            self.seconds[(migration.app_label, migration.name)] = now - self._started


class Rehearsal:
    """Round trips for the tests: Django's migration executor, minus two thirds of its work.

    Undoing a migration needs the project state before and after each of its operations;
    Django's executor works them out (renders the models of the whole project) once to find the
    state before each migration, again inside ``Migration.unapply`` for each operation, and a
    third time when ``migrate`` applies it again — ~73 % of a round trip of every app. The
    states depend on the migration files only, so this works them out once, for every operation
    of every migration that unapplying every Amanah app to zero undoes (in the full plan's
    order, as the executor's backward phase does), and then runs exactly what the executor
    runs with them: per migration a schema editor (atomic as the migration says),
    ``database_backwards`` of the operations in reverse order or ``database_forwards`` in
    order, an ``IrreversibleError`` for an operation without a reverse, the migration recorded
    unapplied/applied; after going forward the ``post_migrate`` signal (content types,
    permissions, the grants), as ``migrate`` sends it. Migrations of other apps are left alone
    (``back`` refuses a plan reaching one). The drill itself (``migrate_back``/
    ``migrate_forward``) keeps Django's executor and ``migrate``."""

    def __init__(self, connection=None):
        self.connection = connection or connections["default"]
        self.executor = MigrationExecutor(self.connection)
        self.executor.loader.check_consistent_history(self.connection)
        graph = self.executor.loader.graph
        to_zero = self.executor.migration_plan([(app, None) for app in project_apps(self.executor)])
        undone = {(m.app_label, m.name) for m, _ in to_zero}
        # op-by-op (operation, state before, state after), as Migration.unapply works them out
        self.steps: dict[tuple[str, str], list] = {}
        self.migrations = {}
        state = self.executor._create_project_state()
        for migration, _ in self.executor.migration_plan(graph.leaf_nodes(), clean_start=True):
            key = (migration.app_label, migration.name)
            if key not in undone:
                migration.mutate_state(state, preserve=False)
                continue
            if "apps" not in state.__dict__:
                state.apps  # noqa: B018 — render all once, then incrementally (as Django does)
            steps = []
            for operation in migration.operations:
                after = state.clone()
                operation.state_forwards(migration.app_label, after)
                steps.append((operation, state, after))
                state = after
            self.steps[key] = steps
            self.migrations[key] = migration

    def plan(self, targets: list[tuple[str, str | None]]) -> list[tuple[str, str]]:
        """The executor's backward plan for ``targets`` (read against what is applied now)."""
        executor = _executor(executor=self.executor)
        plan = executor.migration_plan(targets)
        if not all(backwards for _, backwards in plan):
            raise ValueError(f"{targets}: the plan would apply migrations, not only undo them")
        keys = [(m.app_label, m.name) for m, _ in plan]
        if outside := [k for k in keys if k not in self.steps]:
            raise ValueError(f"not rehearsed (outside the Amanah apps' plan to zero): {outside}")
        return keys

    def back(self, targets: list[tuple[str, str | None]]) -> list[tuple[str, str]]:
        """Unapply down to every ``(app, migration or None)`` target in one backward plan."""
        keys = self.plan(targets)
        hold_off_autovacuum(self.connection)
        for key in keys:
            migration, steps = self.migrations[key], self.steps[key]
            for operation, _, _ in steps:
                if not operation.reversible:
                    raise IrreversibleError(
                        f"Operation {operation} in {migration} is not reversible"
                    )
            with self.connection.schema_editor(atomic=migration.atomic) as editor:
                for operation, before, after in reversed(steps):
                    self._run(migration, operation, editor, "database_backwards", after, before)
            self.executor.recorder.record_unapplied(*key)
        return keys

    def forward(self) -> list[tuple[str, str]]:
        """Apply every unapplied migration again (``migrate``), with ``post_migrate``."""
        executor = _executor(executor=self.executor)
        plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
        keys = [(m.app_label, m.name) for m, _ in plan]
        if outside := [k for k in keys if k not in self.steps]:
            raise ValueError(f"not rehearsed: {outside}")
        for key in keys:
            migration = self.migrations[key]
            with self.connection.schema_editor(atomic=migration.atomic) as editor:
                for operation, before, after in self.steps[key]:
                    self._run(migration, operation, editor, "database_forwards", before, after)
            self.executor.recorder.record_applied(*key)
        emit_post_migrate_signal(
            0, False, self.connection.alias, apps=django_apps, plan=[(m, False) for m, _ in plan]
        )
        return keys

    def _run(self, migration, operation, editor, direction, from_state, to_state) -> None:
        run = getattr(operation, direction)
        atomic = operation.atomic or (migration.atomic and operation.atomic is not False)
        if not editor.atomic_migration and atomic:
            with transaction.atomic(self.connection.alias):
                run(migration.app_label, editor, from_state, to_state)
        else:
            run(migration.app_label, editor, from_state, to_state)


def hold_off_autovacuum(connection) -> None:
    """Lock every table of the schema against VACUUM (SHARE UPDATE EXCLUSIVE) for the rest of
    the test's transaction, before its DDL. Otherwise autovacuum, cleaning up the rows the
    previous tests rolled back, can wait for this transaction (it updated the table's
    ``pg_class`` row) while holding the table this transaction wants to drop: a deadlock,
    in which PostgreSQL may cancel the test rather than the autovacuum. Autovacuum skips a
    table it cannot lock; one it is on now is cancelled after ``deadlock_timeout``."""
    if not connection.in_atomic_block:
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT format('%I', relname) FROM pg_class WHERE relkind IN ('r', 'p', 'm') "
            "AND relnamespace = 'public'::regnamespace"
        )
        names = [name for (name,) in cursor.fetchall()]
        if names:
            cursor.execute(f"LOCK TABLE {', '.join(names)} IN SHARE UPDATE EXCLUSIVE MODE")


@functools.cache
def rehearsal() -> Rehearsal:
    """One ``Rehearsal`` per process (its states come from the migration files alone)."""
    return Rehearsal()


def table_names(connection=None) -> list[str]:
    connection = connection or connections["default"]
    with connection.cursor() as cursor:
        names = connection.introspection.table_names(cursor)
    return sorted(n for n in names if n not in IGNORED_TABLES)


def fingerprints(tables=None, connection=None) -> dict[str, tuple[int, str]]:
    """``{table: (rows, checksum)}`` for the given (existing) tables, or every table."""
    connection = connection or connections["default"]
    existing = set(table_names(connection))
    names = sorted(existing if tables is None else set(tables) & existing)
    quote = connection.ops.quote_name
    out = {}
    with connection.cursor() as cursor:
        for name in names:
            cursor.execute(
                "SELECT count(*), coalesce(sum(hashtextextended(t::text, 0)::numeric), 0)::text "
                f"FROM {quote(name)} AS t"
            )
            rows, checksum = cursor.fetchone()
            out[name] = (rows, checksum)
    return out


SCHEMA_SQL = """
SELECT 'column', table_name::text, column_name::text,
       concat_ws(' ', data_type, character_maximum_length, numeric_precision, is_nullable,
                 column_default, is_identity, generation_expression)
  FROM information_schema.columns WHERE table_schema = 'public'
UNION ALL
SELECT 'constraint', conrelid::regclass::text, conname::text, pg_get_constraintdef(oid)
  FROM pg_constraint WHERE connamespace = 'public'::regnamespace
UNION ALL
SELECT 'index', tablename::text, indexname::text, indexdef
  FROM pg_indexes WHERE schemaname = 'public'
UNION ALL
SELECT 'trigger', tgrelid::regclass::text, tgname::text, pg_get_triggerdef(oid)
  FROM pg_trigger WHERE NOT tgisinternal
   AND tgrelid IN (SELECT oid FROM pg_class WHERE relnamespace = 'public'::regnamespace)
UNION ALL
SELECT 'function', proname::text, pg_get_function_identity_arguments(oid), md5(prosrc)
  FROM pg_proc WHERE pronamespace = 'public'::regnamespace
"""


def schema_fingerprint(connection=None) -> set[tuple[str, str, str, str]]:
    """The schema, less the indexes that follow the data (``registry.data_indexes``)."""
    from amanah.core import registry

    connection = connection or connections["default"]
    prefixes = tuple(registry.data_indexes.values())
    with connection.cursor() as cursor:
        cursor.execute(SCHEMA_SQL)
        return {
            tuple(row)
            for row in cursor.fetchall()
            if not (row[0] == "index" and prefixes and row[2].startswith(prefixes))
        }


# --------------------------------------------------------------------- keep and restore


def _columns(cursor, schema: str, table: str) -> list[str]:
    cursor.execute(
        "SELECT attname FROM pg_attribute WHERE attrelid = to_regclass(%s) AND attnum > 0 "
        "AND NOT attisdropped AND attgenerated = '' ORDER BY attnum",
        [f'"{schema}"."{table}"'],
    )
    return [name for (name,) in cursor.fetchall()]


def _primary_key(cursor, table: str) -> list[str]:
    cursor.execute(
        "SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid "
        "AND a.attnum = ANY(i.indkey) WHERE i.indrelid = to_regclass(%s) AND i.indisprimary "
        "ORDER BY a.attnum",
        [f'"public"."{table}"'],
    )
    return [name for (name,) in cursor.fetchall()]


def keep(tables, connection=None) -> list[str]:
    """Copy the existing ``tables`` into schema ``amanah_drill`` (replacing older copies);
    returns the tables kept."""
    connection = connection or connections["default"]
    existing = set(table_names(connection))
    kept = sorted(set(tables) & existing)
    quote = connection.ops.quote_name
    with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
        cursor.execute(f"CREATE SCHEMA IF NOT EXISTS {KEEP_SCHEMA}")
        for name in kept:
            cursor.execute(f"DROP TABLE IF EXISTS {KEEP_SCHEMA}.{quote(name)}")
            cursor.execute(
                f"CREATE TABLE {KEEP_SCHEMA}.{quote(name)} AS TABLE public.{quote(name)}"
            )
    return kept


def restore(kept, before: dict[str, tuple[int, str]], connection=None) -> dict[str, int]:
    """Put back, from the kept copies, what the round trip lost in the tables whose
    fingerprint differs from ``before``: rows missing (by primary key) are inserted with their
    old values, rows whose values differ are updated to them. One transaction; foreign keys
    are checked at its end. Identity sequences move past the restored keys. Returns
    ``{table: rows written}``; then drops the copies."""
    connection = connection or connections["default"]
    now = fingerprints(kept, connection)
    changed = [t for t in kept if now.get(t) != before.get(t)]
    quote = connection.ops.quote_name
    written = {}
    with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        for name in changed:
            table, copy = f"public.{quote(name)}", f"{KEEP_SCHEMA}.{quote(name)}"
            columns = [
                c
                for c in _columns(cursor, "public", name)
                if c in set(_columns(cursor, KEEP_SCHEMA, name))
            ]
            key = _primary_key(cursor, name)
            if not key:
                raise ValueError(f"{name}: no primary key to match the kept rows by")
            cols = ", ".join(quote(c) for c in columns)
            match = " AND ".join(f"t.{quote(k)} = k.{quote(k)}" for k in key)
            others = [c for c in columns if c not in key]
            count = 0
            if others:
                sets = ", ".join(f"{quote(c)} = k.{quote(c)}" for c in others)
                differs = " OR ".join(f"t.{quote(c)} IS DISTINCT FROM k.{quote(c)}" for c in others)
                cursor.execute(
                    f"UPDATE {table} AS t SET {sets} FROM {copy} AS k WHERE {match} AND ({differs})"
                )
                count += cursor.rowcount
            cursor.execute(
                f"INSERT INTO {table} ({cols}) OVERRIDING SYSTEM VALUE "
                f"SELECT {cols} FROM {copy} AS k "
                f"WHERE NOT EXISTS (SELECT 1 FROM {table} AS t WHERE {match})"
            )
            count += cursor.rowcount
            for column in key:
                cursor.execute("SELECT pg_get_serial_sequence(%s, %s)", [table, column])
                (sequence,) = cursor.fetchone()
                if sequence:
                    cursor.execute(
                        f"SELECT setval(%s, GREATEST(coalesce(max({quote(column)}), 0), 1), "
                        f"max({quote(column)}) IS NOT NULL) FROM {table}",
                        [sequence],
                    )
            written[name] = count
    drop_kept(connection)
    return written


def drop_kept(connection=None) -> None:
    connection = connection or connections["default"]
    with connection.cursor() as cursor:
        cursor.execute(f"DROP SCHEMA IF EXISTS {KEEP_SCHEMA} CASCADE")
