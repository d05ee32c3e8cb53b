import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied
from django.db import DatabaseError, connection, transaction
from django.test import Client
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from amanah.audit.models import AuditLog
from amanah.cases import services as cases
from amanah.cases.models import Case, CaseActivity, SlaPolicy
from amanah.cases.tests.conftest import WIB, at
from amanah.conftest import sign_in
from amanah.core.errors import NotFound, ServiceError
from amanah.core.roles import RoleKey as R
from amanah.iam import services as iam


def actions(case):
    return list(
        AuditLog.objects.filter(object_id=str(case.pk))
        .order_by("id")
        .values_list("action", flat=True)
    )


def test_intake_numbers_the_case_sets_sla_and_is_audited(open_case):
    first, second = open_case(), open_case(priority="HIGH")
    year = timezone.localtime(first.received_at).year  # the year in WIB, not the machine's
    assert first.case_no == f"PGD-{year}-000001" and second.case_no == f"PGD-{year}-000002"
    assert first.received_at < first.first_response_due_at <= first.sla_due_at
    assert first.warn_at < first.sla_due_at and first.regulatory_deadline_at > first.sla_due_at
    assert actions(first) == ["CREATE_CASE"]
    assert AuditLog.objects.get(object_id=str(first.pk)).meta["case_no"] == first.case_no


@pytest.mark.parametrize(
    ("field", "value", "code"),
    [
        ("channel", "FAX", "channel_required"),
        ("category_code", "NOPE", "category_required"),
        ("priority", "URGENT", "priority_required"),
        ("description", "rusak", "chronology_required"),
    ],
)
def test_required_fields_are_checked_and_nothing_is_created(customer, agent, field, value, code):
    data = {
        "customer": customer,
        "channel": "BRANCH",
        "category_code": "TRX_FAIL",
        "priority": "LOW",
        "description": "Kartu ATM tertelan di mesin cabang.",
    }
    data[field] = value
    with pytest.raises(ServiceError) as refused:
        cases.case_create(actor=agent, data=cases.CaseInput(**data))
    assert refused.value.code == code and not Case.objects.exists()


def test_no_applicable_sla_rule_is_refused_clearly(open_case):
    SlaPolicy.objects.filter(category_id="OTHER", priority="LOW").update(active=False)
    with pytest.raises(ServiceError) as refused:
        open_case(category="OTHER", priority="LOW")
    assert refused.value.code == "no_sla_rule" and "SLA" in refused.value.message
    assert not Case.objects.exists()


def test_evening_before_the_nyepi_and_idul_fitri_holidays_2026(open_case):
    # Tue 17 March 2026, 19:00 WIB. Wed 18 cuti bersama, Thu 19 Nyepi, Fri 20 cuti bersama,
    # Sat–Sun 21–22 Idul Fitri, Mon–Tue 23–24 cuti bersama: the clock starts Wed 25 at 08:00.
    with at(dt.datetime(2026, 3, 17, 19, 0, tzinfo=WIB)):
        case = open_case(priority="CRITICAL")  # first response 2 working hours, resolution 1 day
    assert case.first_response_due_at.astimezone(WIB) == dt.datetime(2026, 3, 25, 10, 0, tzinfo=WIB)
    assert case.sla_due_at.astimezone(WIB) == dt.datetime(2026, 3, 26, 16, 0, tzinfo=WIB)


def test_waiting_for_the_customer_pauses_the_resolution_clock(open_case, agent):
    with at(dt.datetime(2026, 6, 2, 9, 0, tzinfo=WIB)):  # Tuesday
        case = open_case(priority="HIGH")
        cases.case_change_status(actor=agent, case=case, to_status="IN_PROGRESS")
    due_before = Case.objects.get(pk=case.pk).sla_due_at
    with at(dt.datetime(2026, 6, 2, 10, 0, tzinfo=WIB)):
        cases.case_change_status(actor=agent, case=case, to_status="WAITING_INFO")
    with at(dt.datetime(2026, 6, 2, 14, 30, tzinfo=WIB)):  # 2h before lunch + 1.5h after = 3.5h
        case = cases.case_change_status(actor=agent, case=case, to_status="IN_PROGRESS")
    from amanah.calendars import worktime
    from amanah.calendars.schedules import schedule_for_branch

    moved = worktime.working_minutes_between(
        schedule_for_branch(case.branch), due_before, case.sla_due_at
    )
    assert case.paused_minutes == 210 and moved == 210 and case.paused_at is None


