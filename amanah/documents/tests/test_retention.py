"""Retention: a class per document type sets how long a document is kept after its newest
version; the periodic job purges what is due — crypto-shredding first (the wrapped keys
destroyed: the files unreadable), then the files — never a document under legal hold or
still within its period (the service and the database both say so), audited, batched and
idempotent; and stored files no version refers to (a rolled-back upload) are removed after a
grace period."""

from __future__ import annotations

import datetime as dt
import io
import os
import time

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction
from django.test import Client
from django.utils import timezone

from amanah.audit.models import AuditLog
from amanah.conftest import sign_in
from amanah.core.errors import ServiceError
from amanah.core.roles import RoleKey as R
from amanah.documents import retention, services, storage, tasks
from amanah.documents.doctypes import TYPES, retention_end
from amanah.documents.models import Document, DocumentVersion
from amanah.documents.tests.conftest import pdf_bytes, upload

HOLD_REASON = "Sengketa di pengadilan negeri, perkara 12/2026"


def _age(path, seconds: int = 7200) -> None:
    past = time.time() - seconds
    os.utime(path, (past, past))


def _files(settings) -> set:
    root = settings.DOCUMENTS_STORAGE_DIR
    return {p.name for p in root.rglob("*") if p.is_file()} if root.exists() else set()


def _due(document, days: int = 1) -> Document:
    """Its period ran out ``days`` ago (as if its newest version were that old)."""
    Document.objects.filter(pk=document.pk).update(
        retain_until=timezone.now() - dt.timedelta(days=days)
    )
    document.refresh_from_db()
    return document


def test_each_type_has_a_class_and_the_class_a_period():
    assert {t.code: t.retention for t in TYPES.values()}["DSAR_EXPORT"] == "SHORT"
    assert TYPES["CONTRACT"].retention == "LONG" and TYPES["EVIDENCE"].retention == "STANDARD"
    since = dt.datetime(2024, 2, 29, 10, tzinfo=dt.UTC)
    assert retention_end("SHORT", since) == dt.datetime(2026, 2, 28, 10, tzinfo=dt.UTC)
    assert retention_end("LONG", since) == dt.datetime(2034, 2, 28, 10, tzinfo=dt.UTC)
    assert retention_end("STANDARD", dt.datetime(2025, 3, 1, tzinfo=dt.UTC)).year == 2030
    assert retention_end("PERMANENT", since) is None


def test_the_period_runs_from_the_newest_version(make_document, supervisor, case):
    document = make_document()  # RAB: STANDARD, 5 years
    first = document.versions.get()
    assert document.retain_until == retention_end("STANDARD", document.created_at)
    second = services.version_add(
        actor=supervisor, document=document, upload=upload("rab-2.pdf", pdf_bytes("v2"))
    )
    document.refresh_from_db()
    assert second.uploaded_at > first.uploaded_at
    assert document.retain_until == retention_end("STANDARD", second.uploaded_at)
    kept = services.document_create(
        actor=supervisor,
        data=services.DocumentInput("cases.Case", str(case.pk), "Akta", "CONTRACT", "PERMANENT"),
        upload=upload("akta.pdf", pdf_bytes("akta")),
    )
    assert kept.retain_until is None


