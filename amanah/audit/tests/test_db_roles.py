"""The application role cannot switch the trail's protection off, yet can do the app's work.

The web server and the workers log in as the application role (``settings.DATABASE_APP_ROLE``:
``amanah_app`` on the embedded server). The test runner itself logs in as a superuser (it
creates the test database and tampers on purpose), so these tests take the application role
with ``SET LOCAL ROLE`` inside the test's transaction: PostgreSQL then checks every privilege,
ownership and superuser test against that role, exactly as for a session that logged in as it.
This works the same on the embedded server and on any ``DATABASE_URL`` (the tests create the
role there if it is missing). Only switching roles again is judged by the login role, so the
runtime must log in as the application role itself (never as a superuser doing SET ROLE): on the
embedded server one more test logs in as ``amanah_app`` and checks that too.
"""

from __future__ import annotations

import os
import re

import psycopg
import pytest
from django.conf import settings
from django.db import DatabaseError, connection, transaction
from procrastinate.sql import queries

from amanah.audit.chain import verify_chain
from amanah.audit.models import AuditAction, AuditLog
from amanah.audit.services import record
from amanah.core import dbroles
from amanah.iam import services as iam
from amanah.iam.models import Branch, TimeZoneChoice

REFUSED = re.compile(r"permission denied|must be owner|must be superuser", re.IGNORECASE)


@pytest.fixture
def app_role():
    assert settings.DATABASE_APP_ROLE, "the tests always have an application role"
    return settings.DATABASE_APP_ROLE


@pytest.fixture
def owner(db):
    with connection.cursor() as cursor:
        cursor.execute("SELECT tableowner FROM pg_tables WHERE tablename = 'audit_auditlog'")
        return cursor.fetchone()[0]


@pytest.fixture
def logged(db):
    with transaction.atomic():
        return record(actor=None, action=AuditAction.DEMO_SEED, object_type="ROLES")


@pytest.fixture
def as_app(db, app_role, logged):
    """The rest of the test runs as the application role (until the test's rollback)."""
    with connection.cursor() as cursor:
        cursor.execute(f'SET LOCAL ROLE "{app_role}"')
        cursor.execute("SELECT current_user")
        assert cursor.fetchone()[0] == app_role
        yield cursor


def assert_refused(cursor, statement: str, params=None) -> None:
    # The savepoint keeps the test's transaction (and its SET LOCAL ROLE) usable afterwards.
    with pytest.raises(DatabaseError) as error, transaction.atomic():
        cursor.execute(statement, params)
    # Refused for want of a privilege, not by the append-only trigger behind it.
    assert REFUSED.search(str(error.value)), str(error.value)


def test_app_role_is_no_superuser_owns_nothing_and_is_not_the_owner(as_app, app_role, owner):
    as_app.execute(
        "SELECT rolsuper, rolcreaterole, rolcreatedb, rolbypassrls, rolreplication "
        "FROM pg_roles WHERE rolname = %s",
        [app_role],
    )
    assert as_app.fetchone() == (False, False, False, False, False)
    assert owner != app_role
    as_app.execute("SELECT pg_has_role(%s, %s, 'MEMBER')", [app_role, owner])
    assert as_app.fetchone()[0] is False
    as_app.execute(
        "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = 'public' AND pg_get_userbyid(c.relowner) = %s",
        [app_role],
    )
    assert as_app.fetchone()[0] == 0


@pytest.mark.parametrize(
    "statement",
    [
        "ALTER TABLE audit_auditlog DISABLE TRIGGER audit_no_update_delete",
        "ALTER TABLE audit_auditlog DISABLE TRIGGER ALL",
        "ALTER TABLE audit_auditlog ADD COLUMN note text",
        "ALTER TABLE audit_auditlog ALTER COLUMN hash DROP NOT NULL",
        "ALTER TABLE audit_auditlog RENAME TO audit_old",
        "DROP TRIGGER audit_no_update_delete ON audit_auditlog",
        "DROP TABLE audit_auditlog",
        "CREATE OR REPLACE FUNCTION audit_refuse_change() RETURNS trigger LANGUAGE plpgsql "
        "AS $$ BEGIN RETURN OLD; END $$",
        "ALTER SEQUENCE audit_auditlog_id_seq RESTART WITH 1",
        "SELECT setval('audit_auditlog_id_seq', 1)",
        "SET session_replication_role = replica",
        "SET LOCAL session_replication_role = replica",
        "SELECT set_config('session_replication_role', 'replica', true)",
    ],
    ids=[
        "disable-trigger",
        "disable-all-triggers",
        "add-column",
        "alter-column",
        "rename",
        "drop-trigger",
        "drop-table",
        "replace-trigger-function",
        "restart-sequence",
        "setval",
        "replication-role",
        "replication-role-local",
        "replication-role-set-config",
    ],
)
def test_app_role_cannot_switch_the_protection_off(as_app, statement):
    assert_refused(as_app, statement)


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_auditlog SET object_id = 'edited' WHERE id = %s",
        "UPDATE audit_auditlog SET hash = md5(hash) || md5(hash) WHERE id = %s",
        "DELETE FROM audit_auditlog WHERE id = %s",
    ],
    ids=["update", "update-hash", "delete"],
)
def test_app_role_cannot_change_or_remove_audit_rows(as_app, logged, statement):
    assert_refused(as_app, statement, [logged.id])