def test_status_changes_follow_the_machine_and_the_role(open_case, agent, supervisor):
    case = open_case()
    with pytest.raises(ServiceError):
        cases.case_change_status(actor=agent, case=case, to_status="CLOSED")
    cases.case_change_status(actor=agent, case=case, to_status="IN_PROGRESS")
    cases.case_escalate(actor=supervisor, case=case, reason="butuh unit kartu kantor pusat")
    with pytest.raises(PermissionDenied):  # only a supervisor takes an escalated case back
        cases.case_change_status(actor=agent, case=case, to_status="IN_PROGRESS")
    cases.case_change_status(actor=supervisor, case=case, to_status="IN_PROGRESS")
    kinds = list(CaseActivity.objects.filter(case=case).values_list("activity_type", flat=True))
    assert kinds == ["STATUS_CHANGE", "STATUS_CHANGE", "ESCALATE", "STATUS_CHANGE"]


def test_close_is_refused_without_final_response_by_service_api_and_database(
    open_case, agent, supervisor
):
    case = open_case()
    with pytest.raises(ServiceError) as refused:
        cases.case_close(actor=agent, case=case, resolution_code="REFUND")
    assert refused.value.code == "final_response_required"
    from amanah.core.actors import SystemActor

    _t, raw = iam.api_token_create(actor=SystemActor("t"), user=agent, role="AGENT", name="t")
    api = Client().post(
        f"/api/v1/cases/{case.pk}/close",
        {"resolution_code": "REFUND"},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {raw}",
    )
    assert api.status_code == 400 and api.json()["code"] == "final_response_required"
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE cases_case SET status = 'CLOSED' WHERE id = %s", [case.pk])
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "UPDATE cases_case SET status = 'CLOSED', final_response = 'singkat' WHERE id = %s",
            [case.pk],
        )
    assert Case.objects.get(pk=case.pk).status == "NEW"


def test_final_response_then_close_end_to_end(open_case, agent):
    case = open_case()
    with pytest.raises(ServiceError):
        cases.case_final_response(
            actor=agent, case=case, text="terlalu pendek", resolution_code="REFUND"
        )
    case = cases.case_final_response(
        actor=agent,
        case=case,
        text="Dana Rp 2.500.000 telah dikembalikan ke rekening.",
        resolution_code="REFUND",
    )
    assert case.status == "RESOLVED" and case.resolved_at
    case = cases.case_close(actor=agent, case=case, resolution_code="refund")
    assert (case.status, case.closed_by, case.resolution_code) == ("CLOSED", agent, "REFUND")
    assert actions(case) == ["CREATE_CASE", "FINAL_RESPONSE", "CLOSE_CASE"]


def test_the_closed_case_page_has_no_staff_csat_form(open_case, agent):
    """CSAT is the customer's own answer (the surveys app: a signed link after the close), not
    a score a member of staff picks on the case page (it started preselected on 1 and stayed
    outside the survey metrics): no form, no route."""
    case = open_case()
    case = cases.case_final_response(
        actor=agent,
        case=case,
        text="Dana Rp 2.500.000 telah dikembalikan ke rekening.",
        resolution_code="REFUND",
    )
    case = cases.case_close(actor=agent, case=case, resolution_code="refund")
    page = sign_in(Client(), agent).get(reverse("cases:detail", args=[case.pk]))
    assert page.status_code == 200 and "Survei kepuasan (CSAT)" not in page.content.decode()
    with pytest.raises(NoReverseMatch):
        reverse("cases:survey", args=[case.pk])
    assert not hasattr(cases, "case_record_survey")


def test_an_agent_cannot_touch_another_agents_case(open_case, make_user, branch_a):
    case = open_case()
    colleague = make_user(R.AGENT, branches=[branch_a])
    for attempt in (
        lambda: cases.case_add_note(actor=colleague, case=case, message="ikut campur"),
        lambda: cases.case_final_response(
            actor=colleague,
            case=case,
            text="Saya jawab kasus orang lain ya.",
            resolution_code="REFUND",
        ),
        lambda: cases.case_change_status(actor=colleague, case=case, to_status="IN_PROGRESS"),
    ):
        with pytest.raises(NotFound):
            attempt()
    response = sign_in(Client(), colleague).get(f"/cases/{case.pk}/")
    assert response.status_code == 404


