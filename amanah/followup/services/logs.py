"""The follow-up log: a call or a note by the member's current agent."""

from __future__ import annotations

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

LOG_ADDED = "followup.log_added"  # fn(*, actor, log)


@transaction.atomic
def followup_log_add(*, actor, member: Member, kind: str, note: str = "") -> FollowUpLog:
    """A call or a note by the member's current agent. It never moves the member and never
    extends the window; it only sets ``last_contact_at``."""
    authz.require(actor, DESK_WORK)
    Hand.share_desk()  # lock order (``Hand.lock_desk``): the desk, then the member
    member = (
        Member.objects.visible_to(actor)
        .select_for_update(of=("self",))
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
    now = timezone.now()
    log = FollowUpLog.objects.create(
        member=member, agent=member.current_agent, kind=kind, note=note, at=now
    )
    member.last_contact_at = now
    member.save(update_fields=["last_contact_at"])
    events.emit(LOG_ADDED, actor=actor, log=log)
    audit.record(actor=actor, action=AuditAction.LOG_FOLLOWUP, obj=member, meta={"kind": kind})
