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
  applied migrations are the same. (A fast subset of the next test, in the suite.)
- ``test_every_app_to_zero_and_forward``: every Amanah app to zero — every migration's
  reverse runs, data migrations' too — and forward again: same schema, same migrations, the
  tables of the other apps (sessions, jobs) untouched, the seeds back.

``SET CONSTRAINTS ALL IMMEDIATE`` first: PostgreSQL refuses to ALTER a table with pending
deferred foreign-key checks from rows written in the same transaction.
"""

from __future__ import annotations

import time

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection

from amanah.core import migration_drill as drill
from amanah.demo.services import demo_seed


@pytest.fixture
def populated(db):
    started = time.perf_counter()
    demo_seed()
    print(f"demo_seed {time.perf_counter() - started:.1f} s")
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    yield
    # content types re-created by the forward migrate are rolled back with the test
    ContentType.objects.clear_cache()


def _round_trip(targets):
    schema, migrations = drill.schema_fingerprint(), drill.applied()
    before = drill.fingerprints()
    plan, tables, creates, _ = drill.plan_of(targets)
    started = time.perf_counter()
    undone = drill.migrate_back(targets)
    print(f"back {len(plan)} migrations {time.perf_counter() - started:.1f} s")
    assert undone == plan
    assert not set(plan) & drill.applied()  # really undone
    started = time.perf_counter()
    drill.migrate_forward()
    print(f"forward {time.perf_counter() - started:.1f} s")
    assert drill.applied() == migrations
    assert drill.schema_fingerprint() == schema
    return before, drill.fingerprints(), plan, tables, creates


def test_latest_migration_of_every_app_back_and_forward(populated):
    apps = drill.project_apps()
    assert {"customers", "cases", "audit", "iam"} <= set(apps)
    steps = [drill.latest_step(app) for app in apps]
    # apps whose latest migration is their first one that others depend on (iam …): to zero
    # with their dependents, in the test below
    steps, apart = drill.combinable([s for s in steps if s.target or not s.other_apps])
    print("apart:", [(s.app, s.target_label) for s in apart])
    before, after, plan, tables, creates = _round_trip([(s.app, s.target) for s in steps])
    assert {(s.app, s.latest) for s in steps} <= set(plan)

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


@pytest.mark.slow
def test_every_app_to_zero_and_forward(populated):
    apps = drill.project_apps()
    before, after, plan, _, _ = _round_trip([(app, None) for app in apps])
    undone_apps = {app for app, _ in plan}
    assert undone_apps >= set(apps)
    assert "otp_totp" in undone_apps  # an app outside Amanah that depends on iam's user
    # tables of the apps nothing was undone in (sessions, jobs, content types) keep every row
    others = {t for t in before if not t.startswith(tuple(f"{a}_" for a in undone_apps))}
    assert "django_session" in others
    assert {t: after[t] for t in others} == {t: before[t] for t in others}
    # the data migrations ran again: seeded categories, the default calendar
    assert after["cases_casecategory"][0] == before["cases_casecategory"][0] > 0
    assert after["calendars_businesscalendar"][0] > 0
