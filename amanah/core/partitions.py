"""Monthly range partitions for the tables that only ever grow (issue 21; docs/scaling.md).

A table partitioned here is ``PARTITION BY RANGE (<time column>)`` with one partition per UTC
month (``<table>_pYYYY_MM``) and a ``<table>_default`` partition, so an insert never fails for
want of a partition: a row of a month nobody created lands in the default.

- ``partition_by_month`` / ``unpartition``: what a migration calls to turn an existing table
  into a partitioned one and back (rows, indexes, foreign keys, triggers, grants, identity
  sequence all kept). The primary key of a partitioned table must contain the partition key,
  so in SQL it becomes ``(id, <time column>)``; Django keeps ``id`` as the model's primary key
  (ids still come from one identity sequence, so they stay unique).
- ``ensure_month_partitions``: creates this month's partition and the next
  ``PARTITION_MONTHS_AHEAD`` ones of every partitioned table (the daily job and ``amanah
  month_partitions``); idempotent.

The creation itself is the SQL function ``amanah_month_partition(parent, month)`` (core
migration 0003), ``SECURITY DEFINER``: the workers run as the application role, which owns
nothing and may create no table, yet must keep partitions ahead. It only ever creates a whole
UTC month of a range-partitioned table, seals it (the parent's statement-level triggers, such as
the append-only TRUNCATE guard, which PostgreSQL does not clone; no privileges for anyone but the
owner: reads and writes go through the parent, whose rights are the only ones checked) and
refuses (``blocked``) a month the default partition already holds rows of — those rows stay
readable there; moving them is an owner's maintenance step (docs/scaling.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

from django.conf import settings
from django.db import connections, transaction
from django.utils import timezone

SQL_FUNCTIONS = r"""
CREATE FUNCTION amanah_partition_seal(part regclass) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $fn$
DECLARE
    parent oid := (SELECT inhparent FROM pg_inherits WHERE inhrelid = part);
    parent_name text := (SELECT format('%I.%I', n.nspname, c.relname) FROM pg_class c
                          JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = parent);
    part_name text := (SELECT format('%I.%I', n.nspname, c.relname) FROM pg_class c
                        JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = part);
    found record;
BEGIN
    IF parent IS NULL THEN
        RAISE EXCEPTION '% is not a partition', part;
    END IF;
    -- Row triggers are cloned by PostgreSQL; statement triggers (TRUNCATE) are not.
    FOR found IN
        SELECT t.tgname, pg_get_triggerdef(t.oid) AS def FROM pg_trigger t
         WHERE t.tgrelid = parent AND NOT t.tgisinternal AND (t.tgtype & 1) = 0
           AND NOT EXISTS (SELECT 1 FROM pg_trigger p WHERE p.tgrelid = part
                           AND p.tgname = t.tgname)
    LOOP
        EXECUTE replace(found.def, ' ON ' || parent_name || ' ', ' ON ' || part_name || ' ');
    END LOOP;
    -- Nobody but the owner touches a partition directly (default privileges granted some).
    FOR found IN
        SELECT DISTINCT a.grantee FROM pg_class c, aclexplode(c.relacl) a
         WHERE c.oid = part AND a.grantee <> c.relowner
    LOOP
        IF found.grantee = 0 THEN
            EXECUTE format('REVOKE ALL ON %s FROM PUBLIC', part_name);
        ELSE
            EXECUTE format('REVOKE ALL ON %s FROM %I', part_name, pg_get_userbyid(found.grantee));
        END IF;
    END LOOP;
END
$fn$;

CREATE FUNCTION amanah_month_partition(parent regclass, month date) RETURNS text
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public
-- Creating a partition locks the parent briefly; behind a long transaction it gives up (the
-- job runs again tomorrow, months ahead) rather than stall every writer queued behind it.
SET lock_timeout = '10s' AS $fn$
DECLARE
    first_day date := date_trunc('month', month)::date;
    start_at timestamptz := first_day::timestamp AT TIME ZONE 'UTC';
    end_at timestamptz := (first_day + interval '1 month')::timestamp AT TIME ZONE 'UTC';
    info record;
    qualified text;
    caught boolean;
