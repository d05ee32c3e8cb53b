"""Approval on the workflow engine (four eyes, per-type approvers, revert) and PAdES signatures."""

import io
import re

import pytest
from django.test import Client
from django.urls import reverse

from amanah.conftest import sign_in
from amanah.core.errors import ServiceError
from amanah.documents import services, signing
from amanah.documents.tests.conftest import pdf_bytes, upload


def test_four_eyes_approval_and_revert(make_document, supervisor, other_supervisor):
    document = make_document(doc_type="GENERAL", title="Surat")
    services.document_submit(actor=supervisor, document=document)
    document.refresh_from_db()
    assert document.status == "SUBMITTED" and document.submitted_by == supervisor
    with pytest.raises(ServiceError) as refused:
        services.document_decide(actor=supervisor, document=document, approve=True)
    assert refused.value.code == "four_eyes"
    services.document_decide(actor=other_supervisor, document=document, approve=True)
    document.refresh_from_db()
    assert document.status == "APPROVED"
    with pytest.raises(ServiceError):
        services.document_revert(actor=other_supervisor, document=document, reason="")
    services.document_revert(
        actor=other_supervisor, document=document, reason="disetujui sebelum RAB final"
    )
    document.refresh_from_db()
    assert document.status == "SUBMITTED"


def test_rejection_needs_a_reason_and_goes_back_to_draft(
    make_document, supervisor, other_supervisor
):
    document = make_document(doc_type="GENERAL")
    services.document_submit(actor=supervisor, document=document)
    with pytest.raises(ServiceError) as refused:
        services.document_decide(actor=other_supervisor, document=document, approve=False)
    assert refused.value.code == "field_required"
    services.document_decide(
        actor=other_supervisor, document=document, approve=False, reason="lampiran kurang"
    )
    document.refresh_from_db()
    assert document.status == "REJECTED" and document.decision_reason == "lampiran kurang"
    services.document_rework(actor=supervisor, document=document)
    document.refresh_from_db()
    assert document.status == "DRAFT"
    services.version_add(
        actor=supervisor, document=document, upload=upload("v2.pdf", pdf_bytes("2"))
    )


def test_which_roles_approve_depends_on_the_type(make_document, supervisor, other_supervisor):
    """Identity papers need document.approve_sensitive; taken out of the matrix, a supervisor
    may still approve a general document but no longer an identity document."""
    from amanah.documents.policies import DOCUMENT_APPROVE_SENSITIVE
    from amanah.iam import authz
    from amanah.iam.models import RolePermission

    RolePermission.objects.filter(
        role_id="SUPERVISOR", permission=DOCUMENT_APPROVE_SENSITIVE
    ).delete()
    authz.forget(other_supervisor)
    identity = make_document(doc_type="IDENTITY", title="KTP")
    general = make_document(doc_type="GENERAL", title="Surat")
    for document in (identity, general):
        services.document_submit(actor=supervisor, document=document)
    with pytest.raises(ServiceError) as refused:
        services.document_decide(actor=other_supervisor, document=identity, approve=True)
    assert refused.value.code == "approver_not_allowed"
    services.document_decide(actor=other_supervisor, document=general, approve=True)
    identity.refresh_from_db()
    general.refresh_from_db()
    assert (identity.status, general.status) == ("SUBMITTED", "APPROVED")


def test_the_engine_guard_holds_without_the_service(make_document, supervisor):
    """Straight through the workflow engine, four eyes still hold (the guard)."""
    from amanah.workflow.contract import transition_apply

    document = make_document(doc_type="GENERAL")
    services.document_submit(actor=supervisor, document=document)
    with pytest.raises(ServiceError) as refused:
        transition_apply(actor=supervisor, obj=document, to="APPROVED")
    assert refused.value.code == "guard_failed"


def test_new_versions_only_in_draft(make_document, supervisor):
    document = make_document()
    services.document_submit(actor=supervisor, document=document)
    with pytest.raises(ServiceError) as refused:
        services.version_add(
            actor=supervisor, document=document, upload=upload("x.pdf", pdf_bytes())
        )
    assert refused.value.code == "document_not_draft"


def test_sign_and_verify(make_document, supervisor, org_certificate):
    document = make_document()
    assert document.versions.get().signature_status == "NONE"
    signed = services.document_sign(actor=supervisor, document=document)
    assert signed.number == 2 and signed.is_current
    assert signed.signature_status == "VALID", signed.signature_detail
    detail = signed.signature_detail["signatures"][0]
    assert "SELF-SIGNED" in detail["signer"] and detail["signed_at"] and detail["intact"]
    again = services.version_verify(actor=supervisor, version_id=signed.pk)
    assert again.signature_status == "VALID"


