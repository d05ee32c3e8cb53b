"""Intake checks the attachment before anything is written: a refused file leaves no case
behind, so resubmitting the form cannot create a duplicate complaint. An accepted file is an
EVIDENCE document of the case (documents: encrypted at rest), in the case's transaction."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from amanah.audit.models import AuditLog
from amanah.cases import services as cases
from amanah.cases.models import Case, CaseActivity, CaseNumberSequence
from amanah.cases.tests.test_sweep_queue import PNG
from amanah.conftest import sign_in
from amanah.core.errors import ServiceError
from amanah.core.roles import RoleKey as R
from amanah.documents import services as documents
from amanah.documents.models import Document, DocumentVersion
from amanah.iam.models import RolePermission

DISGUISED = ("bukti.pdf", PNG)  # a PNG that says it is a PDF


def _form(name: str, data: bytes) -> dict:
    return {
        "channel": "BRANCH",
        "category": "TRX_FAIL",
        "priority": "MEDIUM",
        "description": "Transfer gagal tetapi saldo terpotong Rp 2.500.000.",
        "product": "",
        "contact_preference": "",
        "attachment": SimpleUploadedFile(name, data),
    }


def _nothing_written(settings) -> None:
    assert not Case.objects.exists()
    assert not CaseActivity.objects.exists()
    assert not Document.objects.exists() and not DocumentVersion.objects.exists()
    assert not AuditLog.objects.filter(
        action__in=["CREATE_CASE", "UPDATE_CASE", "UPLOAD_DOCUMENT"]
    ).exists()
    assert not CaseNumberSequence.objects.filter(last__gt=0).exists()  # no number consumed
    store = settings.DOCUMENTS_STORAGE_DIR
    assert not store.exists() or not any(p.is_file() for p in store.rglob("*"))  # no file


def test_the_intake_form_refusing_the_file_creates_no_case_and_a_resubmit_makes_one(
    customer, agent, settings
):
    client = sign_in(Client(), agent)
    url = f"/cases/new/{customer.pk}/"

    refused = client.post(url, _form(*DISGUISED))
    assert refused.status_code == 400
    assert "Isi berkas tidak sesuai dengan ekstensinya" in refused.content.decode()
    _nothing_written(settings)

    accepted = client.post(url, _form("bukti.png", PNG))
    assert accepted.status_code == 303
    case = Case.objects.get()  # exactly one
    assert case.case_no.endswith("-000001")
    document = Document.objects.get(owner_kind="cases.Case", owner_id=str(case.pk))
    assert (document.doc_type, document.title, document.created_by) == (
        "EVIDENCE",
        "bukti.png",
        agent,
    )
    version = document.versions.get()
    assert (version.content_type, version.uploaded_by) == ("image/png", agent)
    _, data = documents.version_download(actor=agent, version_id=version.pk)
    assert data == PNG  # encrypted at rest, the same bytes back
    for path in settings.DOCUMENTS_STORAGE_DIR.rglob("*"):
        assert not path.is_file() or PNG not in path.read_bytes()
    (line,) = CaseActivity.objects.filter(case=case, activity_type="ATTACHMENT")
    assert line.message == "bukti.png" and line.meta["document"] == str(document.pk)
    assert list(
        AuditLog.objects.filter(object_id=str(case.pk)).values_list("action", flat=True)
    ) == ["CREATE_CASE"]
    upload = AuditLog.objects.get(action="UPLOAD_DOCUMENT", object_id=str(document.pk))
    assert upload.meta["owner_kind"] == "cases.Case" and upload.meta["owner_id"] == str(case.pk)
    # The case page lists it and links to the case's documents.
    page = client.get(f"/cases/{case.pk}/").content.decode()
    assert f"/documents/{document.pk}/" in page
    assert f"/documents/of/cases.Case/{case.pk}/" in page


@pytest.mark.parametrize(
    ("name", "data", "code"),
    [
        (*DISGUISED, "file_type_mismatch"),
        ("setup.pdf", b"MZ\x90\x00" + b"\x00" * 100, "file_executable"),
        ("besar.png", PNG + b"\x00" * 2048, "file_too_large"),
        ("kosong.png", b"", "file_empty"),
        ("skrip.exe", b"MZ\x90\x00", "file_type_not_allowed"),
    ],
)
def test_the_service_checks_the_file_before_writing_anything(
    customer, agent, settings, name, data, code
):
    settings.DOCUMENTS_MAX_BYTES = 1024
    with pytest.raises(ServiceError) as refusal:
        cases.case_create(
            actor=agent,
            data=cases.CaseInput(
                customer=customer,
                channel="BRANCH",
                category_code="TRX_FAIL",
                priority="MEDIUM",
                description="Transfer gagal tetapi saldo terpotong Rp 2.500.000.",
                attachment=SimpleUploadedFile(name, data),
            ),
        )
    assert refusal.value.code == code and refusal.value.field == "attachment"
    _nothing_written(settings)


def test_a_role_that_may_not_upload_documents_is_told_on_the_field(
    customer, make_user, branch_a, settings
):
    """The matrix decides: without document.upload the intake form has no attachment field,
    and the service refuses a file (nothing written) rather than a case without it."""
    RolePermission.objects.filter(role_id=R.AGENT, permission="document.upload").delete()
    agent = make_user(R.AGENT, branches=[branch_a])
    client = sign_in(Client(), agent)
    form = client.get(f"/cases/new/{customer.pk}/").content.decode()
    assert 'name="attachment"' not in form
    with pytest.raises(ServiceError) as refusal:
        cases.case_create(
            actor=agent,
            data=cases.CaseInput(
                customer=customer,
                channel="BRANCH",
                category_code="TRX_FAIL",
                priority="MEDIUM",
                description="Transfer gagal tetapi saldo terpotong Rp 2.500.000.",
                attachment=SimpleUploadedFile("bukti.png", PNG),
            ),
        )
    assert (refusal.value.code, refusal.value.field) == ("attachment_not_allowed", "attachment")
    _nothing_written(settings)
