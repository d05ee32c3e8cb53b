"""Legal hold: keep a document back from the retention purge (``documents/retention.py``)."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from amanah.audit import services as audit
from amanah.audit.models import AuditAction
from amanah.core.actors import user_or_none
from amanah.core.errors import ServiceError
from amanah.core.inputs import problem_in_text
from amanah.documents.models import Document
from amanah.documents.policies import DOCUMENT_LEGAL_HOLD
from amanah.documents.services.base import REASON_MAX, REASON_MIN, live
from amanah.iam import authz


@transaction.atomic
def document_legal_hold(*, actor, document: Document, hold: bool, reason: str) -> Document:
    """Hold a document back from the retention purge (a dispute, an investigation, a
    regulator's request) or release it, with a reason (10–500 characters; its length is
    audited, the text stays on the document while it is held). A released document whose
    period has passed goes with the retention job's next run."""
    authz.require(actor, DOCUMENT_LEGAL_HOLD)
    document = live(actor, document)
    reason = (reason or "").strip()
    if not (REASON_MIN <= len(reason) <= REASON_MAX) or problem_in_text(reason):
        raise ServiceError(
            "reason_required", _("Tulis alasannya (10–500 karakter)."), field="reason"
        )
    if document.legal_hold == bool(hold):
        raise ServiceError(
            "legal_hold_unchanged",
            _("Dokumen ini sudah ditahan.") if hold else _("Dokumen ini tidak sedang ditahan."),
        )
    at = timezone.now()
    document.legal_hold = bool(hold)
    document.legal_hold_reason = reason if hold else ""
    document.legal_hold_by = user_or_none(actor) if hold else None
    document.legal_hold_at = at if hold else None
    document.updated_at = at
    document.save(
        update_fields=[
            "legal_hold",
            "legal_hold_reason",
            "legal_hold_by",
            "legal_hold_at",
            "updated_at",
        ]
    )
    audit.record(
        actor=actor,
        action=AuditAction.LEGAL_HOLD_DOCUMENT if hold else AuditAction.RELEASE_LEGAL_HOLD_DOCUMENT,
        obj=document,
        meta={
            "reason_length": len(reason),
            "retain_until": document.retain_until.isoformat() if document.retain_until else None,
        },
    )
    return document
