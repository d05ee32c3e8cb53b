"""Retention: purge documents whose period is over, and remove stored files nobody refers to.

**The purge** (``documents_purge_due``): a document is due when ``retain_until`` (its class's
years after its newest version, ``doctypes.RETENTION_YEARS``; PERMANENT never) has passed and
it is not under legal hold. One batch per transaction, rows locked ``FOR UPDATE SKIP LOCKED``
(a second run, or a legal hold being placed right now, keeps its rows), in this order:

1. crypto-shredding: every version's wrapped data key is destroyed (``key_id`` and
   ``wrapped_key`` emptied), so the ciphertext can no longer be opened by anyone — the master
   keys included — even from a copy of the file store;
2. the tombstone: the title, file names, signature details and decision reason are scrubbed;
   type, class, dates, sizes and sha256 stay as proof of what existed and when it went;
3. one PURGE_DOCUMENT audit row per document (type, class, versions, when it was due);
4. after COMMIT, the files are deleted. A crash before that leaves files whose keys are gone;
   the orphan sweep below deletes them.

The database holds the rule too (``Document`` CHECKs): a row cannot be marked purged while
held or before ``retain_until``. Idempotent: a purged document is never due again.

**Orphan files** (``orphan_files_remove``): a file is written before its version row, so an
upload whose transaction rolls back after ``storage.seal`` leaves a file no row names. Files in
``DOCUMENTS_STORAGE_DIR`` that no live (not shredded) version names, and older than
``DOCUMENTS_ORPHAN_GRACE_SECONDS`` (an upload in progress commits well within it), are deleted,
checked against the database a thousand names at a time; audited with the count.

Both run from the periodic job ``documents.tasks.documents_retention`` (daily,
``DOCUMENTS_RETENTION_CRON``) and the command ``amanah documents_retention``.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from amanah.audit import services as audit
from amanah.audit.models import AuditAction
from amanah.core.actors import declare_actor
from amanah.documents import storage
from amanah.documents.models import Document, DocumentVersion

ACTOR = declare_actor("documents-retention", permissions=())
PURGED_TITLE = "(dimusnahkan: masa retensi habis)"
PURGED_NAME = "(dimusnahkan)"
NAMES_PER_QUERY = 1000


def _discard_all(stored_names: list[str]) -> None:
    for name in stored_names:
        storage.discard(name)


@transaction.atomic
def documents_purge_due(
    *, actor=ACTOR, at: datetime | None = None, limit: int | None = None
) -> int:
    """Purge up to ``limit`` due documents (see the module's docstring); returns how many."""
    at = at or timezone.now()
    limit = limit or settings.DOCUMENTS_RETENTION_BATCH
    due = {
        pk: (doc_type, retention, retain_until)
        for pk, doc_type, retention, retain_until in Document.objects.filter(
            purged_at__isnull=True, legal_hold=False, retain_until__lt=at
        )
        .select_for_update(of=("self",), skip_locked=True)
        .order_by("retain_until", "pk")
        .values_list("pk", "doc_type", "retention", "retain_until")[:limit]
    }
    if not due:
        return 0
    versions = DocumentVersion.objects.filter(document_id__in=due, shredded_at__isnull=True)
    stored = list(versions.values_list("document_id", "stored_name"))
    versions.update(
        key_id="",
        wrapped_key=b"",
        shredded_at=at,
        original_name=PURGED_NAME,
        signature_detail={},
    )
    Document.objects.filter(pk__in=due).update(
        purged_at=at, title=PURGED_TITLE, decision_reason="", updated_at=at
    )
    counts: dict = {}
    for document_id, _name in stored:
        counts[document_id] = counts.get(document_id, 0) + 1
    audit.record_many(
        actor=actor,
        action=AuditAction.PURGE_DOCUMENT,
        object_type=Document._meta.label,
        object_ids=list(due),
        meta_for=lambda pk: {
            "doc_type": due[pk][0],
            "retention": due[pk][1],
            "retain_until": due[pk][2].isoformat(),
            "versions": counts.get(pk, 0),
        },
    )
    transaction.on_commit(partial(_discard_all, [name for _id, name in stored]))
    return len(due)


def _old_files(root: Path, before: float):
    """(name, path) of every file in the store older than ``before`` (streamed)."""
    if not root.is_dir():
        return
    for folder in os.scandir(root):
        if not folder.is_dir(follow_symlinks=False):
            continue
        for entry in os.scandir(folder.path):
            if entry.is_file(follow_symlinks=False) and entry.stat().st_mtime < before:
                yield entry.name, Path(entry.path)


def _remove_unreferenced(chunk: list[tuple[str, Path]]) -> int:
    live = set(
        DocumentVersion.objects.filter(
            stored_name__in=[name for name, _path in chunk], shredded_at__isnull=True
        ).values_list("stored_name", flat=True)
    )
    removed = 0
    for name, path in chunk:
        if name not in live:
            path.unlink(missing_ok=True)
            removed += 1
    return removed


def orphan_files_remove(*, actor=ACTOR, grace_seconds: int | None = None) -> int:
    """Delete stored files no live version names, older than the grace; returns how many."""
    grace = settings.DOCUMENTS_ORPHAN_GRACE_SECONDS if grace_seconds is None else grace_seconds
    before = time.time() - grace
    removed, chunk = 0, []
    for item in _old_files(storage.root(), before):
        chunk.append(item)
        if len(chunk) >= NAMES_PER_QUERY:
            removed += _remove_unreferenced(chunk)
            chunk = []
    if chunk:
        removed += _remove_unreferenced(chunk)
    if removed:
        with transaction.atomic():
            audit.record(
                actor=actor,
                action=AuditAction.PURGE_DOCUMENT_FILES,
                object_type="documents.DocumentVersion",
                object_id="orphans",
                meta={"removed": removed, "grace_seconds": grace},
            )
    return removed


@dataclass
class RetentionRun:
    purged: int = 0
    orphans_removed: int = 0


def retention_run(*, actor=ACTOR, at: datetime | None = None) -> RetentionRun:
    """Everything due now, batch after batch, then the orphan sweep (the command's run)."""
    run = RetentionRun()
    batch = settings.DOCUMENTS_RETENTION_BATCH
    while (purged := documents_purge_due(actor=actor, at=at, limit=batch)) > 0:
        run.purged += purged
        if purged < batch:
            break
    run.orphans_removed = orphan_files_remove(actor=actor)
    return run
