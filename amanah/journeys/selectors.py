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
    from amanah.journeys import abtest
    from amanah.journeys.graph import (
        MAX_WAIT_DAYS,
        UPDATE_FIELD_LABELS,
        UPDATE_FIELDS,
        _channels,
    )
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
        "update_fields": [
            {"value": name, "label": f"{UPDATE_FIELD_LABELS[name]} ({name})"}
            for name in UPDATE_FIELDS
        ],
        "ab_metrics": list(abtest.METRICS),
        "ab_dimensions": list(abtest.DIMENSIONS),
    }


def audience_preview(journey: MarketingJourney) -> dict | None:
    """Before activation: how many customers the segment trigger would enroll now, and for
    each ACTION how many of them the offer could reach — asked of the engine's own rules
    (``triggers.segment_members``; the channels the step would send on, its own and those
    its template is approved on as an offer, ``services.other_template_versions``;
    messaging's channel rule counted, ``messaging.contract.choice_counts``: the customer's
    preferred channel first, then the next one consent allows and they have an address on;
    ``engine.choice_exit`` for the rest), one grouped query per ACTION. Later nodes see fewer
    (waits, branches, splits): this is the ceiling. None when the journey does not start on
    a segment (an event's audience is whoever the event happens to)."""
    from amanah.consent.contract import Purpose
    from amanah.journeys.engine import choice_exit
    from amanah.journeys.models import JourneyNode, NodeType
    from amanah.journeys.services import other_template_versions
    from amanah.journeys.triggers import segment_members
    from amanah.messaging.contract import CUSTOMER_ADDRESS, choice_counts

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
        others = other_template_versions(node.config.get("template") or "", channel)
        reach, blocked = 0, {}
        for (on, reason), count in choice_counts(
            members, Purpose.OFFER, (channel, *others)
        ).items():
            if on:
                reach += count
            else:
                outcome = choice_exit(reason)
                blocked[outcome] = blocked.get(outcome, 0) + count
        actions.append(
            {
                "node": node.key,
                "channel": channel,
                "eligible": reach,
                "blocked": sorted(blocked.items()),
            }
        )
    return {"members": members.count(), "actions": actions}


# --------------------------------------------------------------------------- A/B tests


def descendants_of(journey: MarketingJourney, node_key: str) -> set[str]:
    """The keys of the nodes after ``node_key`` in the version (where its variants' messages
    are sent)."""
    from amanah.journeys.models import JourneyEdge

    out: dict[str, list[str]] = {}
    for source, target in JourneyEdge.objects.filter(journey=journey).values_list(
        "source__key", "target__key"
    ):
        out.setdefault(source, []).append(target)
    seen, todo = set(), [node_key]
    while todo:
        for target in out.get(todo.pop(), []):
            if target not in seen:
                seen.add(target)
                todo.append(target)
    return seen


def _success(plan, journey: MarketingJourney, node_key: str):
    """Exists: the step's customer reached the test's metric within the window after the
    split assigned the variant (a message sent after the split was opened / clicked, or the
    enrollment reached a GOAL_REACHED end)."""
    from datetime import timedelta

    from django.db.models import DateTimeField, Exists, ExpressionWrapper, OuterRef, Value

    from amanah.journeys.models import EndReason

    window = ExpressionWrapper(
        OuterRef("at") + Value(timedelta(hours=plan.window_hours)),
        output_field=DateTimeField(),
    )
    if plan.metric == "CONVERT":
        return Exists(
            JourneyStep.objects.filter(
                enrollment=OuterRef("enrollment"),
                outcome=StepOutcome.ENDED,
                reason=EndReason.GOAL_REACHED,
                at__lte=window,
            )
        )
    from amanah.messaging.contract import EngagementKind, MessageSource
    from amanah.messaging.models import Engagement

    return Exists(
        Engagement.objects.filter(
            kind=EngagementKind.OPEN if plan.metric == "OPEN" else EngagementKind.CLICK,
            message__source=MessageSource.JOURNEY,
            message__source_id=str(journey.pk),
            message__step__in=sorted(descendants_of(journey, node_key)),
            message__customer=OuterRef("enrollment__customer"),
            at__gte=OuterRef("at"),
            at__lte=window,
        )
    )


