"""Next Best Action: rules as data (seeded, validated, changed with four eyes), the arbitration
(contactability first, then applicability, then the score with each factor), decisions,
outcomes fed into the propensity, and a bounded number of queries for one customer."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from amanah.audit.models import AuditLog
from amanah.cases import services as cases
from amanah.cases.models import Case
from amanah.consent.services import consent_change, suppression_add
from amanah.core import registry
from amanah.core.contributions import Ratio
from amanah.core.errors import CONFLICT, ServiceError
from amanah.core.roles import RoleKey as R
from amanah.customers.services import portfolio_assign
from amanah.insight.nba import conditions
from amanah.insight.nba import dashboard as nba_dashboard
from amanah.insight.nba.evaluate import days_to_birthday, evaluate
from amanah.insight.nba.models import NbaDecision, NbaRule, NbaRuleChange
from amanah.insight.nba.services import (
    RuleInput,
    nba_decide,
    nba_outcome_record,
    nba_rule_change_move,
    nba_rule_propose,
)
from amanah.insight.services import rfm_run_compute
from amanah.insight.testing import book
from amanah.sales import services as sales
from amanah.sales.models import FollowUpTask, Lead, RmActivity

GOOD = {"channel": "BRANCH", "verification_method": "IN_PERSON"}
SEED_CODES = {
    "CASE_OVERDUE",
    "AT_RISK_RETENTION",
    "FEATURE_ACTIVATION",
    "LEAD_FOLLOW_UP",
    "LOCAL_MERCHANT",
    "ANTI_SCAM_EDUCATION",
    "CHAMPION_BIRTHDAY",
}


@pytest.fixture
def agent(make_user, branch_a):
    return make_user(R.AGENT, branches=[branch_a])


@pytest.fixture
def supervisor(make_user, branch_a):
    return make_user(R.SUPERVISOR, branches=[branch_a])


@pytest.fixture
def rm(make_user, branch_a):
    """The branch's RM: new leads go to them."""
    return make_user(R.RM, branches=[branch_a])


@pytest.fixture
def at_risk(system, make_customer, agent):
    """AT_RISK (bought a lot, long ago), marketing consent granted, never contacted."""
    customer = make_customer()
    book(system, customer, days_ago=200, amount=30_000_000, count=6)
    rfm_run_compute(actor=system)
    consent_change(
        actor=agent, customer=customer, consent_type="MARKETING", new_status="GRANTED", **GOOD
    )
    return customer


def _codes(result) -> list[str]:
    return [r.rule_code for r in result.items]


def _overdue_case(agent, customer) -> Case:
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
    return case


# --------------------------------------------------------------------------- rules as data


def test_the_seven_seed_rules_are_data(db):
    rules = {r.code: r for r in NbaRule.objects.all()}
    assert set(rules) >= SEED_CODES
    for code in SEED_CODES:
        rule = rules[code]
        assert conditions.clean_condition(rule.condition) == rule.condition
        conditions.clean_template(rule.reason_template)
        assert rule.title and rule.action_type and rule.priority
    assert rules["CASE_OVERDUE"].related_entity_type == "CASE"
    assert rules["LEAD_FOLLOW_UP"].related_entity_type == "LEAD"
    assert rules["AT_RISK_RETENTION"].priority == "HIGH"


