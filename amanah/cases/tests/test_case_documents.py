"""A case's files are documents of the case: the one way to add them (the intake's attachment,
the case page's upload, the documents page), listed and linked on the case page for whoever
may see them, and the attachments kept in plain before documents existed moved into documents
(encrypted) by an idempotent, batched command that deletes the plaintext only afterwards."""

from __future__ import annotations

import hashlib
import io
import os
import time
import uuid

import pytest
from django.core.management import call_command
from django.test import Client

from amanah.audit.models import AuditLog
from amanah.cases import legacy_attachments
from amanah.cases.models import CaseActivity, CaseAttachment
from amanah.cases.tests.test_sweep_queue import PNG
from amanah.conftest import sign_in
from amanah.core.roles import RoleKey as R
from amanah.documents import services as documents
from amanah.documents import storage
from amanah.documents.models import Document
from amanah.iam.models import RolePermission

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _legacy(case, name: str, data: bytes, *, uploaded_by=None, sha256=None, write=True):
    """A row and a plaintext file as the code before documents wrote them."""
    stored_name = f"{uuid.uuid4().hex}.{name.rsplit('.', 1)[-1]}"
    if write:
        path = legacy_attachments.legacy_path(stored_name)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return CaseAttachment.objects.create(
        case=case,
        original_name=name,
        stored_name=stored_name,
        content_type="image/png",
        size=len(data),
        sha256=sha256 or hashlib.sha256(data).hexdigest(),
        uploaded_by=uploaded_by,
    )


def _age(path, seconds: int = 7200) -> None:
    past = time.time() - seconds
    os.utime(path, (past, past))


@pytest.fixture
def legacy_dir(settings, tmp_path):
    settings.VAR_DIR = tmp_path / "var"
    return settings.VAR_DIR / "attachments"


def test_legacy_attachments_move_into_documents_and_then_the_plaintext_goes(
    open_case, agent, supervisor, legacy_dir, settings, django_capture_on_commit_callbacks
):
    case = open_case()
    photo = _legacy(case, "bukti transfer.png", PNG, uploaded_by=agent)
    letter = _legacy(case, "surat.pdf", PDF)
    missing = _legacy(case, "hilang.png", PNG, write=False)
    changed = _legacy(case, "diubah.png", PNG, sha256="0" * 64)
    refused = _legacy(case, "program.png", b"MZ\x90\x00" + b"\x00" * 64)
    stray_old = legacy_dir / "ab" / "abcdef.png"  # left by an upload that rolled back, long ago
    stray_new = legacy_dir / "cd" / "cdef01.png"  # being written right now by an old process
    for path in (stray_old, stray_new):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(PNG)
    _age(stray_old)

    with django_capture_on_commit_callbacks(execute=True):
        report = legacy_attachments.attachments_move(batch=2)

    assert (report.moved, report.missing, report.changed, report.refused) == (2, 1, 1, 1)
    assert report.files_removed == 1 and not stray_old.exists() and stray_new.exists()
    moved = {d.title: d for d in Document.objects.filter(owner_id=str(case.pk))}
    assert set(moved) == {"bukti transfer.png", "surat.pdf"}
    version = moved["bukti transfer.png"].versions.get()
    assert (version.uploaded_by, version.uploaded_at) == (agent, photo.created_at)
    assert moved["bukti transfer.png"].doc_type == "EVIDENCE"
    assert documents.version_download(actor=supervisor, version_id=version.pk)[1] == PNG
    for path in settings.DOCUMENTS_STORAGE_DIR.rglob("*"):
        assert not path.is_file() or PNG not in path.read_bytes()  # encrypted at rest
    for row in (photo, letter):  # row and plaintext gone, only after the version was stored
        assert not CaseAttachment.objects.filter(pk=row.pk).exists()
        assert not legacy_attachments.legacy_path(row.stored_name).exists()
    left = set(CaseAttachment.objects.values_list("pk", flat=True))
    assert left == {missing.pk, changed.pk, refused.pk}  # for a person to look at
    assert legacy_attachments.legacy_path(changed.stored_name).exists()
    audited = AuditLog.objects.filter(action="UPLOAD_DOCUMENT", meta__moved_from__isnull=False)
    assert {row.meta["legacy_id"] for row in audited} == {str(photo.pk), str(letter.pk)}
    assert AuditLog.objects.get(action="PURGE_DOCUMENT_FILES").meta["removed"] == 1
    # Not news for the case: its log already has the old ATTACHMENT lines.
    assert not CaseActivity.objects.filter(case=case, activity_type="ATTACHMENT").exists()

    with django_capture_on_commit_callbacks(execute=True):  # idempotent
        again = legacy_attachments.attachments_move(batch=2)
    assert (again.moved, again.left, again.files_removed) == (0, 3, 0)
    assert Document.objects.filter(owner_id=str(case.pk)).count() == 2


