"""Next Best Action, Accept and outcome: each action type of the seven seed rules creates its
work through the owning app's service (a call, a lead, the case's priority raised, a merchant
recommendation, a message through the hub), and the outcome is recorded from the facts that
follow (a transaction after the offer, the lead won, the case closed, the message delivered)
or FAILED by the expiry job — each fed into the rule's propensity once."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.utils import timezone

from amanah.audit.models import AuditLog
from amanah.cases import services as cases
from amanah.cases.models import Case, CaseActivity
from amanah.consent.services import consent_change
from amanah.core.errors import ServiceError
from amanah.core.roles import RoleKey as R
from amanah.insight.merchants.models import MerchantRecommendation
from amanah.insight.nba.evaluate import evaluate
from amanah.insight.nba.models import NbaDecision, NbaRule
from amanah.insight.nba.outcomes import from_message_status, nba_outcomes_expire
from amanah.insight.nba.services import nba_decide
from amanah.insight.services import rfm_run_compute
from amanah.insight.testing import approve_merchant_template, book, closed_case, merchant_make
from amanah.messaging.models import Message
from amanah.messaging.template_defaults import templates_install_defaults
from amanah.sales import services as sales
from amanah.sales.models import FollowUpTask, Lead

GOOD = {"channel": "BRANCH", "verification_method": "IN_PERSON"}
MEDAN = (3.5897, 98.6797)


@pytest.fixture
def agent(make_user, branch_a):
    return make_user(R.AGENT, branches=[branch_a])


@pytest.fixture
def supervisor(make_user, branch_a):
    return make_user(R.SUPERVISOR, branches=[branch_a])


@pytest.fixture
def rm(make_user, branch_a):
    return make_user(R.RM, branches=[branch_a])


@pytest.fixture
def at_risk(system, make_customer, agent):
    customer = make_customer(phone="081234567890")
    book(system, customer, days_ago=200, amount=30_000_000, count=6)
    rfm_run_compute(actor=system)
    consent_change(
        actor=agent, customer=customer, consent_type="MARKETING", new_status="GRANTED", **GOOD
    )
    return customer


def _accept(actor, customer, code, **kw) -> NbaDecision:
    return nba_decide(
        actor=actor, customer_id=customer.pk, rule_code=code, decision="ACCEPTED", **kw
    )


def _rule(code) -> tuple[int, int]:
    rule = NbaRule.objects.get(pk=code)
    return rule.successes, rule.outcomes


def _codes(customer, actor) -> list[str]:
    return [r.rule_code for r in evaluate(customer, actor).items]


# --------------------------------------------------------------------------- CALL


def test_retention_call_succeeds_when_the_customer_transacts_again(at_risk, supervisor, system):
    decision = _accept(supervisor, at_risk, "AT_RISK_RETENTION")
    task = FollowUpTask.objects.get(customer=at_risk)
    assert task.template == "CALL" and task.due_on is not None
    assert decision.created_ref == f"sales.FollowUpTask:{task.pk}"
    book(system, at_risk, days_ago=1)  # booked before the Accept: not its result
    decision.refresh_from_db()
    assert decision.outcome == "PENDING" and _rule("AT_RISK_RETENTION") == (0, 0)
    book(system, at_risk, days_ago=0)
    decision.refresh_from_db()
    assert decision.outcome == "SUCCESS" and decision.outcome_at is not None
    assert _rule("AT_RISK_RETENTION") == (1, 1)
    book(system, at_risk, days_ago=0)  # a second transaction settles nothing again
    assert _rule("AT_RISK_RETENTION") == (1, 1)
    row = AuditLog.objects.filter(action="RECORD_NBA_OUTCOME").get()
    assert row.meta == {"outcome": "SUCCESS", "source": "transaction"}


# --------------------------------------------------------------------------- OFFER_PRODUCT


def test_offer_creates_a_lead_and_the_won_lead_is_its_success(at_risk, supervisor, rm):
    decision = _accept(supervisor, at_risk, "FEATURE_ACTIVATION")
    lead = Lead.objects.get(customer=at_risk)
    assert decision.created_ref == f"sales.Lead:{lead.pk}"
    assert lead.product_interest == "Ajak aktivasi fitur baru" and lead.assigned_to == rm
    sales.lead_move(actor=supervisor, lead=lead, to_status="CLOSED_WON", reason="Aktivasi QRIS")
    decision.refresh_from_db()
    assert decision.outcome == "SUCCESS" and _rule("FEATURE_ACTIVATION") == (1, 1)


def test_a_lost_lead_is_the_offer_failed(at_risk, supervisor, rm):
    decision = _accept(supervisor, at_risk, "FEATURE_ACTIVATION")
    lead = Lead.objects.get(customer=at_risk)
    sales.lead_move(actor=supervisor, lead=lead, to_status="CLOSED_LOST", reason="Tidak minat")
    decision.refresh_from_db()
    assert decision.outcome == "FAILED" and _rule("FEATURE_ACTIVATION") == (0, 1)


# --------------------------------------------------------------------------- PRIORITIZE_CASE


def test_case_priority_is_raised_through_cases_and_closing_it_is_the_success(
    make_customer, agent, supervisor
):
    customer = make_customer()
    case = cases.case_create(
        actor=agent,
        data=cases.CaseInput(
            customer=customer,
            channel="BRANCH",
            category_code="TRX_FAIL",
            priority="MEDIUM",
            description="Transfer gagal tetapi saldo terpotong, mohon dicek.",
        ),
    )
    Case.objects.filter(pk=case.pk).update(sla_due_at=timezone.now() - timedelta(days=1))
    decision = _accept(supervisor, customer, "CASE_OVERDUE", related_id=str(case.pk))
    case.refresh_from_db()
    assert case.priority == "HIGH" and decision.created_ref == f"cases.Case:{case.pk}"
    line = CaseActivity.objects.filter(case=case, meta__priority_to="HIGH").get()
    assert line.meta["priority_from"] == "MEDIUM"
    assert AuditLog.objects.filter(
        action="UPDATE_CASE", object_id=str(case.pk), meta__to="HIGH"
    ).exists()
    cases.case_change_status(actor=agent, case=case, to_status="IN_PROGRESS")
    cases.case_final_response(
        actor=agent,
        case=case,
        text="Dana sudah dikembalikan ke rekening nasabah hari ini.",
        resolution_code="REFUND",
    )
    cases.case_close(actor=agent, case=case)
    decision.refresh_from_db()
    assert decision.outcome == "SUCCESS" and _rule("CASE_OVERDUE") == (1, 1)


def test_case_prioritize_refuses_bad_input_and_closed_cases(make_customer, agent, system):
    customer = make_customer()
    case = closed_case(agent, customer, category="TRX_FAIL")
    with pytest.raises(ServiceError) as refused:
        cases.case_prioritize(actor=agent, case=case, reason="x")
    assert refused.value.field == "reason"
    with pytest.raises(ServiceError) as refused:
        cases.case_prioritize(actor=agent, case=case, reason="Nasabah prioritas")
    assert refused.value.code == "case_not_open"
    assert Case.objects.get(pk=case.pk).priority == "MEDIUM"


# --------------------------------------------------------------------------- MERCHANT_PROMO


def test_merchant_promo_sends_the_recommendation_and_a_purchase_is_its_success(
    make_customer, system, supervisor, make_user, settings
):
    settings.CONTACT_WINDOWS = {}
    customer = make_customer(phone="081234567890")
    merchant_make("QR-HOME", lat=MEDAN[0], lon=MEDAN[1], promo="")
    book(system, customer, days_ago=10, category="FNB", merchant_id="QR-HOME", count=3)
    consent_change(
        actor=supervisor, customer=customer, consent_type="MARKETING", new_status="GRANTED", **GOOD
    )
    far = merchant_make("QR-FAR", lat=3.80, lon=98.90)  # ~35 km: not "in the city"
    assert "LOCAL_MERCHANT" not in _codes(customer, supervisor)
    near = merchant_make("QR-NEAR", lat=3.5900, lon=98.6800)
    result = evaluate(customer, supervisor)
    promo = next(r for r in result.items if r.rule_code == "LOCAL_MERCHANT")
    assert promo.related_entity_id == str(near.pk) != str(far.pk)
    with pytest.raises(ServiceError) as refused:  # no approved template: nothing written
        _accept(supervisor, customer, "LOCAL_MERCHANT", related_id=str(near.pk))
    assert refused.value.code == "no_template" and not NbaDecision.objects.exists()
    approve_merchant_template(make_user(R.MARKETING), make_user(R.COMPLIANCE))
    decision = _accept(supervisor, customer, "LOCAL_MERCHANT", related_id=str(near.pk))
    sent = MerchantRecommendation.objects.get(customer=customer)
    assert sent.merchant_id == near.pk and sent.status == "SENT"
    assert decision.created_ref == f"insight.MerchantRecommendation:{sent.pk}"
    book(system, customer, category="FNB", merchant_id="QR-FAR")  # elsewhere: not the promo's
    decision.refresh_from_db()
    assert decision.outcome == "PENDING"
    book(system, customer, category="FNB", merchant_id="QR-NEAR")
    decision.refresh_from_db()
    sent.refresh_from_db()
    assert decision.outcome == "SUCCESS" and sent.status == "CONVERTED"


# --------------------------------------------------------------------------- EDUCATE / GREET


def test_anti_scam_education_goes_through_the_hub_and_delivery_is_its_success(
    make_customer, system, agent, supervisor, settings
):
    settings.CONTACT_WINDOWS = {}
    customer = make_customer(phone="081234567890")
    closed_case(agent, customer)  # FRAUD_SCAM, closed
    assert "ANTI_SCAM_EDUCATION" in _codes(customer, supervisor)
    with pytest.raises(ServiceError) as refused:
        _accept(supervisor, customer, "ANTI_SCAM_EDUCATION")
    assert refused.value.code == "no_template" and not NbaDecision.objects.exists()
    templates_install_defaults()
    decision = _accept(supervisor, customer, "ANTI_SCAM_EDUCATION")
    message = Message.objects.get(source_id=f"nba:{decision.pk}")
    assert (message.channel, message.purpose) == ("WHATSAPP", "SERVICE")
    assert "PIN" in message.text
    assert decision.created_ref == f"messaging.Message:{message.pk}"
    message.status = "SENT"
    from_message_status(actor=system, message=message)
    decision.refresh_from_db()
    assert decision.outcome == "PENDING"
    message.status = "DELIVERED"
    from_message_status(actor=system, message=message)
    decision.refresh_from_db()
    assert decision.outcome == "SUCCESS" and _rule("ANTI_SCAM_EDUCATION") == (1, 1)


def test_birthday_greeting_of_a_champion(make_customer, system, supervisor, settings):
    settings.CONTACT_WINDOWS = {}
    today = timezone.localdate()
    soon = today + timedelta(days=3)
    born = date(soon.year - 30, soon.month, min(soon.day, 28))
    customer = make_customer(phone="081234567890", birth_date=born)
    book(system, customer, days_ago=1, amount=2_500_000, count=50)
    rfm_run_compute(actor=system)
    templates_install_defaults()
    decision = _accept(supervisor, customer, "CHAMPION_BIRTHDAY")
    message = Message.objects.get(source_id=f"nba:{decision.pk}")
    assert message.template_key == "insight.nba_greet" and "ulang tahun" in message.text
    message.status = "FAILED"
    from_message_status(actor=system, message=message)
    decision.refresh_from_db()
    assert decision.outcome == "FAILED" and _rule("CHAMPION_BIRTHDAY") == (0, 1)


# --------------------------------------------------------------------------- expiry


def test_pending_outcomes_expire_as_failed_batched_and_once(at_risk, supervisor, rm):
    first = _accept(supervisor, at_risk, "AT_RISK_RETENTION")
    second = _accept(supervisor, at_risk, "FEATURE_ACTIVATION")
    fresh_customer_decision = NbaDecision.objects.filter(pk=second.pk)
    NbaDecision.objects.filter(pk=first.pk).update(decided_at=timezone.now() - timedelta(days=31))
    fresh_customer_decision.update(decided_at=timezone.now() - timedelta(days=40))
    assert nba_outcomes_expire(batch_size=1) == 2
    assert set(NbaDecision.objects.values_list("outcome", flat=True)) == {"FAILED"}
    assert _rule("AT_RISK_RETENTION") == (0, 1) and _rule("FEATURE_ACTIVATION") == (0, 1)
    assert nba_outcomes_expire() == 0  # idempotent
    assert NbaRule.objects.get(pk="AT_RISK_RETENTION").propensity == pytest.approx(1 / 3)


def test_a_recent_pending_outcome_does_not_expire(at_risk, supervisor):
    _accept(supervisor, at_risk, "AT_RISK_RETENTION")
    assert nba_outcomes_expire() == 0
    assert NbaDecision.objects.get().outcome == "PENDING"
