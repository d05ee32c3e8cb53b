"""Cases on the workflow engine (issue 11 D): every status change is a move of ``cases.case``
with the permission, guard and required fields of its row in the transition table; history,
audit and events follow; the case page offers what the engine offers."""

import re

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client

from amanah.audit.models import AuditLog
from amanah.cases import services as cases
from amanah.cases.models import Case, CaseActivity
from amanah.conftest import sign_in
from amanah.core import registry
from amanah.core.errors import ServiceError
from amanah.core.events import EventHandler
from amanah.core.roles import RoleKey as R
from amanah.iam import authz
from amanah.iam.models import RolePermission
from amanah.workflow.contract import available_transitions, history_for, transition_apply
from amanah.workflow.models import Transition, TransitionHistory
from amanah.workflow.services import transition_update

ANSWER = "Dana Rp 2.500.000 telah dikembalikan ke rekening nasabah."


def _history(case) -> list[tuple[str, str]]:
    return [
        (line.from_status, line.to_status)
        for line in TransitionHistory.objects.filter(
            workflow__key="cases.case", object_id=str(case.pk)
        ).order_by("id")
    ]


def _audit(case) -> list[AuditLog]:
    return list(AuditLog.objects.filter(object_id=str(case.pk)).order_by("id"))


def _row(frm, to) -> Transition:
    return Transition.objects.get(workflow__key="cases.case", from_status=frm, to_status=to)


def _written(case) -> tuple[int, int, int]:
    return (
        TransitionHistory.objects.filter(object_id=str(case.pk)).count(),
        AuditLog.objects.filter(object_id=str(case.pk)).count(),
        CaseActivity.objects.filter(case=case).count(),
    )


def test_the_case_workflow_is_data_with_matrix_permissions(db):
    moves = {
        (t.from_status, t.to_status): t
        for t in Transition.objects.filter(workflow__key="cases.case")
    }
    assert set(moves) == {
        ("NEW", "IN_PROGRESS"),
        ("IN_PROGRESS", "WAITING_INFO"),
        ("WAITING_INFO", "IN_PROGRESS"),
        ("ESCALATED", "IN_PROGRESS"),
        ("RESOLVED", "IN_PROGRESS"),
        ("NEW", "ESCALATED"),
        ("IN_PROGRESS", "ESCALATED"),
        ("WAITING_INFO", "ESCALATED"),
        ("NEW", "RESOLVED"),
        ("IN_PROGRESS", "RESOLVED"),
        ("ESCALATED", "RESOLVED"),
        ("RESOLVED", "CLOSED"),
        ("CLOSED", "IN_PROGRESS"),
        *((source, "CANCELLED") for source in ("NEW", "IN_PROGRESS", "WAITING_INFO", "ESCALATED")),
    }
    assert moves[("RESOLVED", "IN_PROGRESS")].permission == "case.reopen"
    reopen = moves[("CLOSED", "IN_PROGRESS")]
    assert (reopen.permission, reopen.guard, reopen.required_fields) == (
        "case.reopen",
        "cases.case.within_reopen_window",
        ["reason"],
    )
    duplicate = moves[("NEW", "CANCELLED")]
    assert (duplicate.permission, duplicate.guard, duplicate.required_fields) == (
        "case.close",
        "cases.case.duplicate_target_valid",
        ["duplicate_of"],
    )
    assert moves[("ESCALATED", "IN_PROGRESS")].permission == "case.reopen"
    close = moves[("RESOLVED", "CLOSED")]
    assert (close.permission, close.guard, close.required_fields) == (
        "case.close",
        "cases.case.has_final_response",
        ["resolution_code"],
    )
    assert not hasattr(cases, "TRANSITIONS")  # no second, hand-written machine


