"""Every migration can be undone, and going forward again rebuilds the same schema without
touching the data it need not touch (issue 19; seed 002 §3–4).

How: PostgreSQL's DDL is transactional, so the tests migrate the test database itself back
and forward inside the test's transaction, which rolls everything back at the end (other
tests never see it). The database is populated first with the demo data (staff, customers,
cases, transactions, the follow-up desk, message templates) plus the data migrations' seeds.

``test_every_migration_back_and_forward_keeping_the_data``, two round trips in one test:

1. The latest migration of every Amanah app undone in one backward plan (with whatever depends
   on it), then forward again. The schema and the applied migrations are the same as before;
   every table the plan does not touch keeps its rows and their checksum; a table it touches
   but does not create keeps its row count (customers, cases, the trail, the desk: all kept).
2. Every Amanah app to zero (with what depends on it: ``otp_totp``) and forward again: every
   migration's reverse runs, data migrations' too. At zero no table, column, constraint, index
   or trigger of the undone apps is left and the other apps' tables are as they were;
   afterwards the schema and the applied migrations are the same, the tables of the apps
   nothing was undone in (sessions, jobs, content types) keep every row, and the data
   migrations' seeds are back.

The round trips run through ``migration_drill.rehearsal()``: the executor's own steps (schema
editor, ``database_backwards``/``database_forwards``, ``IrreversibleError``, the recorder,
``post_migrate``) with the project state before and after every operation worked out once per
process instead of three times per round trip (that was ~73 % of their time; the partition
test shares it). A new migration without a reverse fails here; so does one whose reverse
loses rows of a table it keeps or leaves the schema different.

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


def round_trip(rehearsal, targets, plan, schema, migrations):
    """Undo ``plan`` (the backward plan of ``targets``) and apply it again: the applied
    migrations and the schema are the same as before. Returns the tables (names) and the
    schema at the bottom and every table's fingerprint after."""
    assert rehearsal.back(targets) == plan
    assert not set(plan) & drill.applied()  # really undone
    bottom_tables, bottom_schema = drill.table_names(), drill.schema_fingerprint()
    assert set(rehearsal.forward()) == set(plan)
    assert drill.applied() == migrations
    assert drill.schema_fingerprint() == schema
    return bottom_tables, bottom_schema, drill.fingerprints()


def test_every_migration_back_and_forward_keeping_the_data(populated):
    rehearsal = drill.rehearsal()
    executor = rehearsal.executor
    apps = drill.project_apps(executor)
    assert {"customers", "cases", "audit", "iam"} <= set(apps)
    schema, migrations = drill.schema_fingerprint(), drill.applied()
    before = drill.fingerprints()

    # 1. The latest migration of every app, in one backward plan, on the populated database.
    # Apps whose latest migration is their first one and that others depend on (iam …) go to
    # zero with their dependents in 2. A target inside another step's rollback (insight's,
    # under cases') is undone by that step.
    steps = [drill.latest_step(app, executor=executor) for app in apps]
    steps, apart = drill.combinable(
        [s for s in steps if s.target or not s.other_apps], executor=executor
    )
    targets = [(s.app, s.target) for s in steps]
    plan, tables, creates, _ = drill.plan_of(targets, executor=executor)
    assert {(s.app, s.latest) for s in steps + apart} <= set(plan)
    _, _, after = round_trip(rehearsal, targets, plan, schema, migrations)
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

    # 2. Every app to zero (with what depends on it) and forward again.
    plan = rehearsal.plan([(app, None) for app in apps])
    undone_apps = {app for app, _ in plan}
    assert undone_apps >= set(apps)
    assert "otp_totp" in undone_apps  # an app outside Amanah that depends on iam's user
    ours = tuple(f"{a}_" for a in undone_apps)
    zero_tables, zero_schema, after = round_trip(
        rehearsal, [(app, None) for app in apps], plan, schema, migrations
    )
    # at zero nothing of the undone apps is left (no table, column, constraint, index or
    # trigger) and the other apps' tables are exactly as they were
    assert not [t for t in zero_tables if t.startswith(ours)]

    def on_tables(rows):  # not functions nor a domain's constraints ('-': no table)
        return {r for r in rows if r[0] != "function" and r[1] != "-"}

    assert on_tables(zero_schema) == {r for r in on_tables(schema) if not r[1].startswith(ours)}
    # tables of the apps nothing was undone in (sessions, jobs, content types) keep every row
    others = {t for t in before if not t.startswith(ours)}
    assert "django_session" in others
    assert {t: after[t] for t in others} == {t: before[t] for t in others}
    # the data migrations ran again: seeded categories, the default calendar
    assert after["cases_casecategory"][0] == before["cases_casecategory"][0] > 0
    assert after["calendars_businesscalendar"][0] > 0
