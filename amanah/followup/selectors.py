"""Reads of the desk, always scoped by the actor (``Member.objects.visible_to``)."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Count, OuterRef, Prefetch, Q, QuerySet, Subquery, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from amanah.calendars.contract import absent_user_ids, on_duty_user_ids
from amanah.consent.contract import reason_label, with_contact_checks
from amanah.core.errors import NotFound
from amanah.core.masking import mask_account
from amanah.customers.models import Customer
from amanah.followup.models import (
    WITH_AGENT,
    Deposit,
    Desk,
    DeskAgent,
    FollowUpLog,
    Member,
    MemberStatus,
    RejectedDeposit,
    Rotation,
)
from amanah.followup.services.logs import CONTACT_CHANNEL, CONTACT_PURPOSE, TEMPLATE_KEY
from amanah.messaging.contract import CUSTOMER_ADDRESS, TemplateNotApproved, approved_version

# Why the hub did not send a follow-up WhatsApp, beyond the contact rule's own reasons.
NOT_SENT_LABELS = {
    "no_address": _("Nasabah tidak punya nomor WhatsApp"),
    "no_template": _("Templat WhatsApp tindak lanjut belum disetujui"),
    "cancelled": _("Dibatalkan oleh pusat pesan"),
}
# The contact rule's answers that only ask to wait: the message is queued for later.
WAITS = frozenset({"OUTSIDE_WINDOW", "FREQUENCY_CAP"})


def not_sent_label(code: str) -> str:
    """The Indonesian label of a refusal: the hub's own, else the contact rule's."""
    return str(NOT_SENT_LABELS[code]) if code in NOT_SENT_LABELS else reason_label(code)


def window_hours() -> int:
    """How long an agent holds a member (``Desk.window_hours``), as the agents' page says it:
    the desk's setting, not a number written into the page."""
    return Desk.objects.values_list("window_hours", flat=True).get(pk=1)


def my_members(*, actor) -> QuerySet[Member]:
    """The members the actor holds now, the window ending soonest first, with their follow-up
    log (previous agents' lines included: the history comes with the member)."""
    logs = FollowUpLog.objects.select_related("agent").order_by("-at", "-id")
    return (
        Member.objects.visible_to(actor)
        .filter(status__in=WITH_AGENT, current_agent__user_id=actor.pk)
        .select_related("customer")
        .prefetch_related(Prefetch("logs", queryset=logs))
        .order_by("window_end", "id")
    )


def agent_sequences(member_ids) -> dict[int, list[int]]:
    """Each member's agents so far, in order (their numbers when they got it), one query;
    the caller passes members it already read through ``visible_to``."""
    out: dict[int, list[int]] = {}
    rows = (
        Rotation.objects.filter(member_id__in=list(member_ids), to_position__isnull=False)
        .order_by("member_id", "id")
        .values_list("member_id", "to_position")
    )
    for member_id, position in rows:
        out.setdefault(member_id, []).append(position)
    return out


def whatsapp_verdicts(members, at=None) -> dict:
    """Per member (its customer id), whether a follow-up WhatsApp may go now, by the published
    contact rule in its set form (one query for the page) plus the hub's own conditions:
    ``{"code": "", "label": ""}`` when it may, a refusal's code and label otherwise, and
    ``wait`` for a contact that would be queued for later (outside the window, a cap)."""
    members = list(members)
    at = at or timezone.now()
    try:
        template = bool(approved_version(TEMPLATE_KEY, CONTACT_CHANNEL))
    except TemplateNotApproved:
        template = False
    rows = with_contact_checks(
        Customer.objects.filter(pk__in=[m.customer_id for m in members]),
        CONTACT_PURPOSE,
        CONTACT_CHANNEL,
        at,
    ).values_list("pk", "contact_reason", CUSTOMER_ADDRESS[CONTACT_CHANNEL])
    verdicts = {}
    for pk, reason, address in rows:
        code = "no_address" if not address else "no_template" if not template else reason
        verdicts[pk] = {
            "code": code,
            "label": not_sent_label(code) if code else "",
            "wait": code in WAITS,
        }
    return verdicts


