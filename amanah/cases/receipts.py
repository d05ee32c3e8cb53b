"""Tanda terima pengaduan (POJK: proof that the complaint was received), as a page and a PDF.

The PDF is **issued once** per case and kept as the case's RECEIPT document
(``documents.contract.document_generate``, key ``cases.receipt:<case id>``): made from the case,
signed with the organisation's certificate when one is configured, stored encrypted like an
upload, its signature verification on the document page. ``receipt_issue`` makes it the first
time and finds it every time after, so a retried job, a second download or a message sent again
adds no version. Who asks:

* a job right after the case commits (``receipt_issue_on_create``, on ``cases.case_created``);
* the case page's download, if that job has not run yet (``receipt_download``, audited);
* messaging's receipt notice, before it queues the message (``messaging.notices``), so a
  queued receipt message always names an issued receipt.

The dispatcher builds a message's attachments inside its sending transaction, where nothing
may be written: ``receipt_for_sending`` only reads the issued receipt. The case page's download
and the customer's copy are the same stored bytes.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.utils import timezone
from fpdf import FPDF

from amanah.cases.models import Case
from amanah.cases.policies import CASE_VIEW, CASE_VIEW_BRANCH, TIMELINE_SENSITIVE
from amanah.core.actors import declare_actor
from amanah.core.masking import mask
from amanah.documents import contract as documents
from amanah.documents.policies import DOCUMENT_UPLOAD

logger = logging.getLogger(__name__)
CASE_OWNER = "cases.Case"  # the owner kind cases registers with documents
RECEIPT = "RECEIPT"  # the document type of an issued receipt
# Not a person: it issues the receipt of any case (a fraud case's too), and nothing else.
ISSUER = declare_actor(
    "cases-receipt",
    permissions=(CASE_VIEW, CASE_VIEW_BRANCH, TIMELINE_SENSITIVE, DOCUMENT_UPLOAD),
    all_branches=True,
)


def receipt_key(case: Case) -> str:
    return f"cases.receipt:{case.pk}"


def receipt_filename(case: Case) -> str:
    return f"tanda-terima-{case.case_no}.pdf"


def _signing_reason(case: Case) -> str:
    return f"Tanda terima pengaduan {case.case_no}"


def receipt_issue(case: Case) -> documents.Generated:
    """The receipt issued for ``case``: made, signed and stored as its RECEIPT document the
    first time, the stored one every time after (idempotent: one document, one version)."""
    return documents.document_generate(
        actor=ISSUER,
        data=documents.DocumentInput(
            owner_kind=CASE_OWNER,
            owner_id=str(case.pk),
            title=f"Tanda terima {case.case_no}",
            doc_type=RECEIPT,
        ),
        key=receipt_key(case),
        filename=receipt_filename(case),
        make=lambda: _unsigned_pdf(case),
        reason=_signing_reason(case),
        location=str(case.branch),
    )


def receipt_issue_on_create(*, actor, case: Case) -> None:
    """Deferred, on ``cases.case_created``: issue the receipt right after the case commits.
    The receipt is the organisation's act, not the intake agent's: ``ISSUER`` issues it
    whoever (or whichever channel) created the case."""
    receipt_issue(case)


def receipt_download(*, actor, case: Case):
    """The issued receipt for a person (the case page), issued now if it was not yet:
    documents' download of its version — the document's scope and permission, audited
    DOWNLOAD_DOCUMENT with the version; a stored file that fails its checks is refused."""
    issued = receipt_issue(case)
    return documents.version_download(actor=actor, version_id=issued.version.pk)


def receipt_for_sending(case: Case) -> bytes:
    """The bytes of the issued receipt, read only (the dispatcher's sending transaction writes
    nothing else). A stored file that fails its checks, or a purged one: ServiceError, never
    other bytes. Not issued (a message queued before receipts were kept as documents): made
    and signed now, not stored, as before."""
    issued = documents.generated_find(receipt_key(case))
    if issued is not None:
        return documents.generated_content(issued)
    logger.warning("case receipt not issued yet; a copy is made for sending")
    return documents.sign_generated(
        _unsigned_pdf(case), reason=_signing_reason(case), location=str(case.branch)
    )


OFFICE_CONTACT = "Call Center 14002 · pengaduan@banksumut.co.id"


def receipt_data(case: Case) -> dict:
    local = timezone.localtime(case.received_at)
    primary = case.customer.identifiers.filter(id_type="CIF", is_primary=True).first()
    return {
        "number": case.case_no,
        "received": local.strftime("%d-%m-%Y %H:%M ") + local.tzname(),
        "customer": case.customer.full_name,
        "customer_id": mask("account", primary.id_value) if primary else "—",
        "phone": mask("phone", case.customer.phone_e164) or "—",
        "category": case.category.name,
        "product": case.product or "—",
        "channel": case.get_channel_display(),
        "staff": case.created_by.full_name if case.created_by else "—",
        "branch": str(case.branch),
        "due": timezone.localtime(case.sla_due_at).strftime("%d-%m-%Y %H:%M"),
        "contact": getattr(settings, "COMPLAINT_OFFICE_CONTACT", OFFICE_CONTACT),
    }


LABELS = [
    ("number", "Nomor registrasi"),
    ("received", "Diterima"),
    ("customer", "Nasabah"),
    ("customer_id", "CIF"),
    ("phone", "Telepon"),
    ("category", "Kategori"),
    ("product", "Produk"),
    ("channel", "Kanal"),
    ("staff", "Petugas"),
    ("branch", "Kantor"),
    ("due", "Target penyelesaian"),
    ("contact", "Kontak pengaduan"),
]


def _unsigned_pdf(case: Case) -> bytes:
    data = receipt_data(case)
    pdf = FPDF(format=(148, 210))  # A5 in mm
    pdf.set_title(f"Tanda Terima {data['number']}")
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 14)
    pdf.cell(0, 10, "TANDA TERIMA PENGADUAN", new_x="LMARGIN", new_y="NEXT", align="C")
    pdf.set_font("Helvetica", "", 9)
    pdf.cell(
        0,
        6,
        "Bank Sumut - Layanan Pengaduan Nasabah (POJK 22/2023)",
        new_x="LMARGIN",
        new_y="NEXT",
        align="C",
    )
    pdf.ln(4)
    for key, label in LABELS:
        pdf.set_font("Helvetica", "B", 9)
        pdf.cell(40, 7, label)
        pdf.set_font("Helvetica", "", 9)
        pdf.multi_cell(0, 7, _latin1(str(data[key])), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    pdf.set_font("Helvetica", "I", 8)
    pdf.multi_cell(
        0,
        5,
        "Simpan nomor registrasi ini untuk menanyakan perkembangan pengaduan Anda. "
        "Pengaduan diselesaikan paling lama 10 hari kerja dan dapat diperpanjang satu kali.",
    )
    return bytes(pdf.output())


def _latin1(text: str) -> str:
    # The core PDF fonts are Latin-1; names with other characters are kept readable.
    return text.encode("latin-1", "replace").decode("latin-1")
