import pytest
from django.test import Client

from amanah.audit.models import AuditLog
from amanah.cases import services as cases
from amanah.conftest import sign_in
from amanah.core.errors import NotFound, ServiceError
from amanah.core.roles import RoleKey as R
from amanah.notifications.models import Notification
from amanah.sales.followups import followup_complete, followup_for_closed_case
from amanah.sales.models import FollowUpTask, Lead
from amanah.sales.tests.conftest import set_marketing


@pytest.fixture
def close_case(agent):
    """Open, answer and close a case as the agent; returns the closed case."""

    def close(customer, category="TRX_FAIL"):
        case = cases.case_create(
            actor=agent,
            data=cases.CaseInput(
                customer=customer,
                channel="BRANCH",
                category_code=category,
                priority="MEDIUM",
                description="Transfer gagal tetapi saldo terpotong Rp 1.000.000.",
            ),
        )
        cases.case_final_response(
            actor=agent,
            case=case,
            text="Dana sudah dikembalikan ke rekening nasabah.",
            resolution_code="REFUND",
        )
        return cases.case_close(actor=agent, case=case, resolution_code="REFUND")

    return close


def test_consent_granted_and_not_sensitive_makes_one_task_for_the_handler(
    make_customer, close_case, agent
):
    customer = make_customer(marketing="GRANTED", products={"has_mobile_banking": False})
    case = close_case(customer)
    task = FollowUpTask.objects.get(case=case)
    assert (task.status, task.assigned_to, task.customer, task.template) == (
        "OPEN",
        agent,
        customer,
        "SERVICE_ACTIVATION",  # no mobile banking yet: offer the activation
    )
    assert Notification.objects.filter(user=agent, dedupe_key=f"followup-new:{task.pk}").exists()
    assert task.created_by == agent  # written by whoever closed the case, and audited
    created = AuditLog.objects.get(object_id=str(task.pk), action="CREATE_FOLLOWUP")
    assert created.actor_username == agent.username
    assert followup_for_closed_case(case, actor=agent) == task  # idempotent
    assert FollowUpTask.objects.count() == 1


def test_no_task_for_a_customer_on_the_do_not_contact_list(make_customer, close_case, agent):
    from amanah.consent.services import suppression_add

    customer = make_customer(marketing="GRANTED")
    suppression_add(actor=agent, customer=customer, reason="minta tidak dihubungi")
    case = close_case(customer)
    assert case.status == "CLOSED" and not FollowUpTask.objects.exists()


def test_the_customers_rm_gets_the_task_when_there_is_one(
    make_customer, close_case, rm, in_portfolio
):
    customer = in_portfolio(make_customer(marketing="GRANTED"), rm)
    task = FollowUpTask.objects.get(case=close_case(customer))
    assert task.assigned_to == rm


@pytest.mark.parametrize("consent", ["WITHDRAWN", None])
def test_no_task_without_marketing_consent(make_customer, close_case, consent):
    case = close_case(make_customer(marketing=consent))
    assert case.status == "CLOSED" and not FollowUpTask.objects.exists()


def test_no_task_for_a_sensitive_category(make_customer, close_case):
    case = close_case(make_customer(marketing="GRANTED"), category="FRAUD_SCAM")
    assert case.status == "CLOSED" and not FollowUpTask.objects.exists()


def test_no_task_while_another_sensitive_case_is_open(make_customer, close_case, agent):
    customer = make_customer(marketing="GRANTED")
    cases.case_create(
        actor=agent,
        data=cases.CaseInput(
            customer=customer,
            channel="CALL_CENTER",
            category_code="FRAUD_SCAM",
            priority="HIGH",
            description="Ditelepon mengaku petugas bank, diminta OTP.",
        ),
    )
    close_case(customer)
    assert not FollowUpTask.objects.exists()


@pytest.fixture
def task(make_customer, close_case):
    return FollowUpTask.objects.get(case=close_case(make_customer(marketing="GRANTED")))


def test_done_with_reason_may_hand_a_lead_to_the_rm(task, agent, rm):
    done = followup_complete(
        actor=agent,
        task=task,
        outcome="DONE",
        reason="Nasabah diedukasi, tertarik notifikasi transaksi",
        create_lead=True,
        product_interest="Notifikasi transaksi",
    )
    lead = Lead.objects.get()
    assert (done.status, done.lead, done.completed_by) == ("DONE", lead, agent)
    assert (lead.source_type, lead.source_id, lead.assigned_to) == ("SERVICE_FOLLOWUP", task.pk, rm)
    actions = AuditLog.objects.filter(object_id=str(task.pk)).values_list("action", flat=True)
    assert list(actions.order_by("id")) == ["CREATE_FOLLOWUP", "FOLLOWUP_DONE"]
    with pytest.raises(ServiceError) as again:
        followup_complete(actor=agent, task=task, outcome="SKIPPED", reason="sudah dicatat")
    assert again.value.code == "transition_not_allowed"  # the engine: DONE is final