def test_the_purge_shreds_the_keys_then_deletes_the_files_and_spares_the_held_and_the_young(
    make_document, supervisor, settings, django_capture_on_commit_callbacks
):
    gone = _due(make_document(title="Anggaran lama"))
    services.version_add(
        actor=supervisor, document=gone, upload=upload("rab-2.pdf", pdf_bytes("kedua"))
    )
    gone = _due(gone)
    held = make_document(title="Anggaran sengketa")
    services.document_legal_hold(actor=supervisor, document=held, hold=True, reason=HOLD_REASON)
    held = _due(held)
    young = make_document(title="Anggaran baru")
    gone_versions = list(gone.versions.all())
    assert len(gone_versions) == 2

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        assert retention.documents_purge_due() == 1
    gone.refresh_from_db()
    assert gone.purged_at and gone.title == retention.PURGED_TITLE
    for version in gone.versions.all():
        assert version.shredded_at and version.key_id == "" and bytes(version.wrapped_key) == b""
        assert version.original_name == retention.PURGED_NAME
    # Crypto-shredded: the files are still on disk (deleted after COMMIT) and already useless.
    for before in gone_versions:
        assert storage.path_of(before.stored_name).exists()
        with pytest.raises(storage.Tampered):
            storage.open_sealed(
                stored_name=before.stored_name,
                key_id="",
                wrapped_key=b"",
                version_id=str(before.pk),
                sha256=before.sha256,
            )
    for callback in callbacks:
        callback()
    for before in gone_versions:
        assert not storage.path_of(before.stored_name).exists()
    with pytest.raises(ServiceError) as refused:
        services.version_download(actor=supervisor, version_id=gone_versions[0].pk)
    assert refused.value.code == "document_purged"
    with pytest.raises(ServiceError):
        services.version_add(actor=supervisor, document=gone, upload=upload("x.pdf", pdf_bytes()))

    for kept in (held, young):  # untouched, still readable
        kept.refresh_from_db()
        assert kept.purged_at is None and kept.title.startswith("Anggaran")
        services.version_download(actor=supervisor, version_id=kept.versions.get().pk)

    (row,) = AuditLog.objects.filter(action="PURGE_DOCUMENT")
    assert row.object_id == str(gone.pk) and row.actor_username == "integration:documents-retention"
    assert row.meta["versions"] == 2 and row.meta["retention"] == "STANDARD"
    assert "Anggaran" not in str(row.meta)

    assert retention.documents_purge_due() == 0  # idempotent: nothing is due twice
    assert AuditLog.objects.filter(action="PURGE_DOCUMENT").count() == 1

    services.document_legal_hold(actor=supervisor, document=held, hold=False, reason=HOLD_REASON)
    assert retention.documents_purge_due() == 1  # released, and long past its period


def test_the_database_refuses_a_purge_of_a_held_or_young_document(make_document, supervisor):
    held = _due(make_document())
    services.document_legal_hold(actor=supervisor, document=held, hold=True, reason=HOLD_REASON)
    young = make_document(title="RAB baru")
    for document in (held, young):
        with pytest.raises(IntegrityError), transaction.atomic():
            Document.objects.filter(pk=document.pk).update(purged_at=timezone.now())
    version = young.versions.get()
    with pytest.raises(IntegrityError), transaction.atomic():  # no key without being shredded
        DocumentVersion.objects.filter(pk=version.pk).update(key_id="")


def test_legal_hold_needs_the_permission_and_a_reason_and_is_audited(
    make_document, supervisor, make_user, branch_a
):
    document = make_document()
    agent = make_user(R.AGENT, branches=[branch_a])
    with pytest.raises(PermissionDenied):
        services.document_legal_hold(actor=agent, document=document, hold=True, reason=HOLD_REASON)
    for reason in ("", "singkat", "alasan\x00dengan NUL di dalam"):
        with pytest.raises(ServiceError) as refused:
            services.document_legal_hold(
                actor=supervisor, document=document, hold=True, reason=reason
            )
        assert refused.value.code == "reason_required"
    services.document_legal_hold(actor=supervisor, document=document, hold=True, reason=HOLD_REASON)
    document.refresh_from_db()
    assert document.legal_hold and document.legal_hold_by == supervisor
    with pytest.raises(ServiceError) as twice:
        services.document_legal_hold(
            actor=supervisor, document=document, hold=True, reason=HOLD_REASON
        )
    assert twice.value.code == "legal_hold_unchanged"
    row = AuditLog.objects.get(action="LEGAL_HOLD_DOCUMENT")
    assert row.meta["reason_length"] == len(HOLD_REASON) and "pengadilan" not in str(row.meta)

    client = sign_in(Client(), supervisor)
    page = client.get(f"/documents/{document.pk}/").content.decode()
    assert 'data-testid="legal-hold"' in page and "pengadilan" in page
    response = client.post(
        f"/documents/{document.pk}/legal-hold/", {"hold": "0", "reason": "Perkara sudah inkrah."}
    )
    assert response.status_code == 303
    document.refresh_from_db()
    assert not document.legal_hold and document.legal_hold_reason == ""
    assert AuditLog.objects.filter(action="RELEASE_LEGAL_HOLD_DOCUMENT").count() == 1
    assert (
        "legal-hold-form"
        not in sign_in(Client(), agent).get(f"/documents/{document.pk}/").content.decode()
    )