def member_get(*, actor, member_id) -> Member:
    member = (
        Member.objects.visible_to(actor)
        .select_related("customer", "current_agent__user")
        .filter(pk=member_id)
        .first()
    )
    if member is None:
        raise NotFound()
    return member


def member_story(*, actor, member: Member) -> dict:
    """A member's rotations, follow-ups and deposits, oldest first (the caller got the member
    through ``member_get``)."""
    return {
        "rotations": Rotation.objects.visible_to(actor)
        .filter(member=member)
        .select_related("from_agent__user", "to_agent__user")
        .order_by("id"),
        "logs": FollowUpLog.objects.visible_to(actor)
        .filter(member=member)
        .select_related("agent__user")
        .order_by("at", "id"),
        "deposits": Deposit.objects.visible_to(actor)
        .filter(member=member)
        .select_related("agent")
        .order_by("deposited_at", "id"),
    }


def due_soon(*, actor, hours: int = 6, limit: int = 100) -> QuerySet[Member]:
    until = timezone.now() + timedelta(hours=hours)
    return (
        Member.objects.visible_to(actor)
        .filter(status__in=WITH_AGENT, window_end__lte=until)
        .select_related("customer", "current_agent__user")
        .order_by("window_end", "id")[:limit]
    )


def rotations_recent(*, actor, limit: int = 100) -> QuerySet[Rotation]:
    return (
        Rotation.objects.visible_to(actor)
        .select_related("member__customer", "from_agent__user", "to_agent__user")
        .order_by("-at", "-id")[:limit]
    )


def agent_loads(*, actor) -> list[dict]:
    """Each agent with its load, capacity and whether it is away now (monitors only: the
    caller's view requires the permission; the rows are the desk's own)."""
    visible = Member.objects.visible_to(actor).filter(status__in=WITH_AGENT)
    agents = DeskAgent.objects.select_related("user").annotate(
        load=Count("members", filter=Q(members__in=visible))
    )
    now = timezone.now()
    agents = list(agents.order_by("position"))
    away = absent_user_ids(now, [a.user_id for a in agents])
    users = [a.user_id for a in agents]
    on_duty = on_duty_user_ids(now, users) if settings.FOLLOWUP_WORKING_HOURS else set(users)
    return [
        {
            "id": a.pk,
            "position": a.position,
            "name": a.user.full_name,
            "load": a.load,
            "capacity": a.capacity,
            "full": a.load >= a.capacity,
            "away": a.user_id in away or not a.is_active,
            "off_duty": a.user_id not in on_duty,
        }
        for a in agents
    ]


def member_sequence(member: Member) -> list[int]:
    return list(
        member.rotations.filter(to_position__isnull=False)
        .order_by("id")
        .values_list("to_position", flat=True)
    )


