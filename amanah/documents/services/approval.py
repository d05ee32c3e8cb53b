"""The approval workflow's services (the moves themselves are the workflow engine's: the
contract declares ``documents.document``): submit, decide with four eyes and the type's
approver permission, rework, revert with a reason. A purged document moves no more."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from amanah.core.errors import ServiceError
from amanah.documents.doctypes import DocumentStatus, type_of
from amanah.documents.models import Document
from amanah.documents.selectors import made_by
from amanah.documents.services.base import REASON_MAX, live
from amanah.iam import authz
from amanah.workflow.contract import transition_apply, transition_revert


@transaction.atomic
def document_submit(*, actor, document: Document) -> Document:
    document = live(actor, document)
    return transition_apply(actor=actor, obj=document, to=DocumentStatus.SUBMITTED)


def _check_approver(actor, document: Document) -> None:
    """Clear messages before the engine's guard says the same in one line."""
    if made_by(document, actor):
        raise ServiceError(
            "four_eyes",
            _(
                "Empat mata: pengaju atau pengunggah versi ini tidak boleh menyetujui atau "
                "menolaknya sendiri."
            ),
        )
    if not authz.has_perm(actor, type_of(document.doc_type).approve_permission):
        raise ServiceError(
            "approver_not_allowed",
            _("Peran Anda tidak berwenang memutuskan jenis dokumen ini."),
        )


@transaction.atomic
def document_decide(*, actor, document: Document, approve: bool, reason: str = "") -> Document:
    """Approve or reject a SUBMITTED document (four eyes; per-type approver permission)."""
    document = live(actor, document)
    _check_approver(actor, document)
    to = DocumentStatus.APPROVED if approve else DocumentStatus.REJECTED
    if approve:
        return transition_apply(actor=actor, obj=document, to=to)
    reason = (reason or "").strip()
    if "\x00" in reason or len(reason) > REASON_MAX:
        raise ServiceError("reason_invalid", _("Alasan maks. 500 karakter."), field="reason")
    return transition_apply(actor=actor, obj=document, to=to, decision_reason=reason)


@transaction.atomic
def document_rework(*, actor, document: Document) -> Document:
    document = live(actor, document)
    return transition_apply(actor=actor, obj=document, to=DocumentStatus.DRAFT)


@transaction.atomic
def document_revert(*, actor, document: Document, reason: str) -> Document:
    document = live(actor, document)
    return transition_revert(actor=actor, obj=document, reason=reason)
