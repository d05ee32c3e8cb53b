"""A branch's condition: a small vocabulary, checked when the graph is saved and evaluated
set-based over a batch of customers by the engine.

    {"kind": "opened",    "node": "a1"}            the message of ACTION a1 was opened
    {"kind": "clicked",   "node": "a1"}            … a link in it was clicked
    {"kind": "rfm",       "segments": ["CHAMPION"]} the customer's latest RFM segment (never
                                                   true for one who objected to profiling:
                                                   consent's ``profiled``)
    {"kind": "consent",   "channel": "EMAIL"}      may be offered something on the channel now
                                                   (consent's published rule, set form)
    {"kind": "attribute", "field": "is_vip", "op": "eq", "value": true}
                                                   a customer attribute, in marketing's
                                                   segment-rule vocabulary (marketing.rules)
"""

from __future__ import annotations

from django.db.models import Exists, OuterRef, QuerySet
from django.utils.translation import gettext as _

from amanah.core.errors import ServiceError
from amanah.journeys.models import NodeType

KINDS = ("opened", "clicked", "rfm", "consent", "attribute")


class ConditionError(Exception):
    def __init__(self, field: str, message):
        super().__init__(str(message))
        self.field, self.message = field, str(message)


def clean_condition(raw, ancestors: dict[str, str]) -> dict:
    """The condition, cleaned; ``ancestors`` maps the nodes before the branch to their type
    (opened/clicked must name an ACTION the customer passed before)."""
    if not isinstance(raw, dict) or raw.get("kind") not in KINDS:
        raise ConditionError(
            "condition", _("Kondisi: opened, clicked, rfm, consent atau attribute.")
        )
    kind = raw["kind"]
    if kind in ("opened", "clicked"):
        node = raw.get("node")
        if not isinstance(node, str) or ancestors.get(node) != NodeType.ACTION:
            raise ConditionError(
                "condition.node", _("Kondisi harus menunjuk simpul kirim pesan sebelumnya.")
            )
        return {"kind": kind, "node": node}
    if kind == "rfm":
        from amanah.insight.rules import Segment

        segments = raw.get("segments")
        if (
            not isinstance(segments, list)
            or not segments
            or not all(s in Segment.values for s in segments)
        ):
            raise ConditionError("condition.segments", _("Segmen RFM tidak dikenal."))
        return {"kind": kind, "segments": sorted(set(segments))}
    if kind == "consent":
        from amanah.marketing.models import SENDABLE_CHANNELS

        channel = raw.get("channel")
        if channel not in SENDABLE_CHANNELS:
            raise ConditionError("condition.channel", _("Kanal persetujuan tidak dikenal."))
        return {"kind": kind, "channel": channel}
    from amanah.marketing.rules import FIELDS, compile_rules

    rule = {k: raw.get(k) for k in ("field", "op", "value")}
    if rule["field"] not in FIELDS:
        raise ConditionError("condition.field", _("Atribut nasabah tidak dikenal."))
    try:
        compile_rules({"all": [rule]})
    except ServiceError as error:
        raise ConditionError("condition.value", error.message) from None
    return {"kind": kind, **rule}


def _engaged(kind: str, journey, node_key: str, entry: int) -> Exists:
    from amanah.journeys.engine import message_step
    from amanah.messaging.contract import EngagementKind, MessageSource
    from amanah.messaging.models import Engagement

    return Exists(
        Engagement.objects.filter(
            kind=EngagementKind.OPEN if kind == "opened" else EngagementKind.CLICK,
            message__source=MessageSource.JOURNEY,
            message__source_id=str(journey.pk),
            message__step=message_step(node_key, entry),  # this pass's message
            message__customer=OuterRef("pk"),
        )
    )


def matching(condition: dict, customers: QuerySet, journey, *, entry: int = 1) -> QuerySet:
    """The customers of ``customers`` for whom ``condition`` holds (a queryset of them);
    ``entry``: which pass of theirs asks (opened / clicked look at that pass's message)."""
    kind = condition["kind"]
    if kind in ("opened", "clicked"):
        return customers.filter(_engaged(kind, journey, condition["node"], entry))
    if kind == "rfm":
        from amanah.consent.contract import profiled
        from amanah.insight.models import RfmRun, RfmScore

        # A customer who objected to profiling has no segment, whenever one was computed.
        latest = RfmRun.objects.order_by("-started_at", "-id").values_list("pk", flat=True)[:1]
        return profiled(customers).filter(
            Exists(
                RfmScore.objects.filter(
                    customer=OuterRef("pk"),
                    run_id__in=latest,
                    segment__in=condition["segments"],
                )
            )
        )
    if kind == "consent":
        from amanah.consent.contract import Purpose, contactable

        return contactable(customers, Purpose.OFFER, condition["channel"])
    from amanah.marketing.rules import compile_rules

    rule = {k: condition[k] for k in ("field", "op", "value")}
    return customers.filter(compile_rules({"all": [rule]}))