@pytest.mark.parametrize(
    ("condition", "code", "named"),
    [
        ([], "condition_empty", ""),
        (None, "condition_empty", ""),
        ([{"fact": "saldo", "op": "eq", "value": 1}], "condition_unknown_fact", "saldo"),
        ([{"fact": "rfm_segment", "op": "gt", "value": "AT_RISK"}], "condition_invalid", ""),
        ([{"fact": "rfm_segment", "op": "eq", "value": "KAYA"}], "condition_invalid", ""),
        ([{"fact": "days_since_contact", "op": "gte", "value": True}], "condition_invalid", ""),
        ([{"fact": "days_since_contact", "op": "gte", "value": 10**9}], "condition_invalid", ""),
        ([{"fact": "open_case", "op": "eq"}], "condition_invalid", ""),
        (["open_case"], "condition_invalid", ""),
        ([{"fact": "x\x00", "op": "eq", "value": 1}], "condition_unknown_fact", ""),
    ],
)
def test_bad_conditions_are_refused_with_the_fact_named(condition, code, named):
    with pytest.raises(ServiceError) as refused:
        conditions.clean_condition(condition)
    assert refused.value.code == code and refused.value.field == "condition"
    assert named in refused.value.message


@pytest.mark.parametrize(
    "template",
    [
        "",
        "Muncul karena {saldo}",
        "{0.__class__}",
        "{rfm_segment!r}",
        "{rfm_segment:>99}",
        "{",
        "a\x00",
    ],
)
def test_hostile_reason_templates_are_refused(template):
    with pytest.raises(ServiceError) as refused:
        conditions.clean_template(template)
    assert refused.value.field == "reason_template"


def test_birthday_distance_handles_the_leap_day():
    assert days_to_birthday(date(1990, 3, 5), date(2026, 3, 1)) == 4
    assert days_to_birthday(date(1992, 2, 29), date(2027, 2, 27)) == 2  # 1 March
    assert days_to_birthday(date(1990, 1, 1), date(2026, 12, 30)) == 2
    assert days_to_birthday(None, date(2026, 1, 1)) is None


# --------------------------------------------------------------------------- arbitration


def test_an_at_risk_customer_gets_the_retention_call_with_its_reason(at_risk, supervisor):
    result = evaluate(at_risk, supervisor)
    assert not result.blocked
    assert 1 <= len(result.items) <= 3
    assert _codes(result)[:2] == ["AT_RISK_RETENTION", "FEATURE_ACTIVATION"]
    top = result.top
    assert top.reason_text == "Muncul karena: segmen AT_RISK + tidak ada kontak 30 hari"
    assert top.factors == {"propensity": 0.5, "context": 3.0, "value": 1.0, "lever": 1.0}
    assert top.score == pytest.approx(0.5 * 3.0 * 1.0 * 1.0)
    scores = [r.score for r in result.items]
    assert scores == sorted(scores, reverse=True)


def test_a_recent_contact_means_no_retention_call(at_risk, supervisor):
    sales.activity_log(
        actor=supervisor, customer=at_risk, activity_type="CALL", note="Sudah ditelepon."
    )
    assert "AT_RISK_RETENTION" not in _codes(evaluate(at_risk, supervisor))


def test_withdrawn_consent_or_do_not_contact_shows_nothing(at_risk, agent, supervisor):
    _overdue_case(agent, at_risk)  # even the internal case rule stays away
    consent_change(
        actor=agent, customer=at_risk, consent_type="MARKETING", new_status="WITHDRAWN", **GOOD
    )
    result = evaluate(at_risk, supervisor)
    assert result.items == [] and result.blocked


def test_do_not_contact_shows_nothing(at_risk, agent, supervisor):
    _overdue_case(agent, at_risk)
    suppression_add(actor=agent, customer=at_risk, reason="minta tidak dihubungi")
    result = evaluate(at_risk, supervisor)
    assert result.items == []
    assert any("jangan" in b.lower() for b in result.blocked)


def test_offers_need_marketing_consent_internal_actions_do_not(
    system, make_customer, agent, supervisor
):
    customer = make_customer()
    book(system, customer, days_ago=200, amount=30_000_000, count=6)
    rfm_run_compute(actor=system)
    case = _overdue_case(agent, customer)
    result = evaluate(customer, supervisor)
    assert _codes(result) == ["CASE_OVERDUE"]
    assert result.top.related_entity_id == str(case.pk)
    assert "AT_RISK_RETENTION" in result.ineligible  # applicable, not contactable for offers


