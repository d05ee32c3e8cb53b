"""Re-seal an existing trail with the keyed chain (HMAC-SHA256 under AUDIT_CHAIN_KEY).

Rows written before this migration are linked by plain SHA-256, which anyone could recompute.
If that old chain is intact, every row gets its keyed link (same rows, same order, new MACs);
if it is broken, the rows are left as they are and `amanah audit verify` keeps reporting where.
Only the owner can do this (the append-only trigger is switched off inside this transaction).
A new database has no rows and nothing happens. The demo database is disposable anyway:
`make clean-db` starts it afresh.
"""

import hashlib
import json
from datetime import UTC

from django.db import migrations

BATCH = 5000
FIELDS = (
    "id", "created_at", "action", "object_type", "object_id", "actor_id", "actor_username",
    "actor_role", "ip", "user_agent", "request_id", "meta",
)
GENESIS = "0" * 64


def _legacy_hash(prev: str, row: dict) -> str:
    canonical = json.dumps(row, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256((prev + canonical).encode()).hexdigest()


def _fields(log) -> dict:
    row = {name: getattr(log, name) for name in FIELDS}
    row["created_at"] = log.created_at.astimezone(UTC).isoformat()
    return row


def _legacy_chain_intact(AuditLog) -> bool:
    prev, intact = GENESIS, True
    # Read to the end even after a break, so the server-side cursor is closed afterwards.
    for log in AuditLog.objects.order_by("id").iterator(chunk_size=BATCH):
        intact = intact and log.prev_hash == prev and _legacy_hash(prev, _fields(log)) == log.hash
        prev = log.hash
    return intact


def _keyed_chain_intact(AuditLog, compute_hash) -> bool:
    prev, intact = GENESIS, True
    for log in AuditLog.objects.order_by("id").iterator(chunk_size=BATCH):
        intact = intact and log.prev_hash == prev and compute_hash(log) == log.hash
        prev = log.hash
    return intact


def reseal(apps, schema_editor):
    from amanah.audit.chain import compute_hash

    AuditLog = apps.get_model("audit", "AuditLog")
    # Rows written by earlier data migrations of this same run are keyed already.
    if _keyed_chain_intact(AuditLog, compute_hash):
        return
    if not _legacy_chain_intact(AuditLog):
        print("\n  audit: the unkeyed chain is already broken; left as it is (audit verify says where)")
        return
    with schema_editor.connection.cursor() as cursor:
        # Before any cursor reads the table: ALTER TABLE refuses while one is open.
        cursor.execute("ALTER TABLE audit_auditlog DISABLE TRIGGER audit_no_update_delete")
        prev, batch = GENESIS, []
        for log in AuditLog.objects.order_by("id").iterator(chunk_size=BATCH):
            log.prev_hash = prev
            prev = compute_hash(log)
            batch.append((log.id, log.prev_hash, prev))
            if len(batch) == BATCH:
                _write(cursor, batch)
                batch = []
        _write(cursor, batch)
        cursor.execute("ALTER TABLE audit_auditlog ENABLE TRIGGER audit_no_update_delete")


def _write(cursor, batch) -> None:
    if not batch:
        return
    ids, prevs, hashes = zip(*batch, strict=True)
    # Old and new hashes never collide, so the unique index holds row by row.
    cursor.execute(
        "UPDATE audit_auditlog AS a SET prev_hash = n.prev_hash, hash = n.hash "
        "FROM unnest(%s::bigint[], %s::text[], %s::text[]) AS n(id, prev_hash, hash) "
        "WHERE a.id = n.id",
        [list(ids), list(prevs), list(hashes)],
    )


class Migration(migrations.Migration):
    dependencies = [("audit", "0002_append_only")]
    operations = [migrations.RunPython(reseal, migrations.RunPython.noop, elidable=True)]
