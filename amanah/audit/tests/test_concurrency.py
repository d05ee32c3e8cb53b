"""Many writers at once still extend one unbroken chain (the advisory lock serializes them).

The writers commit for real, on connections of their own. The test itself writes nothing to
the trail before they finish: its open transaction would hold the chain lock. No
``transaction=True`` either: its teardown would TRUNCATE the audit table, which is refused.
"""

import threading

import pytest
from django.db import connection, transaction

from amanah.audit.chain import GENESIS_HASH, compute_hash, verify_chain
from amanah.audit.models import AuditAction, AuditLog
from amanah.audit.services import record
from amanah.core.testing import on_own_connection

WRITERS = 50


@pytest.fixture
def committed_rows_removed(db, marker):
    """Take this test's committed rows out again, so later tests see the trail they expect.

    Superuser-only and no table lock (the test's transaction still reads the table): the
    session skips ordinary triggers just for this cleanup, as a restore tool would.
    """
    yield

    def remove():
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET LOCAL session_replication_role = replica")
            cursor.execute("DELETE FROM audit_auditlog WHERE object_id = %s", [marker])

    on_own_connection(remove)
    assert not AuditLog.objects.filter(object_id=marker).exists()
    assert verify_chain().ok


def test_fifty_concurrent_writers_keep_one_chain(committed_rows_removed, marker):
    start = threading.Barrier(WRITERS)
    errors = []

    def write(n: int) -> None:
        try:
            start.wait(timeout=60)  # all begin together, to make them race for the chain
            with transaction.atomic():
                record(
                    actor=None,
                    action=AuditAction.DEMO_SEED,
                    object_type="CONCURRENCY",
                    object_id=marker,
                    meta={"writer": n},
                )
        except Exception as error:  # noqa: BLE001 (reported by the test)
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=write, args=(n,)) for n in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads)
    assert errors == []

    mine = list(AuditLog.objects.filter(object_id=marker).order_by("id"))
    assert len(mine) == WRITERS
    assert len({log.id for log in mine}) == WRITERS
    assert sorted(log.meta["writer"] for log in mine) == list(range(WRITERS))
    # No two writers took the same predecessor: the chain did not fork.
    assert len({log.prev_hash for log in mine}) == WRITERS

    expected_prev = GENESIS_HASH
    for log in AuditLog.objects.order_by("id"):
        assert log.prev_hash == expected_prev, f"row {log.id} does not follow its predecessor"
        assert compute_hash(log) == log.hash, f"row {log.id} does not match its hash"
        expected_prev = log.hash
    assert verify_chain().ok