def test_at_most_three_are_shown(at_risk, agent, supervisor, rm):
    _overdue_case(agent, at_risk)
    cases.case_create(
        actor=agent,
        data=cases.CaseInput(
            customer=at_risk,
            channel="BRANCH",
            category_code="FRAUD_SCAM",
            priority="HIGH",
            description="Nasabah tertipu telepon palsu, mohon diblokir.",
        ),
    )
    # an old scam case, long closed (an open one would block every offer: SENSITIVE_CASE)
    Case.objects.filter(customer=at_risk, category_id="FRAUD_SCAM").update(
        status="CLOSED", final_response="Kartu diblokir dan dana dikembalikan sepenuhnya." * 2
    )
    lead = sales.lead_create(actor=supervisor, customer=at_risk, source_type="MANUAL")
    Lead.objects.filter(pk=lead.pk).update(created_at=timezone.now() - timedelta(days=5))
    result = evaluate(at_risk, supervisor)
    assert len(result.items) == 3
    assert {"CASE_OVERDUE", "AT_RISK_RETENTION"} <= set(_codes(result))


# --------------------------------------------------------------------------- decisions


def test_accept_records_the_decision_creates_the_activity_and_is_audited(at_risk, supervisor):
    decision = nba_decide(
        actor=supervisor,
        customer_id=at_risk.pk,
        rule_code="AT_RISK_RETENTION",
        decision="ACCEPTED",
        reason="Akan ditelepon sore ini",
    )
    assert decision.outcome == "PENDING" and decision.decided_by == supervisor
    assert decision.factors["context"] == 3.0
    # a call task for the RM, due the next day (the rule is HIGH), audited by sales
    task = FollowUpTask.objects.get(customer=at_risk)
    assert (task.template, task.case_id, task.status) == ("CALL", None, "OPEN")
    assert task.due_on == timezone.localdate() + timedelta(days=1)
    assert decision.created_ref == f"sales.FollowUpTask:{task.pk}"
    created = AuditLog.objects.get(action="CREATE_FOLLOWUP", object_id=str(task.pk))
    assert created.meta["due_on"] == task.due_on.isoformat()
    row = AuditLog.objects.filter(action="DECIDE_NBA").latest("id")
    assert row.meta["decision"] == "ACCEPTED" and row.meta["reason_length"] == 23
    assert "Akan ditelepon" not in str(row.meta)
    # no longer shown; deciding on it again is a conflict with the reason
    assert "AT_RISK_RETENTION" not in _codes(evaluate(at_risk, supervisor))
    with pytest.raises(ServiceError) as refused:
        nba_decide(
            actor=supervisor,
            customer_id=at_risk.pk,
            rule_code="AT_RISK_RETENTION",
            decision="REJECTED",
        )
    assert refused.value.code == CONFLICT and "tidak berlaku lagi" in refused.value.message


def test_reject_and_snooze_hide_the_recommendation(at_risk, supervisor):
    nba_decide(
        actor=supervisor,
        customer_id=at_risk.pk,
        rule_code="FEATURE_ACTIVATION",
        decision="REJECTED",
    )
    snoozed = nba_decide(
        actor=supervisor,
        customer_id=at_risk.pk,
        rule_code="AT_RISK_RETENTION",
        decision="SNOOZED",
        snooze_days=3,
    )
    assert snoozed.snoozed_until > timezone.now() + timedelta(days=2)
    assert snoozed.outcome == "" and not FollowUpTask.objects.filter(customer=at_risk).exists()
    assert _codes(evaluate(at_risk, supervisor)) == []
    later = timezone.now() + timedelta(days=4)
    assert _codes(evaluate(at_risk, supervisor, now=later)) == ["AT_RISK_RETENTION"]


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"decision": "MAYBE"}, "decision_invalid"),
        ({"decision": "SNOOZED", "snooze_days": 0}, "snooze_invalid"),
        ({"decision": "SNOOZED", "snooze_days": 10_000}, "snooze_invalid"),
        ({"decision": "SNOOZED", "snooze_days": "7"}, "snooze_invalid"),
        ({"reason": "x\x00y"}, "reason_invalid"),
        ({"reason": "x" * 501}, "reason_invalid"),
        ({"rule_code": "NOPE"}, CONFLICT),
        ({"rule_code": "\x00"}, CONFLICT),
    ],
)
def test_bad_decisions_change_nothing(at_risk, supervisor, changes, code):
    args = {"rule_code": "AT_RISK_RETENTION", "decision": "ACCEPTED", **changes}
    with pytest.raises(ServiceError) as refused:
        nba_decide(actor=supervisor, customer_id=at_risk.pk, **args)
    assert refused.value.code == code
    assert not NbaDecision.objects.exists() and not FollowUpTask.objects.exists()


