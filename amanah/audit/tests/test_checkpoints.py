"""Signed checkpoints outside the database reveal a truncated tail; the key reveals a recomputed
chain. Tampering runs as the table owner inside the test's transaction (rolled back after);
checkpoints go to a folder of the test's own (the root conftest points AUDIT_CHECKPOINT_DIR at
``tmp_path``)."""

from __future__ import annotations

import hashlib
import json
from io import StringIO
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.conf import settings
from django.core.management import call_command

from amanah import cli
from amanah.audit import chain as audit_chain
from amanah.audit.chain import checkpoint_write, checkpoints_load, compute_hash, verify_chain
from amanah.audit.models import AuditLog

from .conftest import triggers_disabled


@pytest.fixture
def chain(write_event, marker):
    """Five fresh rows at the end of the trail."""
    return [write_event(object_type="CKPT", object_id=marker, meta={"n": n}) for n in range(5)]


def _checkpoint_lines() -> list[dict]:
    folder = Path(settings.AUDIT_CHECKPOINT_DIR)
    return [json.loads(line) for f in sorted(folder.glob("*.jsonl")) for line in f.open()]


def _delete_newest(count: int) -> None:
    newest = list(AuditLog.objects.order_by("-id").values_list("id", flat=True)[:count])
    with triggers_disabled() as cursor:
        cursor.execute("DELETE FROM audit_auditlog WHERE id = ANY(%s)", [newest])
        assert cursor.rowcount == count


def test_checkpoint_is_a_signed_line_outside_the_database(chain):
    checkpoint = checkpoint_write()
    assert (checkpoint.id, checkpoint.hash) == (chain[-1].id, chain[-1].hash)
    [line] = _checkpoint_lines()
    assert line["id"] == chain[-1].id and line["hash"] == chain[-1].hash
    assert len(line["mac"]) == 64 and line["mac"] != line["hash"]
    assert checkpoints_load() == [checkpoint]
    report = verify_chain()
    assert report.ok and report.checkpoints_checked == 1
    assert "1 checkpoints match" in str(report)


def test_without_checkpoints_verify_says_the_tail_was_not_checked(chain):
    report = verify_chain()
    assert report.ok and report.checkpoints_checked == 0
    assert "no checkpoint yet" in str(report)


def test_checkpoints_are_appended_and_skipped_while_the_head_stands_still(chain, write_event):
    first = checkpoint_write(only_if_moved=True)
    assert checkpoint_write(only_if_moved=True) is None
    newer = write_event(object_type="CKPT")
    second = checkpoint_write(only_if_moved=True)
    assert (first.id, second.id) == (chain[-1].id, newer.id)
    assert [line["id"] for line in _checkpoint_lines()] == [first.id, second.id]
    assert verify_chain().checkpoints_checked == 2


def test_truncated_tail_is_reported(chain):
    checkpoint = checkpoint_write()
    _delete_newest(2)
    report = verify_chain()
    assert not report.ok
    assert report.first_broken_id == checkpoint.id
    assert "tail truncated" in report.reason
    assert f"recorded row {checkpoint.id}" in report.reason


def test_truncated_tail_hidden_under_new_rows_is_reported(chain, write_event):
    checkpoint = checkpoint_write()
    _delete_newest(2)
    for n in range(3):  # the chain grows past the checkpoint again, from the shortened head
        write_event(object_type="CKPT", meta={"after": n})
    assert AuditLog.objects.order_by("-id").first().id > checkpoint.id
    report = verify_chain()
    assert not report.ok
    assert report.first_broken_id == checkpoint.id
    assert "not in the chain" in report.reason


def test_audit_verify_command_reports_the_truncation(chain):
    checkpoint = checkpoint_write()
    _delete_newest(1)
    out = StringIO()
    with pytest.raises(SystemExit) as exit_info:
        call_command("audit_verify", stdout=out)
    assert exit_info.value.code == 1
    assert f"BROKEN at audit row {checkpoint.id}: tail truncated" in out.getvalue()


def _plain_sha256(log: AuditLog) -> str:
    """How the trail was linked before it had a key: anyone can recompute this."""
    fields = audit_chain._canonical(audit_chain._row_fields(log))
    return hashlib.sha256((log.prev_hash + fields).encode()).hexdigest()


def _with_other_key(log: AuditLog) -> str:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(settings, "AUDIT_CHAIN_KEY", "a key that is not the chain's key")
        return compute_hash(log)


