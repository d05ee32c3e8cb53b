"""Master key rotation: re-wrap the data keys, never re-encrypt the files."""

from __future__ import annotations

from django.db import transaction

from amanah.audit import services as audit
from amanah.audit.models import AuditAction
from amanah.core.actors import declare_actor
from amanah.documents import storage
from amanah.documents.models import DocumentVersion

# The operator's key rotation (``amanah documents_rotate_keys``): it re-wraps data keys and
# reads no document, so it needs no permission at all.
ROTATOR = declare_actor("documents-key-rotation", permissions=())


def keys_rotate(*, actor, batch: int = 500) -> int:
    """Re-wrap every data key not under the active master key; files are not touched.

    Batched, each batch its own transaction with its rows locked (SKIP LOCKED: a second run
    at the same time takes other rows). Returns the number re-wrapped; audited per batch.
    """
    active = storage.active_key_id()
    total = 0
    while True:
        with transaction.atomic():
            rows = list(
                DocumentVersion.objects.exclude(key_id=active)
                .filter(shredded_at__isnull=True)  # a purged version has no key left
                .select_for_update(of=("self",), skip_locked=True)
                .order_by("pk")[:batch]
            )
            if not rows:
                return total
            for row in rows:
                data_key = storage.unwrap(bytes(row.wrapped_key), row.key_id, str(row.pk))
                row.wrapped_key = storage.wrap(data_key, active, str(row.pk))
                row.key_id = active
            DocumentVersion.objects.bulk_update(rows, ["wrapped_key", "key_id"])
            audit.record(
                actor=actor,
                action=AuditAction.ROTATE_DOCUMENT_KEYS,
                object_type="DOCUMENT_KEYS",
                object_id=active,
                meta={"rewrapped": len(rows)},
            )
            total += len(rows)