def test_a_rolled_back_upload_leaves_a_file_the_sweep_removes_after_the_grace(
    make_document, settings
):
    kept = make_document(title="RAB tetap")
    (live,) = _files(settings)
    before = _files(settings)
    with pytest.raises(RuntimeError), transaction.atomic():
        make_document(title="RAB batal")
        raise RuntimeError("the request failed after the file was sealed")
    assert not Document.objects.filter(title="RAB batal").exists()
    (orphan,) = _files(settings) - before  # sealed, then its row rolled back
    stray_tmp = storage.path_of(orphan).with_name("abc.tmp")
    stray_tmp.write_bytes(b"half a file")
    fresh = storage.seal(b"an upload in progress", "c0ffee")  # not committed yet: too young

    for name in (live, orphan):
        _age(storage.path_of(name))
    _age(stray_tmp)
    assert retention.orphan_files_remove() == 2
    assert _files(settings) == {live, fresh.stored_name}
    services.version_download(actor=kept.created_by, version_id=kept.versions.get().pk)
    assert AuditLog.objects.get(action="PURGE_DOCUMENT_FILES").meta["removed"] == 2
    assert retention.orphan_files_remove() == 0  # idempotent
    assert AuditLog.objects.filter(action="PURGE_DOCUMENT_FILES").count() == 1


def _retention_jobs() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT status FROM procrastinate_jobs WHERE queueing_lock = %s ORDER BY id",
            [tasks.RETENTION_LOCK],
        )
        return [row[0] for row in cursor.fetchall()]


def _clear_jobs() -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM procrastinate_jobs WHERE queueing_lock = %s", [tasks.RETENTION_LOCK]
        )


def test_the_periodic_job_works_off_a_backlog_in_batches_then_sweeps(make_document, settings):
    settings.DOCUMENTS_RETENTION_BATCH = 2
    due = [_due(make_document(title=f"RAB {n}"), days=10 - n) for n in range(3)]
    _clear_jobs()
    assert tasks.documents_retention(timestamp=0) == {"purged": 2, "orphans_removed": 0}
    purged = set(Document.objects.filter(purged_at__isnull=False).values_list("pk", flat=True))
    assert purged == {due[0].pk, due[1].pk}  # the longest overdue first
    assert _retention_jobs() == ["todo"]  # a full batch: the next one is deferred
    _clear_jobs()
    for path in settings.DOCUMENTS_STORAGE_DIR.rglob("*"):
        _age(path)  # the shredded versions' files (their deletion waits for a COMMIT here)
    assert tasks.documents_retention(timestamp=0) == {"purged": 1, "orphans_removed": 3}
    assert _retention_jobs() == []
    assert _files(settings) == set()


def test_the_job_is_registered_and_the_command_runs_it(make_document, settings):
    from procrastinate.contrib.django import app

    periodic = {t.task.name: t for t in app.periodic_registry.periodic_tasks.values()}
    entry = periodic["amanah.documents.tasks.documents_retention"]
    assert entry.cron == settings.DOCUMENTS_RETENTION_CRON
    assert entry.task.queue == "housekeeping"
    _due(make_document())
    out = io.StringIO()
    call_command("documents_retention", stdout=out)
    assert "Purged 1 documents" in out.getvalue()
