"""The engine with a controllable clock: trigger → wait → action → wait → branch → split →
action → end with exact per-node counts; a re-run batch duplicates nothing; a withdrawal
exits the enrollment and nothing more is sent."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import transaction

from amanah.consent.services import consent_change
from amanah.journeys import engine, services, triggers
from amanah.journeys.engine import variant_of
from amanah.journeys.models import CustomerTag, JourneyEnrollment, JourneyNode, JourneyStep
from amanah.journeys.selectors import branch_counts, node_counts
from amanah.journeys.testing import customer
from amanah.messaging.contract import EngagementKind, engagement_record
from amanah.messaging.models import Message

# A Tuesday morning in Medan: inside the offer window.
T0 = datetime(2026, 11, 24, 10, 0, tzinfo=ZoneInfo("Asia/Jakarta"))


@pytest.fixture
def people(system, branch_a, branch_b):
    granted = [customer(system, branch_a, name=f"Nasabah {i}") for i in range(10)]
    never_asked = customer(system, branch_a, name="Tanpa Persetujuan", consent=None)
    elsewhere = customer(system, branch_b, name="Orang Siantar")
    return {"granted": granted, "never_asked": never_asked, "elsewhere": elsewhere}


def _messages(journey, step):
    return Message.objects.filter(source="JOURNEY", source_id=str(journey.pk), step=step)


def _counts(journey, *keys):
    counts = node_counts(journey)
    return {
        k: tuple(counts[k][f] for f in ("entered", "waiting", "passed", "exited")) for k in keys
    }


def test_a_run_with_exact_per_node_counts(journey, people):
    entered = triggers.segment_entries(now=T0)
    assert entered == {str(journey.pk): 11}  # 10 granted + 1 never asked; not the other branch
    assert triggers.segment_entries(now=T0) == {str(journey.pk): 0}  # once per version

    engine.tick(now=T0)
    assert _counts(journey, "t", "w1") == {"t": (11, 0, 11, 0), "w1": (11, 11, 0, 0)}
    assert engine.tick(now=T0 + timedelta(hours=23))["batches"] == 0  # nobody due yet

    engine.tick(now=T0 + timedelta(days=1))
    # The customer who never consented leaves at the WhatsApp offer; ten offers are queued.
    assert _counts(journey, "w1", "a1", "w2") == {
        "w1": (11, 0, 11, 0),
        "a1": (11, 0, 10, 1),
        "w2": (10, 10, 0, 0),
    }
    assert _messages(journey, "a1").filter(channel="WHATSAPP").count() == 10
    left = JourneyEnrollment.objects.get(customer=people["never_asked"])
    assert (left.status, left.exit_reason) == ("EXITED", "CONSENT_WITHDRAWN")

    clickers = people["granted"][:4]
    for person in clickers:
        engagement_record(
            message_id=str(_messages(journey, "a1").get(customer=person).pk),
            kind=EngagementKind.CLICK,
        )

    engine.tick(now=T0 + timedelta(days=3, minutes=1))
    journey_key = journey.key
    variants = [{"name": "A", "percentage": 50}, {"name": "B", "percentage": 50}]
    in_a = [p for p in clickers if variant_of(journey_key, "s", p.pk, variants) == "A"]
    a, b = len(in_a), 4 - len(in_a)
    assert _counts(journey, "w2", "b", "s", "a2", "e1", "e2", "u", "e3") == {
        "w2": (10, 0, 10, 0),
        "b": (10, 0, 10, 0),
        "s": (4, 0, 4, 0),
        "a2": (a, 0, a, 0),
        "e1": (a, 0, 0, a),
        "e2": (b, 0, 0, b),
        "u": (6, 0, 6, 0),
        "e3": (6, 0, 0, 6),
    }
    assert branch_counts(journey)[("b", "YES")] == 4
    assert branch_counts(journey)[("b", "NO")] == 6
    assert set(_messages(journey, "a2").values_list("customer_id", flat=True)) == {
        p.pk for p in in_a
    }
    assert CustomerTag.objects.filter(tag="tidak-klik").count() == 6
    statuses = dict(
        JourneyEnrollment.objects.filter(journey=journey)
        .values_list("status")
        .annotate(n=__import__("django.db.models", fromlist=["Count"]).Count("id"))
    )
    assert statuses == {"COMPLETED": 10, "EXITED": 1}
    assert engine.tick(now=T0 + timedelta(days=30))["batches"] == 0


def _state(journey):
    return (
        list(
            JourneyEnrollment.objects.filter(journey=journey)
            .order_by("pk")
            .values_list("pk", "status", "current_node__key", "due_at")
        ),
        JourneyStep.objects.filter(journey=journey).count(),
        _messages(journey, "a1").count(),
    )


class Killed(Exception):
    pass


def test_a_batch_killed_before_commit_leaves_nothing_and_the_rerun_does_it_once(journey, people):
    triggers.segment_entries(now=T0)
    engine.tick(now=T0)
    before = _state(journey)
    later = T0 + timedelta(days=1)
    with pytest.raises(Killed), transaction.atomic():
        counts = engine.advance_batch(now=later, limit=1000)
        assert counts["picked"] == 11 and _messages(journey, "a1").count() == 10
        raise Killed  # the worker dies before its batch commits
    assert _state(journey) == before
    engine.tick(now=later)
    after = _state(journey)
    assert after[1:] == (11 + 11 + 11, 10)  # trigger, wait and action steps; ten offers
    # Running the tick again, or replaying the action for the customers already past it,
    # queues nothing twice and writes no second step.
    engine.tick(now=later)
    a1 = JourneyNode.objects.get(journey=journey, key="a1")
    JourneyEnrollment.objects.filter(journey=journey, status="ACTIVE").update(
        current_node=a1, due_at=later
    )
    engine.tick(now=later)
    assert _state(journey)[1:] == after[1:]


def test_a_step_row_already_there_is_kept_and_the_rest_of_the_batch_goes_in(journey, people):
    # The batch writes its step rows with a plain INSERT; one of them already there (a
    # replayed step) undoes it, and the fallback writes the others, skipping that one.
    triggers.segment_entries(now=T0)
    engine.tick(now=T0)
    a1 = JourneyNode.objects.get(journey=journey, key="a1")
    first = JourneyEnrollment.objects.filter(journey=journey).order_by("pk").first()
    earlier = JourneyStep.objects.create(
        journey=journey, enrollment=first, node=a1, outcome="PASSED", at=T0
    )
    counts = engine.tick(now=T0 + timedelta(days=1))
    assert counts["picked"] == 11 and counts.get("quarantined", 0) == 0
    at_a1 = JourneyStep.objects.filter(node=a1)
    assert at_a1.count() == 11  # one per enrollment: the earlier one kept, ten written
    assert at_a1.get(enrollment=first) == earlier
    assert set(at_a1.values_list("enrollment_id", flat=True)) == set(
        JourneyEnrollment.objects.filter(journey=journey).values_list("pk", flat=True)
    )


def test_a_withdrawal_exits_the_enrollment_and_nothing_more_is_sent(journey, people, system):
    triggers.segment_entries(now=T0)
    engine.tick(now=T0)
    engine.tick(now=T0 + timedelta(days=1))
    for person in people["granted"]:  # everybody clicks: all go to the split
        engagement_record(
            message_id=str(_messages(journey, "a1").get(customer=person).pk),
            kind=EngagementKind.CLICK,
        )
    variants = [{"name": "A", "percentage": 50}, {"name": "B", "percentage": 50}]
    in_a = [p for p in people["granted"] if variant_of(journey.key, "s", p.pk, variants) == "A"]
    assert in_a, "the hash put nobody in variant A"
    leaver = in_a[0]
    consent_change(
        actor=system,
        customer=leaver,
        consent_type="MARKETING",
        new_status="WITHDRAWN",
        channel="BRANCH",
        verification_method="IN_PERSON",
    )
    # The customer leaves at once, at the wait where they stood.
    gone = JourneyEnrollment.objects.get(journey=journey, customer=leaver)
    assert (gone.status, gone.exit_reason, gone.current_node.key) == (
        "EXITED",
        "CONSENT_WITHDRAWN",
        "w2",
    )
    engine.tick(now=T0 + timedelta(days=3))
    emailed = set(_messages(journey, "a2").values_list("customer_id", flat=True))
    assert emailed == {p.pk for p in in_a[1:]}
    assert _counts(journey, "w2", "a2") == {
        "w2": (10, 0, 9, 1),
        "a2": (len(in_a) - 1, 0, len(in_a) - 1, 0),
    }
    engine.tick(now=T0 + timedelta(days=10))
    assert not _messages(journey, "a2").filter(customer=leaver).exists()
    assert _messages(journey, "a1").filter(customer=leaver).count() == 1  # the one before


def test_a_paused_journey_does_not_advance(journey, people, marketer):
    triggers.segment_entries(now=T0)
    services.journey_move(actor=marketer, journey=journey, to="PAUSED")
    assert engine.tick(now=T0)["batches"] == 0
    assert triggers.segment_entries(now=T0) == {}  # and enrolls nobody
    services.journey_move(actor=marketer, journey=journey, to="ACTIVE")
    assert engine.tick(now=T0)["passed"] == 11


def test_the_split_is_stable_and_near_its_percentages():
    variants = [{"name": "A", "percentage": 70}, {"name": "B", "percentage": 30}]
    picks = [variant_of("k", "s", f"c{i}", variants) for i in range(5000)]
    assert picks == [variant_of("k", "s", f"c{i}", variants) for i in range(5000)]
    assert 0.67 < picks.count("A") / 5000 < 0.73
