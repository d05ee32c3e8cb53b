"""Decisions on the same recommendation of one customer at the same moment (a supervisor's
tabs, or a supervisor and an RM): one is stored, the others are refused with ``conflict``.
``nba_decide`` takes a per-customer lock and evaluates again under it, so the second sees the
first's committed decision and the recommendation no longer shown. Real threads on connections
of their own over a committed world (the cases app's concurrency world), removed afterwards."""

from __future__ import annotations

import uuid

import pytest
from django.db import connection, transaction

from amanah.audit.chain import verify_chain
from amanah.cases.tests.test_concurrency import _build, _remove
from amanah.consent.services import consent_change
from amanah.core.actors import SystemActor
from amanah.core.errors import CONFLICT, ServiceError
from amanah.core.roles import RoleKey as R
from amanah.core.testing import on_own_connection, run_in_threads
from amanah.customers.services import CustomerInput, customer_create
from amanah.iam.models import User
from amanah.insight.nba.models import NbaDecision
from amanah.insight.nba.services import nba_decide
from amanah.sales.models import FollowUpTask

RULE = "FEATURE_ACTIVATION"  # marketing consent granted, no open case: shown at once
DECIDERS = 4


def _contactable_customer(world):
    """A customer of the world's branch with a phone and marketing consent."""
    customer = customer_create(
        actor=SystemActor("system:test"),
        data=CustomerInput(
            full_name="Nasabah Keputusan Serentak",
            home_branch=world.branch,
            phone="081377700099",
            cif=f"N{world.marker[:8]}",
        ),
    )
    consent_change(
        actor=world.agents[0],
        customer=customer,
        consent_type="MARKETING",
        new_status="GRANTED",
        channel="BRANCH",
        verification_method="IN_PERSON",
    )
    return customer


@pytest.fixture
def world(db):
    marker = uuid.uuid4().hex[:10].upper()
    built = on_own_connection(lambda: _build(marker, customers=0, agents=1))
    built.customers.append(on_own_connection(lambda: _contactable_customer(built)))
    yield built

    def remove_decisions():
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET LOCAL session_replication_role = replica")
            NbaDecision.objects.filter(customer__in=built.customers).delete()
            FollowUpTask.objects.filter(customer__in=built.customers).delete()

    on_own_connection(remove_decisions)
    on_own_connection(lambda: _remove(built))
    assert verify_chain().ok


def test_decisions_at_once_one_is_stored_the_others_refused(world):
    customer = world.customers[0]
    answers: dict[int, str] = {}

    def decide(n: int) -> None:
        supervisor = User.objects.get(pk=world.supervisor.pk)
        supervisor.active_role = R.SUPERVISOR
        try:
            nba_decide(
                actor=supervisor,
                customer_id=customer.pk,
                rule_code=RULE,
                decision="SNOOZED" if n == 0 else "REJECTED",
            )
            answers[n] = "stored"
        except ServiceError as refused:
            answers[n] = refused.code

    assert run_in_threads(decide, DECIDERS) == []
    assert sorted(answers.values()) == sorted(["stored"] + [CONFLICT] * (DECIDERS - 1)), answers
    (decision,) = NbaDecision.objects.filter(customer=customer)
    assert decision.rule_id == RULE
    # A refused decision leaves nothing behind (Accept's own work is test_nba_accept's).
    assert decision.decision in ("SNOOZED", "REJECTED")
    assert not FollowUpTask.objects.filter(customer=customer).exists()
