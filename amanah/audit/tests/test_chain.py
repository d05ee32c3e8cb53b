"""verify_chain and `audit_verify` find any edit, deletion or reordering of the trail.

Tampering needs the table owner to switch the trigger off; it happens inside the test's own
transaction, so it is rolled back afterwards.
"""

from io import StringIO

import pytest
from django.core.management import call_command

from amanah.audit.chain import GENESIS_HASH, compute_hash, verify_chain
from amanah.audit.models import AuditLog

from .conftest import triggers_disabled


@pytest.fixture
def chain(write_event, marker):
    """Four fresh rows at the end of the trail."""
    return [write_event(object_type="CHAIN", object_id=marker, meta={"n": n}) for n in range(4)]


def test_intact_chain_is_ok(chain):
    report = verify_chain()
    assert report.ok
    assert report.first_broken_id is None
    assert report.rows_checked == AuditLog.objects.count() >= 4
    assert str(report).startswith("OK: ")


def test_chain_starts_at_genesis(chain):
    first = AuditLog.objects.order_by("id").first()
    assert first.prev_hash == GENESIS_HASH


def test_small_batches_walk_the_whole_trail(chain):
    assert verify_chain(batch_size=1).rows_checked == AuditLog.objects.count()


@pytest.mark.parametrize(
    "change",
    [
        "object_id = 'tampered'",
        "action = 'LOGIN'",
        "actor_username = 'someone.else'",
        "actor_role = 'ADMIN'",
        "meta = meta || '{\"n\": 99}'::jsonb",
        "created_at = created_at + interval '1 second'",
        "ip = '10.9.9.9'",
        "request_id = 'forged'",
        "user_agent = 'curl'",
    ],
)
def test_edited_row_is_named(chain, change):
    target = chain[1]
    with triggers_disabled() as cursor:
        cursor.execute(f"UPDATE audit_auditlog SET {change} WHERE id = %s", [target.id])  # noqa: S608
        assert cursor.rowcount == 1
    report = verify_chain()
    assert not report.ok
    assert report.first_broken_id == target.id
    assert "edited" in report.reason
    assert f"BROKEN at audit row {target.id}" in str(report)


def test_edit_with_a_recomputed_hash_is_caught_at_the_next_row(chain):
    target = AuditLog.objects.get(pk=chain[1].id)
    target.object_id = "tampered"
    forged = compute_hash(target)
    with triggers_disabled() as cursor:
        cursor.execute(
            "UPDATE audit_auditlog SET object_id = 'tampered', hash = %s WHERE id = %s",
            [forged, target.id],
        )
    report = verify_chain()
    assert not report.ok
    assert report.first_broken_id == chain[2].id
    assert "removed or moved" in report.reason


def test_deleted_middle_row_is_named_by_the_row_after_it(chain):
    with triggers_disabled() as cursor:
        cursor.execute("DELETE FROM audit_auditlog WHERE id = %s", [chain[1].id])
        assert cursor.rowcount == 1
    report = verify_chain()
    assert not report.ok
    assert report.first_broken_id == chain[2].id
    assert "removed or moved" in report.reason


SWAP_COLUMNS = (
    "created_at, action, object_type, object_id, actor_id, actor_username, actor_role, ip, "
    "user_agent, request_id, meta"
)


def test_swapped_row_contents_are_caught(chain):
    # The two events trade places in id order; each link keeps its old hashes.
    a, b = chain[1].id, chain[2].id
    columns = SWAP_COLUMNS.split(", ")
    assignments = ", ".join(f"{c} = other.{c}" for c in columns)
    with triggers_disabled() as cursor:
        cursor.execute(
            f"UPDATE audit_auditlog AS mine SET {assignments} "  # noqa: S608 (our own columns)
            f"FROM (SELECT id, {SWAP_COLUMNS} FROM audit_auditlog WHERE id IN (%s, %s)) AS other "
            "WHERE mine.id IN (%s, %s) AND other.id <> mine.id",
            [a, b, a, b],
        )
        assert cursor.rowcount == 2
    assert AuditLog.objects.get(pk=a).meta == {"n": 2}
    report = verify_chain()
    assert not report.ok
    assert report.first_broken_id == a
    assert "edited" in report.reason


def test_renumbered_rows_are_caught(chain):
    # Whole rows (hashes included) trade ids; a spare id because the key is checked per row.
    a, b = chain[1].id, chain[2].id
    with triggers_disabled() as cursor:
        cursor.execute("UPDATE audit_auditlog SET id = -1 WHERE id = %s", [a])
        cursor.execute("UPDATE audit_auditlog SET id = %s WHERE id = %s", [a, b])
        cursor.execute("UPDATE audit_auditlog SET id = %s WHERE id = -1", [b])
    assert AuditLog.objects.get(pk=a).meta == {"n": 2}
    report = verify_chain()
    assert not report.ok
    assert report.first_broken_id == a
    assert "removed or moved" in report.reason


def test_audit_verify_command_prints_ok(chain):
    out = StringIO()
    call_command("audit_verify", stdout=out)
    assert out.getvalue().startswith("OK: ")
    assert f"{AuditLog.objects.count()} audit rows" in out.getvalue()


def test_audit_verify_command_exits_1_naming_the_broken_row(chain):
    with triggers_disabled() as cursor:
        cursor.execute("UPDATE audit_auditlog SET object_id = 'x' WHERE id = %s", [chain[2].id])
    out = StringIO()
    with pytest.raises(SystemExit) as exit_info:
        call_command("audit_verify", stdout=out)
    assert exit_info.value.code == 1
    assert f"BROKEN at audit row {chain[2].id}" in out.getvalue()