def test_outcomes_feed_the_propensity_once(at_risk, supervisor):
    decision = nba_decide(
        actor=supervisor, customer_id=at_risk.pk, rule_code="AT_RISK_RETENTION", decision="ACCEPTED"
    )
    nba_outcome_record(
        actor=supervisor, customer_id=at_risk.pk, decision_id=decision.pk, outcome="SUCCESS"
    )
    rule = NbaRule.objects.get(pk="AT_RISK_RETENTION")
    assert (rule.successes, rule.outcomes) == (1, 1)
    assert rule.propensity == pytest.approx(2 / 3)
    with pytest.raises(ServiceError) as refused:
        nba_outcome_record(
            actor=supervisor, customer_id=at_risk.pk, decision_id=decision.pk, outcome="FAILED"
        )
    assert refused.value.code == CONFLICT
    with pytest.raises(ServiceError):
        nba_outcome_record(
            actor=supervisor, customer_id=at_risk.pk, decision_id=decision.pk, outcome="PENDING"
        )
    assert AuditLog.objects.filter(action="RECORD_NBA_OUTCOME").count() == 1
    # the dashboards' widget: acceptance and success rate per action type, per home branch
    soon = timezone.now() + timedelta(minutes=1)
    table = nba_dashboard.present(list(nba_dashboard.compute([at_risk.home_branch_id], soon)), {})
    assert table.rows == [["Telepon", 1, 1, 1, 1, Ratio(1, 1), Ratio(1, 1)]]
    assert not list(nba_dashboard.compute([], soon))
    assert registry.dashboard_widgets.get("insight.nba_rates").personal_data is False


def test_a_won_lead_is_the_success_of_the_accepted_follow_up(at_risk, supervisor, rm):
    lead = sales.lead_create(actor=supervisor, customer=at_risk, source_type="MANUAL")
    Lead.objects.filter(pk=lead.pk).update(created_at=timezone.now() - timedelta(days=5))
    result = evaluate(at_risk, supervisor)
    follow_up = next(r for r in result.items if r.rule_code == "LEAD_FOLLOW_UP")
    assert follow_up.related_entity_id == str(lead.pk)
    assert follow_up.reason_text == "Muncul karena: lead BARU belum ditindaklanjuti 5 hari"
    decision = nba_decide(
        actor=supervisor,
        customer_id=at_risk.pk,
        rule_code="LEAD_FOLLOW_UP",
        related_id=str(lead.pk),
        decision="ACCEPTED",
    )
    assert FollowUpTask.objects.get(customer=at_risk).lead_id == lead.pk
    sales.lead_move(actor=supervisor, lead=lead, to_status="CLOSED_WON", reason="Buka deposito")
    decision.refresh_from_db()
    assert decision.outcome == "SUCCESS"
    assert NbaRule.objects.get(pk="LEAD_FOLLOW_UP").successes == 1


