"""Every migration can be undone, and going forward again rebuilds the same schema without
touching the data it need not touch (issue 19; seed 002 §3–4).

How: PostgreSQL's DDL is transactional, so the tests migrate the test database itself back
and forward inside the test's transaction, which rolls everything back at the end (other
tests never see it). The database is populated first with the demo data (staff, customers,
cases, transactions, the follow-up desk, message templates) plus the data migrations' seeds.

- ``test_latest_migration_of_every_app_back_and_forward``: the latest migration of every
  Amanah app undone in one backward plan (with whatever depends on it), then ``migrate``. The
  schema afterwards equals the schema before; every table the plan does not touch keeps its
  rows and their checksum; a table it touches but does not create keeps its row count; the
  applied migrations are the same.
- ``fieldops/tests/test_migrations_to_zero.py`` (marked ``slow``, several minutes): every
  Amanah app to zero and forward again. It lives there, not here, so that the cross-cutting
  run of ``core/tests`` stays short; it runs with the rest of the suite.

``SET CONSTRAINTS ALL IMMEDIATE`` first: PostgreSQL refuses to ALTER a table with pending
deferred foreign-key checks from rows written in the same transaction.
"""

from __future__ import annotations

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection

from amanah.core import migration_drill as drill
from amanah.demo.services import demo_seed


@pytest.fixture
def populated(db):
    demo_seed()
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    yield
    # content types re-created by the forward migrate are rolled back with the test
    ContentType.objects.clear_cache()


def round_trip(targets):
    schema, migrations = drill.schema_fingerprint(), drill.applied()
    before = drill.fingerprints()
    plan, tables, creates, _ = drill.plan_of(targets)
    undone = drill.migrate_back(targets)
    assert undone == plan
    assert not set(plan) & drill.applied()  # really undone
    drill.migrate_forward()
    assert drill.applied() == migrations
    assert drill.schema_fingerprint() == schema
    return before, drill.fingerprints(), plan, tables, creates


def test_latest_migration_of_every_app_back_and_forward(populated):
    apps = drill.project_apps()
    assert {"customers", "cases", "audit", "iam"} <= set(apps)
    steps = [drill.latest_step(app) for app in apps]
    # Apps whose latest migration is their first one and that others depend on (iam …): to
    # zero with their dependents, in fieldops/tests/test_migrations_to_zero.py. A target
    # inside another step's rollback (insight's, under cases') is undone by that step.
    steps, apart = drill.combinable([s for s in steps if s.target or not s.other_apps])
    before, after, plan, tables, creates = round_trip([(s.app, s.target) for s in steps])
    assert {(s.app, s.latest) for s in steps + apart} <= set(plan)

    assert set(after) == set(before)
    untouched = set(before) - tables
    changed = {t for t in untouched if after[t] != before[t]}
    assert not changed, f"tables the rollback does not touch changed: {sorted(changed)}"
    kept_rows = {t: (before[t][0], after[t][0]) for t in tables - creates if t in before}
    assert all(b == a for b, a in kept_rows.values()), kept_rows
    # representative data came through: customers, their cases, the trail, the desk
    for table in ("customers_customer", "cases_case", "audit_auditlog", "followup_member"):
        assert before[table][0] > 0, table
        assert after[table][0] == before[table][0], table