def test_a_whole_life_writes_one_history_line_and_the_same_audit_rows_as_before(
    open_case, agent, supervisor
):
    case = open_case()
    case = cases.case_change_status(actor=agent, case=case, to_status="IN_PROGRESS", note="cek")
    case = cases.case_change_status(actor=agent, case=case, to_status="WAITING_INFO")
    assert case.paused_at is not None
    case = cases.case_change_status(actor=agent, case=case, to_status="IN_PROGRESS")
    assert case.paused_at is None
    case = cases.case_escalate(actor=supervisor, case=case, reason="butuh unit kartu pusat")
    case = cases.case_final_response(
        actor=supervisor, case=case, text=ANSWER, resolution_code="REFUND"
    )
    case = cases.case_close(actor=supervisor, case=case, resolution_code=" refund ")

    assert _history(case) == [
        ("NEW", "IN_PROGRESS"),
        ("IN_PROGRESS", "WAITING_INFO"),
        ("WAITING_INFO", "IN_PROGRESS"),
        ("IN_PROGRESS", "ESCALATED"),
        ("ESCALATED", "RESOLVED"),
        ("RESOLVED", "CLOSED"),
    ]
    rows = _audit(case)
    assert [r.action for r in rows] == [
        "CREATE_CASE",
        "UPDATE_CASE",
        "UPDATE_CASE",
        "UPDATE_CASE",
        "ESCALATE_CASE",
        "FINAL_RESPONSE",
        "CLOSE_CASE",
    ]
    update, escalate, answer, close = rows[1].meta, rows[4].meta, rows[5].meta, rows[6].meta
    assert (update["from"], update["to"]) == ("NEW", "IN_PROGRESS")
    assert update["workflow"] == "cases.case"
    assert (escalate["level"], escalate["from"], escalate["reason"]) == (1, "IN_PROGRESS", "manual")
    assert answer["length"] == len(ANSWER) and answer["within_sla"] is True
    assert close["resolution_code"] == "REFUND"
    # Free text stays in the case and its activity line, never in history or the trail.
    everything = str([r.meta for r in rows]) + str(
        list(TransitionHistory.objects.filter(object_id=str(case.pk)).values_list("data"))
    )
    assert "dikembalikan" not in everything and "kartu pusat" not in everything
    case = Case.objects.get(pk=case.pk)
    assert (case.status, case.escalation_level, case.resolution_code) == ("CLOSED", 1, "REFUND")
    assert case.closed_by == supervisor and case.resolved_at and case.closed_at
    activities = CaseActivity.objects.filter(case=case).order_by("id")
    kinds = list(activities.values_list("activity_type", "message"))
    assert kinds[1] == ("STATUS_CHANGE", "cek") and kinds[-1] == ("STATUS_CHANGE", "REFUND")
    assert ("ESCALATE", "butuh unit kartu pusat") in kinds and ("FINAL_RESPONSE", ANSWER) in kinds
    assert [line.to_status for line in history_for(supervisor, case)][0] == "CLOSED"


def test_every_move_emits_the_workflow_event_and_a_close_also_cases_case_closed(open_case, agent):
    seen = []
    listen = [
        registry.event_handlers.temporarily(
            f"{event}:test-listener",
            EventHandler(event, lambda *, actor, event=event, **kw: seen.append(event)),
        )
        for event in ("cases.case.transitioned", "cases.case_closed")
    ]
    case = open_case()
    with listen[0], listen[1]:
        case = cases.case_final_response(
            actor=agent, case=case, text=ANSWER, resolution_code="REFUND"
        )
        cases.case_close(actor=agent, case=case, resolution_code="REFUND")
    assert seen == ["cases.case.transitioned", "cases.case.transitioned", "cases.case_closed"]