BEGIN
    SELECT c.relname, n.nspname, pt.partdefid, a.attname AS key INTO info
      FROM pg_partitioned_table pt
      JOIN pg_class c ON c.oid = pt.partrelid
      JOIN pg_namespace n ON n.oid = c.relnamespace
      JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = pt.partattrs[0]
     WHERE pt.partrelid = parent AND pt.partstrat = 'r' AND pt.partnatts = 1
       AND n.nspname = 'public' AND a.atttypid = 'timestamptz'::regtype;
    IF NOT FOUND THEN
        RAISE EXCEPTION '% is not a table partitioned by a time column', parent;
    END IF;
    IF abs((first_day - current_date) / 31) > 120 THEN
        RAISE EXCEPTION 'month % is more than ten years away', first_day;
    END IF;
    qualified := format('%I.%I', info.nspname,
                        info.relname || '_p' || to_char(first_day, 'YYYY_MM'));
    IF to_regclass(qualified) IS NOT NULL THEN
        RETURN 'exists';
    END IF;
    IF info.partdefid <> 0 THEN
        EXECUTE format('SELECT EXISTS (SELECT 1 FROM %s WHERE %I >= $1 AND %I < $2)',
                       info.partdefid::regclass, info.key, info.key)
           INTO caught USING start_at, end_at;
        IF caught THEN
            RETURN 'blocked';
        END IF;
    END IF;
    EXECUTE format('CREATE TABLE %s PARTITION OF %s FOR VALUES FROM (%L) TO (%L)',
                   qualified, parent, start_at, end_at);
    PERFORM amanah_partition_seal(qualified::regclass);
    RETURN 'created';
END
$fn$;

-- Deny by default: a SECURITY DEFINER function runs with the owner's rights, so nobody but
-- the owner may call these; the application role is granted the creating one
-- (core.dbroles), the sealing one is called only from it and from migrations.
REVOKE EXECUTE ON FUNCTION amanah_partition_seal(regclass) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION amanah_month_partition(regclass, date) FROM PUBLIC;
"""

SQL_FUNCTIONS_REVERSE = """
DROP FUNCTION IF EXISTS amanah_month_partition(regclass, date);
DROP FUNCTION IF EXISTS amanah_partition_seal(regclass);
"""


# --------------------------------------------------------------------- creating ahead


@dataclass(frozen=True)
class Outcome:
    table: str
    month: date
    outcome: str  # created | exists | blocked (the default partition holds rows of that month)


def months_from(first: date, count: int) -> list[date]:
    """``count`` first-of-month dates starting with ``first``'s month."""
    year, month = first.year, first.month
    out = []
    for _ in range(count):
        out.append(date(year, month, 1))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


def partitioned_tables(using: str = "default") -> list[str]:
    """The tables of the ``public`` schema partitioned by range on one column."""
    with connections[using].cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_partitioned_table pt JOIN pg_class c ON c.oid = pt.partrelid "
            "WHERE c.relnamespace = 'public'::regnamespace AND pt.partstrat = 'r' "
            "AND pt.partnatts = 1 AND NOT c.relispartition ORDER BY c.relname"
        )
        return [name for (name,) in cursor.fetchall()]


def ensure_month_partitions(
    *, ahead: int | None = None, today: date | None = None, using: str = "default"
) -> list[Outcome]:
    """This UTC month's partition and the next ``ahead`` ones of every partitioned table."""
    ahead = settings.PARTITION_MONTHS_AHEAD if ahead is None else ahead
    today = today or timezone.now().astimezone(UTC).date()
    months = months_from(today, ahead + 1)
    outcomes = []
    with connections[using].cursor() as cursor:
        for table in partitioned_tables(using):
            for month in months:
                cursor.execute("SELECT amanah_month_partition(%s::regclass, %s)", [table, month])
                outcomes.append(Outcome(table, month, cursor.fetchone()[0]))
    return outcomes


