"""The NBA on the pages: the collapsible panel on the 360 with reasons and factors, the top
recommendation in "Ringkasan 30 detik", Accept from the panel making the activity that shows on
the timeline, 409 for a stale decision asked as JSON, the rules page with four eyes and the
acceptance and success rates, hostile input (never a 5xx)."""

from __future__ import annotations

import json

import pytest
from django.test import Client
from django.utils import translation

from amanah.conftest import sign_in
from amanah.consent.services import consent_change
from amanah.core.roles import RoleKey as R
from amanah.customers.services import portfolio_assign
from amanah.insight.nba.models import NbaDecision, NbaRule, NbaRuleChange
from amanah.insight.services import rfm_run_compute
from amanah.insight.testing import book
from amanah.sales.models import FollowUpTask

GOOD = {"channel": "BRANCH", "verification_method": "IN_PERSON"}


@pytest.fixture
def rm(make_user, branch_a):
    return make_user(R.RM, branches=[branch_a])


@pytest.fixture
def customer(system, make_customer, make_user, branch_a, rm):
    """AT_RISK, marketing consent granted, in the RM's portfolio."""
    person = make_customer()
    book(system, person, days_ago=200, amount=30_000_000, count=6)
    rfm_run_compute(actor=system)
    agent = make_user(R.AGENT, branches=[branch_a])
    consent_change(
        actor=agent, customer=person, consent_type="MARKETING", new_status="GRANTED", **GOOD
    )
    portfolio_assign(actor=system, customer=person, rm=rm)
    return person


def _page(client, customer) -> str:
    response = client.get(f"/customers/{customer.pk}/")
    assert response.status_code == 200
    return response.content.decode()


def test_the_rm_sees_the_panel_accepts_and_the_activity_is_on_the_timeline(rm, customer):
    client = sign_in(Client(), rm)
    page = _page(client, customer)
    assert 'data-testid="nba-panel"' in page and "<details open>" in page
    assert "Muncul karena: segmen AT_RISK + tidak ada kontak 30 hari" in page
    assert 'data-testid="nba-factors"' in page and "propensitas 0.50" in page.replace(",", ".")
    assert 'data-testid="summary-nba"' in page and "Hubungi untuk retensi" in page
    priority = NbaRule.objects.get(code="AT_RISK_RETENTION").get_priority_display()
    assert f">{priority}</span>" in page  # the priority by its label, not its code
    response = client.post(
        f"/insight/nba/{customer.pk}/decide/",
        {"rule": "AT_RISK_RETENTION", "related": "", "decision": "ACCEPTED", "reason": "ok"},
    )
    assert response.status_code == 303 and response["Location"].endswith("#nba")
    assert NbaDecision.objects.get().decided_by == rm
    page = _page(client, customer)
    assert "NBA diterima: Hubungi untuk retensi" in page  # the RM activity on the timeline
    assert 'data-testid="nba-pending"' in page
    decision = NbaDecision.objects.get()
    response = client.post(
        f"/insight/nba/{customer.pk}/outcome/", {"decision": decision.pk, "outcome": "SUCCESS"}
    )
    assert response.status_code == 303
    decision.refresh_from_db()
    assert decision.outcome == "SUCCESS"


def test_a_stale_decision_is_409_with_the_reason(rm, customer):
    client = sign_in(Client(), rm)
    data = {"rule": "AT_RISK_RETENTION", "decision": "REJECTED"}
    first = client.post(
        f"/insight/nba/{customer.pk}/decide/", data, headers={"Accept": "application/json"}
    )
    assert first.status_code == 200 and first.json()["decision"] == "REJECTED"
    again = client.post(
        f"/insight/nba/{customer.pk}/decide/", data, headers={"Accept": "application/json"}
    )
    assert again.status_code == 409
    assert "tidak berlaku lagi" in json.dumps(again.json(), ensure_ascii=False)


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"rule": "AT_RISK_RETENTION", "decision": "MAYBE"},
        {"rule": "AT_RISK_RETENTION", "decision": "ACCEPTED", "reason": "a\x00b"},
        {"rule": "AT_RISK_RETENTION", "decision": "SNOOZED", "snooze_days": "-5"},
        {"rule": "AT_RISK_RETENTION", "decision": "SNOOZED", "snooze_days": "99999999999999"},
        {"rule": "x" * 5000, "decision": "ACCEPTED"},
        {"rule": "'; DROP TABLE insight_nbarule; --", "decision": "ACCEPTED"},
    ],
)
def test_hostile_decisions_are_refused_without_a_5xx(rm, customer, data):
    client = sign_in(Client(), rm)
    form = client.post(f"/insight/nba/{customer.pk}/decide/", data)
    assert form.status_code in (303, 400)  # NUL anywhere in a form is refused before the view
    as_json = client.post(
        f"/insight/nba/{customer.pk}/decide/", data, headers={"Accept": "application/json"}
    )
    assert 400 <= as_json.status_code < 500
    assert not NbaDecision.objects.exists() and not FollowUpTask.objects.exists()


