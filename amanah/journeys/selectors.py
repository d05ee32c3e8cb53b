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


def canvas_choices(*, actor) -> dict:
    """What the canvas's configuration forms offer: segments, offer templates per channel,
    the events a trigger or a wait may name, end reasons, RFM segments. Only choices: the
    server validates whatever comes back (``graph.validate``)."""
    from amanah.consent.contract import Purpose
    from amanah.journeys.graph import MAX_WAIT_DAYS, _channels
    from amanah.journeys.models import EndReason
    from amanah.journeys.triggers import EVENT_TRIGGERS, WAIT_EVENTS
    from amanah.marketing.models import Segment
    from amanah.messaging.models import MessageTemplate

    templates = MessageTemplate.objects.filter(purpose=Purpose.OFFER).order_by("channel", "key")
    return {
        "segments": [
            {"value": str(pk), "label": name}
            for pk, name in Segment.objects.order_by("name").values_list("pk", "name")[:500]
        ],
        "templates": [
            {"value": t.key, "label": f"{t.name} ({t.key})", "channel": t.channel}
            for t in templates[:500]
        ],
        "channels": list(_channels()),
        "trigger_events": [{"value": k, "label": str(v.label)} for k, v in EVENT_TRIGGERS.items()],
        "wait_events": [{"value": k, "label": str(v.label)} for k, v in WAIT_EVENTS.items()],
        "end_reasons": [{"value": v, "label": str(label)} for v, label in EndReason.choices],
        "max_wait_days": MAX_WAIT_DAYS,
    }


def audience_preview(journey: MarketingJourney) -> dict | None:
    """Before activation: how many customers the segment trigger would enroll now, and for
    each ACTION how many of them the offer could reach — asked of the engine's own rules
    (``triggers.segment_members``, ``engine.contact_verdicts`` and ``engine.contact_outcome``:
    consent's set rule, then the address), counted in one grouped query per ACTION. Later
    nodes see fewer (waits, branches, splits): this is the ceiling. None when the journey does
    not start on a segment (an event's audience is whoever the event happens to)."""
    from amanah.journeys.engine import VERDICT, contact_outcome, contact_verdicts
    from amanah.journeys.models import JourneyNode, NodeType
    from amanah.journeys.triggers import segment_members
    from amanah.messaging.contract import CUSTOMER_ADDRESS

    members = segment_members(journey)
    if members is None:
        return None
    actions = []
    for node in JourneyNode.objects.filter(journey=journey, type=NodeType.ACTION).order_by(
        "position", "id"
    ):
        channel = node.config.get("channel")
        if channel not in CUSTOMER_ADDRESS:
            continue
        address = CUSTOMER_ADDRESS[channel]
        missing = Q(**{f"{address}__isnull": True}) | Q(**{address: ""})
        groups = (
            contact_verdicts(members, channel)
            .order_by()
            .values(VERDICT)
            .annotate(n=Count("pk"), no_address=Count("pk", filter=missing))
        )
        reach, blocked = 0, {}
        for row in groups:
            for count, has_address in (
                (row["n"] - row["no_address"], True),
                (row["no_address"], False),
            ):
                if not count:
                    continue
                outcome = contact_outcome(row[VERDICT], "x" if has_address else "")
                if outcome:
                    blocked[outcome] = blocked.get(outcome, 0) + count
                else:
                    reach += count
        actions.append(
            {
                "node": node.key,
                "channel": channel,
                "eligible": reach,
                "blocked": sorted(blocked.items()),
            }
        )
    return {"members": members.count(), "actions": actions}
