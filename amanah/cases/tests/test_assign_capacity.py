"""A manual assignment respects routing capacity and leave (issue 16): the assign dialogs mark
who is full or away, and giving them a case needs the supervisor's "tetap tugaskan" — then
the audit row says what was overridden."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from amanah.audit.models import AuditLog
from amanah.calendars.contract import AbsenceKind, staff_absence_record
from amanah.cases import routing
from amanah.cases import services as cases
from amanah.cases.models import Case
from amanah.conftest import sign_in
from amanah.core.errors import ServiceError
from amanah.core.roles import RoleKey as R


@pytest.fixture
def full_agent(make_user, branch_a, system):
    """An agent with their own routing capacity of one, not yet holding anything."""
    user = make_user(R.AGENT, branches=[branch_a], username="penuh", full_name="Agen Penuh")
    routing.routing_rule_save(
        actor=system,
        data=routing.RuleInput(
            name="Uji kapasitas",
            category_code="OTHER",  # not the cases below: the rule itself hands out nothing
            members=(routing.MemberInput(user.pk, 1),),
        ),
    )
    return user


def _on_leave_today(user, system) -> None:
    now = timezone.now()
    staff_absence_record(
        actor=system,
        user=user,
        kind=AbsenceKind.LEAVE,
        starts_at=now - timedelta(hours=1),
        ends_at=now + timedelta(days=1),
    )


def test_a_full_agent_is_refused_without_confirmation_and_taken_with_it(
    open_case, supervisor, full_agent
):
    first, second = open_case(), open_case()
    cases.case_assign(actor=supervisor, case=first, assignee=full_agent)  # 0/1: fine
    with pytest.raises(ServiceError) as refused:
        cases.case_assign(actor=supervisor, case=second, assignee=full_agent)
    assert refused.value.code == "assignee_busy"
    assert "penuh (1 dari 1" in refused.value.message
    assert Case.objects.get(pk=second.pk).assigned_to is None
    cases.case_assign(actor=supervisor, case=second, assignee=full_agent, confirm_busy=True)
    assert Case.objects.get(pk=second.pk).assigned_to == full_agent
    row = AuditLog.objects.filter(object_id=str(second.pk), action="ASSIGN_CASE").get()
    assert row.meta["busy"] == {"away": False, "open": 1, "capacity": 1}
    plain = AuditLog.objects.filter(object_id=str(first.pk), action="ASSIGN_CASE").get()
    assert "busy" not in plain.meta


def test_an_agent_on_leave_needs_the_confirmation(open_case, supervisor, agent, system):
    _on_leave_today(agent, system)
    case = open_case()
    with pytest.raises(ServiceError) as refused:
        cases.case_assign(actor=supervisor, case=case, assignee=agent)
    assert "cuti/absen" in refused.value.message
    cases.case_assign(actor=supervisor, case=case, assignee=agent, confirm_busy=True)
    row = AuditLog.objects.filter(object_id=str(case.pk), action="ASSIGN_CASE").get()
    assert row.meta["busy"]["away"] is True


def test_the_case_page_marks_the_busy_and_the_dialog_asks_to_confirm(
    open_case, supervisor, full_agent, agent
):
    held = open_case()
    cases.case_assign(actor=supervisor, case=held, assignee=full_agent)
    case = open_case()
    client = sign_in(Client(), supervisor)
    page = client.get(reverse("cases:detail", args=[case.pk])).content.decode()
    assert "Agen Penuh — penuh (1/1)" in page
    assert f"{agent.full_name} — 0 kasus terbuka" in page  # in no rule: no capacity
    assert 'name="confirm_busy"' in page
    refused = client.post(
        reverse("cases:assign", args=[case.pk]), {"assignee": str(full_agent.pk)}, follow=True
    )
    assert "Tetap tugaskan" in refused.content.decode()
    assert Case.objects.get(pk=case.pk).assigned_to is None
    client.post(
        reverse("cases:assign", args=[case.pk]),
        {"assignee": str(full_agent.pk), "confirm_busy": "on"},
    )
    assert Case.objects.get(pk=case.pk).assigned_to == full_agent


def test_bulk_assign_fills_up_to_capacity_then_refuses_unless_confirmed(
    open_case, supervisor, full_agent
):
    made = [open_case() for _ in range(3)]
    result = cases.case_assign_many(
        actor=supervisor, case_ids=[c.pk for c in made], assignee=full_agent
    )
    assert result.assigned == 1 and len(result.refused) == 2
    assert all("penuh" in reason for reason in result.refused.values())
    client = sign_in(Client(), supervisor)
    queue = client.get(reverse("cases:queue")).content.decode()
    assert "Agen Penuh — penuh (1/1)" in queue and 'name="confirm_busy"' in queue
    client.post(
        reverse("cases:queue_assign"),
        {
            "assignee": str(full_agent.pk),
            "case_ids": [str(c.pk) for c in made],
            "confirm_busy": "on",
        },
    )
    assert Case.objects.filter(assigned_to=full_agent).count() == 3
    rows = AuditLog.objects.filter(action="ASSIGN_CASE", meta__to="penuh")
    assert rows.count() == 3 and rows.filter(meta__busy__isnull=False).count() == 2


def test_the_loads_of_any_number_of_handlers_come_from_one_kept_statement_each(
    open_case, supervisor, full_agent, agent, system
):
    """Capacities, open cases and absences are prepared reads taking the ids as one
    parameter: a dialog of one handler and one of three share their statements, and the
    answers follow the data."""
    from amanah.core import prepared

    cases.case_assign(actor=supervisor, case=open_case(), assignee=full_agent)
    prepared.clear()
    assert routing.workloads([full_agent.pk]) == {full_agent.pk: routing.Workload(1, 1, False)}
    assert len(prepared._KEPT) == 3  # capacities, open cases, absences
    _on_leave_today(agent, system)
    cases.case_assign(actor=supervisor, case=open_case(), assignee=agent, confirm_busy=True)
    kept = len(prepared._KEPT)
    loads = routing.workloads([agent.pk, full_agent.pk, supervisor.pk])
    assert loads == {
        agent.pk: routing.Workload(1, None, True),
        full_agent.pk: routing.Workload(1, 1, False),
        supervisor.pk: routing.Workload(0, None, False),
    }
    assert routing.open_case_counts([]) == {}
    assert len(prepared._KEPT) == kept