def test_reopen_is_the_matrix_permission_case_reopen_not_a_role(open_case, agent, supervisor):
    case = open_case()
    case = cases.case_final_response(actor=agent, case=case, text=ANSWER, resolution_code="REFUND")
    before = _written(case)
    with pytest.raises(PermissionDenied):
        cases.case_change_status(actor=agent, case=case, to_status="IN_PROGRESS")
    assert _written(case) == before and Case.objects.get(pk=case.pk).status == "RESOLVED"

    RolePermission.objects.create(role_id=R.AGENT, permission="case.reopen")
    authz.forget(agent)
    case = cases.case_change_status(actor=agent, case=case, to_status="IN_PROGRESS", note="lagi")
    assert (case.status, case.final_response, case.resolved_at) == ("IN_PROGRESS", None, None)
    with pytest.raises(ServiceError) as refused:  # a new final response first
        cases.case_close(actor=supervisor, case=case, resolution_code="REFUND")
    assert refused.value.code == "final_response_required"


def test_a_transition_switched_off_by_admin_is_neither_offered_nor_taken(
    open_case, agent, make_user
):
    admin = make_user(R.ADMIN)
    row = _row("IN_PROGRESS", "WAITING_INFO")
    case = cases.case_change_status(actor=agent, case=open_case(), to_status="IN_PROGRESS")
    assert "WAITING_INFO" in {m.to_status for m in available_transitions(agent, case)}
    transition_update(
        actor=admin, transition=row, permission=row.permission, guard=row.guard, enabled=False
    )
    assert "WAITING_INFO" not in {m.to_status for m in available_transitions(agent, case)}
    with pytest.raises(ServiceError) as refused:
        cases.case_change_status(actor=agent, case=case, to_status="WAITING_INFO")
    assert refused.value.code == "transition_not_allowed"
    assert Case.objects.get(pk=case.pk).paused_at is None


def test_the_guards_hold_for_any_caller_of_the_engine(open_case, agent):
    case = open_case()
    before = _written(case)
    with pytest.raises(ServiceError) as short:
        transition_apply(
            actor=agent, obj=case, to="RESOLVED", final_response="singkat", resolution_code="REFUND"
        )
    assert (short.value.code, short.value.field) == ("guard_failed", "resolution_code")
    with pytest.raises(ServiceError) as no_code:
        transition_apply(actor=agent, obj=case, to="RESOLVED", final_response=ANSWER)
    assert (no_code.value.code, no_code.value.field) == ("field_required", "resolution_code")
    with pytest.raises(ServiceError) as free_text:  # not in the configured list
        transition_apply(
            actor=agent, obj=case, to="RESOLVED", final_response=ANSWER, resolution_code="DONE"
        )
    assert free_text.value.code == "guard_failed"
    assert _written(case) == before and Case.objects.get(pk=case.pk).status == "NEW"
    case = cases.case_final_response(actor=agent, case=case, text=ANSWER, resolution_code="REFUND")
    before = _written(case)
    with pytest.raises(ServiceError) as no_code:
        transition_apply(actor=agent, obj=case, to="CLOSED")
    assert no_code.value.code == "field_required"
    assert _written(case) == before and Case.objects.get(pk=case.pk).status == "RESOLVED"


@pytest.mark.parametrize(
    ("move", "code"),
    [
        (lambda c, a: cases.case_change_status(actor=a, case=c, to_status="CLOSED"), None),
        (lambda c, a: cases.case_change_status(actor=a, case=c, to_status="\x00"), None),
        (lambda c, a: cases.case_escalate(actor=a, case=c, reason="x"), "reason_required"),
        (
            lambda c, a: cases.case_final_response(
                actor=a, case=c, text="  ", resolution_code="REFUND"
            ),
            None,
        ),
        (lambda c, a: cases.case_close(actor=a, case=c, resolution_code="X"), None),
    ],
)
def test_a_refused_move_writes_nothing(open_case, supervisor, move, code):
    case = open_case()
    before = _written(case)
    with pytest.raises(ServiceError) as refused:
        move(case, supervisor)
    assert code is None or refused.value.code == code
    assert _written(case) == before
    assert Case.objects.get(pk=case.pk).status == "NEW"