# --------------------------------------------------------------------- emptying the default


@dataclass(frozen=True)
class Moved:
    table: str
    month: date
    rows: int


def default_months(table: str, using: str = "default") -> list[date]:
    """The UTC months the default partition of ``table`` holds rows of, oldest first."""
    default, key = _default_and_key(table, using)
    with connections[using].cursor() as cursor:
        cursor.execute(
            f"SELECT DISTINCT date_trunc('month', \"{key}\" AT TIME ZONE 'UTC')::date "  # noqa: S608
            f"FROM {default} ORDER BY 1"
        )
        return [month for (month,) in cursor.fetchall()]


def move_default_rows(*, using: str = "default") -> list[Moved]:
    """Give every month the default partitions caught a partition of its own and move its rows
    there (``amanah month_partitions --move-default``; docs/scaling.md).

    An owner's maintenance step, one transaction per table: the parent is locked exclusively
    while its default is detached, emptied of those months and attached again, so writers of
    the table wait meanwhile. Same rows, same ids: the audit chain is unchanged."""
    moved = []
    for table in partitioned_tables(using):
        with transaction.atomic(using=using):
            moved += _move_out_of_default(table, using)
    return moved


def _default_and_key(table: str, using: str) -> tuple[str, str]:
    with connections[using].cursor() as cursor:
        cursor.execute(
            "SELECT pt.partdefid::regclass::text, a.attname FROM pg_partitioned_table pt "
            "JOIN pg_attribute a ON a.attrelid = pt.partrelid AND a.attnum = pt.partattrs[0] "
            "WHERE pt.partrelid = %s::regclass",
            [table],
        )
        return cursor.fetchone()


def _move_out_of_default(table: str, using: str) -> list[Moved]:
    months = default_months(table, using)
    if not months:
        return []
    default, key = _default_and_key(table, using)
    moved = []
    with connections[using].cursor() as cursor:
        cursor.execute("SET LOCAL lock_timeout = '10s'")
        # A table with deferred checks pending cannot be altered: settle them now.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        # Detached, the default no longer stands in the way of creating its months; its own
        # append-only guards are switched off only for the DELETE below, inside this transaction.
        cursor.execute(f'ALTER TABLE "{table}" DETACH PARTITION {default}')
        cursor.execute(f"ALTER TABLE {default} DISABLE TRIGGER USER")
        for month in months:
            cursor.execute("SELECT amanah_month_partition(%s::regclass, %s)", [table, month])
            start = datetime(month.year, month.month, 1, tzinfo=UTC)
            end = datetime.combine(months_from(month, 2)[1], datetime.min.time(), tzinfo=UTC)
            cursor.execute(
                f"WITH leaving AS (DELETE FROM {default} "  # noqa: S608 (names from the catalog)
                f'WHERE "{key}" >= %s AND "{key}" < %s RETURNING *) '
                f'INSERT INTO "{table}" OVERRIDING SYSTEM VALUE SELECT * FROM leaving',
                [start, end],
            )
            moved.append(Moved(table, month, cursor.rowcount))
        cursor.execute(f"ALTER TABLE {default} ENABLE TRIGGER USER")
        cursor.execute(f'ALTER TABLE "{table}" ATTACH PARTITION {default} DEFAULT')
        # Attaching clones the parent's row triggers again; the statement ones it never did.
        cursor.execute("SELECT amanah_partition_seal(%s::regclass)", [default])
    return moved


# --------------------------------------------------------------------- converting a table


def partition_by_month(schema_editor, table: str, key: str, *, ahead: int | None = None) -> None:
    """Turn ``table`` into one partitioned by UTC month on ``key`` (a migration's forward)."""
    ahead = settings.PARTITION_MONTHS_AHEAD if ahead is None else ahead
    _rebuild(schema_editor.connection, table, key, ahead)


