"""Domain events start journeys (subscribed through the contract) and wake a WAIT until
the event; without the event the wait ends at its timeout."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from amanah.consent.services import consent_change
from amanah.journeys import engine, services
from amanah.journeys.models import JourneyEnrollment, JourneyStep
from amanah.journeys.testing import customer, edge, node

T0 = datetime(2026, 11, 24, 10, 0, tzinfo=ZoneInfo("Asia/Jakarta"))


def _graph():
    return {
        "nodes": [
            node("t", "TRIGGER", type="EVENT", event="consent.consent_changed"),
            node(
                "w",
                "WAIT",
                mode="UNTIL_EVENT",
                event="customers.customer_created",
                timeout_value=2,
                timeout_unit="DAYS",
            ),
            node("a", "ACTION", channel="EMAIL", template="uji.penawaran"),
            node("e", "END", reason="GOAL_REACHED"),
        ],
        "edges": [edge("t", "w"), edge("w", "a"), edge("a", "e")],
    }


@pytest.fixture
def journey(marketer, director, offers):
    journey = services.journey_create(actor=marketer, name="Terima kasih", graph=_graph())
    services.journey_submit(actor=marketer, journey=journey)
    services.journey_approve(actor=director, journey=journey)
    return services.journey_move(actor=marketer, journey=journey, to="ACTIVE")


def test_consent_granted_enrolls_once_and_withdrawal_does_not(journey, system, branch_a):
    person = customer(system, branch_a, consent=None)
    assert not JourneyEnrollment.objects.filter(customer=person).exists()
    consent_change(
        actor=system,
        customer=person,
        consent_type="MARKETING",
        new_status="GRANTED",
        channel="BRANCH",
        verification_method="IN_PERSON",
    )
    enrollment = JourneyEnrollment.objects.get(journey=journey, customer=person)
    assert enrollment.current_node.key == "t"
    consent_change(
        actor=system,
        customer=person,
        consent_type="MARKETING",
        new_status="WITHDRAWN",
        channel="BRANCH",
        verification_method="IN_PERSON",
    )
    consent_change(
        actor=system,
        customer=person,
        consent_type="MARKETING",
        new_status="GRANTED",
        channel="BRANCH",
        verification_method="IN_PERSON",
    )
    assert JourneyEnrollment.objects.filter(customer=person).count() == 1


def test_the_wait_wakes_on_its_event_or_ends_at_its_timeout(journey, system, branch_a):
    early, late = (customer(system, branch_a, consent="GRANTED") for _ in range(2))
    JourneyEnrollment.objects.filter(journey=journey).update(due_at=T0, entered_at=T0)
    engine.tick(now=T0)
    assert set(
        JourneyEnrollment.objects.filter(journey=journey).values_list(
            "current_node__key", flat=True
        )
    ) == {"w"}
    # The event comes for one of them (a real emit would carry a new customer; the handler
    # is what the contract registered for the event).
    from amanah.journeys.triggers import on_event

    woken = on_event(
        "customers.customer_created", customer_id=early.pk, now=T0 + timedelta(hours=1)
    )
    assert woken["woken"] == 1
    engine.tick(now=T0 + timedelta(hours=1))
    done = JourneyEnrollment.objects.get(journey=journey, customer=early)
    assert (done.status, done.exit_reason) == ("COMPLETED", "GOAL_REACHED")
    waiting = JourneyEnrollment.objects.get(journey=journey, customer=late)
    assert (waiting.status, waiting.current_node.key) == ("ACTIVE", "w")
    assert engine.tick(now=T0 + timedelta(days=1))["batches"] == 0
    engine.tick(now=T0 + timedelta(days=2))
    waiting.refresh_from_db()
    assert waiting.status == "COMPLETED"
    assert sorted(
        JourneyStep.objects.filter(journey=journey, node__key="a").values_list("outcome", flat=True)
    ) == ["PASSED", "PASSED"]


def test_an_archived_journey_lets_everyone_go(journey, system, branch_a, marketer):
    customer(system, branch_a, consent="GRANTED")
    services.journey_move(actor=marketer, journey=journey, to="PAUSED")
    services.journey_move(actor=marketer, journey=journey, to="ARCHIVED")
    left = JourneyEnrollment.objects.get(journey=journey)
    assert (left.status, left.exit_reason) == ("EXITED", "JOURNEY_ARCHIVED")
    assert left.ended_at <= timezone.now()