def test_an_escalated_case_goes_one_level_up_without_a_status_move(open_case, supervisor):
    case = cases.case_escalate(actor=supervisor, case=open_case(), reason="kantor pusat perlu")
    case = cases.case_escalate(actor=supervisor, case=case, reason="masih belum ada jawaban")
    assert (case.status, case.escalation_level) == ("ESCALATED", 2)
    assert _history(case) == [("NEW", "ESCALATED")]
    levels = [r.meta["level"] for r in _audit(case) if r.action == "ESCALATE_CASE"]
    assert levels == [1, 2]


def _buttons(client, case) -> set[str]:
    page = client.get(f"/cases/{case.pk}/").content.decode()
    form = re.search(r'data-testid="status-form".*?</form>', page, re.S)
    return set(re.findall(r'name="to" value="([A-Z_]+)"', form.group(0))) if form else set()


def test_the_case_page_offers_the_moves_the_engine_offers(open_case, agent, supervisor):
    case = cases.case_escalate(actor=supervisor, case=open_case(), reason="kantor pusat perlu")
    as_agent, as_supervisor = sign_in(Client(), agent), sign_in(Client(), supervisor)
    assert _buttons(as_agent, case) == set()  # taking an escalated case back: supervisors
    assert _buttons(as_supervisor, case) == {"IN_PROGRESS"}
    escalated_page = as_supervisor.get(f"/cases/{case.pk}/").content.decode()
    assert 'data-testid="escalate-form"' in escalated_page  # one level up
    response = as_supervisor.post(f"/cases/{case.pk}/status/", {"to": "IN_PROGRESS"})
    assert response.status_code in (302, 303)
    assert Case.objects.get(pk=case.pk).status == "IN_PROGRESS"
    assert _buttons(as_agent, case) == {"WAITING_INFO"}
    page = as_agent.get(f"/cases/{case.pk}/").content.decode()
    assert 'data-testid="final-response-form"' in page
    assert 'data-testid="escalate-form"' not in page  # escalation: case.assign


def test_a_move_the_page_did_not_offer_is_refused_on_the_page_not_a_500(open_case, agent):
    case = open_case()
    response = sign_in(Client(), agent).post(f"/cases/{case.pk}/status/", {"to": "CLOSED"})
    assert response.status_code in (302, 303, 400)
    assert Case.objects.get(pk=case.pk).status == "NEW"


def _api(user, role):
    from amanah.core.actors import SystemActor
    from amanah.iam import services as iam

    _t, raw = iam.api_token_create(actor=SystemActor("t"), user=user, role=role, name="t")
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}")


def test_the_api_lists_the_engines_moves_and_makes_hand_moves(
    open_case, agent, supervisor, make_user, branch_a
):
    case = open_case()
    api = _api(agent, "AGENT")
    listed = api.get(f"/api/v1/cases/{case.pk}/moves").json()
    assert {m["to_status"]: m["required_fields"] for m in listed} == {
        "IN_PROGRESS": [],
        "RESOLVED": ["final_response", "resolution_code"],
        "CANCELLED": ["duplicate_of"],
    }
    url = f"/api/v1/cases/{case.pk}/status"
    moved = api.post(url, {"to_status": "IN_PROGRESS", "note": "dicek"}, "application/json")
    assert moved.status_code == 200 and moved.json()["status"] == "IN_PROGRESS"
    refused = api.post(url, {"to_status": "CLOSED"}, "application/json")
    assert refused.status_code == 400 and refused.json()["code"] == "transition_not_allowed"
    cases.case_escalate(actor=supervisor, case=case, reason="kantor pusat perlu")
    assert api.post(url, {"to_status": "IN_PROGRESS"}, "application/json").status_code == 403
    colleague = _api(make_user(R.AGENT, branches=[branch_a]), "AGENT")
    assert colleague.get(f"/api/v1/cases/{case.pk}/moves").status_code == 404
    assert colleague.post(url, {"to_status": "IN_PROGRESS"}, "application/json").status_code == 404
    assert _history(case) == [("NEW", "IN_PROGRESS"), ("IN_PROGRESS", "ESCALATED")]
