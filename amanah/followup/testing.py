"""Objects for the project-wide view permission table (amanah/core/tests/test_view_permissions)."""

from __future__ import annotations

from django.utils import timezone

from amanah.calendars.schedules import schedule_for_branch
from amanah.calendars.worktime import next_working_moment
from amanah.core.actors import SystemActor
from amanah.followup import services
from amanah.followup.models import DeskAgent, EntryReason

SYSTEM = SystemActor("system:test")


def _member_held_by(user, customer):
    """A member of ``customer`` held by ``user`` (an agent of the desk, added if need be): the
    other agents are full (capacity 0) while it is enrolled, so the rotation's own hand-out
    gives it to them — nobody moves a member by hand, not even a test."""
    agent = DeskAgent.objects.filter(user=user).first() or services.desk_agent_add(
        actor=SYSTEM, user=user
    )
    others = list(DeskAgent.objects.exclude(pk=agent.pk).filter(capacity__gt=0))
    for other in others:
        services.desk_agent_capacity_set(actor=SYSTEM, agent=other, capacity=0)
    member = services.member_enrol(
        actor=SYSTEM,
        customer=customer,
        entry_reason=EntryReason.OTHER,
        deposit_target="1000",
        now=at_work(user),
    )
    for other in others:
        services.desk_agent_capacity_set(actor=SYSTEM, agent=other, capacity=other.capacity)
    assert member.current_agent_id == agent.pk
    return member


def at_work(user):
    """Now if the user is at work (home branch's calendar), else when work next starts: the
    moment a member can be handed to them whatever the wall clock says."""
    return next_working_moment(schedule_for_branch(user.home_branch), timezone.now())


def member_kwargs(world: dict, key: str = "b") -> dict:
    """A member of branch ``key``'s customer held by that branch's agent (staff_a/staff_b):
    for an agent of the other one, another agent's member; for a monitor of the other branch,
    a member out of scope."""
    name = f"followup_member_{key}"
    if name not in world:
        world[name] = _member_held_by(world[f"staff_{key}"], world[f"customer_{key}"])
    return {"member_id": world[name].pk}


def other_member_kwargs(world: dict) -> dict:
    """A member held by another agent (staff_b): out of the signed-in agent's scope."""
    return member_kwargs(world, "b")


def own_member_kwargs(world: dict, user) -> dict:
    """A member held by the signed-in agent."""
    return {"member_id": _member_held_by(user, world["customer_a"]).pk}


def log_data(world: dict) -> dict:
    return {"kind": "CALL", "note": "Ditelepon, belum diangkat"}


def approve_reminder_template(author, approver):
    """The desk's WhatsApp reminder (``followup.reminder``, COLLECTION) written by ``author``
    and approved by ``approver`` (four eyes), through the template services."""
    from amanah.messaging import template_services as ts
    from amanah.messaging.template_seeds import SEEDS

    fields = next(s for s in SEEDS if s["key"] == "followup.reminder")
    template = ts.template_create(actor=author, **fields)
    version = template.versions.get()
    ts.template_version_submit(actor=author, version=version)
    ts.template_version_approve(actor=approver, version=version, note="Disetujui")
    return version


def _agent_of(world: dict, staff: str):
    key = f"followup_agent_{staff}"
    if key not in world:
        user = world[staff]
        world[key] = DeskAgent.objects.filter(user=user).first() or services.desk_agent_add(
            actor=SYSTEM, user=user
        )
    return world[key]


def _absence_of(world: dict, staff: str):
    from datetime import timedelta

    from amanah.calendars.contract import staff_absence_record

    key = f"followup_absence_{staff}"
    if key not in world:
        start = timezone.now() + timedelta(days=7)
        world[key] = staff_absence_record(
            actor=SYSTEM,
            user=_agent_of(world, staff).user,
            kind="LEAVE",
            starts_at=start,
            ends_at=start + timedelta(days=2),
        )
    return world[key]


def _absence_data(world: dict) -> dict:
    from datetime import timedelta

    start = timezone.localtime() + timedelta(days=3)
    return {
        "kind": "LEAVE",
        "starts_at": start.strftime("%Y-%m-%dT%H:%M"),
        "ends_at": (start + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M"),
        "note": "Cuti tahunan",
    }


def _view_cases():
    from amanah.calendars.policies import ABSENCE_MANAGE
    from amanah.core.testing import ViewCase
    from amanah.followup.policies import DESK_MANAGE, DESK_MONITOR

    return [
        ViewCase("followup:agents", DESK_MONITOR),
        # Monitors see the members of their branches' customers (issue 51: a supervisor of
        # another branch saw the customer's name and deposit state here).
        ViewCase(
            "followup:member",
            DESK_MONITOR,
            kwargs=lambda w: member_kwargs(w, "a"),
            out_of_scope=lambda w: member_kwargs(w, "b"),
        ),
        ViewCase(
            "followup:agent_add",
            DESK_MANAGE,
            method="post",
            data=lambda w: {"user": w["staff_a"].pk, "capacity": "10"},
            ok_status=(303,),
        ),
        ViewCase("followup:order_set", DESK_MANAGE, method="post", ok_status=(303,)),
        ViewCase(
            "followup:capacity_set",
            DESK_MANAGE,
            method="post",
            kwargs=lambda w: {"agent_id": _agent_of(w, "staff_b").pk},
            data=lambda w: {"capacity": "5"},
            ok_status=(303,),
        ),
        ViewCase(
            "followup:absence_add",
            ABSENCE_MANAGE,
            method="post",
            kwargs=lambda w: {"agent_id": _agent_of(w, "staff_a").pk},
            out_of_scope=lambda w: {"agent_id": _agent_of(w, "staff_b").pk},
            data=_absence_data,
            ok_status=(303,),
        ),
        ViewCase(
            "followup:absence_cancel",
            ABSENCE_MANAGE,
            method="post",
            kwargs=lambda w: {"absence_id": _absence_of(w, "staff_a").pk},
            out_of_scope=lambda w: {"absence_id": _absence_of(w, "staff_b").pk},
            ok_status=(303,),
        ),
    ]


VIEW_CASES = _view_cases()
