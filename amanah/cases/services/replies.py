"""What the case's log says besides its moves: staff's notes, a reply to the customer (the
messaging hub sends it, cases locks the case and logs it), a document stored for the case, and
the customer's name revealed to a handler who may not open the customer."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from amanah.audit import services as audit
from amanah.audit.models import AuditAction
from amanah.cases import sla
from amanah.cases.models import ActivityType, Case, CaseActivity, NoteKind
from amanah.cases.policies import CASE_UPDATE, CASE_VIEW
from amanah.cases.services.base import (
    CASE_OWNER,
    S,
    _locked,
    _locked_in_scope,
    _log,
    _require_case,
    _touch,
)
from amanah.core.errors import NotFound, ServiceError
from amanah.iam import authz


@transaction.atomic
def case_add_note(*, actor, case: Case, message: str, kind: str = NoteKind.STAFF) -> CaseActivity:
    """A note on the case, of ``kind`` (``NoteKind``): staff's (NOTE), the customer's own
    message filed by the channel intake (NOTE, ``meta.kind``) or the system's annotation
    (SYSTEM_NOTE). Whether it is the case's first response is ``sla.is_first_response``."""
    _require_case(actor, CASE_UPDATE, case)
    if kind not in NoteKind.values:
        raise ValueError(f"unknown note kind {kind!r}")
    message = (message or "").strip()
    if not message:
        raise ServiceError("note_required", _("Catatan tidak boleh kosong."), field="message")
    if len(message) > 5000:
        raise ServiceError("note_too_long", _("Catatan maks. 5000 karakter."), field="message")
    case = _locked(case)
    if case.first_responded_at is None and sla.is_first_response(kind):
        case.first_responded_at = timezone.now()
        _touch(case, "first_responded_at")
    activity_type = ActivityType.SYSTEM_NOTE if kind == NoteKind.SYSTEM else ActivityType.NOTE
    meta = {"kind": kind} if kind == NoteKind.CUSTOMER else {}
    activity = _log(case, actor, activity_type, message, **meta)
    audit.record(
        actor=actor, action=AuditAction.UPDATE_CASE, obj=case, meta={"activity": activity_type}
    )
    return activity


REPLY_MAX = 1000  # messaging's longest template value: a reply is one placeholder of its template


def case_for_reply(*, actor, case_id) -> Case:
    """The case a reply is written on, locked for the reply's transaction (lock order: this row
    first, the audit chain last). Permission ``case.reply``, the case in the actor's scope and
    its details open to them (a sensitive case's complainant hears only from who may read it);
    a closed or cancelled case takes no reply (reopen it first). Messaging calls this."""
    from amanah.cases.policies import CASE_REPLY
    from amanah.cases.sensitivity import may_see_sensitive

    authz.require(actor, CASE_REPLY)
    case = _locked_in_scope(actor, Case(pk=case_id))
    if not may_see_sensitive(actor, case):
        raise NotFound()
    if case.status in (S.CLOSED, S.CANCELLED):
        raise ServiceError(
            "case_not_open", _("Kasus sudah ditutup; buka kembali untuk membalas nasabah.")
        )
    return case


def check_reply_text(text: str) -> str:
    text = (text or "").strip()
    if not text:
        raise ServiceError("reply_required", _("Tulis balasan untuk nasabah."), field="text")
    if len(text) > REPLY_MAX:
        raise ServiceError(
            "reply_too_long", _("Balasan maks. %d karakter.") % REPLY_MAX, field="text"
        )
    if any(not ch.isprintable() and ch not in "\n\r\t" for ch in text):
        raise ServiceError("reply_invalid", _("Balasan berisi karakter kendali."), field="text")
    return text


def case_reply_log(*, actor, case: Case, text: str, channel: str, template: str) -> CaseActivity:
    """The REPLY line of a reply the messaging hub has just queued (in its transaction, on the
    row ``case_for_reply`` locked): what the customer was told and on which channel. A reply
    is the case's first response when nothing answered before; UPDATE_CASE (no text)."""
    if case.first_responded_at is None:
        case.first_responded_at = timezone.now()
        _touch(case, "first_responded_at")
    activity = _log(case, actor, ActivityType.REPLY, text, channel=channel, template=template)
    audit.record(
        actor=actor,
        action=AuditAction.UPDATE_CASE,
        obj=case,
        meta={"activity": "REPLY", "channel": channel, "length": len(text)},
    )
    return activity


def case_log_document(*, actor, document, version) -> None:
    """On ``documents.version_stored``: a document (or a new version) of a case goes into
    the case's activity log as ATTACHMENT, in the upload's transaction. The upload itself is
    audited by documents (UPLOAD_DOCUMENT with the case as owner)."""
    if document.owner_kind != CASE_OWNER:
        return
    _log(
        Case(pk=document.owner_id),
        actor,
        ActivityType.ATTACHMENT,
        version.original_name,
        document=str(document.pk),
        version=version.number,
        size=version.size,
    )


def case_customer_name_reveal(*, actor, case: Case, reason: str) -> str:
    """The name of the case's customer in clear for one of the case's handlers who may not
    open the customer (intake at another branch: the page shows it masked) — for a stated
    reason, with the reveal permission and rate limit, REVEAL_FIELD on the customer naming the
    case (``iam.field_reveal_via``). The case must be in the actor's scope."""
    from amanah.iam.services import field_reveal_via

    authz.require(actor, CASE_VIEW, case)
    return field_reveal_via(
        actor=actor, obj=case.customer, field="full_name", reason=reason, via=case
    )
