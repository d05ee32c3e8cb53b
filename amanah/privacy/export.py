"""The data subject's access export (UU PDP Pasal 7 and 32): what it holds and its two forms.

``build`` asks every registered section (``registry.subject_sections``: customers, consent,
cases, messaging …) for the customer's rows — every stored field — and for the objects whose
audit rows make the processing trail; the trail is then read from the audit log and named
(who, in which role, did what to which object, with labelled details: names, not ids).

The machine-readable form is JSON (``as_json``); the readable one a PDF (``as_pdf``) that
carries the same JSON bytes as an embedded file, so the signed document holds both and the
JSON download is that attachment, byte for byte (``json_of_pdf``).
"""

from __future__ import annotations

import io
import json
from collections import defaultdict

from django.apps import apps
from django.db.models import Q
from django.utils import timezone
from fpdf import FPDF

from amanah.audit.models import AuditLog
from amanah.audit.selectors import readable, rows_about
from amanah.core import registry
from amanah.core.zones import zone_label

FORMAT = "amanah.pdp.access-export/1"
JSON_NAME = "ekspor-data-subjek.json"
# The trail is cut (and says so) past this many rows: a customer's whole history fits many
# times over; a runaway loop writing rows about one customer does not fill the PDF.
TRAIL_MAX = 50_000
TRAIL_BATCH = 1_000


def _local(at) -> str:
    return timezone.localtime(at).isoformat(timespec="seconds") if at else ""


def _model_label(label: str) -> str:
    try:
        return str(apps.get_model(label)._meta.verbose_name)
    except LookupError:
        return label


def _trail_condition(refs: dict[str, set[str]]) -> Q | None:
    condition = None
    for object_type, ids in sorted(refs.items()):
        if ids:
            part = rows_about(ids, object_type)
            condition = part if condition is None else condition | part
    return condition


def trail_of(refs: dict[str, set[str]]) -> tuple[list[dict], bool]:
    """The audit rows about the objects ``refs`` names, oldest first, readable."""
    condition = _trail_condition(refs)
    if condition is None:
        return [], False
    rows = list(AuditLog.objects.filter(condition).order_by("id")[: TRAIL_MAX + 1])
    cut = len(rows) > TRAIL_MAX
    rows = rows[:TRAIL_MAX]
    entries = []
    for start in range(0, len(rows), TRAIL_BATCH):  # names asked once per type and batch
        for event in readable(rows[start : start + TRAIL_BATCH]):
            log = event.log
            entries.append(
                {
                    "at": _local(log.created_at),
                    "action": log.action,
                    "action_label": event.action_label,
                    "object": f"{event.obj.type_label} · {event.obj.name}",
                    "actor": event.actor_name or log.actor_username or "system",
                    "role": event.role_label,
                    "details": {field.label or field.key: field.value for field in event.meta},
                }
            )
    return entries, cut


def build(customer, *, request, made_by: str) -> dict:
    """The whole export of ``customer`` for the access request ``request``."""
    sections, refs = [], defaultdict(set)
    for key, section in registry.subject_sections.items():
        found = section.rows(customer)
        tables = [
            {
                "model": model,
                "label": _model_label(model),
                "rows": found.get(model, []),
                "withheld": section.withheld_of(model),
            }
            for model in section.models
        ]
        sections.append({"key": key, "label": str(section.label), "tables": tables})
        for object_type, ids in section.trail(customer).items():
            refs[object_type].update(str(i) for i in ids)
    trail, cut = trail_of(refs)
    return {
        "format": FORMAT,
        "zone": zone_label(),
        "request": {
            "id": str(request.pk),
            "reference": request.reference,
            "made_at": _local(request.requested_at),
            "made_by": made_by,
        },
        "subject": {"customer_id": str(customer.pk), "full_name": customer.full_name},
        "sections": sections,
        "trail": {"rows": trail, "count": len(trail), "truncated": cut},
    }


def as_json(export: dict) -> bytes:
    return json.dumps(export, ensure_ascii=False, indent=2, sort_keys=False).encode()