def test_assignment_gives_the_assignee_access_and_a_notification(
    open_case, supervisor, make_user, branch_a, branch_b
):
    case = open_case()
    other_agent = make_user(R.AGENT, branches=[branch_a])
    with pytest.raises(PermissionDenied):
        cases.case_assign(actor=other_agent, case=case, assignee=other_agent)
    with pytest.raises(ServiceError):  # not of this branch
        cases.case_assign(
            actor=supervisor, case=case, assignee=make_user(R.AGENT, branches=[branch_b])
        )
    cases.case_assign(actor=supervisor, case=case, assignee=other_agent)
    cases.case_add_note(actor=other_agent, case=case, message="Nasabah dihubungi via telepon.")
    assert other_agent.notifications.filter(title__contains=case.case_no).exists()
    event = AuditLog.objects.get(action="ASSIGN_CASE", object_id=str(case.pk))
    assert event.meta == {"from": None, "to": other_agent.username}


def test_ojk_extension_once_with_reason_and_notice(open_case, supervisor):
    case = open_case()
    with pytest.raises(ServiceError):
        cases.case_extend(
            actor=supervisor, case=case, reason="menunggu data switching", customer_notified=False
        )
    due = case.sla_due_at
    case = cases.case_extend(
        actor=supervisor, case=case, reason="menunggu data switching", customer_notified=True
    )
    assert case.sla_due_at > due and case.extended_at
    with pytest.raises(ServiceError) as refused:
        cases.case_extend(
            actor=supervisor, case=case, reason="lagi dan lagi ya", customer_notified=True
        )
    assert refused.value.code == "already_extended"


def test_a_policy_change_applies_to_new_cases_only(open_case, make_user):
    old = open_case(priority="LOW")
    admin = make_user(R.ADMIN)
    new_policy = cases.sla_policy_save(
        actor=admin,
        category_code="TRX_FAIL",
        priority="LOW",
        first_response_value=1,
        first_response_unit="HOURS",
        resolution_value=2,
        resolution_unit="DAYS",
    )
    new = open_case(priority="LOW")
    assert Case.objects.get(pk=old.pk).sla_policy.version == 1 and new.sla_policy == new_policy
    assert new_policy.version == 2 and new.sla_due_at < Case.objects.get(pk=old.pk).sla_due_at
    assert AuditLog.objects.filter(action="CHANGE_WORKFLOW", object_id=str(new_policy.pk)).exists()
    with pytest.raises(PermissionDenied):
        cases.sla_policy_save(
            actor=make_user(R.SUPERVISOR),
            category_code="TRX_FAIL",
            priority="LOW",
            first_response_value=1,
            first_response_unit="HOURS",
            resolution_value=2,
            resolution_unit="DAYS",
        )


def test_root_cause_is_for_supervisors(open_case, agent, supervisor):
    case = open_case()
    with pytest.raises(PermissionDenied):
        cases.case_set_root_cause(actor=agent, case=case, root_cause="SYSTEM_BUG")
    assert (
        cases.case_set_root_cause(actor=supervisor, case=case, root_cause="SYSTEM_BUG").root_cause
        == "SYSTEM_BUG"
    )


def test_only_a_staff_note_is_the_first_response_not_the_system_or_the_customer(open_case, agent):
    """``sla.is_first_response``: a system annotation (an area incident resolved) or the
    customer writing again leaves the first-response clock running; staff's note stops it."""
    from amanah.cases.models import ActivityType, NoteKind
    from amanah.cases.policies import CASE_UPDATE, CASE_VIEW, CASE_VIEW_BRANCH
    from amanah.core.actors import IntegrationActor

    case = open_case()
    system = IntegrationActor(
        "test-annotator", permissions=(CASE_VIEW, CASE_VIEW_BRANCH, CASE_UPDATE), all_branches=True
    )
    note = cases.case_add_note(
        actor=system, case=case, message="Gangguan wilayah ditangani.", kind=NoteKind.SYSTEM
    )
    cases.case_add_note(actor=agent, case=case, message="Saya tulis lagi", kind=NoteKind.CUSTOMER)
    case.refresh_from_db()
    assert note.activity_type == ActivityType.SYSTEM_NOTE and case.first_responded_at is None
    audited = AuditLog.objects.filter(object_id=str(case.pk), action="UPDATE_CASE")
    assert {a.meta["activity"] for a in audited} == {"SYSTEM_NOTE", "NOTE"}
    staff = cases.case_add_note(actor=agent, case=case, message="Nasabah kami hubungi.")
    case.refresh_from_db()
    assert staff.activity_type == ActivityType.NOTE and case.first_responded_at is not None
