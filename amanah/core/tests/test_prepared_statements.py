"""The connection binds parameters on the server and prepares the statements it repeats
(dbserver: "how a process talks to the server"), on the real test database."""

from __future__ import annotations

import pytest
from django.db import connection, transaction

from amanah import dbserver
from amanah.core.testing import on_own_connection
from amanah.customers.models import Customer

pytestmark = pytest.mark.django_db


def _prepared_texts() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        return [row[0] for row in cursor.fetchall()]


# The statement ``_run_six_times`` repeats, as the server keeps it. Matched whole: another
# test's statement on this connection may hold the same condition (a campaign's eligibility
# INSERT … SELECT does), which a substring would count too, depending on the tests' order.
_EMAIL_STATEMENT = (
    'SELECT "customers_customer"."id" AS "id" FROM "customers_customer" '
    'WHERE "customers_customer"."email" = $1'
)


def _run_six_times(email_prefix: str) -> None:
    for n in range(6):
        list(Customer.objects.filter(email=f"{email_prefix}{n}@x.id").values_list("id", flat=True))


def _email_statements() -> int:
    return sum(t.strip() == _EMAIL_STATEMENT for t in _prepared_texts())


def test_a_statement_run_often_is_prepared_with_its_parameters_apart():
    _run_six_times("a")
    texts = [t for t in _prepared_texts() if t.strip() == _EMAIL_STATEMENT]
    assert len(texts) == 1  # one statement, six values: prepared once, parameter $1
    assert "a5@x.id" not in texts[0]


def test_off_leaves_binding_on_and_prepares_nothing(monkeypatch):
    monkeypatch.setenv("DB_PREPARE_THRESHOLD", "off")
    options = dbserver.database_settings()["OPTIONS"]
    assert options["server_side_binding"] is True
    assert options["prepare_threshold"] is None
    monkeypatch.setenv("DB_PREPARE_THRESHOLD", "2")
    assert dbserver.database_settings()["OPTIONS"]["prepare_threshold"] == 2


def _prepared_names() -> int:
    return len(connection.connection._prepared._names)


def test_a_rollback_keeps_the_prepared_statements():
    # psycopg alone forgets them all (DEALLOCATE ALL) at every rollback: a refused change
    # would send the connection back to parsing and planning each statement again. On a
    # connection of its own, where the atomic block is the outermost one: a real ROLLBACK.
    def refused_change_between_reads():
        _run_six_times("r")
        kept = _prepared_names()
        with pytest.raises(ValueError), transaction.atomic():
            Customer.objects.filter(email="none@x.id").update(email="other@x.id")
            raise ValueError("refused")
        assert connection.connection.info.transaction_status.name == "IDLE"
        after = _prepared_names(), _email_statements()
        _run_six_times("s")  # still prepared: not prepared a second time
        return kept, after, _email_statements()

    kept, after, again = on_own_connection(refused_change_between_reads)
    assert after == (kept, 1)
    assert again == 1


def test_a_savepoint_rolled_back_keeps_them():
    _run_six_times("t")
    kept = _prepared_names()
    with transaction.atomic():
        with pytest.raises(ValueError), transaction.atomic():
            Customer.objects.filter(email="none@x.id").update(email="other@x.id")
            raise ValueError("refused")
        assert connection.connection.info.transaction_status.name == "INTRANS"
    assert _email_statements() == 1
    assert _prepared_names() == kept


def test_the_connection_keeps_up_to_prepared_max():
    from amanah.core.postgresql.base import PREPARED_MAX

    connection.ensure_connection()
    assert connection.connection.prepared_max == PREPARED_MAX
    assert connection.settings_dict["ENGINE"] == "amanah.core.postgresql"


def test_a_long_statement_is_converted_to_dollar_placeholders_once():
    from psycopg import _queries

    long_statement = "SELECT %s::text /* " + "a whole row's columns " * 300 + "*/"
    assert len(long_statement) > 4096  # psycopg alone converts these on every run
    connection.ensure_connection()  # a new connection's own set-up statements are not counted
    before = _queries._query2pg.cache_info()
    with connection.cursor() as cursor:
        for value in ("one", "two"):
            cursor.execute(long_statement, [value])
            assert cursor.fetchone() == (value,)
    after = _queries._query2pg.cache_info()
    assert (after.misses - before.misses, after.hits - before.hits) == (1, 1)
