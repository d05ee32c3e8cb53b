"""Channel analytics of one journey version (seed 001 §6C): per ACTION node, per A/B variant,
per channel and for the whole version — sent, delivered, opened, clicked, converted,
unsubscribed — plus the conversion to the journey's goal.

The message figures are the messaging hub's (``messaging.selectors.step_totals``: one
GROUP BY over the outbox rows of source JOURNEY and this version, by step = node key), so a
journey counts exactly as a campaign does; nothing is copied into journeys. A node belongs to
the variant of the nearest SPLIT before it (the builder's graph has no cycles; a node reached
from two variants belongs to neither, shown as "—"). Aggregates only, never a recipient: the
page that shows them checked ``journey.view``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from amanah.journeys.models import (
    EndReason,
    JourneyEdge,
    JourneyEnrollment,
    JourneyNode,
    JourneyStep,
    MarketingJourney,
    NodeType,
    StepOutcome,
)

# The channel analytics' metrics, in column order (the hub's names).
METRICS = ("sent", "delivered", "opened", "clicked", "converted", "unsubscribed")


@dataclass
class MetricRow:
    """One row of figures; ``None`` where the channel cannot measure a metric (SMS opens)."""

    label: str
    channel: str = ""
    variant: str = ""
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(METRICS, 0))

    def add(self, counts: dict[str, int]) -> None:
        for metric in METRICS:
            self.counts[metric] += counts.get(metric, 0) or 0

    @property
    def channel_label(self) -> str:
        from amanah.messaging.channels import Channel

        return Channel(self.channel).label if self.channel in Channel.values else ""

    @property
    def cells(self) -> list[tuple[str, int | None]]:
        from amanah.messaging.selectors import NOT_AVAILABLE

        missing = NOT_AVAILABLE.get(self.channel, set())
        return [(m, None if m in missing else self.counts[m]) for m in METRICS]

    def rate(self, metric: str) -> float | None:
        sent = self.counts["sent"]
        return round(100.0 * self.counts[metric] / sent, 1) if sent else None


def variants_of(journey: MarketingJourney) -> dict[str, str]:
    """Node key → ``"split key/variant"`` of the nearest SPLIT before it ('' when none, or
    when two variants lead to it)."""
    nodes = dict(JourneyNode.objects.filter(journey=journey).values_list("key", "type"))
    out: dict[str, list[tuple[str, str]]] = {}
    incoming: dict[str, int] = dict.fromkeys(nodes, 0)
    for source, label, target in JourneyEdge.objects.filter(journey=journey).values_list(
        "source__key", "label", "target__key"
    ):
        out.setdefault(source, []).append((label, target))
        incoming[target] += 1
    seen: dict[str, set[str]] = {key: set() for key in nodes}
    # Kahn's order: a node's variants are final once every way into it was walked.
    todo = [key for key, n in incoming.items() if n == 0]
    while todo:
        key = todo.pop()
        for label, target in out.get(key, []):
            tag = f"{key}/{label}" if nodes[key] == NodeType.SPLIT else None
            seen[target] |= {tag} if tag else seen[key]
            incoming[target] -= 1
            if incoming[target] == 0:
                todo.append(target)
    return {key: next(iter(tags)) if len(tags) == 1 else "" for key, tags in seen.items()}


def journey_channel_report(journey: MarketingJourney) -> dict:
    """``{"nodes": [MetricRow per ACTION], "variants": [...], "channels": [...],
    "total": MetricRow, "goal": {"entered", "reached", "percent"}}``."""
    from amanah.messaging.contract import MessageSource
    from amanah.messaging.selectors import step_totals

    totals: dict[str, dict[str, int]] = {}
    for step, counts in step_totals(
        source=MessageSource.JOURNEY, source_id=str(journey.pk)
    ).items():
        # ``a1~2``: node a1's message to a customer's second pass (``engine.message_step``).
        node_total = totals.setdefault(step.split("~")[0], dict.fromkeys(METRICS, 0))
        for metric in METRICS:
            node_total[metric] += counts.get(metric, 0) or 0
    variant = variants_of(journey)
    actions = JourneyNode.objects.filter(journey=journey, type=NodeType.ACTION).order_by(
        "position", "id"
    )
    nodes, by_variant, by_channel = [], {}, {}
    total = MetricRow(label="total")
    for node in actions:
        channel = node.config.get("channel", "")
        row = MetricRow(label=node.key, channel=channel, variant=variant.get(node.key, ""))
        row.add(totals.get(node.key, {}))
        nodes.append(row)
        by_channel.setdefault(channel, MetricRow(label=channel, channel=channel)).add(row.counts)
        if row.variant:
            by_variant.setdefault(row.variant, MetricRow(label=row.variant)).add(row.counts)
        total.add(row.counts)
    return {
        "nodes": nodes,
        "variants": [by_variant[k] for k in sorted(by_variant)],
        "channels": [by_channel[k] for k in sorted(by_channel)],
        "total": total,
        "goal": goal_conversion(journey),
    }


def goal_conversion(journey: MarketingJourney) -> dict:
    """Enrollments of the version and those that reached an END with reason GOAL_REACHED."""
    entered = JourneyEnrollment.objects.filter(journey=journey).count()
    # One END step per enrollment at most (``journey_step_once``, an END ends it).
    reached = JourneyStep.objects.filter(
        journey=journey, outcome=StepOutcome.ENDED, reason=EndReason.GOAL_REACHED
    ).count()
    return {
        "entered": entered,
        "reached": reached,
        "percent": round(100.0 * reached / entered, 1) if entered else None,
    }
