"""Monthly partitions of the audit trail and the raw gateway callbacks (issue 21).

Every test creates the partitions it needs for fixed, far-off months (2030 onwards) inside its
own transaction, so nothing depends on today's date and everything is rolled back afterwards.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from io import StringIO
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction

from amanah.audit import services as audit
from amanah.audit.chain import verify_chain
from amanah.audit.models import AuditAction, AuditLog
from amanah.core import migration_drill as drill
from amanah.core.partitions import ensure_month_partitions, months_from, partitioned_tables
from amanah.payments.models import Provider, RawCallback

TABLES = ("audit_auditlog", "payments_rawcallback")
JAKARTA = ZoneInfo("Asia/Jakarta")


def record_at(at: datetime, **meta) -> AuditLog:
    with mock.patch.object(audit.timezone, "now", return_value=at), transaction.atomic():
        return audit.record(
            actor=None, action=AuditAction.DEMO_SEED, object_type="PARTITION", meta=meta
        )


def callback_at(at: datetime) -> RawCallback:
    return RawCallback.objects.create(provider=Provider.MIDTRANS, body="{}", received_at=at)


def partition_of(model, pk) -> str:
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT tableoid::regclass::text FROM {model._meta.db_table} WHERE id = %s",  # noqa: S608
            [pk],
        )
        return cursor.fetchone()[0]


def partitions_of(table: str) -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT inhrelid::regclass::text FROM pg_inherits WHERE inhparent = %s::regclass",
            [table],
        )
        return {name for (name,) in cursor.fetchall()}


def refused(statement: str, params=None) -> str:
    with pytest.raises(DatabaseError) as error, transaction.atomic(), connection.cursor() as c:
        c.execute(statement, params)
    return str(error.value)


@pytest.fixture
def jan_feb_2030(db):
    """Partitions for January and February 2030 of every partitioned table."""
    ensure_month_partitions(today=date(2030, 1, 15), ahead=1)


def test_both_tables_are_partitioned_by_month_with_a_default(db):
    assert set(TABLES) <= set(partitioned_tables())
    with connection.cursor() as cursor:
        for table in TABLES:
            cursor.execute(
                "SELECT pg_get_partkeydef(%s::regclass), "
                "(SELECT partdefid::regclass::text FROM pg_partitioned_table "
                " WHERE partrelid = %s::regclass)",
                [table, table],
            )
            key, default = cursor.fetchone()
            assert key.startswith("RANGE (")
            assert default == f"{table}_default"
            # the primary key holds the partition key; Django still keys the model by id
            cursor.execute(
                "SELECT pg_get_constraintdef(oid) FROM pg_constraint "
                "WHERE conrelid = %s::regclass AND contype = 'p'",
                [table],
            )
            assert cursor.fetchone()[0].startswith("PRIMARY KEY (id, ")


def test_rows_land_in_their_utc_month_across_the_boundary(jan_feb_2030):
    last_of_january = datetime(2030, 1, 31, 23, 59, 59, 999999, tzinfo=UTC)
    first_of_february = datetime(2030, 2, 1, tzinfo=UTC)
    # 06:30 on 1 February in Jakarta is still January in UTC: months are UTC months
    jakarta_morning = datetime(2030, 2, 1, 6, 30, tzinfo=JAKARTA)
    assert partition_of(AuditLog, record_at(last_of_january).id) == "audit_auditlog_p2030_01"
    assert partition_of(AuditLog, record_at(first_of_february).id) == "audit_auditlog_p2030_02"
    assert partition_of(AuditLog, record_at(jakarta_morning).id) == "audit_auditlog_p2030_01"
    for at, month in ((last_of_january, "2030_01"), (first_of_february, "2030_02")):
        row = callback_at(at)
        assert partition_of(RawCallback, row.pk) == f"payments_rawcallback_p{month}"


def test_the_default_partition_catches_a_month_nobody_created(jan_feb_2030):
    far = datetime(2031, 5, 15, 8, tzinfo=UTC)
    log, callback = record_at(far), callback_at(far)
    assert partition_of(AuditLog, log.id) == "audit_auditlog_default"
    assert partition_of(RawCallback, callback.pk) == "payments_rawcallback_default"
    # found again through the parent like any other row
    assert AuditLog.objects.get(id=log.id).created_at == far
    # that month cannot be created over the rows the default holds: reported, nothing fails
    outcomes = ensure_month_partitions(today=date(2031, 5, 1), ahead=1)
    by_table = {(o.table, o.month): o.outcome for o in outcomes}
    assert by_table[("audit_auditlog", date(2031, 5, 1))] == "blocked"
    assert by_table[("payments_rawcallback", date(2031, 5, 1))] == "blocked"
    assert by_table[("audit_auditlog", date(2031, 6, 1))] == "created"
    assert partition_of(AuditLog, log.id) == "audit_auditlog_default"


def test_moving_the_default_gives_its_months_partitions_and_keeps_rows_and_chain(jan_feb_2030):
    caught = [
        record_at(datetime(2031, 5, 15, 8, tzinfo=UTC)),
        record_at(datetime(2031, 7, 1, tzinfo=UTC)),
    ]
    callback = callback_at(datetime(2031, 5, 20, tzinfo=UTC))
    out = StringIO()
    call_command("month_partitions", "--move-default", stdout=out)
    assert "audit_auditlog 2031-05: moved 1" in out.getvalue()
    assert "payments_rawcallback 2031-05: moved 1" in out.getvalue()
    assert [partition_of(AuditLog, log.id) for log in caught] == [
        "audit_auditlog_p2031_05",
        "audit_auditlog_p2031_07",
    ]
    assert partition_of(RawCallback, callback.pk) == "payments_rawcallback_p2031_05"
    assert verify_chain().ok  # same rows, same ids, same hashes
    # nothing left to move: a second run changes nothing
    again = StringIO()
    call_command("month_partitions", "--move-default", stdout=again)
    assert "moved" not in again.getvalue()
    # the default is the default again, and as append-only as before
    stray = record_at(datetime(2034, 2, 2, tzinfo=UTC))
    assert partition_of(AuditLog, stray.id) == "audit_auditlog_default"
    for statement in ("DELETE FROM audit_auditlog_default", "TRUNCATE audit_auditlog_default"):
        assert "append-only" in refused(statement)
    assert "payments_rawcallback" in refused("TRUNCATE payments_rawcallback_default")


def test_the_application_role_cannot_move_the_default(jan_feb_2030):
    record_at(datetime(2031, 5, 15, tzinfo=UTC))
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f'SET LOCAL ROLE "{settings.DATABASE_APP_ROLE}"')
        with pytest.raises(CommandError, match="pemilik skema"):
            call_command("month_partitions", "--move-default", stdout=StringIO())


def test_creating_ahead_is_idempotent(db):
    first = ensure_month_partitions(today=date(2032, 3, 20), ahead=2)
    months = [date(2032, 3, 1), date(2032, 4, 1), date(2032, 5, 1)]
    assert {(o.table, o.month) for o in first} >= {(t, m) for t in TABLES for m in months}
    assert {o.outcome for o in first if o.table in TABLES} == {"created"}
    again = ensure_month_partitions(today=date(2032, 3, 20), ahead=2)
    assert [(o.table, o.month) for o in again] == [(o.table, o.month) for o in first]
    assert {o.outcome for o in again} == {"exists"}


def test_the_command_creates_this_month_and_ahead_and_can_run_twice(db):
    out = StringIO()
    call_command("month_partitions", ahead=1, stdout=out)
    call_command("month_partitions", ahead=1, stdout=out)
    lines = out.getvalue().splitlines()
    this_month = datetime.now(UTC).date().replace(day=1)
    for table in TABLES:
        for month in months_from(this_month, 2):
            mine = [line for line in lines if line.startswith(f"{table} {month:%Y-%m}: ")]
            assert len(mine) == 2
            assert mine[1].endswith(": exists")
    assert settings.PARTITION_MONTHS_AHEAD >= 1


def test_the_daily_job_is_scheduled():
    from procrastinate.contrib.django import app

    from amanah.core import tasks

    assert tasks.month_partitions.name in app.tasks
    periodic = {p.periodic_id: p for p in app.periodic_registry.periodic_tasks.values()}
    assert periodic["month_partitions"].cron == settings.PARTITION_CRON


def test_the_chain_holds_across_partitions_and_out_of_month_order(jan_feb_2030):
    # ids (chain order) and months disagree: February, then the default, then January
    rows = [
        record_at(datetime(2030, 2, 3, tzinfo=UTC), n=1),
        record_at(datetime(2031, 7, 1, tzinfo=UTC), n=2),
        record_at(datetime(2030, 1, 9, tzinfo=UTC), n=3),
    ]
    assert [partition_of(AuditLog, r.id) for r in rows] == [
        "audit_auditlog_p2030_02",
        "audit_auditlog_default",
        "audit_auditlog_p2030_01",
    ]
    assert rows[1].prev_hash == rows[0].hash and rows[2].prev_hash == rows[1].hash
    assert verify_chain().ok
    # an edit inside one partition is still named (the owner switching the trigger off)
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE audit_auditlog DISABLE TRIGGER audit_no_update_delete")
        cursor.execute(
            "UPDATE audit_auditlog_p2030_01 SET object_id = 'x' WHERE id = %s", [rows[2].id]
        )
        cursor.execute("ALTER TABLE audit_auditlog ENABLE TRIGGER audit_no_update_delete")
    report = verify_chain()
    assert not report.ok and report.first_broken_id == rows[2].id


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE {part} SET object_id = 'edited' WHERE id = %s",
        "DELETE FROM {part} WHERE id = %s",
        "DELETE FROM audit_auditlog WHERE id = %s",
        "TRUNCATE {part}",
        "TRUNCATE audit_auditlog_default",
        "TRUNCATE audit_auditlog",
    ],
)
def test_append_only_holds_on_every_partition_even_a_new_one(jan_feb_2030, statement):
    log = record_at(datetime(2030, 1, 5, tzinfo=UTC))
    sql = statement.format(part="audit_auditlog_p2030_01")
    message = refused(sql, [log.id] if "%s" in sql else None)
    assert "append-only" in message
    assert AuditLog.objects.filter(id=log.id, object_id=log.object_id).exists()


@pytest.mark.parametrize(
    "statement",
    [
        "DELETE FROM payments_rawcallback_p2030_02 WHERE id = %s",
        "UPDATE payments_rawcallback_p2030_02 SET body = 'forged' WHERE id = %s",
        "TRUNCATE payments_rawcallback_p2030_02",
        "TRUNCATE payments_rawcallback_default",
    ],
)
def test_raw_callbacks_stay_append_only_on_their_partitions(jan_feb_2030, statement):
    row = callback_at(datetime(2030, 2, 10, tzinfo=UTC))
    message = refused(statement, [row.pk] if "%s" in statement else None)
    assert "payments_rawcallback" in message
    assert RawCallback.objects.get(pk=row.pk).body == "{}"


def test_the_app_role_creates_partitions_but_cannot_touch_one_directly(db):
    role = settings.DATABASE_APP_ROLE
    with connection.cursor() as cursor:
        # deny by default: only the owner and the application role may call the owner's code
        for function in (
            "amanah_month_partition(regclass, date)",
            "amanah_partition_seal(regclass)",
        ):
            cursor.execute("SELECT has_function_privilege('public', %s, 'EXECUTE')", [function])
            assert cursor.fetchone()[0] is False
        cursor.execute(f'SET LOCAL ROLE "{role}"')
        # the daily job runs as the application role: the SECURITY DEFINER function creates
        cursor.execute("SELECT amanah_month_partition('audit_auditlog'::regclass, '2033-08-01')")
        assert cursor.fetchone()[0] == "created"
        # writing and reading go through the parent, whose rights are the ones checked
        log = record_at(datetime(2033, 8, 2, tzinfo=UTC))
        assert AuditLog.objects.filter(id=log.id).exists()
        for statement in (
            "SELECT count(*) FROM audit_auditlog_p2033_08",
            "DELETE FROM audit_auditlog_p2033_08",
            "TRUNCATE audit_auditlog_p2033_08",
            "SELECT count(*) FROM audit_auditlog_default",
            "DELETE FROM payments_rawcallback_default",
        ):
            assert "permission denied" in refused(statement)
        with pytest.raises(DatabaseError), transaction.atomic():
            cursor.execute("SELECT amanah_month_partition('iam_branch'::regclass, '2033-08-01')")


def test_partitioning_migrations_back_and_forward_keep_rows_and_chain(jan_feb_2030):
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    logs = [
        record_at(datetime(2030, 1, 20, tzinfo=UTC), n=1),
        record_at(datetime(2031, 9, 1, tzinfo=UTC), n=2),  # default partition
    ]
    callback = callback_at(datetime(2030, 2, 1, tzinfo=UTC))
    before = drill.fingerprints(TABLES)
    targets = [("audit", "0005_hash_not_unique"), ("payments", "0002_rawcallback_append_only")]
    # the rehearsal: Django's executor without working the project state out again (it is
    # shared with test_migrations_reversible.py, whichever runs first works it out)
    rehearsal = drill.rehearsal()
    undone = rehearsal.back(targets)
    assert ("audit", "0006_partition_by_month") in undone
    assert ("payments", "0003_partition_callbacks_by_month") in undone
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname, relkind FROM pg_class WHERE relname = ANY(%s)", [list(TABLES)]
        )
        assert dict(cursor.fetchall()) == dict.fromkeys(TABLES, "r")
    assert drill.fingerprints(TABLES) == before
    assert verify_chain().ok
    assert "append-only" in refused("DELETE FROM audit_auditlog WHERE id = %s", [logs[0].id])

    assert set(rehearsal.forward()) == set(undone)
    assert set(TABLES) <= set(partitioned_tables())
    assert drill.fingerprints(TABLES) == before
    assert verify_chain().ok
    # the migration creates this month onwards only: rows of other months are the default's
    assert partition_of(AuditLog, logs[0].id) == "audit_auditlog_default"
    assert partition_of(AuditLog, logs[1].id) == "audit_auditlog_default"
    assert partition_of(RawCallback, callback.pk) == "payments_rawcallback_default"
    this_month = datetime.now(UTC).date().replace(day=1)
    assert f"audit_auditlog_p{this_month:%Y_%m}" in partitions_of("audit_auditlog")
    # the next id follows the old ones; the default is sealed like every partition
    assert record_at(datetime.now(UTC) - timedelta(seconds=1)).id > logs[1].id
    assert "append-only" in refused("TRUNCATE audit_auditlog_default")
    assert "payments_rawcallback" in refused("TRUNCATE payments_rawcallback_default")
