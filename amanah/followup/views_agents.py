"""The desk's agents and their absences, for ADMIN and supervisors (issue 20): add an agent,
set the order 1..N, set a capacity (``followdesk.manage``); record or withdraw leave and off
days (``calendar.absence.manage``, a supervisor for their own branches' staff). Thin views over
the services through ``core.view_helpers``; nothing here moves a member (an absence starting
now hands the agent's members on by the rotation's rules, AGENT_UNAVAILABLE)."""

from __future__ import annotations

from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from amanah.calendars import selectors as calendars
from amanah.calendars.contract import (
    ABSENCE_MANAGE,
    staff_absence_cancel,
    staff_absence_record,
)
from amanah.core.view_helpers import run_action
from amanah.core.views import requires
from amanah.followup import selectors, services
from amanah.followup.forms import AbsenceForm, AgentAddForm, CapacityForm, OrderForm
from amanah.followup.policies import DESK_MANAGE, DESK_MONITOR
from amanah.iam import authz


def _back() -> str:
    return reverse("followup:agents")


@requires(DESK_MONITOR)
def agents(request):
    actor = request.user
    rows = selectors.agent_loads(actor=actor)
    desk_agents = list(selectors.desk_agents())
    absences = calendars.absences_ahead(
        actor=actor, user_ids=[a.user_id for a in desk_agents], now=timezone.now()
    ).order_by("starts_at")
    can_manage = authz.has_perm(actor, DESK_MANAGE)
    return render(
        request,
        "followup/agents.html",
        {
            "rows": rows,
            "absences": absences,
            "can_manage": can_manage,
            "can_record_absence": authz.has_perm(actor, ABSENCE_MANAGE),
            "add_form": AgentAddForm(candidates=selectors.agent_candidates(actor=actor))
            if can_manage
            else None,
            "order_form": OrderForm(agents=desk_agents) if can_manage else None,
            "absence_form": AbsenceForm(),
            "window_hours": selectors.window_hours(),
        },
    )


@requires(DESK_MANAGE)
@require_POST
def agent_add(request):
    form = AgentAddForm(request.POST, candidates=selectors.agent_candidates(actor=request.user))

    def add():
        agent = services.desk_agent_add(
            actor=request.user,
            user=form.cleaned_data["user"],
            capacity=form.cleaned_data["capacity"],
        )
        return _("%(name)s menjadi agen %(n)s.") % {
            "name": agent.user.full_name,
            "n": agent.position,
        }

    return run_action(request, add, back=_back(), form=form)


@requires(DESK_MANAGE)
@require_POST
def order_set(request):
    form = OrderForm(request.POST, agents=selectors.desk_agents())

    def save():
        services.desk_order_set(actor=request.user, order=form.order())
        return _("Urutan agen disimpan.")

    return run_action(request, save, back=_back(), form=form)


@requires(DESK_MANAGE)
@require_POST
def capacity_set(request, agent_id):
    agent = selectors.desk_agent_get(agent_id=agent_id)
    form = CapacityForm(request.POST)

    def save():
        agent_now = services.desk_agent_capacity_set(
            actor=request.user, agent=agent, capacity=form.cleaned_data["capacity"]
        )
        return _("Kapasitas agen %(n)s: %(c)s.") % {
            "n": agent_now.position,
            "c": agent_now.capacity,
        }

    return run_action(request, save, back=_back(), form=form, about=agent.user.full_name)


@requires(ABSENCE_MANAGE)
@require_POST
def absence_add(request, agent_id):
    agent = selectors.desk_agent_get(agent_id=agent_id)
    form = AbsenceForm(request.POST)

    def add():
        staff_absence_record(
            actor=request.user,
            user=agent.user,
            kind=form.cleaned_data["kind"],
            starts_at=form.cleaned_data["starts_at"],
            ends_at=form.cleaned_data["ends_at"],
            note=form.cleaned_data["note"],
        )
        return _("Ketidakhadiran agen %(n)s dicatat.") % {"n": agent.position}

    return run_action(request, add, back=_back(), form=form, about=agent.user.full_name)


@requires(ABSENCE_MANAGE)
@require_POST
def absence_cancel(request, absence_id):
    absence = calendars.absence_get(actor=request.user, absence_id=absence_id)

    def cancel():
        staff_absence_cancel(actor=request.user, absence=absence)
        return _("Ketidakhadiran dibatalkan. Member yang sudah dipindah tetap di agen barunya.")

    return run_action(request, cancel, back=_back())
