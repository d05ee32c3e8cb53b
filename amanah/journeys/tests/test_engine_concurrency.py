"""Two workers tick at once over committed enrollments: SKIP LOCKED shares the due ones
between them, every enrollment passes each node once, nothing is done twice."""

from datetime import datetime
from zoneinfo import ZoneInfo

from amanah.consent.testing import committed  # noqa: F401 (fixture)
from amanah.core.testing import run_in_threads
from amanah.journeys import engine, services
from amanah.journeys.graph import validate
from amanah.journeys.models import (
    CustomerTag,
    JourneyEnrollment,
    JourneyNode,
    JourneyStep,
    MarketingJourney,
)
from amanah.journeys.testing import edge, node

T0 = datetime(2026, 11, 24, 10, 0, tzinfo=ZoneInfo("Asia/Jakarta"))
COUNT = 240


def test_two_workers_share_the_due_enrollments_and_duplicate_nothing(committed):  # noqa: F811
    people = committed.customers(COUNT)

    def make():
        journey = MarketingJourney.objects.create(name="Konkuren", status="ACTIVE")
        graph = {
            "nodes": [
                node("t", "TRIGGER", type="EVENT", event="consent.consent_changed"),
                node("u", "UPDATE", kind="tag", tag="konkuren"),
                node("e", "END", reason="FINISHED"),
            ],
            "edges": [edge("t", "u"), edge("u", "e")],
        }
        services._write_graph(journey, validate(graph))
        journey.save()
        trigger = JourneyNode.objects.get(journey=journey, key="t")
        JourneyEnrollment.objects.bulk_create(
            JourneyEnrollment(
                journey=journey,
                customer=person,
                current_node=trigger,
                due_at=T0,
                entered_at=T0,
                arrived_at=T0,
            )
            for person in people
        )
        return journey

    journey = committed.run(make)
    committed.on_cleanup(lambda: MarketingJourney.objects.filter(pk=journey.pk).delete())
    picked = []
    errors = run_in_threads(lambda _n: picked.append(engine.tick(now=T0, limit=20)["picked"]), 2)
    assert errors == []
    assert sum(picked) == COUNT  # each enrollment picked by exactly one worker
    assert JourneyStep.objects.filter(journey=journey).count() == 3 * COUNT
    assert CustomerTag.objects.filter(tag="konkuren", customer__in=people).count() == COUNT
    assert set(
        JourneyEnrollment.objects.filter(journey=journey).values_list("status", flat=True)
    ) == {"COMPLETED"}
