"""The connection binds parameters on the server and prepares the statements it repeats
(dbserver: "how a process talks to the server"), on the real test database."""

from __future__ import annotations

import pytest
from django.db import connection

from amanah import dbserver
from amanah.customers.models import Customer

pytestmark = pytest.mark.django_db


def _prepared_texts() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        return [row[0] for row in cursor.fetchall()]


def test_a_statement_run_often_is_prepared_with_its_parameters_apart():
    for email in ("a1@x.id", "a2@x.id", "a3@x.id", "a4@x.id", "a5@x.id", "a6@x.id"):
        list(Customer.objects.filter(email=email).values_list("id", flat=True))
    texts = [t for t in _prepared_texts() if '"customers_customer"."email" = $1' in t]
    assert len(texts) == 1  # one statement, six values: prepared once, parameter $1
    assert "a6@x.id" not in texts[0]


def test_off_leaves_binding_on_and_prepares_nothing(monkeypatch):
    monkeypatch.setenv("DB_PREPARE_THRESHOLD", "off")
    options = dbserver.database_settings()["OPTIONS"]
    assert options["server_side_binding"] is True
    assert options["prepare_threshold"] is None
    monkeypatch.setenv("DB_PREPARE_THRESHOLD", "2")
    assert dbserver.database_settings()["OPTIONS"]["prepare_threshold"] == 2