def test_out_of_scope_customer_is_missing(at_risk, make_user, branch_b):
    from django.http import Http404

    stranger = make_user(R.SUPERVISOR, branches=[branch_b])
    with pytest.raises(Http404):
        nba_decide(
            actor=stranger,
            customer_id=at_risk.pk,
            rule_code="AT_RISK_RETENTION",
            decision="ACCEPTED",
        )


def test_an_rm_decides_for_the_portfolio(at_risk, system, make_user, branch_a):
    rm = make_user(R.RM, branches=[branch_a])
    portfolio_assign(actor=system, customer=at_risk, rm=rm)
    decision = nba_decide(
        actor=rm, customer_id=at_risk.pk, rule_code="AT_RISK_RETENTION", decision="ACCEPTED"
    )
    assert decision.decided_by == rm


# --------------------------------------------------------------------------- four eyes


def _proposal(**changes) -> RuleInput:
    rule = NbaRule.objects.get(pk="FEATURE_ACTIVATION")
    fields = {
        "action_type": rule.action_type,
        "title": "Ajak aktivasi QRIS",
        "reason_template": rule.reason_template,
        "priority": rule.priority,
        "condition": rule.condition,
        "related_entity_type": rule.related_entity_type,
        "purpose": rule.purpose,
        "channel": rule.channel,
        "value": 2.0,
        "lever": 1.5,
    }
    return RuleInput(**{**fields, **changes})


def test_marketing_proposes_and_a_second_person_approves(make_user):
    author = make_user(R.MARKETING)
    colleague = make_user(R.MARKETING)
    change = nba_rule_propose(actor=author, rule_code="FEATURE_ACTIVATION", data=_proposal())
    assert NbaRule.objects.get(pk="FEATURE_ACTIVATION").title == "Ajak aktivasi fitur baru"
    with pytest.raises(ServiceError) as refused:
        nba_rule_change_move(actor=author, change_id=change.pk, to="APPROVED")
    assert refused.value.code == "guard_failed"
    with pytest.raises(ServiceError) as twice:
        nba_rule_propose(actor=colleague, rule_code="FEATURE_ACTIVATION", data=_proposal())
    assert twice.value.code == "change_open"
    nba_rule_change_move(actor=colleague, change_id=change.pk, to="APPROVED")
    rule = NbaRule.objects.get(pk="FEATURE_ACTIVATION")
    assert (rule.title, rule.value, rule.lever, rule.version) == ("Ajak aktivasi QRIS", 2.0, 1.5, 2)
    change.refresh_from_db()
    assert change.status == "APPROVED" and change.decided_by == colleague
    assert AuditLog.objects.filter(action="PROPOSE_NBA_RULE").exists()
    assert AuditLog.objects.filter(action="DECIDE_NBA_RULE", object_id=str(change.pk)).exists()


def test_a_rejected_proposal_changes_nothing(make_user):
    author = make_user(R.MARKETING)
    supervisor = make_user(R.SUPERVISOR)
    change = nba_rule_propose(actor=author, rule_code="FEATURE_ACTIVATION", data=_proposal())
    nba_rule_change_move(actor=supervisor, change_id=change.pk, to="REJECTED")
    assert NbaRule.objects.get(pk="FEATURE_ACTIVATION").version == 1


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"condition": [{"fact": "saldo", "op": "eq", "value": 1}]}, "condition"),
        ({"condition": []}, "condition"),
        ({"reason_template": "karena {saldo}"}, "reason_template"),
        ({"title": ""}, "title"),
        ({"action_type": "DANCE"}, "action_type"),
        ({"channel": "FAX"}, "channel"),
        ({"value": 0}, "value"),
        ({"lever": 11}, "lever"),
    ],
)
def test_bad_proposals_are_refused_with_the_field(make_user, changes, field):
    author = make_user(R.MARKETING)
    with pytest.raises(ServiceError) as refused:
        nba_rule_propose(actor=author, rule_code="FEATURE_ACTIVATION", data=_proposal(**changes))
    assert refused.value.field == field
    assert not NbaRuleChange.objects.exists()