def unpartition(schema_editor, table: str) -> None:
    """Turn a partitioned ``table`` back into a plain one (a migration's backward)."""
    _rebuild(schema_editor.connection, table, None, 0)


def _one_column(cursor, sql: str, params) -> list:
    cursor.execute(sql, params)
    return [row[0] for row in cursor.fetchall()]


@dataclass(frozen=True)
class _Shape:
    """What a rebuild must carry over from the old table to the new one."""

    primary_key: list[str]
    partition_key: str | None
    indexes: list[str]
    foreign_keys: list[tuple[str, str]]
    triggers: list[str]
    grants: list[tuple[str, str]]  # (grantee, privilege)
    identity: list[tuple[str, str, int, bool]]  # (column, 'a'|'d', last value, is_called)


def _shape(cursor, table: str) -> _Shape:
    rel = f'public."{table}"'
    referencing = _one_column(
        cursor,
        "SELECT conname FROM pg_constraint WHERE confrelid = %s::regclass AND contype = 'f' "
        "AND conparentid = 0",
        [rel],
    )
    if referencing:
        raise ValueError(f"{table}: foreign keys point to it ({referencing}); not rebuilt")
    unique = _one_column(
        cursor,
        "SELECT indexrelid::regclass::text FROM pg_index WHERE indrelid = %s::regclass "
        "AND indisunique AND NOT indisprimary",
        [rel],
    )
    if unique:
        raise ValueError(f"{table}: unique indexes {unique} cannot span monthly partitions")
    primary_key = _one_column(
        cursor,
        "SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid "
        "AND a.attnum = ANY(i.indkey) WHERE i.indrelid = %s::regclass AND i.indisprimary "
        "ORDER BY array_position(i.indkey::int2[], a.attnum)",
        [rel],
    )
    partition_key = _one_column(
        cursor,
        "SELECT a.attname FROM pg_partitioned_table pt JOIN pg_attribute a "
        "ON a.attrelid = pt.partrelid AND a.attnum = pt.partattrs[0] "
        "WHERE pt.partrelid = %s::regclass",
        [rel],
    )
    cursor.execute(
        "SELECT c.conname, pg_get_constraintdef(c.oid) FROM pg_constraint c "
        "WHERE c.conrelid = %s::regclass AND c.contype = 'f' ORDER BY c.conname",
        [rel],
    )
    foreign_keys = cursor.fetchall()
    cursor.execute(
        "SELECT a.grantee::regrole::text, a.privilege_type FROM pg_class c, aclexplode(c.relacl) a "
        "WHERE c.oid = %s::regclass AND a.grantee <> c.relowner AND a.grantee <> 0",
        [rel],
    )
    grants = cursor.fetchall()
    identity = []
    cursor.execute(
        "SELECT attname, attidentity FROM pg_attribute WHERE attrelid = %s::regclass "
        "AND attidentity <> '' ORDER BY attnum",
        [rel],
    )
    for column, kind in cursor.fetchall():
        cursor.execute("SELECT pg_get_serial_sequence(%s, %s)", [rel, column])
        cursor.execute(f"SELECT last_value, is_called FROM {cursor.fetchone()[0]}")  # noqa: S608
        identity.append((column, kind, *cursor.fetchone()))
    return _Shape(
        primary_key=primary_key,
        partition_key=partition_key[0] if partition_key else None,
        indexes=[
            definition.replace(" ON ONLY ", " ON ")
            for definition in _one_column(
                cursor,
                "SELECT pg_get_indexdef(indexrelid) FROM pg_index WHERE indrelid = %s::regclass "
                "AND NOT indisprimary ORDER BY indexrelid::regclass::text",
                [rel],
            )
        ],
        foreign_keys=foreign_keys,
        triggers=_one_column(
            cursor,
            "SELECT pg_get_triggerdef(oid) FROM pg_trigger WHERE tgrelid = %s::regclass "
            "AND NOT tgisinternal ORDER BY tgname",
            [rel],
        ),
        grants=grants,
        identity=identity,
    )