def test_a_crash_after_the_commit_leaves_plaintext_that_the_next_run_removes(
    open_case, legacy_dir, django_capture_on_commit_callbacks
):
    case = open_case()
    row = _legacy(case, "bukti.png", PNG)
    path = legacy_attachments.legacy_path(row.stored_name)
    with django_capture_on_commit_callbacks(execute=False):  # the process dies at COMMIT
        assert legacy_attachments.attachments_move().moved == 1
    assert path.exists() and not CaseAttachment.objects.exists()
    _age(path)
    with django_capture_on_commit_callbacks(execute=True):
        report = legacy_attachments.attachments_move()
    assert (report.moved, report.files_removed) == (0, 1) and not path.exists()
    assert Document.objects.filter(owner_id=str(case.pk)).count() == 1  # moved once


def test_when_storing_the_encrypted_version_fails_the_plaintext_and_its_row_stay(
    open_case, legacy_dir, monkeypatch, django_capture_on_commit_callbacks
):
    case = open_case()
    row = _legacy(case, "bukti.png", PNG)

    def disk_full(data, version_id):
        raise OSError("No space left on device")

    monkeypatch.setattr(storage, "seal", disk_full)
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(OSError):
        legacy_attachments.attachments_move()
    assert CaseAttachment.objects.filter(pk=row.pk).exists()
    assert legacy_attachments.legacy_path(row.stored_name).read_bytes() == PNG
    assert not Document.objects.exists()


def test_the_command_reports_what_it_moved(
    open_case, legacy_dir, django_capture_on_commit_callbacks
):
    _legacy(open_case(), "bukti.png", PNG)
    out = io.StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("cases_move_attachments", "--batch", "10", stdout=out)
    assert "Moved 1 case attachments" in out.getvalue() and "left 0" in out.getvalue()


def test_the_case_page_lists_its_documents_and_takes_an_upload(open_case, agent):
    case = open_case()
    client = sign_in(Client(), agent)
    page = client.get(f"/cases/{case.pk}/").content.decode()
    assert 'data-testid="case-documents"' in page and "case-document-upload" in page
    response = client.post(
        f"/documents/of/cases.Case/{case.pk}/upload/",
        {"title": "Bukti transfer", "doc_type": "EVIDENCE", "file": io.BytesIO(PNG)},
    )
    assert response.status_code == 400  # a file without a name is refused, nothing stored
    upload = io.BytesIO(PNG)
    upload.name = "bukti.png"
    response = client.post(
        f"/documents/of/cases.Case/{case.pk}/upload/",
        {"title": "Bukti transfer", "doc_type": "EVIDENCE", "file": upload},
    )
    document = Document.objects.get(owner_id=str(case.pk))
    assert response.status_code == 303 and response["Location"] == f"/documents/{document.pk}/"
    (line,) = CaseActivity.objects.filter(case=case, activity_type="ATTACHMENT")
    assert line.message == "bukti.png" and line.meta == {
        "document": str(document.pk),
        "version": 1,
        "size": len(PNG),
    }
    page = client.get(f"/cases/{case.pk}/").content.decode()
    assert "Bukti transfer" in page and f"/documents/{document.pk}/" in page
    # The old way is gone: one way to add a file to a case.
    assert client.post(f"/cases/{case.pk}/attachments/").status_code == 404


def test_the_documents_link_follows_the_permission(open_case, agent, customer):
    """The case page and the 360 show the documents (and their link) to a role holding
    document.view; take it from AGENT in the matrix and both go."""
    case = open_case()  # the agent's own case
    client = sign_in(Client(), agent)
    case_url = f"/documents/of/cases.Case/{case.pk}/"
    customer_url = f"/documents/of/customers.Customer/{customer.pk}/"
    assert case_url in client.get(f"/cases/{case.pk}/").content.decode()
    assert customer_url in client.get(f"/customers/{customer.pk}/").content.decode()

    RolePermission.objects.filter(role_id=R.AGENT, permission="document.view").delete()
    page = client.get(f"/cases/{case.pk}/").content.decode()
    assert "case-documents" not in page and case_url not in page
    assert customer_url not in client.get(f"/customers/{customer.pk}/").content.decode()
    assert client.get(case_url).status_code == 403


def test_a_sensitive_cases_documents_are_not_offered_to_who_may_not_read_its_details(
    customer, agent, make_user, branch_a
):
    from amanah.cases import services as cases

    fraud = cases.case_create(
        actor=agent,
        data=cases.CaseInput(
            customer=customer,
            channel="BRANCH",
            category_code="FRAUD_SCAM",
            priority="HIGH",
            description="Nasabah tertipu telepon palsu; dana berpindah tanpa izin.",
        ),
    )
    RolePermission.objects.filter(role_id=R.SUPERVISOR, permission="timeline.sensitive").delete()
    reader = sign_in(Client(), make_user(R.SUPERVISOR, branches=[branch_a]))
    page = reader.get(f"/cases/{fraud.pk}/")
    assert page.status_code == 200
    assert "case-documents" not in page.content.decode()
    handler_page = sign_in(Client(), agent).get(f"/cases/{fraud.pk}/").content.decode()
    assert "case-documents" in handler_page  # the one who handles it sees them
