"""The follow-up log: a call, a WhatsApp or a note by the member's current agent.

A WhatsApp is sent through the messaging hub, never around it: the approved template
``followup.reminder`` (WHATSAPP, purpose COLLECTION) rendered for the customer, queued with
``message_queue`` in the log's transaction (source MANUAL, the log's id: one message per log
line however often it is retried). The hub asks the published contact rule
(``consent.contactability``) when it queues and again when it sends: a refused contact is a
CANCELLED outbox row with its reason, never sent; a contact outside the collection window or
over the day's cap waits in the outbox until it may go. The log line keeps the reason of a
refusal (``not_sent_reason``: the rule's code, or ``no_address`` / ``no_template``), the agent
sees it, and ``last_contact_at`` moves only for a contact that was made or queued.

**Why COLLECTION.** The desk chases a deposit on the customer's own account, call after call
by up to thirty agents in turn; DESIGN §6 gives such contact (calls, messages, visits) the
collection window, Mon–Sat 08.00–20.00 local, not on holidays, and the deployment's caps per
day and week, which keep a rotating desk from flooding one customer. It is not an offer of a
product (OFFER would need marketing consent per message); the desk lets a member go at once
when marketing consent is withdrawn altogether (``exits``).
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from amanah.audit import services as audit
from amanah.audit.models import AuditAction
from amanah.core import events
from amanah.core.errors import NotFound, ServiceError
from amanah.core.inputs import problem_in_text
from amanah.followup.assign import Hand
from amanah.followup.models import WITH_AGENT, FollowUpLog, LogKind, Member
from amanah.followup.policies import DESK_WORK
from amanah.iam import authz
from amanah.messaging.contract import (
    CUSTOMER_ADDRESS,
    Channel,
    MessageSource,
    MessageStatus,
    Purpose,
    TemplateNotApproved,
    approved_version,
    message_queue,
    render,
)

LOG_ADDED = "followup.log_added"  # fn(*, actor, log)
TEMPLATE_KEY = "followup.reminder"
CONTACT_PURPOSE = Purpose.COLLECTION
CONTACT_CHANNEL = Channel.WHATSAPP


@transaction.atomic
def followup_log_add(
    *, actor, member: Member, kind: str, note: str = "", now: datetime | None = None
) -> FollowUpLog:
    """A call, a WhatsApp (sent through the hub, see above) or a note by the member's current
    agent. It never moves the member and never extends the window; it only sets
    ``last_contact_at`` (not for a WhatsApp that was refused)."""
    authz.require(actor, DESK_WORK)
    Hand.share_desk()  # lock order (``Hand.lock_desk``): the desk, then the member
    member = (
        Member.objects.visible_to(actor)
        .select_for_update(of=("self",))
        .select_related("customer", "current_agent")
        .filter(pk=member.pk, status__in=WITH_AGENT, current_agent__user_id=actor.pk)
        .first()
    )
    if member is None:
        raise NotFound()
    if kind not in LogKind.values:
        raise ServiceError("kind_invalid", _("Jenis tindak lanjut tidak dikenal."), field="kind")
    note = str(note or "").strip()
    if problem_in_text(note) or len(note) > 2000:
        raise ServiceError("note_invalid", _("Catatan paling panjang 2000 huruf."), field="note")
    if kind == LogKind.NOTE and not note:
        raise ServiceError("note_required", _("Catatan wajib diisi."), field="note")
    now = now or timezone.now()
    log = FollowUpLog.objects.create(
        member=member, agent=member.current_agent, kind=kind, note=note, at=now
    )
    if kind == LogKind.WHATSAPP:
        _send_whatsapp(actor, member, log, now)
    if not log.not_sent_reason:
        member.last_contact_at = now
        member.save(update_fields=["last_contact_at"])
    events.emit(LOG_ADDED, actor=actor, log=log)
    audit.record(
        actor=actor,
        action=AuditAction.LOG_FOLLOWUP,
        obj=member,
        meta={"kind": kind, **({"not_sent": log.not_sent_reason} if log.not_sent_reason else {})},
    )
    return log


def _send_whatsapp(actor, member: Member, log: FollowUpLog, now) -> None:
    """Queue the reminder through the hub, or note why it was not sent (nothing is sent)."""
    customer = member.customer
    reason, message = "", None
    if not getattr(customer, CUSTOMER_ADDRESS[CONTACT_CHANNEL], ""):
        reason = "no_address"
    else:
        try:
            version = approved_version(TEMPLATE_KEY, CONTACT_CHANNEL)
        except TemplateNotApproved:
            reason = "no_template"
        else:
            message = message_queue(
                actor=actor,
                channel=CONTACT_CHANNEL,
                purpose=CONTACT_PURPOSE,
                rendered=render(version, {"customer": customer}),
                source=MessageSource.MANUAL,
                source_id=f"followup:{log.pk}",
                step="followup",
                customer=customer,
                template_key=version.template.key,
                template_version=version.number,
                at=now,
            )
            if message.status == MessageStatus.CANCELLED:
                reason = message.cancel_reason or "cancelled"
    log.message_id = message.pk if message is not None else None
    log.not_sent_reason = reason[:64]
    log.save(update_fields=["message_id", "not_sent_reason"])
