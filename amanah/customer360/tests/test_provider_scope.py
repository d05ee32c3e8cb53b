"""Every 360 provider reads through ``visible_to(actor)`` — checked for all of them at once.

The registries are walked, so a provider added later is checked without touching this file:
an actor who may see nothing gets no event and no row from any timeline provider or fact
source (only yes/no flags and counts, which anyone who opens the customer may know). So that
the check cannot pass by having nothing to show, the same providers must show rows of every
kind to an actor who sees everything; a new provider whose rows this fixture does not build
fails here until it does.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from functools import cached_property

import pytest
from django.db import models
from django.utils import timezone

from amanah.cases import services as cases
from amanah.cases.testing import complaint
from amanah.consent.services import consent_change
from amanah.core import prepared, registry, scopes
from amanah.core.actors import IntegrationActor
from amanah.core.roles import RoleKey as R
from amanah.core.testing import every_profiles_items
from amanah.customer360 import timeline
from amanah.customers.services import CustomerInput, customer_create, portfolio_assign
from amanah.insight.services import rfm_run_compute
from amanah.insight.testing import book, closed_case
from amanah.marketing.models import Campaign, CampaignEligibility, CampaignEvent, Segment
from amanah.sales import contract as sales_contract
from amanah.sales import services as sales
from amanah.surveys.services import SURVEYOR, invitation_create

NOTE = "Catatan internal kasus yang tidak boleh bocor"


def _marketing_rows(customer):
    # Plain rows: this fixture needs a campaign's outcome for a customer, not a campaign run.
    segment = Segment.objects.create(name=f"Uji {customer.pk}")
    campaign = Campaign.objects.create(
        name=f"Kampanye {customer.pk}", message="Halo", channel="EMAIL", segment=segment
    )
    now = timezone.now()
    CampaignEligibility.objects.create(
        campaign=campaign,
        customer=customer,
        in_segment=True,
        consent_granted=True,
        open_sensitive_case=False,
        suppressed=False,
        is_eligible=True,
        evaluated_at=now,
    )
    CampaignEvent.objects.create(
        campaign=campaign, customer=customer, event_type="SENT", channel="EMAIL"
    )


def _nba_rows(customer, rm):
    # Plain row: an accepted recommendation waiting for its outcome (the NBA panel lists it).
    from amanah.insight.nba.models import NbaDecision

    NbaDecision.objects.create(
        customer=customer,
        rule_id="FEATURE_ACTIVATION",
        rule_version=1,
        action_type="OFFER_PRODUCT",
        title="Ajak aktivasi fitur baru",
        reason_text="Muncul karena: persetujuan pemasaran GRANTED",
        priority="MEDIUM",
        score=1.0,
        decision="ACCEPTED",
        decided_by=rm,
        outcome="PENDING",
    )


def _fieldops_rows(customer, agent):
    # A visit work order given to the agent, and its promise to pay (the VISIT line, the card).
    from amanah.fieldops import visits
    from amanah.fieldops.testing import visit_input, work_order

    wo = work_order(customer, agent)
    visits.visit_record(
        actor=agent,
        data=visit_input(
            wo,
            outcome="PROMISE",
            promise_date=timezone.localdate() + timedelta(days=2),
            promise_amount="500000",
        ),
    )


def _journey_rows(customer):
    # Plain rows: a journey version, the step its trigger recorded and a quarantined
    # enrollment's place (the JOURNEY lines).
    from amanah.journeys.models import JourneyEnrollment, JourneyNode, JourneyStep, MarketingJourney

    journey = MarketingJourney.objects.create(name=f"Journey {customer.pk}", status="ACTIVE")
    trigger = JourneyNode.objects.create(journey=journey, key="t", type="TRIGGER")
    now = timezone.now()
    enrollment = JourneyEnrollment.objects.create(
        journey=journey,
        customer=customer,
        current_node=trigger,
        status="ERROR",
        ended_at=now,
        exit_reason="STEP_FAILED",
    )
    JourneyStep.objects.create(
        journey=journey, enrollment=enrollment, node=trigger, outcome="PASSED", at=now
    )


def _utility_rows(customer):
    # The customer's water connection (the "Sambungan air" card and its arrears).
    from amanah.utility.testing import connection

    connection(customer.home_branch, customer=customer)


@pytest.fixture
def world(system, make_user, branch_a):
    """Two customers, each with a row of every kind the 360 shows."""
    agent = make_user(R.AGENT, branches=[branch_a])
    rm = make_user(R.RM, branches=[branch_a])
    supervisor = make_user(R.SUPERVISOR, branches=[branch_a])
    built = []
    for name in ("Nasabah Satu Harahap", "Nasabah Dua Siregar"):
        customer = customer_create(
            actor=system, data=CustomerInput(full_name=name, home_branch=branch_a)
        )
        portfolio_assign(actor=supervisor, customer=customer, rm=rm)
        consent_change(
            actor=agent,
            customer=customer,
            consent_type="MARKETING",
            new_status="GRANTED",
            channel="BRANCH",
            verification_method="IN_PERSON",
            effective_at=timezone.now() - timedelta(days=1),
        )
        case = complaint(agent, customer)
        cases.case_add_note(actor=agent, case=case, message=NOTE)
        lead = sales.lead_create(actor=rm, customer=customer, source_type="MANUAL")
        sales.activity_log(
            actor=rm, customer=customer, activity_type="CALL", note="Menanyakan KPR", lead=lead
        )
        sales_contract.call_task_create(
            actor=rm, customer=customer, due_on=timezone.localdate() + timedelta(days=2), lead=lead
        )
        sales.opportunity_create(
            actor=rm,
            customer=customer,
            product_interest="KPR",
            estimated_value=Decimal("250000000"),
            expected_close_date=timezone.localdate() + timedelta(days=30),
            lead=lead,
        )
        _marketing_rows(customer)
        _nba_rows(customer, rm)
        _fieldops_rows(customer, agent)
        _utility_rows(customer)
        _journey_rows(customer)
        closed_case(system, customer)  # a closed FRAUD_SCAM case: its service recovery
        book(system, customer, days_ago=3, amount=2_500_000, count=2)
        invitation_create(actor=SURVEYOR, survey_type="NPS", customer=customer, period=0)
        built.append(customer)
    rfm_run_compute(actor=system)
    return built


@pytest.fixture
def nobody(db):
    return IntegrationActor("nobody", permissions=())


@pytest.fixture
def everything(system):
    return system


def timeline_providers():
    """Every app's, whichever deployment profile shows it (the PDAM's water card too)."""
    return [
        (key, (p.kind, p.events)) for key, p in every_profiles_items(registry.timeline_providers)
    ]


def fact_sources():
    return every_profiles_items(registry.facts)


def rows_in(value, depth=0):
    """Model instances reachable from a fact: directly, in querysets and containers, or behind
    the cached properties of a tab object (evaluated here as the tab's template would)."""
    if isinstance(value, models.Model):
        yield value
    elif isinstance(value, models.QuerySet):
        yield from value
    elif isinstance(value, dict):
        for item in value.values():
            yield from rows_in(item, depth)
    elif isinstance(value, list | tuple | set | frozenset):
        for item in value:
            yield from rows_in(item, depth)
    elif depth < 2 and type(value).__module__.startswith("amanah."):
        for name, attribute in vars(type(value)).items():
            if isinstance(attribute, cached_property):
                yield from rows_in(getattr(value, name), depth + 1)


def test_the_registries_are_not_empty():
    assert {name for name, _ in timeline_providers()} >= {
        "cases.activities",
        "consent.records",
        "marketing.events",
        "sales.activities",
    }
    assert {name for name, _ in fact_sources()} >= {"cases", "insight", "marketing", "sales"}


def test_every_timeline_provider_shows_nothing_to_an_actor_who_may_see_nothing(
    world, nobody, everything
):
    for name, (_kind, provider) in timeline_providers():
        for customer in world:
            shown = provider(customer, actor=everything, since=None, until=None, limit=50)
            assert shown, f"{name}: the fixture builds no rows for this provider; add some"
            hidden = provider(customer, actor=nobody, since=None, until=None, limit=50)
            assert hidden == [], f"{name} ignores the actor: {hidden[:1]}"


def test_every_fact_source_gives_an_actor_who_may_see_nothing_no_row(world, nobody, everything):
    for name, source in fact_sources():
        for customer in world:
            assert list(rows_in(source(customer, everything))), f"{name}: no rows in fixture"
            leaked = list(rows_in(source(customer, nobody)))
            assert leaked == [], f"{name} ignores the actor: {leaked[:1]}"


def test_the_whole_timeline_is_empty_for_an_actor_who_may_see_nothing(world, nobody):
    assert timeline.events_for(world[0], actor=nobody, include_sensitive=True) == []


@pytest.fixture
def restricted_models(monkeypatch):
    """Spy on the one visible_to: which models a provider read through it (``restrict``, or
    a manager's filter built once per grants and handed out again by ``_all_visible``).
    Reads kept compiled (``core.prepared``) are forgotten first, so each is built again here."""
    prepared.clear()
    seen: list = []
    real_restrict, real_all_visible = scopes.restrict, scopes._all_visible

    def spy(queryset, actor, **kwargs):
        seen.append(queryset.model)
        return real_restrict(queryset, actor, **kwargs)

    def spy_all(manager, actor, row_grants):
        seen.append(manager.model)
        return real_all_visible(manager, actor, row_grants)

    monkeypatch.setattr(scopes, "restrict", spy)
    monkeypatch.setattr(scopes, "_all_visible", spy_all)
    return seen


def test_every_provider_reads_through_visible_to(world, everything, restricted_models):
    for name, (_kind, provider) in timeline_providers():
        restricted_models.clear()
        provider(world[0], actor=everything, since=None, until=None, limit=50)
        assert restricted_models, f"{name} reads no model through visible_to(actor)"
    for name, source in fact_sources():
        restricted_models.clear()
        list(rows_in(source(world[0], everything)))
        assert restricted_models, f"{name} reads no model through visible_to(actor)"