def _rebuild(connection, table: str, key: str | None, ahead: int) -> None:
    """Rebuild ``table`` with the same columns, rows and dependents, partitioned by month on
    ``key`` (or plain when ``key`` is None). Runs inside the migration's transaction."""
    old = f"{table}__unpartitioned" if key else f"{table}__partitioned"
    with connection.cursor() as cursor:
        shape = _shape(cursor, table)
        if (shape.partition_key is None) == (key is None):
            return  # already what was asked (a re-run): nothing to do
        base_key = [c for c in shape.primary_key if c != shape.partition_key]
        primary_key = base_key + [key] if key else base_key
        # Free the names the new table takes over (index names are global to the schema).
        cursor.execute(f'ALTER TABLE "{table}" RENAME TO "{old}"')
        cursor.execute(f'ALTER TABLE "{old}" RENAME CONSTRAINT "{table}_pkey" TO "{old}_pkey"')
        for definition in shape.indexes:
            name = definition.split(" INDEX ", 1)[1].split(" ON ", 1)[0]
            cursor.execute(f"DROP INDEX {name}")
        for column, *_ in shape.identity:
            cursor.execute(f'ALTER TABLE "{old}" ALTER COLUMN "{column}" DROP IDENTITY')

        partitioning = f' PARTITION BY RANGE ("{key}")' if key else ""
        cursor.execute(
            f'CREATE TABLE "{table}" (LIKE "{old}" INCLUDING DEFAULTS INCLUDING CONSTRAINTS '
            f"INCLUDING STORAGE INCLUDING COMMENTS){partitioning}"
        )
        columns = ", ".join(f'"{c}"' for c in primary_key)
        cursor.execute(
            f'ALTER TABLE "{table}" ADD CONSTRAINT "{table}_pkey" PRIMARY KEY ({columns})'
        )
        if key:
            cursor.execute(f'CREATE TABLE "{table}_default" PARTITION OF "{table}" DEFAULT')
            # This month onwards only, whatever the rows hold: the same partitions every time
            # (a rollback and forward again rebuilds the same schema). Older rows go to the
            # default partition, which thus starts as the table's history.
            today = timezone.now().astimezone(UTC).date()
            for month in months_from(today, ahead + 1):
                cursor.execute("SELECT amanah_month_partition(%s::regclass, %s)", [table, month])
        cursor.execute(f'INSERT INTO "{table}" SELECT * FROM "{old}"')  # noqa: S608
        cursor.execute(f'DROP TABLE "{old}"')

        for column, kind, last_value, is_called in shape.identity:
            mode = "ALWAYS" if kind == "a" else "BY DEFAULT"
            cursor.execute(
                f'ALTER TABLE "{table}" ALTER COLUMN "{column}" ADD GENERATED {mode} AS IDENTITY'
            )
            cursor.execute(
                "SELECT setval(pg_get_serial_sequence(%s, %s), %s, %s)",
                [f'public."{table}"', column, last_value, is_called],
            )
        for definition in shape.indexes:
            cursor.execute(definition)
        for name, definition in shape.foreign_keys:
            cursor.execute(f'ALTER TABLE "{table}" ADD CONSTRAINT "{name}" {definition}')
        for definition in shape.triggers:
            cursor.execute(definition)
        for grantee, privilege in shape.grants:
            cursor.execute(f'GRANT {privilege} ON "{table}" TO {grantee}')  # regrole text: quoted
        if key:
            # the partitions made before the triggers existed: clone them now
            cursor.execute(
                "SELECT amanah_partition_seal(inhrelid::regclass) FROM pg_inherits "
                "WHERE inhparent = %s::regclass",
                [f'public."{table}"'],
            )