def test_the_signature_is_visible_on_the_first_page(org_certificate):
    """A stamp on page 1: the signature field's widget has a real box and a drawn appearance."""
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign import fields

    reader = PdfFileReader(io.BytesIO(_signed_pdf(org_certificate)))
    ((name, _value, ref),) = list(fields.enumerate_sig_fields(reader))
    widget = ref.get_object()
    x1, y1, x2, y2 = (float(v) for v in widget["/Rect"])
    assert name == "AmanahSignature" and x2 - x1 > 100 and y2 - y1 > 30
    assert widget["/P"].get_object() is reader.root["/Pages"]["/Kids"][0].get_object()
    assert len(widget["/AP"]["/N"].get_object().data) > 0  # the stamp is drawn


def _signed_pdf(org_certificate) -> bytes:
    return signing.sign_pdf(pdf_bytes("Kontrak SPK"))


def test_a_byte_changed_inside_the_signed_range_is_reported_modified(org_certificate):
    data = bytearray(_signed_pdf(org_certificate))
    assert data[9:10] == b"%"  # the binary comment under the header: signed, not parsed
    data[11] ^= 0x01
    result = signing.verify_pdf(bytes(data))
    assert result.status in ("MODIFIED", "INVALID") and result.status != "VALID"
    assert result.detail["signatures"][0].get("intact") is not True


def test_an_update_after_signing_is_reported_modified(org_certificate):
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    writer = IncrementalPdfFileWriter(io.BytesIO(_signed_pdf(org_certificate)))
    page = writer.root["/Pages"]["/Kids"][0].get_object()
    page[generic.NameObject("/Rotate")] = generic.NumberObject(90)
    writer.update_container(page)
    out = io.BytesIO()
    writer.write(out)
    result = signing.verify_pdf(out.getvalue())
    assert result.status == "MODIFIED"
    assert result.detail["signatures"][0]["changed_after_signing"] is True


def test_the_document_page_shows_a_pdf_changed_after_signing_as_such(
    make_document, supervisor, org_certificate
):
    """An uploaded PDF whose content was changed after it was signed: the page says so next to
    the signer and the signing time, and never calls it intact."""
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    writer = IncrementalPdfFileWriter(io.BytesIO(_signed_pdf(org_certificate)))
    page = writer.root["/Pages"]["/Kids"][0].get_object()
    page[generic.NameObject("/Rotate")] = generic.NumberObject(90)
    writer.update_container(page)
    out = io.BytesIO()
    writer.write(out)
    document = make_document(data=out.getvalue())
    assert document.versions.get().signature_status == "MODIFIED"
    client = sign_in(Client(), supervisor)
    html = client.get(reverse("documents:detail", args=[document.pk])).content.decode()
    assert 'data-testid="signature-status">Diubah setelah ditandatangani<' in html
    assert "Tanda tangan utuh" not in html
    assert "diubah setelah ditandatangani" in html and "SELF-SIGNED" in html
    assert re.search(r"<time>\d{1,2} \w{3} \d{4} \d{2}:\d{2} WIB</time>", html)  # reader's zone


def test_an_untrusted_signer_is_not_valid(org_certificate, settings, tmp_path):
    data = _signed_pdf(org_certificate)
    settings.DOCUMENTS_SIGNING_CERT = str(tmp_path / "gone.pem")  # no longer a trust root
    assert signing.verify_pdf(data).status == "UNTRUSTED"


def test_uploaded_signed_pdf_is_verified_on_upload(make_document, org_certificate):
    signed = _signed_pdf(org_certificate)
    document = make_document(data=signed)
    assert document.versions.get().signature_status == "VALID"
    # A NUL in the signature field's name (the same length, so the PDF still parses) comes
    # back from pyHanko as raw bytes: stored as clean text, reported as changed, never a 500.
    hostile = signed.replace(b"/T (AmanahSignature)", b"/T (Amanah\x00ignature)")
    version = make_document(data=hostile).versions.get()
    assert version.signature_status == "MODIFIED"
    assert version.signature_detail["signatures"][0]["field"] == "Amanahignature"


def test_signing_without_a_certificate_is_a_clear_refusal(make_document, supervisor):
    document = make_document()
    with pytest.raises(ServiceError) as refused:
        services.document_sign(actor=supervisor, document=document)
    assert refused.value.code == "signing_unavailable"


def test_the_uploader_of_the_current_version_never_decides_it(
    make_document, supervisor, other_supervisor
):
    """Four eyes hold when a colleague submits: the one who made the content stays a maker."""
    document = make_document(doc_type="GENERAL", actor=supervisor)
    services.document_submit(actor=other_supervisor, document=document)
    with pytest.raises(ServiceError) as refused:
        services.document_decide(actor=supervisor, document=document, approve=True)
    assert refused.value.code == "four_eyes"
    from amanah.workflow.contract import transition_apply

    with pytest.raises(ServiceError) as refused:
        transition_apply(actor=supervisor, obj=document, to="APPROVED")
    assert refused.value.code == "guard_failed"