def agent_performance(*, actor, start: datetime, end: datetime) -> list[dict]:
    """Per agent, for ``[start, end)`` (the daily report, the dashboard's week), with its load
    and capacity now (``agent_loads``):

    * ``assigned`` — members handed to the agent (rotation rows to it: new, rotated, waiting);
    * ``converted`` — of those, how many made a deposit while that agent held them (a deposit
      credited to the agent before the member's next rotation), whenever it came;
    * ``conversion`` — converted / assigned, in whole per cent (None without assignments);
    * ``followups`` — calls, WhatsApps and notes the agent logged in the period;
    * ``deposits``, ``deposit_amount`` — deposits credited to the agent in the period.

    Bounded whatever the number of members (the dashboard asks on every load; a week of a
    100,000-member desk is some 350,000 rotations): five grouped queries, each through
    ``visible_to(actor)`` (a monitor sees the whole desk), each a range scan of an index —

    * ``assigned`` and ``converted`` in one pass over the rotations of the period on
      ``followup_rotation_at`` (``at``, with the agent and reason in the index: no table
      reads). A conversion is found from the deposits' side, which are few: each deposit since
      ``start`` credited to an agent (``followup_deposit_received``) names the rotation that
      began that agent's hold of the member — the latest rotation of the member to that
      agent at or before the deposit (``followup_rotation_member``: member, id) — and a
      rotation of the period is converted when some deposit names it. The same answer as
      "a deposit to that agent before the member's next rotation" (``tests/test_dashboard``
      keeps the two forms side by side), without a lookup per rotation;
    * follow-ups on ``followup_log_at`` (``at``, agent); deposits on
      ``followup_deposit_received``; loads on the members' partial index by agent."""
    rotations = Rotation.objects.visible_to(actor).filter(
        at__gte=start, at__lt=end, to_agent__isnull=False
    )
    tenure = (
        Rotation.objects.filter(
            member_id=OuterRef("member_id"),
            to_agent_id=OuterRef("agent_id"),
            at__lte=OuterRef("received_at"),
        )
        .order_by("-id")
        .values("id")[:1]
    )
    converted_ids = (
        Deposit.objects.filter(received_at__gte=start, agent__isnull=False)
        .annotate(tenure=Subquery(tenure))
        .values("tenure")
    )
    handed = (
        rotations.values("to_agent_id")
        .annotate(assigned=Count("id"), converted=Count("id", filter=Q(id__in=converted_ids)))
        .order_by()
    )
    handed = {row["to_agent_id"]: row for row in handed}
    logs = dict(
        FollowUpLog.objects.visible_to(actor)
        .filter(at__gte=start, at__lt=end)
        .values("agent_id")
        .annotate(n=Count("id"))
        .values_list("agent_id", "n")
    )
    deposits = {
        row["agent_id"]: row
        for row in Deposit.objects.visible_to(actor)
        .filter(received_at__gte=start, received_at__lt=end, agent__isnull=False)
        .values("agent_id")
        .annotate(n=Count("id"), amount=Sum("amount"))
    }
    rows = []
    for agent in agent_loads(actor=actor):
        got = handed.get(agent["id"], {})
        assigned, converted = got.get("assigned", 0), got.get("converted", 0)
        paid_in = deposits.get(agent["id"], {})
        rows.append(
            {
                **agent,
                "assigned": assigned,
                "converted": converted,
                "conversion": round(100 * converted / assigned) if assigned else None,
                "followups": logs.get(agent["id"], 0),
                "deposits": paid_in.get("n", 0),
                "deposit_amount": paid_in.get("amount") or 0,
            }
        )
    return rows


def rotation_counts(*, actor, start: datetime, end: datetime) -> dict[str, int]:
    """Rotations in ``[start, end)`` by reason (new members included)."""
    return dict(
        Rotation.objects.visible_to(actor)
        .filter(at__gte=start, at__lt=end)
        .values("reason")
        .annotate(n=Count("id"))
        .values_list("reason", "n")
    )


def deposits_refused(*, limit: int = 50) -> list[RejectedDeposit]:
    """The newest deposit events the desk refused (unknown member, time in the future), each
    with its reason: the desk's part of the sync monitor. Desk-wide (the caller's view requires
    the monitor permission); the customer reference as sent is shown masked."""
    rows = list(RejectedDeposit.objects.order_by("-received_at")[:limit])
    for row in rows:
        row.customer_ref_masked = mask_account(row.customer_ref)
    return rows


def waiting_count(*, actor) -> int:
    return Member.objects.visible_to(actor).filter(status=MemberStatus.PENDING).count()


def desk_agents() -> QuerySet[DeskAgent]:
    """The desk's agents in order (desk-wide settings: the caller's view requires the
    permission)."""
    return DeskAgent.objects.select_related("user").order_by("position")


def desk_agent_get(*, agent_id) -> DeskAgent:
    """An agent of the desk (the desk's settings are one list for whoever may see them: the
    caller's view requires the permission)."""
    agent = DeskAgent.objects.select_related("user").filter(pk=agent_id).first()
    if agent is None:
        raise NotFound()
    return agent


def agent_candidates(*, actor) -> QuerySet:
    """Staff of the actor's branches who hold ``followdesk.work`` and are not on the desk yet."""
    from amanah.followup.policies import DESK_WORK
    from amanah.iam import authz
    from amanah.iam.contract import holders_of

    users = holders_of(DESK_WORK).exclude(desk_agent__isnull=False).order_by("full_name")
    return authz.filter_by_branch_scope(users, actor, field="home_branch")