def test_app_role_cannot_truncate_the_trail(as_app):
    assert_refused(as_app, "TRUNCATE audit_auditlog")


def test_app_role_appends_to_and_reads_the_trail(as_app, logged):
    with transaction.atomic():
        later = record(actor=None, action=AuditAction.DEMO_SEED, object_type="ROLES")
    assert later.prev_hash == logged.hash
    assert AuditLog.objects.filter(object_type="ROLES").count() == 2
    assert verify_chain().ok


def test_app_role_writes_the_apps_tables(as_app, system):
    branch = iam.branch_save(
        actor=system, code="ROL01", name="KC Peran", timezone_name=TimeZoneChoice.WIB
    )
    Branch.objects.filter(pk=branch.pk).update(name="KC Peran Baru")
    assert Branch.objects.get(pk=branch.pk).name == "KC Peran Baru"
    assert AuditLog.objects.filter(object_id=str(branch.pk)).exists()


def test_app_role_runs_procrastinate_jobs(as_app):
    """What a worker does, with procrastinate's own SQL: register, take a job, finish it."""
    from amanah.core.tasks import purge_rate_counters

    job_id = purge_rate_counters.defer(timestamp=0)
    as_app.execute(queries["register_worker"])
    worker_id = as_app.fetchone()[0]
    as_app.execute(queries["fetch_job"], {"queues": ["housekeeping"], "worker_id": worker_id})
    assert as_app.fetchone()[0] == job_id
    as_app.execute(
        queries["finish_job"], {"job_id": job_id, "status": "succeeded", "delete_job": False}
    )
    as_app.execute(queries["update_heartbeat"], {"worker_id": worker_id})
    as_app.execute(queries["unregister_worker"], {"worker_id": worker_id})
    as_app.execute("SELECT status FROM procrastinate_jobs WHERE id = %s", [job_id])
    assert as_app.fetchone()[0] == "succeeded"


def test_a_new_append_only_table_gets_no_update(db, app_role):
    statements = dbroles._statements(app_role, create_missing=False)
    assert any(
        s.startswith("REVOKE UPDATE, DELETE, TRUNCATE") and '"audit_auditlog"' in s
        for s in statements
    )
    assert "audit_auditlog" in dbroles.append_only_tables()


@pytest.mark.skipif(
    bool(os.environ.get("DATABASE_URL")), reason="the embedded server's own login roles"
)
def test_embedded_app_login_is_limited_too(db):
    """On the embedded server the app logs in as amanah_app itself (no SET ROLE to undo)."""
    from amanah import dbserver

    runtime = dbserver.database_settings("app")
    assert runtime["USER"] == dbserver.EMBEDDED_APP_ROLE
    params = {"dbname": connection.settings_dict["NAME"], "host": runtime["HOST"]}
    with psycopg.connect(user=runtime["USER"], autocommit=True, **params) as conn:
        row = conn.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
        assert row.fetchone()[0] is False
        for statement in (
            "SET session_replication_role = replica",
            "ALTER TABLE audit_auditlog DISABLE TRIGGER ALL",
            "UPDATE audit_auditlog SET object_id = 'edited'",
            "DELETE FROM audit_auditlog",
            "TRUNCATE audit_auditlog",
            f'SET ROLE "{dbserver.EMBEDDED_OWNER_ROLE}"',
            f'SET ROLE "{dbserver.EMBEDDED_SUPERUSER}"',
        ):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(statement)
        assert conn.execute("SELECT count(*) FROM audit_auditlog").fetchone()[0] >= 0


def test_app_role_opens_branches_without_building_indexes_and_queues_one_repair(as_app, system):
    """An index is the owner's to build: as the application role a new branch is still
    created (its name index refused, the repair job queued once for any number of branches),
    and the repair run as that role reports what is missing instead of failing."""
    from procrastinate.contrib.django.models import ProcrastinateJob

    from amanah.customers import name_indexes

    opened = [
        iam.branch_save(
            actor=system, code=f"ROL1{n}", name=f"KC Peran {n}", timezone_name=TimeZoneChoice.WIB
        )
        for n in range(2)
    ]
    queued = ProcrastinateJob.objects.filter(
        task_name="amanah.customers.tasks.name_indexes_ensure", status="todo"
    )
    assert queued.count() == 1
    assert not name_indexes.may_build()
    found = name_indexes.ensure(concurrently=False)
    assert found.repaired is False
    assert {str(b.pk) for b in opened} <= set(found.missing)
    assert {str(b.pk) for b in opened} <= set(name_indexes.status().missing)
