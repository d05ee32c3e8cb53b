"""Document types and retention classes: code, not rows (a type decides a permission).

Each type names the permission whose holders may approve it (four eyes come on top: the
submitter never approves their own), whether opening it needs a reason (identity papers,
signed consent forms, DSAR exports), and the retention class a new document of it gets.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import models
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from amanah.documents.policies import (
    DOCUMENT_APPROVE,
    DOCUMENT_APPROVE_CONTRACT,
    DOCUMENT_APPROVE_SENSITIVE,
)


class Retention(models.TextChoices):
    SHORT = "SHORT", _("Pendek (2 tahun)")
    STANDARD = "STANDARD", _("Standar (5 tahun)")
    LONG = "LONG", _("Panjang (10 tahun)")
    PERMANENT = "PERMANENT", _("Permanen")


RETENTION_YEARS = {"SHORT": 2, "STANDARD": 5, "LONG": 10, "PERMANENT": None}


def retention_end(code: str, since: datetime) -> datetime | None:
    """When a document of retention class ``code`` whose newest version is from ``since`` may
    be purged (None: never). 29 February moves to the 28th in a year without it."""
    years = RETENTION_YEARS[code]
    if years is None:
        return None
    try:
        return since.replace(year=since.year + years)
    except ValueError:
        return since.replace(year=since.year + years, day=28)


class DocumentStatus(models.TextChoices):
    DRAFT = "DRAFT", _("Draf")
    SUBMITTED = "SUBMITTED", _("Diajukan")
    APPROVED = "APPROVED", _("Disetujui")
    REJECTED = "REJECTED", _("Ditolak")


@dataclass(frozen=True)
class DocumentType:
    code: str
    label: str | Promise
    approve_permission: str
    sensitive: bool = False
    retention: str = Retention.STANDARD


TYPES: dict[str, DocumentType] = {
    t.code: t
    for t in (
        DocumentType("GENERAL", _("Dokumen umum"), DOCUMENT_APPROVE),
        DocumentType("EVIDENCE", _("Bukti pengaduan"), DOCUMENT_APPROVE),
        DocumentType("RECEIPT", _("Tanda terima"), DOCUMENT_APPROVE, retention=Retention.LONG),
        DocumentType("WORK_ORDER", _("Perintah kerja (WO)"), DOCUMENT_APPROVE),
        DocumentType(
            "CONTRACT", _("Kontrak / SPK"), DOCUMENT_APPROVE_CONTRACT, retention=Retention.LONG
        ),
        DocumentType("RAB", _("Rencana anggaran biaya (RAB)"), DOCUMENT_APPROVE_CONTRACT),
        DocumentType(
            "IDENTITY", _("Dokumen identitas (KTP)"), DOCUMENT_APPROVE_SENSITIVE, sensitive=True
        ),
        DocumentType(
            "CONSENT_FORM",
            _("Formulir persetujuan bertanda tangan"),
            DOCUMENT_APPROVE_SENSITIVE,
            sensitive=True,
            retention=Retention.LONG,
        ),
        DocumentType(
            "DSAR_EXPORT",
            _("Ekspor data subjek (UU PDP)"),
            DOCUMENT_APPROVE_SENSITIVE,
            sensitive=True,
            retention=Retention.SHORT,
        ),
    )
}


def type_choices() -> list[tuple[str, str | Promise]]:
    return [(t.code, t.label) for t in TYPES.values()]


def type_of(code: str) -> DocumentType:
    return TYPES[code]