def test_skipped_needs_a_reason_and_makes_no_lead(task, agent):
    # The engine: a missing reason is a required field, a short one fails the guard.
    for reason, code in (("", "field_required"), ("tdk", "guard_failed")):
        with pytest.raises(ServiceError) as refused:
            followup_complete(actor=agent, task=task, outcome="SKIPPED", reason=reason)
        assert (refused.value.code, refused.value.field) == (code, "reason")
    with pytest.raises(ServiceError) as refused:
        followup_complete(
            actor=agent,
            task=task,
            outcome="SKIPPED",
            reason="tidak bisa dihubungi",
            create_lead=True,
        )
    assert refused.value.code == "lead_needs_done"
    with pytest.raises(ServiceError):
        followup_complete(actor=agent, task=task, outcome="MAYBE", reason="belum tahu")
    skipped = followup_complete(
        actor=agent, task=task, outcome="SKIPPED", reason="Nasabah tidak bisa dihubungi"
    )
    assert (skipped.status, skipped.outcome_reason) == ("SKIPPED", "Nasabah tidak bisa dihubungi")
    assert AuditLog.objects.filter(object_id=str(task.pk)).latest("id").action == "FOLLOWUP_SKIPPED"
    assert not Lead.objects.exists()


def test_consent_is_checked_again_before_a_lead_is_made(task, agent, system):
    set_marketing(system, task.customer, "WITHDRAWN")
    with pytest.raises(ServiceError) as refused:
        followup_complete(
            actor=agent, task=task, outcome="DONE", reason="sudah dihubungi", create_lead=True
        )
    assert refused.value.code == "not_eligible"
    assert FollowUpTask.objects.get(pk=task.pk).status == "OPEN" and not Lead.objects.exists()


def test_tasks_are_scoped_own_for_agents_branch_for_supervisors(
    task, agent, make_user, branch_a, branch_b, supervisor
):
    other_agent = make_user(R.AGENT, branches=[branch_a])
    with pytest.raises(NotFound):
        followup_complete(actor=other_agent, task=task, outcome="DONE", reason="sudah dihubungi")
    elsewhere = make_user(R.SUPERVISOR, branches=[branch_b])
    assert not FollowUpTask.objects.visible_to(elsewhere).exists()
    assert list(FollowUpTask.objects.visible_to(supervisor)) == [task]

    client = sign_in(Client(), agent)
    page = client.get("/sales/followups/").content.decode()
    assert task.case.case_no in page and f"/sales/followups/{task.pk}/complete/" in page
    assert (
        task.case.case_no
        not in sign_in(Client(), other_agent).get("/sales/followups/").content.decode()
    )
    response = client.post(
        f"/sales/followups/{task.pk}/complete/", {"outcome": "DONE", "reason": "Edukasi anti-scam"}
    )
    assert response.status_code == 303
    assert FollowUpTask.objects.get(pk=task.pk).status == "DONE"


def test_a_follow_up_without_a_reason_is_refused_with_a_message(task, agent):
    client = sign_in(Client(), agent)
    refused = client.post(
        f"/sales/followups/{task.pk}/complete/", {"outcome": "DONE", "reason": ""}, follow=True
    )
    assert refused.redirect_chain == [("/sales/followups/", 303)]
    assert "Pilih hasil dan tuliskan alasannya." in refused.content.decode()
    assert FollowUpTask.objects.get(pk=task.pk).status == "OPEN"


# --------------------------------------------------------------------------- call tasks


def test_a_call_task_has_a_due_day_goes_to_the_rm_and_is_completed_like_a_follow_up(
    make_customer, supervisor, rm, in_portfolio, make_user, branch_b
):
    """An accepted call (insight's NBA CALL) as a task: due on a day, for the customer's RM,
    audited; a bad day or a customer out of scope writes nothing."""
    from datetime import timedelta

    from django.utils import timezone

    from amanah.sales.followups import call_task_create

    customer = in_portfolio(make_customer(), rm)
    today = timezone.localdate()
    for bad in (today - timedelta(days=1), today + timedelta(days=91), "besok", None):
        with pytest.raises(ServiceError) as refused:
            call_task_create(actor=supervisor, customer=customer, due_on=bad)
        assert refused.value.code == "due_invalid"
    with pytest.raises(NotFound):
        call_task_create(
            actor=make_user(R.SUPERVISOR, branches=[branch_b]), customer=customer, due_on=today
        )
    assert not FollowUpTask.objects.exists()
    task = call_task_create(actor=supervisor, customer=customer, due_on=today + timedelta(days=3))
    assert (task.template, task.case_id, task.assigned_to, task.due_on) == (
        "CALL",
        None,
        rm,
        today + timedelta(days=3),
    )
    assert AuditLog.objects.filter(action="CREATE_FOLLOWUP", object_id=str(task.pk)).exists()
    followup_complete(actor=rm, task=task, outcome="DONE", reason="Sudah ditelepon, nasabah puas.")
    task.refresh_from_db()
    assert task.status == "DONE" and task.completed_by == rm
    page = sign_in(Client(), rm).get("/sales/followups/?status=DONE").content.decode()
    assert "Telepon nasabah" in page
