"""The database keeps the books even against raw SQL (migration 0002): an unbalanced entry or
one of a single line is refused when its transaction commits; posted entries and lines are
never updated or deleted; nothing goes into a closed period. And two transactions posting one
business fact at once make one entry.

Commits happen on connections of their own (``core.testing.on_own_connection``): the test's
own connection stays in one rolled-back transaction, where a deferred check would never run.
Inside it, ``SET CONSTRAINTS ALL IMMEDIATE`` runs the pending checks at once instead.
"""

from __future__ import annotations

import pytest
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.utils import timezone

from amanah.consent.testing import committed  # noqa: F401 (fixture)
from amanah.core.actors import SystemActor
from amanah.core.testing import on_own_connection, run_in_threads
from amanah.ledger import chart, services
from amanah.ledger.models import JournalEntry, JournalLine, Period
from amanah.ledger.testing import post


def _raw_entry(cursor, key: str, lines: list[tuple[str, int, int]], *, day=None) -> int:
    day = day or timezone.localdate()
    cursor.execute(
        "INSERT INTO ledger_journalentry (date, period, description, source_type, source_key,"
        " created_at, created_by_label) VALUES (%s, %s, 'raw', 'test.raw', %s, now(), 'sql')"
        " RETURNING id",
        [day, day.replace(day=1), key],
    )
    entry_id = cursor.fetchone()[0]
    for code, debit, credit in lines:
        cursor.execute(
            "INSERT INTO ledger_journalline (entry_id, account_id, debit, credit)"
            " SELECT %s, id, %s, %s FROM ledger_account WHERE code = %s",
            [entry_id, debit, credit, code],
        )
    return entry_id


def _commit_raw(key: str, lines) -> None:
    def write():
        with transaction.atomic(), connection.cursor() as cursor:
            _raw_entry(cursor, key, lines)

    on_own_connection(write)


@pytest.mark.parametrize(
    "lines",
    [
        [(chart.KAS, 100_000, 0), (chart.PENDAPATAN_AIR, 0, 99_999)],
        [(chart.KAS, 100_000, 0)],
        [],
    ],
    ids=["unbalanced", "one line", "no lines"],
)
def test_the_database_refuses_at_commit_an_entry_that_does_not_balance(db, lines):
    with pytest.raises(IntegrityError, match="ledger: journal entry"):
        _commit_raw("raw:refused", lines)
    assert not on_own_connection(
        lambda: JournalEntry.objects.filter(source_key="raw:refused").exists()
    )


def test_the_check_is_deferred_to_commit_not_per_statement(db):
    """An entry and its lines are separate statements: the first alone is not refused, the
    unbalanced whole is (here at SET CONSTRAINTS IMMEDIATE, inside the test's transaction)."""
    with connection.cursor() as cursor:
        _raw_entry(cursor, "raw:ok", [(chart.KAS, 5, 0), (chart.BANK, 0, 5)])
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # balanced: passes
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        with pytest.raises(IntegrityError, match="not balanced"), transaction.atomic():
            _raw_entry(cursor, "raw:bad", [(chart.KAS, 5, 0), (chart.BANK, 0, 4)])
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")
    assert JournalEntry.objects.filter(source_key="raw:ok").exists()


def test_a_line_with_both_sides_or_none_is_refused_at_once(db):
    with connection.cursor() as cursor:
        for debit, credit in [(5, 5), (0, 0), (-5, 0)]:
            with pytest.raises(IntegrityError), transaction.atomic():
                _raw_entry(cursor, f"raw:side{debit}{credit}", [(chart.KAS, debit, credit)])


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE ledger_journalentry SET description = 'diubah' WHERE id = %(entry)s",
        "UPDATE ledger_journalentry SET date = date WHERE id = %(entry)s",
        "DELETE FROM ledger_journalentry WHERE id = %(entry)s",
        "UPDATE ledger_journalline SET debit = debit + 1 WHERE entry_id = %(entry)s",
        "DELETE FROM ledger_journalline WHERE entry_id = %(entry)s",
    ],
)
def test_posted_entries_and_lines_are_never_changed(db, statement):
    entry = post(SystemActor("system:test"))
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(statement, {"entry": entry.pk})
    assert sorted(JournalLine.objects.filter(entry=entry).values_list("debit", "credit")) == [
        (0, 150_000),
        (150_000, 0),
    ]


@pytest.mark.parametrize("table", ["ledger_journalline", "ledger_journalentry"])
def test_the_journal_is_never_truncated(db, table):
    """On a connection of its own: the test's transaction holds pending deferred checks, which
    would refuse a TRUNCATE for another reason."""

    def truncate():
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"TRUNCATE {table} CASCADE")

    with pytest.raises(DatabaseError, match="append-only"):
        on_own_connection(truncate)


def test_the_orm_cannot_change_an_entry_either(db):
    entry = post(SystemActor("system:test"))
    entry.description = "diubah"
    with pytest.raises(DatabaseError), transaction.atomic():
        entry.save()
    with pytest.raises(DatabaseError), transaction.atomic():
        JournalLine.objects.filter(entry=entry).delete()


def test_the_database_refuses_a_posting_into_a_closed_period(db):
    system = SystemActor("system:test")
    month = timezone.localdate().replace(day=1)
    services.period_close(actor=system, month=month)
    with (
        pytest.raises(IntegrityError, match="closed"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        _raw_entry(cursor, "raw:closed", [(chart.KAS, 5, 0), (chart.BANK, 0, 5)])
    with (
        pytest.raises(IntegrityError, match="ledger_entry_period_of_date"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(
            "INSERT INTO ledger_journalentry (date, period, description, source_type,"
            " source_key, created_at, created_by_label)"
            " VALUES ('2020-01-15', '2020-02-01', 'x', 'test.raw', 'raw:p', now(), '')"
        )


def test_two_concurrent_posts_of_one_fact_make_one_entry(committed):  # noqa: F811
    key = f"concurrent:{timezone.now().timestamp()}"
    month = timezone.localdate().replace(day=1)
    had_period = on_own_connection(lambda: Period.objects.filter(month=month).exists())
    results = []

    def work(_n):
        results.append(post(committed.system, 250_000, key=key))

    def remove():
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL session_replication_role = replica")
            ids = list(JournalEntry.objects.filter(source_key=key).values_list("pk", flat=True))
            JournalLine.objects.filter(entry_id__in=ids).delete()
            JournalEntry.objects.filter(pk__in=ids).delete()
        if not had_period:
            Period.objects.filter(month=month, closed=False).delete()

    committed.on_cleanup(remove)
    errors = run_in_threads(work, 4)
    assert errors == []
    assert len({entry.pk for entry in results}) == 1
    assert sum(entry.was_posted_now for entry in results) == 1
    assert JournalEntry.objects.filter(source_key=key).count() == 1
    assert JournalLine.objects.filter(entry__source_key=key).count() == 2
