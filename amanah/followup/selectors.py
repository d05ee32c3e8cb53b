"""Reads of the desk, always scoped by the actor (``Member.objects.visible_to``)."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from amanah.calendars.contract import absent_user_ids, on_duty_user_ids
from amanah.core.errors import NotFound
from amanah.followup.models import WITH_AGENT, Desk, DeskAgent, Member, Rotation


def window_hours() -> int:
    """How long an agent holds a member (``Desk.window_hours``), as the agents' page says it:
    the desk's setting, not a number written into the page."""
    return Desk.objects.values_list("window_hours", flat=True).get(pk=1)


def my_members(*, actor) -> QuerySet[Member]:
    """The members the actor holds now, the window ending soonest first."""
    return (
        Member.objects.visible_to(actor)
        .filter(status__in=WITH_AGENT, current_agent__user_id=actor.pk)
        .select_related("customer")
        .prefetch_related("logs")
        .order_by("window_end", "id")
    )


def member_get(*, actor, member_id) -> Member:
    member = Member.objects.visible_to(actor).filter(pk=member_id).first()
    if member is None:
        raise NotFound()
    return member


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
        .select_related("member__customer")
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
