"""The approved RAB as a generated, signed PDF: a RAB document of its installation.

When finance approves a RAB, ``installation_move`` emits ``utility.rab_approved`` inside the
approval's transaction; ``rab_issue_on_approval`` (its handler, registered in the contract)
issues the PDF through ``documents.contract.document_generate``: made from the approved lines,
signed with the organisation's certificate when one is configured, stored encrypted as a RAB
document of the installation (owner kind ``utility.Installation``), audited ISSUE_DOCUMENT.
So the document exists exactly when the approval commits, and an approval that rolls back
leaves none.

Its key is ``utility.rab:<installation id>:<n>``, n the ordinal of this move to RAB_APPROVED:
a RAB whose approval was revoked (before billing) and given again gets a new document, with
the new approver and time (the first one stays, a record of what was approved then); a second
call for the same approval makes nothing. A person downloads it from the installation's page
through documents' download (its scope is the installation's ``visible_to``; audited
DOWNLOAD_DOCUMENT with the version).
"""

from __future__ import annotations

import zoneinfo

from fpdf import FPDF

from amanah.core.actors import declare_actor
from amanah.documents import contract as documents
from amanah.documents.policies import DOCUMENT_UPLOAD
from amanah.utility.installations.common import WORKFLOW_KEY, S
from amanah.utility.models import Installation, RabLine
from amanah.utility.policies import INSTALLATION_VIEW

OWNER_KIND = "utility.Installation"  # the owner kind utility registers with documents
RAB = "RAB"  # the document type
KEY_PREFIX = "utility.rab"
# Not a person: it issues the RAB of an installation in any branch, and nothing else. The
# approver's own grants do not matter (a director may approve without document.upload).
ISSUER = declare_actor(
    "utility-rab", permissions=(INSTALLATION_VIEW, DOCUMENT_UPLOAD), all_branches=True
)


def rab_key(installation: Installation, approval: int) -> str:
    return f"{KEY_PREFIX}:{installation.pk}:{approval}"


def approval_ordinal(installation: Installation) -> int:
    """Which approval of this installation's RAB the current one is (1 the first time)."""
    from amanah.workflow.contract import times_moved_to

    return max(1, times_moved_to(WORKFLOW_KEY, installation, S.RAB_APPROVED))


def rab_issue(installation: Installation) -> documents.Generated:
    """The PDF of the installation's approved RAB: made, signed and stored the first time for
    this approval, the stored one every time after (one document, one version)."""
    approval = approval_ordinal(installation)
    title = f"RAB {installation.number}"
    if approval > 1:
        title += f" (persetujuan ke-{approval})"
    return documents.document_generate(
        actor=ISSUER,
        data=documents.DocumentInput(
            owner_kind=OWNER_KIND,
            owner_id=str(installation.pk),
            title=title,
            doc_type=RAB,
        ),
        key=rab_key(installation, approval),
        filename=f"rab-{installation.number}-{approval}.pdf",
        make=lambda: unsigned_pdf(installation),
        reason=f"RAB sambungan baru {installation.number}",
        location=str(installation.connection.branch),
    )


def rab_issue_on_approval(*, actor, installation: Installation) -> None:
    """Handler of ``utility.rab_approved``, in the approval's transaction."""
    rab_issue(installation)


def latest_issued(owned: list) -> object | None:
    """The newest issued RAB among an installation's documents (the page's list, newest
    first, already scoped): what the page offers to download."""
    issued = (d for d in owned if (d.generated_key or "").startswith(f"{KEY_PREFIX}:"))
    return next(issued, None)


def _rupiah(value: int) -> str:
    return "Rp " + f"{value:,}".replace(",", ".")


def _latin1(text: str) -> str:
    # The core PDF fonts are Latin-1; other characters are kept readable.
    return text.encode("latin-1", "replace").decode("latin-1")


def _in_branch_zone(at, branch) -> str:
    """The approval started the RAB_APPROVED stage (``on_apply``): its time in the zone of the
    branch that issues the RAB (WIB/WITA/WIT), whoever reads the file later."""
    local = at.astimezone(zoneinfo.ZoneInfo(branch.timezone))
    return f"{local:%d-%m-%Y %H:%M} {branch.timezone_label}"


def rab_data(installation: Installation) -> dict:
    connection = installation.connection
    address = f"{connection.street} {connection.house_number}".strip()
    if connection.rt:
        address += f", RT {connection.rt}/RW {connection.rw}"
    approved = installation.approved_by.full_name if installation.approved_by else "-"
    author = installation.rab_author.full_name if installation.rab_author else "-"
    return {
        "number": installation.number,
        "connection": connection.number,
        "customer": connection.customer.full_name,
        "address": address,
        "area": str(connection.area),
        "branch": str(connection.branch),
        "author": author,
        "approved_by": approved,
        "approved_at": _in_branch_zone(installation.stage_since, connection.branch),
    }


LABELS = [
    ("number", "No. permohonan"),
    ("connection", "No. sambungan"),
    ("customer", "Pemohon"),
    ("address", "Alamat"),
    ("area", "Wilayah layanan"),
    ("branch", "Kantor"),
    ("author", "Disusun oleh"),
    ("approved_by", "Disetujui oleh"),
    ("approved_at", "Tanggal persetujuan"),
]


def unsigned_pdf(installation: Installation) -> bytes:
    """The RAB as the customer receives it: the facts, each line, the total."""
    data = rab_data(installation)
    lines = RabLine.objects.filter(installation=installation).order_by("position")
    pdf = FPDF(format="A4")
    pdf.set_title(f"RAB {data['number']}")
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 14)
    pdf.cell(0, 10, "RENCANA ANGGARAN BIAYA (RAB)", new_x="LMARGIN", new_y="NEXT", align="C")
    pdf.set_font("Helvetica", "", 9)
    pdf.cell(0, 6, "Sambungan baru air minum", new_x="LMARGIN", new_y="NEXT", align="C")
    pdf.ln(3)
    for key, label in LABELS:
        pdf.set_font("Helvetica", "B", 9)
        pdf.cell(45, 6, label)
        pdf.set_font("Helvetica", "", 9)
        pdf.multi_cell(0, 6, _latin1(str(data[key])), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    widths = (10, 90, 20, 35, 35)
    pdf.set_font("Helvetica", "B", 9)
    heads = ("No", "Uraian", "Volume", "Harga satuan", "Jumlah")
    for width, head in zip(widths, heads, strict=True):
        pdf.cell(width, 7, head, border=1, align="C")
    pdf.ln()
    pdf.set_font("Helvetica", "", 9)
    for line in lines:
        cells = (
            (str(line.position), "C"),
            (_latin1(line.item[:60]), "L"),
            (f"{line.qty:,}".replace(",", "."), "R"),
            (_rupiah(line.unit_price), "R"),
            (_rupiah(line.total), "R"),
        )
        for width, (text, align) in zip(widths, cells, strict=True):
            pdf.cell(width, 7, text, border=1, align=align)
        pdf.ln()
    pdf.set_font("Helvetica", "B", 9)
    pdf.cell(sum(widths[:4]), 7, "Total", border=1, align="R")
    pdf.cell(widths[4], 7, _rupiah(installation.rab_total), border=1, align="R")
    pdf.ln(10)
    pdf.set_font("Helvetica", "I", 8)
    pdf.multi_cell(
        0,
        5,
        "RAB ini berlaku sebagai tagihan biaya sambungan baru setelah cara bayar ditetapkan "
        "(lunas atau angsuran). Pemasangan dijadwalkan setelah pembayaran diterima.",
    )
    return bytes(pdf.output())