def counts(export: dict) -> tuple[int, int, int]:
    """(sections, stored rows, trail rows)."""
    stored = sum(len(t["rows"]) for s in export["sections"] for t in s["tables"])
    return len(export["sections"]), stored, export["trail"]["count"]


# --------------------------------------------------------------------------- the PDF


def _latin1(text) -> str:
    # The core PDF fonts are Latin-1; the JSON attachment keeps every character as stored.
    return str(text).encode("latin-1", "replace").decode("latin-1")


def _value(value) -> str:
    if value is None or value == "":
        return "-"
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def _line(pdf: FPDF, text: str, *, size: int = 8, style: str = "", height: float = 4.5) -> None:
    pdf.set_font("Helvetica", style, size)
    pdf.multi_cell(0, height, _latin1(text), new_x="LMARGIN", new_y="NEXT")


def as_pdf(export: dict, data: bytes) -> bytes:
    """The export as a readable PDF, with ``data`` (the JSON) embedded as a file."""
    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(auto=True, margin=12)
    pdf.set_title("Ekspor Data Subjek (UU PDP)")
    pdf.add_page()
    _line(pdf, "EKSPOR DATA PRIBADI SUBJEK DATA", size=14, style="B", height=8)
    _line(pdf, "Undang-Undang No. 27 Tahun 2022 tentang Pelindungan Data Pribadi", size=9)
    request, subject = export["request"], export["subject"]
    pdf.ln(2)
    for label, value in (
        ("Subjek data", subject["full_name"]),
        ("ID nasabah", subject["customer_id"]),
        ("Nomor permintaan", request["id"]),
        ("Referensi", request["reference"]),
        ("Dibuat", f"{request['made_at']} ({export['zone']})"),
        ("Dibuat oleh", request["made_by"]),
        ("Berkas data (JSON)", f"{JSON_NAME}, terlampir di dalam PDF ini"),
    ):
        _line(pdf, f"{label}: {value}", size=9)
    for section in export["sections"]:
        pdf.ln(3)
        _line(pdf, section["label"], size=11, style="B", height=6)
        for table in section["tables"]:
            _line(
                pdf, f"{table['label']} ({table['model']}): {len(table['rows'])} baris", style="B"
            )
            for number, row in enumerate(table["rows"], 1):  # one paragraph per row
                fields = " | ".join(f"{name}: {_value(value)}" for name, value in row.items())
                _line(pdf, f"#{number}  {fields}")
            for name, reason in table["withheld"].items():
                _line(pdf, f"   {name}: tidak disertakan - {reason}", style="I")
    trail = export["trail"]
    pdf.ln(3)
    _line(pdf, f"Jejak pemrosesan ({trail['count']} baris)", size=11, style="B", height=6)
    if trail["truncated"]:
        _line(pdf, "Jejak dipotong pada batas baris; minta ekspor per periode.", style="I")
    for row in trail["rows"]:
        details = "; ".join(f"{k}: {v}" for k, v in row["details"].items())
        role = f" ({row['role']})" if row["role"] else ""
        _line(
            pdf,
            f"{row['at']} - {row['actor']}{role} - {row['action_label']} - {row['object']}"
            + (f" - {details}" if details else ""),
        )
    pdf.embed_file(bytes=data, basename=JSON_NAME, desc="Ekspor data subjek (JSON)", compress=True)
    return bytes(pdf.output())


def json_of_pdf(pdf: bytes) -> bytes:
    """The JSON embedded in an export's PDF (signed or not: a signature is an incremental
    update that leaves the attachment as it was)."""
    from pyhanko.pdf_utils.reader import PdfFileReader

    reader = PdfFileReader(io.BytesIO(pdf), strict=False)
    names = reader.root["/Names"]["/EmbeddedFiles"]["/Names"]
    for index in range(0, len(names), 2):
        if str(names[index]) == JSON_NAME:
            return names[index + 1].get_object()["/EF"]["/F"].get_object().data
    raise LookupError("the export's PDF carries no JSON")
