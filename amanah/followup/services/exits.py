"""Members leaving the desk for reasons other than the deposit target (issue 20: "who leaves:
deposit target met, consent withdrawn, closed"; and put on the do-not-contact list), and a
merged customer's membership following the survivor.

* ``member_exit`` — the one write: the customer's open membership (if any) ends with its
  reason; its agent gives it up through a rotation record (MEMBER_DONE), so the database's
  guard on agent changes is kept; the event ``followup.member_exited`` and the audit row
  EXIT_FOLLOWUP_MEMBER follow, in the caller's transaction. Called by the desk's reactions
  (``handlers``) as ``EXITS``, an integration actor that may do exactly this.
* ``move_to_survivor`` — the merge mover (``registry.merge_movers``): the absorbed customer's
  memberships, with their rotations, follow-ups and deposits (which point at the membership,
  not the customer), move to the survivor in the merge's transaction. One open membership per
  customer (a partial unique index): when both had one, the survivor's stays and the absorbed
  one ends first (MERGED). Only ``customer_id`` changes, so the agent guard has nothing to
  refuse, and no member changes agent.

Lock order, as everywhere on the desk (``Hand.lock_desk``): the customer (held by the consent
change, the master-data update or the merge that got us here), then the desk, then members.
``member_enrol`` takes the customer first too.
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from amanah.audit import services as audit
from amanah.audit.models import AuditAction
from amanah.core import events
from amanah.core.actors import declare_actor
from amanah.core.errors import ServiceError
from amanah.customers.models import Customer
from amanah.followup.assign import ACTOR as ROTATION
from amanah.followup.assign import Hand, record
from amanah.followup.models import ExitReason, Member, MemberStatus
from amanah.followup.policies import DESK_MANAGE, DESK_MONITOR
from amanah.followup.services.members import finish
from amanah.iam import authz

MEMBER_EXITED = "followup.member_exited"  # fn(*, actor, member)
# The desk's own rule, not a person: it lets members go when consent, master data or a merge
# says so, and nothing else.
EXITS = declare_actor("followup-exits", permissions=(DESK_MANAGE, DESK_MONITOR), all_branches=True)
EXIT_REASONS = (
    ExitReason.CONSENT_WITHDRAWN,
    ExitReason.DO_NOT_CONTACT,
    ExitReason.CLOSED,
    ExitReason.MERGED,
)


def _open(customer_id):
    return Member.objects.filter(customer_id=customer_id).exclude(status=MemberStatus.DONE)


@transaction.atomic
def member_exit(
    *, actor, customer: Customer, reason: str, now: datetime | None = None
) -> Member | None:
    """End the customer's open membership for ``reason``; ``None`` when there is none (the
    usual case: most consent changes concern nobody on the desk, and cost one index probe)."""
    authz.require(actor, DESK_MANAGE)
    if reason not in EXIT_REASONS:
        raise ServiceError("exit_reason_invalid", _("Alasan keluar tidak dikenal."), field="reason")
    now = now or timezone.now()
    if not _open(customer.pk).exists():  # before the desk's lock: nobody to let go
        return None
    Hand.lock_desk()
    member = (
        Member.objects.visible_to(actor)
        .select_for_update(of=("self",))
        .filter(pk__in=_open(customer.pk).values("pk"))
        .first()
    )
    if member is None:
        return None
    before = member.status
    moves = finish(member, reason, now)
    events.emit(MEMBER_EXITED, actor=actor, member=member)
    record(moves, actor=ROTATION)
    audit.record(
        actor=actor,
        action=AuditAction.EXIT_FOLLOWUP_MEMBER,
        obj=member,
        meta={"reason": str(reason), "from_status": before},
    )
    return member


def move_to_survivor(absorbed: Customer, survivor: Customer) -> int:
    """Merge mover: the absorbed customer's memberships follow the person (see above)."""
    if not Member.objects.filter(customer_id=absorbed.pk).exists():
        return 0
    Hand.lock_desk()
    if _open(survivor.pk).exists():
        member_exit(actor=EXITS, customer=absorbed, reason=ExitReason.MERGED)
    return Member.objects.filter(customer_id=absorbed.pk).update(customer_id=survivor.pk)
