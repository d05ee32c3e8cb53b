"""The access export lists every document about the customer, whoever owns it: the customer's
own, a case's (a matched e-mail's attachment), a work order's (a visit photo), an e-mail
intake's once linked to the customer — and never another customer's, nor a message's that
no customer was linked to."""

from __future__ import annotations

import io
import json
from email.message import EmailMessage
from email.utils import make_msgid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from amanah.core import registry
from amanah.core.roles import RoleKey as R
from amanah.customers.services import CustomerInput, customer_create
from amanah.documents import contract as documents
from amanah.documents import subject as documents_subject
from amanah.documents.models import Document
from amanah.documents.tests.conftest import pdf_bytes
from amanah.fieldops import photos, visits
from amanah.fieldops.testing import visit_input, work_order
from amanah.integrations import intake, mailbox
from amanah.integrations.models import InboundIntake, IntakeStatus
from amanah.privacy import export, services

pytestmark = pytest.mark.django_db


def _mail(sender: str, filename: str) -> bytes:
    message = EmailMessage()
    message["From"], message["To"] = sender, "pengaduan@bank.test"
    message["Subject"], message["Message-ID"] = "Bukti", make_msgid(domain="contoh.co.id")
    message.set_content("Mohon dicek bukti transfer terlampir.")
    message.add_attachment(
        pdf_bytes(filename), maintype="application", subtype="pdf", filename=filename
    )
    return bytes(message)


def _jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), (20, 120, 40)).save(out, "JPEG")
    return out.getvalue()


def _customer_with_documents(system, branch, agent, key: str) -> dict:
    """A customer with a visit photo, a matched e-mail's attachment (its case's) and an
    unknown sender's attachment linked to it by an agent (the intake's)."""
    customer = customer_create(
        actor=system,
        data=CustomerInput(
            full_name=f"Nasabah Ekspor {key}",
            home_branch=branch,
            email=f"nasabah.{key.lower()}@contoh.co.id",
            cif=f"CIFDOC{key}",
        ),
    )
    visit = visits.visit_record(actor=agent, data=visit_input(work_order(customer, agent)))
    photo = photos.visit_photo_add(
        actor=agent,
        visit_id=visit.pk,
        upload=SimpleUploadedFile("IMG_0001.jpg", _jpeg(), content_type="image/jpeg"),
    )
    mailbox.intake_from_mail(_mail(customer.email, f"bukti-{key}.pdf"), source="email:email-intake")
    unmatched = mailbox.intake_from_mail(
        _mail(f"kantor.{key.lower()}@contoh.co.id", f"tautan-{key}.pdf"),
        source="email:email-intake",
    )
    linked = intake.intake_link(actor=agent, intake_id=unmatched.intake.pk, cif=f"CIFDOC{key}")
    assert linked.status == IntakeStatus.LINKED and linked.customer == customer
    return {
        "customer": customer,
        "photo": photo,
        "matched": Document.objects.get(owner_kind="cases.Case", title=f"bukti-{key}.pdf"),
        "linked": Document.objects.get(
            owner_kind="integrations.InboundIntake", owner_id=str(linked.pk)
        ),
    }


def test_visit_photos_and_linked_mail_attachments_are_in_the_export_never_anothers(
    system, branch_a, make_user
):
    agent = make_user(R.AGENT, branches=[branch_a], full_name="Dewi Agen")
    a = _customer_with_documents(system, branch_a, agent, "A")
    b = _customer_with_documents(system, branch_a, agent, "B")
    # a message nobody linked: its file is about no customer yet
    stray = mailbox.intake_from_mail(
        _mail("tak.dikenal@contoh.co.id", "lain.pdf"), source="email:email-intake"
    )
    assert InboundIntake.objects.get(pk=stray.intake.pk).customer is None

    officer = make_user(R.COMPLIANCE, full_name="Rahmat Kepatuhan")
    request = services.dsar_create(actor=officer, customer=a["customer"], reference="Surat 9/2026")
    issued = documents.generated_find(services.export_key(request))
    data = json.loads(export.json_of_pdf(documents.generated_content(issued)))
    tables = {t["model"]: t["rows"] for s in data["sections"] for t in s["tables"]}

    exported = {r["id"] for r in tables["documents.Document"]}
    assert exported == {str(a[k].pk) for k in ("photo", "matched", "linked")}
    photo = next(r for r in tables["documents.Document"] if r["id"] == str(a["photo"].pk))
    assert photo["owner_kind"] == "fieldops.WorkOrder" and photo["title"].startswith("Foto VOC-")
    assert {r["document"] for r in tables["documents.DocumentVersion"]} == exported
    assert "wrapped_key" not in tables["documents.DocumentVersion"][0]  # still withheld
    # the trail names the uploads of those documents
    uploads = [r for r in data["trail"]["rows"] if r["action"] == "UPLOAD_DOCUMENT"]
    assert len(uploads) >= 3

    # the other customer's section holds exactly theirs (and A's earlier export now too)
    rows_b = documents_subject.rows(b["customer"])["documents.Document"]
    assert {r["id"] for r in rows_b} == {str(b[k].pk) for k in ("photo", "matched", "linked")}
    rows_a = documents_subject.rows(a["customer"])["documents.Document"]
    assert {r["id"] for r in rows_a} == exported | {str(request.document_id)}


def test_every_document_owner_kind_says_which_of_its_rows_are_about_a_customer():
    assert {
        key for key, kind in registry.document_owners.items() if kind.of_customer is None
    } == set()