def test_only_marketing_proposes(make_user):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        nba_rule_propose(actor=make_user(R.RM), rule_code="FEATURE_ACTIVATION", data=_proposal())


# --------------------------------------------------------------------------- bounded queries


def _queries(customer, actor) -> int:
    with CaptureQueriesContext(connection) as captured:
        evaluate(customer, actor)
    return len(captured.captured_queries)


def test_one_customer_is_a_bounded_number_of_queries(system, make_customer, agent, supervisor, rm):
    """The same facts from one row or from many: the same queries (no query per row)."""
    few = make_customer("Ani")
    many = make_customer("Budi")
    for customer in (few, many):
        book(system, customer, days_ago=200, amount=30_000_000, count=6)
        consent_change(
            actor=agent, customer=customer, consent_type="MARKETING", new_status="GRANTED", **GOOD
        )
    rfm_run_compute(actor=system)
    for customer, rows in ((few, 1), (many, 8)):
        for _ in range(rows):
            _overdue_case(agent, customer)
            sales.activity_log(
                actor=supervisor, customer=customer, activity_type="NOTE", note="Catatan."
            )
            sales.lead_create(actor=supervisor, customer=customer, source_type="MANUAL")
        RmActivity.objects.filter(customer=customer).update(
            created_at=timezone.now() - timedelta(days=60)
        )
    for customer in (few, many):  # a decision row to read too
        nba_decide(
            actor=supervisor,
            customer_id=customer.pk,
            rule_code="AT_RISK_RETENTION",
            decision="REJECTED",
        )
    assert _codes(evaluate(few, supervisor)) == _codes(evaluate(many, supervisor))
    # One statement for the facts, the decisions, the rules' stamp and contactability; the
    # rules come from the process's cache (read in the first evaluation above).
    assert _queries(few, supervisor) == _queries(many, supervisor) == 1


def test_a_contact_blocker_registered_later_is_asked(at_risk, supervisor):
    """The statement is compiled once per grants and consent's checks: a blocker another app
    registers (here a test's, for offers) is in the next evaluation's answer, not a stale one."""
    from django.db.models import Exists, OuterRef

    from amanah.consent.contactability import ContactBlocker
    from amanah.customers.models import Customer

    assert "AT_RISK_RETENTION" in _codes(evaluate(at_risk, supervisor))
    blocker = ContactBlocker(
        "TEST_NBA_BLOCK",
        "Diblokir untuk uji",
        frozenset({"OFFER"}),
        lambda: Exists(Customer.objects.filter(pk=OuterRef("pk"))),
    )
    with registry.contact_blockers.temporarily("TEST_NBA_BLOCK", blocker):
        result = evaluate(at_risk, supervisor)
    assert "AT_RISK_RETENTION" not in _codes(result)
    assert "AT_RISK_RETENTION" in result.ineligible
    assert "AT_RISK_RETENTION" in _codes(evaluate(at_risk, supervisor))


def test_a_rule_changed_elsewhere_is_read_at_the_next_evaluation(at_risk, supervisor):
    """The rules are kept per process; a change made by another process (here: a direct
    update, as another worker's approval or an outcome counted there would look) is seen at
    once, through the table's stamp that every evaluation reads."""
    assert "AT_RISK_RETENTION" in _codes(evaluate(at_risk, supervisor))
    NbaRule.objects.filter(pk="AT_RISK_RETENTION").update(title="Telepon hari ini")
    titles = {r.rule_code: r.title for r in evaluate(at_risk, supervisor).items}
    assert titles["AT_RISK_RETENTION"] == "Telepon hari ini"
    NbaRule.objects.filter(pk="AT_RISK_RETENTION").update(active=False)
    assert "AT_RISK_RETENTION" not in _codes(evaluate(at_risk, supervisor))