def split_test_report(journey: MarketingJourney, node, *, now):
    """The A/B test of SPLIT ``node`` at ``now`` (``abtest.decide``): per variant, the
    customers assigned, and — of its first ``sample_size`` customers in assignment order —
    those whose window has passed and those who reached the metric in it. Two queries: the
    counts per variant, and the first customers of each (window function). In time order
    the customers whose window has passed are the first ones, so filtering them before the
    ranking ranks them as among all."""
    from datetime import timedelta

    from django.db.models import F, Min, Window
    from django.db.models.functions import RowNumber

    from amanah.journeys import abtest

    plan = abtest.Plan.of(node.config["test"])
    steps = JourneyStep.objects.filter(node=node, outcome=StepOutcome.PASSED)
    totals = {
        row["branch"]: (row["n"], row["first"])
        for row in steps.values("branch").annotate(n=Count("id"), first=Min("at"))
    }
    ranked = (
        steps.annotate(
            rank=Window(
                RowNumber(),
                partition_by=[F("branch")],
                order_by=[F("at").asc(), F("enrollment_id").asc()],
            ),
            success=_success(plan, journey, node.key),
        )
        .filter(rank__lte=plan.sample_size, at__lte=now - timedelta(hours=plan.window_hours))
        .values_list("branch", "success")
    )
    # At most sample_size rows per variant: counted here (an aggregate over a window
    # function's filter is not something the ORM composes).
    firsts: dict[str, dict[str, int]] = {}
    for branch, success in ranked:
        arm = firsts.setdefault(branch, {"counted": 0, "successes": 0})
        arm["counted"] += 1
        arm["successes"] += bool(success)
    arms = [
        abtest.Arm(
            v["name"],
            assigned=totals.get(v["name"], (0, None))[0],
            counted=firsts.get(v["name"], {}).get("counted", 0),
            successes=firsts.get(v["name"], {}).get("successes", 0),
        )
        for v in node.config["variants"]
    ]
    starts = [first for _n, first in totals.values() if first is not None]
    decision = abtest.decide(plan, arms, started_at=min(starts) if starts else now, now=now)
    return plan, decision


def split_tests(journey: MarketingJourney, *, now) -> list[dict]:
    """Every SPLIT with a test plan in the version, with its report (for the version page)."""
    from amanah.journeys.models import JourneyNode, NodeType

    reports = []
    for node in JourneyNode.objects.filter(journey=journey, type=NodeType.SPLIT).order_by(
        "position", "id"
    ):
        if not node.config.get("test"):
            continue
        plan, decision = split_test_report(journey, node, now=now)
        reports.append(
            {
                "node": node,
                "plan": plan,
                "decision": decision,
                "promoted": node.config.get("promoted") or {},
            }
        )
    return reports


# --------------------------------------------------------------------------- quarantine


def quarantine_list(*, actor, journey: MarketingJourney, limit: int = 200) -> list[dict]:
    """The version's enrollments in ERROR (a step failed), newest first, for whoever sees the
    journey (``journey`` came through ``journey_get``). The customer's name only where the
    actor may see the customer (marketing often may not): the row is the journey's, the
    person is the customers app's. Two queries."""
    from amanah.customers.models import Customer

    rows = list(
        JourneyEnrollment.objects.filter(journey=journey, status=EnrollmentStatus.ERROR)
        .select_related("current_node")
        .order_by("-ended_at", "-id")[:limit]
    )
    names = dict(
        Customer.objects.visible_to(actor)
        .filter(pk__in=[r.customer_id for r in rows])
        .values_list("pk", "full_name")
    )
    from amanah.journeys.models import ExitReason

    labels = dict(ExitReason.choices)
    return [
        {
            "enrollment": r,
            "customer_name": names.get(r.customer_id, ""),
            "reason": labels.get(r.exit_reason, r.exit_reason),
        }
        for r in rows
    ]


def enrollment_get(*, journey: MarketingJourney, enrollment_id) -> JourneyEnrollment:
    """An enrollment of ``journey`` (which the caller got through ``journey_get``)."""
    try:
        pk = int(enrollment_id)
    except (ValueError, TypeError):
        pk = 0
    found = None
    if 0 < pk < 2**63:
        found = JourneyEnrollment.objects.filter(journey=journey, pk=pk).first()
    if found is None:
        raise NotFound()
    return found
