"""The case receipt is issued once and kept as the case's RECEIPT document: made from the case,
signed with the organisation's certificate when one is configured (documents'
``document_generate`` → ``sign_generated``), stored encrypted like an upload, its signature
verification shown on the document page. The issuing job, the case page's download and the
copy messaging attaches all come to the same stored receipt; a retried job, a second download
or a message sent again adds no document and no version. Without a certificate it is the plain
PDF; a certificate that cannot sign never holds the receipt back (logged, unsigned — and
verification says so)."""

from __future__ import annotations

import hashlib
import logging

import pytest
from django.test import Client
from django.urls import reverse

from amanah.audit.models import AuditLog
from amanah.cases import receipts
from amanah.cases.models import CaseActivity
from amanah.conftest import sign_in
from amanah.core import events, registry
from amanah.core.errors import ServiceError
from amanah.core.roles import RoleKey as R
from amanah.documents import services as documents
from amanah.documents import signing, storage
from amanah.documents.democert import make_self_signed
from amanah.documents.models import Document, DocumentVersion
from amanah.documents.tests.conftest import pdf_bytes, upload
from amanah.iam.models import RolePermission
from amanah.messaging import attachments

HANDLER = "cases.case_created:amanah.cases.receipts.receipt_issue_on_create"


@pytest.fixture
def org_certificate(settings, tmp_path):
    cert, key = tmp_path / "sign" / "cert.pem", tmp_path / "sign" / "key.pem"
    make_self_signed(cert, key)
    settings.DOCUMENTS_SIGNING_CERT, settings.DOCUMENTS_SIGNING_KEY = str(cert), str(key)
    return cert


def _receipts_of(case):
    return Document.objects.filter(
        owner_kind="cases.Case", owner_id=str(case.pk), doc_type="RECEIPT"
    )


def _attached(case) -> bytes:
    (attached,) = attachments.build([attachments.reference(attachments.CASE_RECEIPT, case.pk)])
    assert attached.mimetype == "application/pdf"
    assert attached.filename == f"tanda-terima-{case.case_no}.pdf"
    return attached.content


def test_the_receipt_is_issued_after_the_case_commits_by_an_idempotent_job():
    handler = registry.event_handlers.get(HANDLER)
    assert handler.handle is receipts.receipt_issue_on_create
    assert handler.deferred  # a job after COMMIT: never a condition of the case


def test_without_a_certificate_the_issued_receipt_is_the_plain_pdf(open_case, agent):
    case = open_case()
    assert not signing.configured()
    assert not _receipts_of(case).exists()  # the job has not run yet
    receipts.receipt_issue_on_create(actor=agent, case=case)
    (document,) = _receipts_of(case)
    version = document.versions.get()
    assert document.is_generated and document.retention == "LONG"
    assert document.title == f"Tanda terima {case.case_no}" and document.created_by is None
    assert version.signature_status == "NONE" and version.uploaded_by is None
    assert signing.verify_pdf(receipts.receipt_for_sending(case)).status == "NONE"


