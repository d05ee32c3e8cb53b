"""The RM's worklist (seed 001 §4 "nightly batch for portfolios", "badge count in navigation
for the RM's portfolio"): the nightly run evaluates each portfolio customer as its RM, the
menu counts the customers waiting, a decision on the 360 refreshes its customer at once, and
nobody sees another RM's list."""

from __future__ import annotations

import re

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client

from amanah.audit.models import AuditLog
from amanah.conftest import sign_in
from amanah.consent.services import consent_change
from amanah.core.actors import IntegrationActor
from amanah.core.roles import RoleKey as R
from amanah.customers.services import portfolio_assign
from amanah.insight.nba.evaluate import evaluate
from amanah.insight.nba.models import PortfolioRecommendation
from amanah.insight.nba.services import nba_portfolio_refresh
from amanah.insight.policies import NBA_PORTFOLIO_REFRESH
from amanah.insight.services import rfm_run_compute
from amanah.insight.testing import book

GOOD = {"channel": "BRANCH", "verification_method": "IN_PERSON"}
NIGHTLY = IntegrationActor("insight-nba", permissions=(NBA_PORTFOLIO_REFRESH,), all_branches=True)
BADGE = re.compile(r'data-testid="nav-badge-insightnba_portfolio"[^>]*>([^<]+)<')


@pytest.fixture
def rm(make_user, branch_a):
    return make_user(R.RM, branches=[branch_a])


@pytest.fixture
def at_risk(system, make_customer, make_user, branch_a):
    """make(): an AT_RISK customer with marketing consent (the retention rule applies)."""
    agent = make_user(R.AGENT, branches=[branch_a])

    def make(**fields):
        person = make_customer(**fields)
        book(system, person, days_ago=200, amount=30_000_000, count=6)
        consent_change(
            actor=agent, customer=person, consent_type="MARKETING", new_status="GRANTED", **GOOD
        )
        return person

    return make


def _badge(client) -> str | None:
    found = BADGE.search(client.get("/insight/nba/portfolio/").content.decode())
    return found.group(1) if found else None


def test_the_nightly_run_lists_each_rms_customers_with_the_top_recommendation(
    system, rm, at_risk, make_user, make_customer, branch_a
):
    first, second = at_risk(), at_risk()
    quiet = make_customer()  # no transactions, no consent: nothing to recommend
    other_rm = make_user(R.RM, branches=[branch_a])
    theirs = at_risk()
    rfm_run_compute(actor=system)
    for person in (first, second, quiet):
        portfolio_assign(actor=system, customer=person, rm=rm)
    portfolio_assign(actor=system, customer=theirs, rm=other_rm)

    counts = nba_portfolio_refresh(actor=NIGHTLY, batch_size=2)  # two batches and a half
    assert counts == {"customers": 4, "listed": 3, "dropped": 0}
    rows = PortfolioRecommendation.objects.filter(rm=rm)
    assert {r.customer_id for r in rows} == {first.pk, second.pk}
    for row in rows:  # what the 360 would show the RM now
        live = evaluate(row.customer, rm)
        assert (row.top_title, row.shown) == (live.top.title, len(live.items))
    assert AuditLog.objects.filter(action="REFRESH_NBA_PORTFOLIOS").count() == 1

    client = sign_in(Client(), rm)
    page = client.get("/insight/nba/portfolio/").content.decode()
    assert page.count('data-testid="nba-portfolio-row"') == 2
    assert f"/customers/{first.pk}/" in page and f"/customers/{second.pk}/" in page
    assert f"/customers/{theirs.pk}/" not in page and f"/customers/{quiet.pk}/" not in page
    assert "Muncul karena" in page  # the reason, as on the 360
    assert all(row.top_reason in page for row in rows)
    assert _badge(client) == "2"
    assert _badge(sign_in(Client(), other_rm)) == "1"


def test_a_second_run_changes_nothing_and_a_customer_who_left_is_dropped(
    system, rm, at_risk, make_user, branch_a
):
    person, leaving = at_risk(), at_risk()
    rfm_run_compute(actor=system)
    portfolio_assign(actor=system, customer=person, rm=rm)
    portfolio_assign(actor=system, customer=leaving, rm=rm)
    nba_portfolio_refresh(actor=NIGHTLY)
    before = set(PortfolioRecommendation.objects.values_list("customer_id", "rm_id", "top_title"))
    assert nba_portfolio_refresh(actor=NIGHTLY)["dropped"] == 0
    assert (
        set(PortfolioRecommendation.objects.values_list("customer_id", "rm_id", "top_title"))
        == before
    )
    other_rm = make_user(R.RM, branches=[branch_a])
    portfolio_assign(actor=system, customer=leaving, rm=other_rm)
    nba_portfolio_refresh(actor=NIGHTLY)
    assert PortfolioRecommendation.objects.get(customer=leaving).rm == other_rm
    assert PortfolioRecommendation.objects.get(customer=person).rm == rm


def test_a_decision_on_the_360_refreshes_the_customer_at_once(system, rm, at_risk):
    person = at_risk()
    rfm_run_compute(actor=system)
    portfolio_assign(actor=system, customer=person, rm=rm)
    nba_portfolio_refresh(actor=NIGHTLY)
    client = sign_in(Client(), rm)
    assert _badge(client) == "1"
    response = client.post(
        f"/insight/nba/{person.pk}/decide/",
        {"rule": "AT_RISK_RETENTION", "related": "", "decision": "REJECTED", "reason": ""},
    )
    assert response.status_code == 303
    # The rejected recommendation is quiet for 30 days: the customer leaves the list unless
    # another rule still applies (then its top is no longer the rejected one).
    row = PortfolioRecommendation.objects.filter(customer=person).first()
    assert row is None or row.top_title != "Hubungi untuk retensi"
    assert _badge(client) == (None if row is None else "1")


def test_only_the_nightly_actor_may_refresh_and_other_roles_see_no_list(rm, make_user, branch_a):
    with pytest.raises(PermissionDenied):
        nba_portfolio_refresh(actor=make_user(R.SUPERVISOR, branches=[branch_a]))
    agent = sign_in(Client(), make_user(R.AGENT, branches=[branch_a]))
    assert agent.get("/insight/nba/portfolio/").status_code == 403
    page = sign_in(Client(), rm).get("/insight/nba/portfolio/").content.decode()
    assert 'data-testid="nba-portfolio-empty"' in page
