"""PROFILING consent gates insight's profiling (issue 50 item 8, UU PDP Pasal 10): a customer
whose PROFILING consent is WITHDRAWN gets no RFM score from the nightly run, no Next Best
Action (live or on an RM's worklist) and no partner-merchant suggestion — and an objection
made after a run takes effect at once: that run's score and worklist row are neither shown nor
used. Each place says why, in Indonesian."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from amanah.conftest import sign_in
from amanah.consent.services import consent_change
from amanah.consent.testing import object_to_profiling
from amanah.core.actors import IntegrationActor
from amanah.core.errors import CONFLICT, ServiceError
from amanah.core.roles import RoleKey as R
from amanah.customers.services import portfolio_assign
from amanah.insight import selectors
from amanah.insight.merchants import selectors as merchant_selectors
from amanah.insight.merchants import services as merchant_services
from amanah.insight.merchants.models import MerchantRecommendation
from amanah.insight.models import RfmScore
from amanah.insight.nba.evaluate import evaluate
from amanah.insight.nba.models import NbaDecision, PortfolioRecommendation
from amanah.insight.nba.selectors import portfolio_badge, portfolio_worklist
from amanah.insight.nba.services import nba_decide, nba_portfolio_refresh
from amanah.insight.policies import NBA_PORTFOLIO_REFRESH
from amanah.insight.services import rfm_run_compute
from amanah.insight.testing import approve_merchant_template, book, merchant_make
from amanah.messaging.models import Message
from amanah.sales.models import Lead

GOOD = {"channel": "BRANCH", "verification_method": "IN_PERSON"}
NOT_PROFILED = "Tidak diprofilkan: nasabah menolak profiling (UU PDP Pasal 10)"
NIGHTLY = IntegrationActor("insight-nba", permissions=(NBA_PORTFOLIO_REFRESH,), all_branches=True)


@pytest.fixture
def rm(make_user, branch_a):
    return make_user(R.RM, branches=[branch_a])


@pytest.fixture
def at_risk(system, make_customer, make_user, branch_a, rm):
    """make(name): an AT_RISK customer of ``rm``'s portfolio (bought a lot, long ago), with
    marketing consent and a phone: the retention rule applies to them."""
    agent = make_user(R.AGENT, branches=[branch_a])

    def make(name):
        person = make_customer(name, phone="081234567890")
        book(system, person, days_ago=200, amount=30_000_000, count=6)
        consent_change(
            actor=agent, customer=person, consent_type="MARKETING", new_status="GRANTED", **GOOD
        )
        portfolio_assign(actor=system, customer=person, rm=rm)
        return person

    return make


def _360(user, customer, tab: str = "") -> str:
    url = reverse("customer360:workspace", args=[customer.pk]) + (f"?tab={tab}" if tab else "")
    response = sign_in(Client(), user).get(url)
    assert response.status_code == 200
    return response.content.decode()


def test_the_nightly_rfm_run_leaves_an_objector_out(system, make_customer):
    kept, objector = make_customer("Ani Lubis"), make_customer("Budi Lubis")
    for person in (kept, objector):
        book(system, person, days_ago=3, amount=2_000_000, count=5)
    object_to_profiling(system, objector)
    run = rfm_run_compute(actor=system, trigger="NIGHTLY")
    scored = set(RfmScore.objects.filter(run=run).values_list("customer_id", flat=True))
    assert kept.pk in scored and objector.pk not in scored
    assert run.customers == len(scored) == sum(run.counts.values())
    # The objection lifted: the next run scores the customer again.
    object_to_profiling(system, objector, status="GRANTED")
    again = rfm_run_compute(actor=system)
    assert RfmScore.objects.filter(run=again, customer=objector).exists()


def test_an_objection_after_the_run_hides_its_results_on_the_360(system, rm, at_risk):
    person = at_risk("Siti Hasibuan")
    rfm_run_compute(actor=system)
    before = _360(rm, person)
    assert 'data-testid="rfm-badge"' in before and 'data-testid="nba-item"' in before
    assert "Segmen RFM: Berisiko" in before  # the AT_RISK alert

    object_to_profiling(system, person)
    page = _360(rm, person)
    assert selectors.rfm_latest(person, rm) == []
    for shown in ('data-testid="rfm-badge"', 'data-testid="clv-badge"', "Segmen RFM: Berisiko"):
        assert shown not in page
    assert 'data-testid="summary-rfm"' not in page and 'data-testid="summary-nba"' not in page
    card = page.split('data-testid="customer-value"')[1].split("</article>")[0]
    assert 'data-testid="rfm-not-profiled"' in card and NOT_PROFILED in card
    panel = page.split('data-testid="nba-panel"')[1].split("</article>")[0]
    assert 'data-testid="nba-not-profiled"' in panel and NOT_PROFILED in panel
    assert 'data-testid="nba-item"' not in panel


def test_no_next_best_action_for_an_objector_and_no_decision_on_an_old_one(system, rm, at_risk):
    person = at_risk("Rudi Nasution")
    rfm_run_compute(actor=system)
    assert "AT_RISK_RETENTION" in [r.rule_code for r in evaluate(person, rm).items]
    object_to_profiling(system, person)
    result = evaluate(person, rm)
    assert result.items == [] and result.not_profiled == NOT_PROFILED
    # The recommendation the RM still has on an old page is not carried out.
    with pytest.raises(ServiceError) as refused:
        nba_decide(
            actor=rm, customer_id=person.pk, rule_code="AT_RISK_RETENTION", decision="ACCEPTED"
        )
    assert refused.value.code == CONFLICT and NOT_PROFILED in refused.value.message
    assert not NbaDecision.objects.filter(customer=person).exists()
    assert not Lead.objects.filter(customer=person).exists()


def test_the_worklist_leaves_an_objector_out_even_after_the_nightly_run(system, rm, at_risk):
    first, second, objector = at_risk("Ani"), at_risk("Budi"), at_risk("Cici")
    object_to_profiling(system, objector)
    rfm_run_compute(actor=system)
    assert nba_portfolio_refresh(actor=NIGHTLY)["listed"] == 2
    assert set(PortfolioRecommendation.objects.values_list("customer_id", flat=True)) == {
        first.pk,
        second.pk,
    }
    # An objection after the run: the row is neither listed nor counted from that moment …
    object_to_profiling(system, second)
    assert [row.customer_id for row in portfolio_worklist(rm)] == [first.pk]
    assert portfolio_badge(rm) == 1
    page = sign_in(Client(), rm).get(reverse("insight:nba_portfolio")).content.decode()
    assert f"/customers/{second.pk}/" not in page and f"/customers/{first.pk}/" in page
    # … and the next run drops it.
    assert nba_portfolio_refresh(actor=NIGHTLY)["dropped"] == 1
    assert not PortfolioRecommendation.objects.filter(customer=second).exists()


def test_no_merchant_suggestion_for_an_objector(system, make_customer, make_user, rm, settings):
    settings.CONTACT_WINDOWS = {}
    approve_merchant_template(make_user(R.MARKETING), make_user(R.COMPLIANCE))
    spender = make_customer("Maya Tarigan", phone="081234567891")
    merchant_make("QR-HOME", lat=3.5897, lon=98.6797, category="FNB", promo="")
    near = merchant_make("QR-NEAR", lat=3.5900, lon=98.6800, category="FNB")
    book(system, spender, days_ago=10, category="FNB", merchant_id="QR-HOME", count=3)
    consent_change(
        actor=system, customer=spender, consent_type="MARKETING", new_status="GRANTED", **GOOD
    )
    portfolio_assign(actor=system, customer=spender, rm=rm)
    supervisor = make_user(R.SUPERVISOR, branches=[spender.home_branch])
    assert [s.merchant for s in merchant_selectors.suggestions_for(spender, actor=rm).rows] == [
        near
    ]

    object_to_profiling(system, spender)
    promo = merchant_selectors.suggestions_for(spender, actor=rm)
    assert promo.rows == [] and promo.categories == [] and promo.not_profiled == NOT_PROFILED
    tab = _360(rm, spender, "merchant_promo")
    assert 'data-testid="merchant-not-profiled"' in tab and "QR-NEAR" not in tab
    with pytest.raises(ServiceError) as refused:
        merchant_services.recommendation_send(
            actor=supervisor, customer_id=spender.pk, merchant_id=near.pk
        )
    assert (refused.value.code, refused.value.message) == ("not_profiled", NOT_PROFILED)
    assert not MerchantRecommendation.objects.exists()
    assert not Message.objects.filter(customer=spender, purpose="OFFER").exists()
