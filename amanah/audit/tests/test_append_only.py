"""PostgreSQL itself refuses to change or remove audit rows, whoever asks and however."""

import pytest
from django.core.management.color import no_style
from django.db import DatabaseError, connection, transaction

from amanah.audit.chain import verify_chain
from amanah.audit.models import AuditLog


@pytest.fixture
def logged(write_event, marker):
    return write_event(object_type="APPEND_ONLY", object_id=marker, meta={"n": 1})


def assert_refused(change) -> None:
    # The savepoint keeps the test's own transaction usable after the refused statement.
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        change()


def assert_untouched(log: AuditLog) -> None:
    stored = AuditLog.objects.get(pk=log.pk)
    assert (stored.object_id, stored.meta, stored.hash) == (log.object_id, log.meta, log.hash)
    assert verify_chain().ok


def _save_edited(log):
    log.object_id = "edited"
    log.save()


def test_orm_save_of_an_existing_row_is_refused(logged):
    original = AuditLog.objects.get(pk=logged.pk)
    assert_refused(lambda: _save_edited(logged))
    assert_untouched(original)


def test_orm_queryset_update_is_refused(logged):
    assert_refused(lambda: AuditLog.objects.filter(pk=logged.pk).update(meta={"n": 2}))
    assert_untouched(logged)


def test_orm_instance_delete_is_refused(logged):
    assert_refused(logged.delete)
    assert_untouched(logged)


def test_orm_queryset_delete_is_refused(logged):
    assert_refused(AuditLog.objects.all().delete)
    assert_untouched(logged)
    assert AuditLog.objects.count() >= 1


def _execute(sql: str, params=None):
    def run():
        with connection.cursor() as cursor:
            cursor.execute(sql, params)

    return run


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE audit_auditlog SET object_id = 'edited' WHERE id = %s",
        "UPDATE audit_auditlog SET meta = '{}'::jsonb, hash = md5(hash) || md5(hash) WHERE id = %s",
        "DELETE FROM audit_auditlog WHERE id = %s",
    ],
    ids=["update", "update-hash", "delete"],
)
def test_raw_sql_update_and_delete_are_refused(logged, sql):
    assert_refused(_execute(sql, [logged.pk]))
    assert_untouched(logged)


def test_raw_sql_truncate_is_refused(logged):
    assert_refused(_execute("TRUNCATE audit_auditlog"))
    assert_refused(_execute("TRUNCATE audit_auditlog RESTART IDENTITY CASCADE"))
    assert_untouched(logged)


def test_django_flush_cannot_empty_the_trail(logged):
    # `manage.py flush` (and transactional test teardown) truncates every table this way.
    statements = connection.ops.sql_flush(no_style(), [AuditLog._meta.db_table])
    assert statements
    assert_refused(lambda: [_execute(sql)() for sql in statements])
    assert_untouched(logged)


def test_appending_still_works(write_event, logged):
    later = write_event(object_type="APPEND_ONLY", object_id=logged.object_id)
    assert later.id > logged.id
    assert later.prev_hash == logged.hash
    assert AuditLog.objects.filter(object_id=logged.object_id).count() == 2