@pytest.mark.parametrize(
    "data",
    [{}, {"decision": "not-a-uuid", "outcome": "SUCCESS"}, {"decision": "", "outcome": "\x00"}],
)
def test_hostile_outcomes_are_refused(rm, customer, data):
    response = sign_in(Client(), rm).post(f"/insight/nba/{customer.pk}/outcome/", data)
    assert response.status_code in (303, 400)


def test_the_rm_sees_only_the_portfolio(customer, make_user, branch_a):
    other_rm = make_user(R.RM, branches=[branch_a])
    client = sign_in(Client(), other_rm)
    assert client.get(f"/customers/{customer.pk}/").status_code == 404
    response = client.post(
        f"/insight/nba/{customer.pk}/decide/", {"rule": "AT_RISK_RETENTION", "decision": "ACCEPTED"}
    )
    assert response.status_code == 404
    assert client.post(f"/insight/nba/{customer.pk}/outcome/", {}).status_code == 404
    assert not NbaDecision.objects.exists()


def test_a_role_without_the_permission_sees_no_panel(customer, make_user, branch_a):
    from amanah.iam.models import RolePermission

    RolePermission.objects.filter(permission="insight.nba.view").delete()
    supervisor = make_user(R.SUPERVISOR, branches=[branch_a])
    page = _page(sign_in(Client(), supervisor), customer)
    assert "nba-panel" not in page and "summary-nba" not in page


def test_marketing_proposes_on_the_page_and_a_colleague_approves(make_user, customer, rm):
    author, colleague = make_user(R.MARKETING), make_user(R.MARKETING)
    client = sign_in(Client(), author)
    url = "/insight/nba/rules/FEATURE_ACTIVATION/propose/"
    form = client.get(url)
    assert form.status_code == 200 and "marketing_consent" in form.content.decode()
    fields = {
        "title": "Ajak aktivasi QRIS",
        "action_type": "OFFER_PRODUCT",
        "priority": "MEDIUM",
        "reason_template": "Muncul karena: persetujuan {marketing_consent}",
        "condition": json.dumps([{"fact": "saldo", "op": "eq", "value": 1}]),
        "related_entity_type": "",
        "purpose": "OFFER",
        "channel": "PHONE",
        "value": "2",
        "lever": "1",
        "active": "on",
    }
    refused = client.post(url, fields)
    assert refused.status_code == 400 and "saldo" in refused.content.decode()
    for bad in ("{not json", '"\\u0000"', "[" * 3000):
        assert client.post(url, {**fields, "condition": bad}).status_code == 400
    fields["condition"] = json.dumps(
        [{"fact": "marketing_consent", "op": "eq", "value": "GRANTED"}]
    )
    assert client.post(url, fields).status_code == 303
    change = NbaRuleChange.objects.get()
    page = client.get("/insight/nba/rules/").content.decode()
    assert 'data-testid="nba-changes"' in page and 'data-testid="nba-rates"' in page
    # the proposer's own approval is refused (flash), a colleague's goes through
    client.post(f"/insight/nba/changes/{change.pk}/move/", {"to": "APPROVED"})
    assert NbaRule.objects.get(pk="FEATURE_ACTIVATION").version == 1
    other = sign_in(Client(), colleague)
    assert (
        other.post(f"/insight/nba/changes/{change.pk}/move/", {"to": "APPROVED"}).status_code == 303
    )
    rule = NbaRule.objects.get(pk="FEATURE_ACTIVATION")
    assert (rule.title, rule.version) == ("Ajak aktivasi QRIS", 2)
    assert other.post(f"/insight/nba/changes/{change.pk}/move/", {"to": "\x00"}).status_code in (
        303,
        400,
    )


def test_the_rates_per_action_type(rm, customer, make_user):
    client = sign_in(Client(), rm)
    client.post(
        f"/insight/nba/{customer.pk}/decide/", {"rule": "AT_RISK_RETENTION", "decision": "ACCEPTED"}
    )
    client.post(
        f"/insight/nba/{customer.pk}/outcome/",
        {"decision": NbaDecision.objects.get().pk, "outcome": "FAILED"},
    )
    client.post(
        f"/insight/nba/{customer.pk}/decide/",
        {"rule": "FEATURE_ACTIVATION", "decision": "REJECTED"},
    )
    from amanah.insight.nba.selectors import rates_by_action_type

    rates = {r["code"]: r for r in rates_by_action_type(actor=make_user(R.SUPERVISOR))}
    assert rates["CALL"]["acceptance"] == 100 and rates["CALL"]["success_rate"] == 0
    assert (
        rates["OFFER_PRODUCT"]["acceptance"] == 0 and rates["OFFER_PRODUCT"]["success_rate"] is None
    )
    assert rates["GREET"]["acceptance"] is None


def test_the_panel_speaks_english(rm, customer):
    client = sign_in(Client(), rm)
    client.cookies["django_language"] = "en"
    with translation.override(translation.get_language()):
        page = client.get(f"/customers/{customer.pk}/").content.decode()
    assert "Next best action" in page and "Accept" in page
    assert "Aksi Terbaik Berikutnya" not in page
