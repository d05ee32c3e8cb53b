"""Moving the case attachments kept before documents existed into documents (once per deployment).

Until issue 18 a case's files lay in plain under ``VAR_DIR/attachments`` with a
``CaseAttachment`` row each. ``attachments_move`` (command ``amanah cases_move_attachments``)
makes every one an EVIDENCE document of its case, encrypted at rest like any other:

1. a batch of rows in its own transaction, locked ``FOR UPDATE SKIP LOCKED`` (a second run at
   the same time takes other rows), walked by key so that a row left behind is not met again;
2. the plaintext file is read and held against the row's sha256 — a missing or changed file is
   reported and left (row and file) for a person to look at;
3. documents' upload checks (type from the bytes, name, size) — a file they refuse is reported
   and left the same way;
4. ``document_import``: sealed under its own key, the version keeps the original uploader and
   time, audited UPLOAD_DOCUMENT with the legacy row's id;
5. the legacy row is deleted in that same transaction, so a run after a crash never moves a
   file twice (idempotent);
6. only after COMMIT — the encrypted version is stored — is the plaintext file deleted.

A crash between the commit and step 6 leaves a plaintext file no row refers to: the run's last
step deletes such files once they are older than ``DOCUMENTS_ORPHAN_GRACE_SECONDS`` (an old
web process in the middle of a rolling deploy commits the row of a file it has just written
well within that time), audited with the count.
"""

from __future__ import annotations

import hashlib
import logging
import os
import time
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction

from amanah.audit import services as audit
from amanah.audit.models import AuditAction
from amanah.cases.models import CaseAttachment
from amanah.cases.policies import CASE_VIEW, CASE_VIEW_BRANCH
from amanah.core.actors import declare_actor
from amanah.core.errors import ServiceError
from amanah.documents import contract as documents

logger = logging.getLogger(__name__)
# The command's own actor: it sees every case and files their attachments, nothing else.
ACTOR = declare_actor(
    "cases-move-attachments",
    permissions=(CASE_VIEW, CASE_VIEW_BRANCH, documents.DOCUMENT_UPLOAD),
    all_branches=True,
)
BATCH = 200
CASE_OWNER = "cases.Case"
EVIDENCE = "EVIDENCE"


@dataclass
class MoveReport:
    moved: int = 0
    missing: int = 0  # row without its file
    changed: int = 0  # file whose sha256 is not the row's
    refused: int = 0  # file documents' upload checks refuse
    files_removed: int = 0  # plaintext files without a row (after a crash), past the grace

    @property
    def left(self) -> int:
        return self.missing + self.changed + self.refused


def legacy_root() -> Path:
    return Path(settings.VAR_DIR) / "attachments"


def legacy_path(stored_name: str) -> Path:
    return legacy_root() / stored_name[:2] / stored_name


def _unlink(stored_name: str) -> None:
    legacy_path(stored_name).unlink(missing_ok=True)


def _move_one(actor, row: CaseAttachment, report: MoveReport) -> None:
    try:
        data = legacy_path(row.stored_name).read_bytes()
    except FileNotFoundError:
        report.missing += 1
        logger.warning("legacy case attachment %s has no file; left in place", row.pk)
        return
    if hashlib.sha256(data).hexdigest() != row.sha256:
        report.changed += 1
        logger.warning("legacy case attachment %s does not match its sha256; left", row.pk)
        return
    try:
        checked = documents.check_upload(ContentFile(data, name=row.original_name))
    except ServiceError as refusal:
        report.refused += 1
        logger.warning("legacy case attachment %s refused (%s); left", row.pk, refusal.code)
        return
    documents.document_import(
        actor=actor,
        data=documents.DocumentInput(
            owner_kind=CASE_OWNER,
            owner_id=str(row.case_id),
            title=checked.original_name,
            doc_type=EVIDENCE,
        ),
        checked=checked,
        uploaded_by=row.uploaded_by,
        uploaded_at=row.created_at,
        source={"moved_from": "cases.CaseAttachment", "legacy_id": str(row.pk)},
    )
    stored_name = row.stored_name
    row.delete()
    transaction.on_commit(partial(_unlink, stored_name))
    report.moved += 1


def _batch(actor, after, batch: int, report: MoveReport):
    """One transaction: the next ``batch`` rows after key ``after``; returns the last key."""
    with transaction.atomic():
        rows = list(
            CaseAttachment.objects.select_related("uploaded_by")
            .select_for_update(of=("self",), skip_locked=True)
            .filter(**({"pk__gt": after} if after else {}))
            .order_by("pk")[:batch]
        )
        last = rows[-1].pk if rows else None  # before a moved row's delete() clears its pk
        for row in rows:
            _move_one(actor, row, report)
    return last


def _remove_unreferenced_files(actor, grace_seconds: int) -> int:
    """Plaintext files no legacy row refers to (moved, but the run stopped before deleting
    them; or left by an upload that rolled back), older than the grace; audited count."""
    root = legacy_root()
    if not root.is_dir():
        return 0
    before = time.time() - grace_seconds
    candidates = {
        entry.name: Path(entry.path)
        for folder in os.scandir(root)
        if folder.is_dir(follow_symlinks=False)
        for entry in os.scandir(folder.path)
        if entry.is_file(follow_symlinks=False) and entry.stat().st_mtime < before
    }
    if not candidates:
        return 0
    referenced = set(
        CaseAttachment.objects.filter(stored_name__in=list(candidates)).values_list(
            "stored_name", flat=True
        )
    )
    removed = 0
    for name, path in candidates.items():
        if name not in referenced:
            path.unlink(missing_ok=True)
            removed += 1
    for folder in os.scandir(root):
        if folder.is_dir(follow_symlinks=False) and not any(os.scandir(folder.path)):
            os.rmdir(folder.path)
    if removed:
        with transaction.atomic():
            audit.record(
                actor=actor,
                action=AuditAction.PURGE_DOCUMENT_FILES,
                object_type="cases.CaseAttachment",
                object_id="legacy",
                meta={"removed": removed, "grace_seconds": grace_seconds},
            )
    return removed


def attachments_move(
    *, actor=ACTOR, batch: int = BATCH, grace_seconds: int | None = None
) -> MoveReport:
    """Move every legacy case attachment into documents (see the module's docstring);
    idempotent: a second run moves nothing and finds nothing to remove."""
    report = MoveReport()
    after = None
    while (after := _batch(actor, after, batch, report)) is not None:
        pass
    grace = settings.DOCUMENTS_ORPHAN_GRACE_SECONDS if grace_seconds is None else grace_seconds
    report.files_removed = _remove_unreferenced_files(actor, grace)
    return report
