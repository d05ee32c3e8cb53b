"""Tanda terima pengaduan (POJK: proof that the complaint was received), as a page and a PDF.

The PDF carries the organisation's PAdES signature when a signing certificate is configured
(``documents.contract.sign_generated``): the download on the case page and the copy messaging
attaches to the customer's receipt are the same signed document."""

from __future__ import annotations

from django.conf import settings
from django.utils import timezone
from fpdf import FPDF

from amanah.cases.models import Case
from amanah.core.masking import mask
from amanah.documents.contract import sign_generated

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


def receipt_pdf(case: Case) -> bytes:
    """The receipt as a PDF, signed by the organisation when a certificate is configured."""
    return sign_generated(
        _unsigned_pdf(case),
        reason=f"Tanda terima pengaduan {case.case_no}",
        location=str(case.branch),
    )


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