@pytest.mark.parametrize("forge", [_plain_sha256, _with_other_key], ids=["sha256", "other-key"])
def test_recomputed_chain_is_reported(chain, forge):
    """Edit a row, then relink it and every later row consistently, without the real key."""
    rows = list(AuditLog.objects.filter(id__gte=chain[1].id).order_by("id"))
    rows[0].object_id = "tampered"
    prev = rows[0].prev_hash
    with triggers_disabled() as cursor:
        for row in rows:
            row.prev_hash = prev
            row.hash = prev = forge(row)
            cursor.execute(
                "UPDATE audit_auditlog SET object_id = %s, prev_hash = %s, hash = %s WHERE id = %s",
                [row.object_id, row.prev_hash, row.hash, row.id],
            )
    report = verify_chain()
    assert not report.ok
    assert report.first_broken_id == chain[1].id
    assert "recomputed without the key" in report.reason


def test_recomputed_chain_is_reported_even_from_the_first_row(chain):
    rows = list(AuditLog.objects.order_by("id"))
    prev = audit_chain.GENESIS_HASH
    with triggers_disabled() as cursor:
        for row in rows:
            row.prev_hash = prev
            row.hash = prev = _plain_sha256(row)
            cursor.execute(
                "UPDATE audit_auditlog SET prev_hash = %s, hash = %s WHERE id = %s",
                [row.prev_hash, row.hash, row.id],
            )
    report = verify_chain()
    assert not report.ok
    assert report.first_broken_id == rows[0].id


def test_altered_checkpoint_is_reported(chain):
    checkpoint_write()
    path = next(Path(settings.AUDIT_CHECKPOINT_DIR).glob("*.jsonl"))
    line = json.loads(path.read_text())
    line["id"] = chain[2].id  # "the chain was only this long", to cover a truncation
    line["hash"] = chain[2].hash
    path.write_text(json.dumps(line) + "\n")
    report = verify_chain()
    assert not report.ok
    assert "checkpoint not signed with the chain key" in report.reason
    assert f"{path.name} line 1" in report.reason


def test_checkpoint_signed_with_another_key_is_reported(chain, monkeypatch):
    monkeypatch.setattr(settings, "AUDIT_CHAIN_KEY", "someone else's key")
    checkpoint_write()
    monkeypatch.undo()
    report = verify_chain()
    assert not report.ok
    assert "not signed with the chain key" in report.reason


def test_periodic_task_writes_a_checkpoint(chain):
    from procrastinate.contrib.django import app

    from amanah.audit.tasks import audit_checkpoint

    periodic = {t.task.name: t for t in app.periodic_registry.periodic_tasks.values()}
    entry = periodic["amanah.audit.tasks.audit_checkpoint"]
    assert entry.cron == f"*/{settings.AUDIT_CHECKPOINT_MINUTES} * * * *"
    assert audit_checkpoint(timestamp=0) == chain[-1].id
    assert audit_checkpoint(timestamp=0) is None  # the head has not moved
    assert [line["id"] for line in _checkpoint_lines()] == [chain[-1].id]


def test_cli_writes_a_checkpoint_and_verifies(chain, monkeypatch):
    commands = []
    monkeypatch.setattr(cli, "_django", commands.append)
    cli.main(["audit", "checkpoint"])
    cli.main(["audit", "verify"])
    assert commands == [["audit_checkpoint"], ["audit_verify"]]
    out = StringIO()
    call_command("audit_checkpoint", stdout=out)
    assert f"Checkpoint: audit row {chain[-1].id}" in out.getvalue()
    call_command("audit_verify", stdout=out)
    assert "1 checkpoints match" in out.getvalue()


def _reseal_migration():
    import importlib

    return importlib.import_module("amanah.audit.migrations.0003_reseal_chain_with_key")


def _relink_whole_trail(link) -> None:
    prev = audit_chain.GENESIS_HASH
    with triggers_disabled() as cursor:
        for row in AuditLog.objects.order_by("id"):
            row.prev_hash = prev
            row.hash = prev = link(row)
            cursor.execute(
                "UPDATE audit_auditlog SET prev_hash = %s, hash = %s WHERE id = %s",
                [row.prev_hash, row.hash, row.id],
            )


def test_migration_reseals_an_intact_unkeyed_trail(chain):
    from django.apps import apps
    from django.db import connection

    _relink_whole_trail(_plain_sha256)  # the trail as it was before the key
    assert not verify_chain().ok
    _reseal_migration().reseal(apps, SimpleNamespace(connection=connection))
    assert verify_chain().ok


def test_migration_leaves_a_broken_unkeyed_trail_broken(chain):
    from django.apps import apps
    from django.db import connection

    _relink_whole_trail(_plain_sha256)
    with triggers_disabled() as cursor:
        cursor.execute("UPDATE audit_auditlog SET object_id = 'x' WHERE id = %s", [chain[2].id])
    before = list(AuditLog.objects.order_by("id").values_list("hash", flat=True))
    _reseal_migration().reseal(apps, SimpleNamespace(connection=connection))
    assert list(AuditLog.objects.order_by("id").values_list("hash", flat=True)) == before