def test_with_a_certificate_the_issued_receipt_is_signed_and_every_copy_is_that_document(
    open_case, agent, org_certificate
):
    case = open_case()
    receipts.receipt_issue_on_create(actor=agent, case=case)
    (document,) = _receipts_of(case)
    version = document.versions.get()  # one version
    assert version.signature_status == "VALID", version.signature_detail
    (signature,) = version.signature_detail["signatures"]
    assert "SELF-SIGNED" in signature["signer"] and signature["signed_at"]
    assert signature["intact"] and not signature["changed_after_signing"]
    issued = AuditLog.objects.filter(action="ISSUE_DOCUMENT", object_id=str(document.pk))
    assert [log.meta["generated"] for log in issued] == ["cases.receipt"]
    assert issued[0].meta["version"] == str(version.pk) and issued[0].meta["signature"] == "VALID"
    # One ATTACHMENT line on the case's log (documents.version_stored), by the issuer.
    (line,) = CaseActivity.objects.filter(case=case, activity_type="ATTACHMENT")
    assert line.message == f"tanda-terima-{case.case_no}.pdf" and line.actor is None

    client = sign_in(Client(), agent)
    first = client.get(f"/cases/{case.pk}/receipt.pdf")
    second = client.get(f"/cases/{case.pk}/receipt.pdf")
    assert first.status_code == second.status_code == 200
    assert first["Content-Type"] == "application/pdf"
    assert first.content == second.content == _attached(case) == _attached(case)
    assert signing.verify_pdf(first.content).status == "VALID"
    assert version.sha256 == hashlib.sha256(first.content).hexdigest()
    assert DocumentVersion.objects.filter(document=document).count() == 1  # nothing added
    downloads = AuditLog.objects.filter(action="DOWNLOAD_DOCUMENT", object_id=str(document.pk))
    assert [(d.meta["version"], d.meta["number"]) for d in downloads] == [(str(version.pk), 1)] * 2

    # The document page shows the verification like an upload's, and offers no new version.
    page = client.get(reverse("documents:detail", args=[document.pk])).content.decode()
    assert 'data-testid="signature-status">Tanda tangan utuh<' in page
    assert "SELF-SIGNED" in page and "isi utuh" in page
    assert 'data-testid="version-form"' not in page and 'data-testid="document-generated"' in page

    tampered = bytearray(first.content)
    tampered[len(tampered) // 3] ^= 0x01  # a byte inside the signed range
    assert signing.verify_pdf(bytes(tampered)).status in ("MODIFIED", "INVALID")


def test_the_first_download_issues_the_receipt_when_the_job_has_not_run_yet(open_case, agent):
    case = open_case()
    client = sign_in(Client(), agent)
    first = client.get(f"/cases/{case.pk}/receipt.pdf")
    assert first.status_code == 200 and first.content.startswith(b"%PDF")
    receipts.receipt_issue_on_create(actor=agent, case=case)  # the job comes later: nothing new
    (document,) = _receipts_of(case)
    assert document.versions.count() == 1
    assert client.get(f"/cases/{case.pk}/receipt.pdf").content == first.content


def test_the_dispatcher_only_reads_the_receipt(open_case, agent, caplog):
    """Messages queued before receipts were documents still get one (made now, not stored);
    the dispatcher's sending transaction writes no document."""
    case = open_case()
    caplog.set_level(logging.WARNING)
    content = _attached(case)
    assert content.startswith(b"%PDF") and not _receipts_of(case).exists()
    assert "receipt not issued yet" in caplog.text and case.case_no not in caplog.text
    receipts.receipt_issue(case)
    assert _attached(case) == documents.generated_content(receipts.receipt_issue(case))


def test_a_generated_receipt_takes_no_new_version_and_no_later_signature(
    open_case, agent, supervisor, org_certificate
):
    case = open_case()
    document = receipts.receipt_issue(case).document
    with pytest.raises(ServiceError) as refused:
        documents.version_add(
            actor=supervisor, document=document, upload=upload("lain.pdf", pdf_bytes("lain"))
        )
    assert refused.value.code == "document_generated"
    with pytest.raises(ServiceError) as refused:
        documents.document_sign(actor=supervisor, document=document)
    assert refused.value.code == "document_generated"
    assert document.versions.count() == 1


def test_a_tampered_stored_receipt_is_refused_and_never_sent(open_case, agent):
    case = open_case()
    version = receipts.receipt_issue(case).version
    path = storage.path_of(version.stored_name)
    blob = bytearray(path.read_bytes())
    blob[len(blob) // 2] ^= 0x01
    path.write_bytes(bytes(blob))
    client = sign_in(Client(), agent)
    refused = client.get(f"/cases/{case.pk}/receipt.pdf")
    assert refused.status_code == 303 and refused["Location"] == f"/cases/{case.pk}/"
    page = client.get(refused["Location"]).content.decode()
    assert "tidak utuh" in page  # the reason, on the case page
    assert not AuditLog.objects.filter(action="DOWNLOAD_DOCUMENT").exists()
    with pytest.raises(attachments.AttachmentUnavailable):
        _attached(case)  # a permanent failure of the message, never other bytes


def test_the_receipt_download_follows_the_documents_permission(open_case, agent):
    case = open_case()
    RolePermission.objects.filter(role_id=R.AGENT, permission="document.view").delete()
    response = sign_in(Client(), agent).get(f"/cases/{case.pk}/receipt.pdf")
    assert response.status_code == 403
    assert not AuditLog.objects.filter(action="DOWNLOAD_DOCUMENT").exists()


def test_a_certificate_that_cannot_sign_never_holds_the_receipt_back(
    open_case, org_certificate, settings, caplog
):
    case = open_case()
    settings.DOCUMENTS_SIGNING_KEY_PASSPHRASE = "salah"  # the key is not encrypted: refused
    caplog.set_level(logging.ERROR)
    issued = receipts.receipt_issue(case)
    pdf = documents.generated_content(issued)
    assert pdf.startswith(b"%PDF") and signing.verify_pdf(pdf).status == "NONE"
    assert issued.version.signature_status == "NONE"
    assert "goes out unsigned" in caplog.text and case.case_no not in caplog.text


def test_a_retried_job_runs_the_handler_twice_and_adds_nothing(open_case, agent):
    case = open_case()
    for _ in range(2):
        events.run_deferred(
            handler_key=HANDLER,
            actor={"model": "iam.User", "pk": agent.pk, "role": "AGENT"},
            objects={"case": {"model": "cases.Case", "pk": str(case.pk)}},
        )
    (document,) = _receipts_of(case)
    assert document.versions.count() == 1
    assert AuditLog.objects.filter(action="ISSUE_DOCUMENT").count() == 1
