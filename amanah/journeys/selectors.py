"""Reads of journeys, scoped by the actor; per-node counts for the analytics."""

from __future__ import annotations

from django.db.models import Count, Q

from amanah.core.errors import NotFound
from amanah.journeys.models import (
    EnrollmentStatus,
    JourneyEnrollment,
    JourneyStep,
    MarketingJourney,
    StepOutcome,
)


def journey_list(*, actor, limit: int = 200) -> list[MarketingJourney]:
    return list(MarketingJourney.objects.visible_to(actor).order_by("-created_at")[:limit])


def journey_get(*, actor, journey_id) -> MarketingJourney:
    try:
        journey = MarketingJourney.objects.visible_to(actor).filter(pk=journey_id).first()
    except (ValueError, TypeError):
        journey = None
    if journey is None:
        raise NotFound()
    return journey


def node_counts(journey: MarketingJourney) -> dict[str, dict[str, int]]:
    """Per node key: ``entered`` (every customer who reached it), ``waiting`` (standing at it
    now), ``passed`` (went on), ``exited`` (left the journey there: an exit or an END).
    Two grouped queries over the version's steps and active enrollments."""
    keys = dict(journey.nodes.values_list("pk", "key"))
    counts = {key: {"entered": 0, "waiting": 0, "passed": 0, "exited": 0} for key in keys.values()}
    steps = (
        JourneyStep.objects.filter(journey=journey)
        .values("node_id")
        .annotate(
            passed=Count("id", filter=Q(outcome=StepOutcome.PASSED)),
            left=Count("id", filter=~Q(outcome=StepOutcome.PASSED)),
        )
    )
    for row in steps:
        entry = counts[keys[row["node_id"]]]
        entry["passed"], entry["exited"] = row["passed"], row["left"]
    waiting = (
        JourneyEnrollment.objects.filter(journey=journey, status=EnrollmentStatus.ACTIVE)
        .values("current_node_id")
        .annotate(n=Count("id"))
    )
    for row in waiting:
        counts[keys[row["current_node_id"]]]["waiting"] = row["n"]
    for entry in counts.values():
        entry["entered"] = entry["passed"] + entry["exited"] + entry["waiting"]
    return counts


def branch_counts(journey: MarketingJourney) -> dict[tuple[str, str], int]:
    """Per (node key, edge label): how many took that way (branch YES/NO, split variants)."""
    keys = dict(journey.nodes.values_list("pk", "key"))
    rows = (
        JourneyStep.objects.filter(journey=journey, outcome=StepOutcome.PASSED)
        .values("node_id", "branch")
        .annotate(n=Count("id"))
    )
    return {(keys[r["node_id"]], r["branch"]): r["n"] for r in rows}
