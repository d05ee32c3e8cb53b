"""Read side of messaging for pages: a customer's messages (the 360 Komunikasi tab) and the
channel analytics per campaign and channel.

Every read starts from what the actor may see: the tab from the customer
(``MESSAGE_VIEW_CUSTOMER`` and the customer's ``visible_to``, 404 otherwise), the analytics
from ``Message.objects.visible_to(actor)`` (``MESSAGE_VIEW``). Only masked addresses ever
leave this module.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from django import forms
from django.core.paginator import Page, Paginator
from django.db.models import Count, Exists, OuterRef, Prefetch, Q
from django.utils.translation import gettext_lazy as _

from amanah.cases.contract import may_see_sensitive
from amanah.cases.models import Case
from amanah.iam import authz
from amanah.messaging.channels import Channel, Purpose
from amanah.messaging.models import (
    Engagement,
    EngagementKind,
    Message,
    MessageEvent,
    MessageSource,
    MessageStatus,
    MessageTemplate,
    VersionStatus,
)
from amanah.messaging.policies import MESSAGE_VIEW_CUSTOMER
from amanah.messaging.sources import labels_for

PAGE_SIZE = 50


class MessageFilterForm(forms.Form):
    """The tab's filters; anything outside the choices is a validation error (never a query)."""

    channel = forms.ChoiceField(
        label=_("Saluran"), required=False, choices=[("", _("Semua"))] + Channel.choices
    )
    purpose = forms.ChoiceField(
        label=_("Tujuan"), required=False, choices=[("", _("Semua"))] + Purpose.choices
    )
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("Semua"))] + MessageStatus.choices
    )
    page = forms.IntegerField(required=False, min_value=1, max_value=100_000)


def customer_messages(*, actor, customer, channel="", purpose="", status="", page=1) -> Page:
    """One page (``PAGE_SIZE``) of the messages to ``customer``, newest first, each with its
    provider status events (``timeline``) in time order and ``body`` (the text the tab may
    show, or ``None``: ``body_shown``).

    Starts from the customer: ``MESSAGE_VIEW_CUSTOMER`` and the customer in the actor's scope
    (``visible_to``; otherwise NotFound, a 404). The messages are then the customer's own — an
    RM sees those of a customer in the portfolio without seeing the whole outbox
    (``MESSAGE_VIEW``). Staff messages never show on a customer's tab."""
    authz.require(actor, MESSAGE_VIEW_CUSTOMER, customer)
    rows = (
        Message.objects.filter(customer=customer)
        .exclude(purpose=Purpose.STAFF)
        .only(
            "id",
            "channel",
            "purpose",
            "template_key",
            "template_version",
            "status",
            "cancel_reason",
            "last_error_code",
            "address_masked",
            "created_at",
            "sent_at",
            "source",
            "source_id",
            "subject",
            "text",
            "customer_id",
        )  # fmt: skip — never the sealed address
        .prefetch_related(
            Prefetch(
                "events",
                queryset=MessageEvent.objects.order_by("at", "id"),
                to_attr="timeline",
            )
        )
        .order_by("-created_at", "-id")
    )
    for name, value in (("channel", channel), ("purpose", purpose), ("status", status)):
        if value:
            rows = rows.filter(**{name: value})
    paginator = Paginator(rows, PAGE_SIZE)
    result = paginator.get_page(page)
    hidden_cases = _cases_hidden_from(actor, result.object_list)
    labels = _source_labels(actor, result.object_list, hidden_cases)
    for message in result.object_list:
        message.body = body_shown(message, hidden_cases)
        message.source_label = labels.get(message.source, {}).get(message.source_id, "")
    return result


def _source_labels(actor, messages, hidden_cases: set[str]) -> dict[str, dict[str, str]]:
    """``{source: {id: label}}`` for the page (the campaign's name, the case's number): one
    call of each source's resolver per page (``sources.labels_for``), never one per row. A
    case whose details the actor may not see keeps its number to itself."""
    ids: dict[str, set[str]] = {}
    for message in messages:
        if message.source_id and not (
            message.source == MessageSource.CASE and message.source_id in hidden_cases
        ):
            ids.setdefault(message.source, set()).add(message.source_id)
    return {source: labels_for(source, values, actor=actor) for source, values in ids.items()}


BODY_EXCERPT = 600


def body_shown(message: Message, hidden_cases: set[str] = frozenset()) -> str | None:
    """The tab's rule for bodies: an offer's content is the campaign's, shown (subject and
    text, cut at ``BODY_EXCERPT``); a service message's too, unless it comes from a case whose
    sensitive details the actor may not see (``hidden_cases``, by ``cases.may_see_sensitive``);
    a collection message's never (amounts owed are not every agent's business: the template
    key and version say what was sent)."""
    if message.purpose == Purpose.OFFER or (
        message.purpose == Purpose.SERVICE
        and not (message.source == MessageSource.CASE and message.source_id in hidden_cases)
    ):
        body = "\n".join(part for part in (message.subject, message.text) if part)
        return body[:BODY_EXCERPT] + ("…" if len(body) > BODY_EXCERPT else "")
    return None


def _cases_hidden_from(actor, messages) -> set[str]:
    """Of the cases the page's service messages come from, those whose details the actor may
    not see: out of scope, or sensitive without ``may_see_sensitive``. One query."""
    ids = {
        m.source_id
        for m in messages
        if m.purpose == Purpose.SERVICE and m.source == MessageSource.CASE and m.source_id
    }
    if not ids:
        return set()
    valid = {}
    for value in ids:
        try:
            valid[value] = uuid.UUID(value)
        except (TypeError, ValueError, AttributeError):
            continue
    visible = {
        case.pk: case
        for case in Case.objects.visible_to(actor)
        .select_related("category")
        .filter(pk__in=valid.values())
    }
    return {
        value
        for value in ids
        if (case := visible.get(valid.get(value))) is None or not may_see_sensitive(actor, case)
    }


# --------------------------------------------------------------------------- analytics

METRICS = ("sent", "delivered", "opened", "clicked", "converted", "unsubscribed")
METRIC_LABELS = {
    "sent": _("Terkirim"),
    "delivered": _("Diterima"),
    "opened": _("Dibuka"),
    "clicked": _("Diklik"),
    "converted": _("Konversi"),
    "unsubscribed": _("Berhenti berlangganan"),
}
# Seed 001 §6C: what each channel cannot measure (an SMS has no open or click to observe).
NOT_AVAILABLE = {
    Channel.SMS: {"opened", "clicked"},
}


@dataclass
class AnalyticsRow:
    campaign_id: str
    channel: str
    counts: dict[str, int] = field(default_factory=dict)
    campaign_name: str = ""  # from the owner's label resolver (``sources``); "" if unknown

    @property
    def channel_label(self) -> str:
        return Channel(self.channel).label

    @property
    def cells(self) -> list[tuple[str, int | None]]:
        """``(metric, count)`` in column order; ``None`` where the channel cannot measure it."""
        missing = NOT_AVAILABLE.get(self.channel, set())
        return [(m, None if m in missing else self.counts[m]) for m in METRICS]


def _engaged(kind: str):
    return Exists(Engagement.objects.filter(message=OuterRef("pk"), kind=kind))


def _metric_counts() -> dict:
    return {
        "sent": Count("pk", filter=Q(sent_at__isnull=False)),
        "delivered": Count("pk", filter=Q(delivered_at__isnull=False)),
        "opened": Count("pk", filter=Q(read_at__isnull=False) | Q(_engaged(EngagementKind.OPEN))),
        "clicked": Count("pk", filter=Q(_engaged(EngagementKind.CLICK))),
        "converted": Count("pk", filter=Q(_engaged(EngagementKind.CONVERT))),
        "unsubscribed": Count("pk", filter=Q(_engaged(EngagementKind.UNSUBSCRIBE))),
    }


def channel_analytics(*, actor, campaign_id: str | None = None) -> list[AnalyticsRow]:
    """Per campaign and channel, in one GROUP BY over the outbox: messages the provider took
    (sent), delivered, opened (email pixel or a provider READ), clicked, converted and
    unsubscribed. Only campaign messages the actor may see are counted. Each row carries the
    campaign's name when its owner registered a label resolver (``messaging.sources``)."""
    rows = Message.objects.visible_to(actor).filter(source=MessageSource.CAMPAIGN)
    if campaign_id:
        rows = rows.filter(source_id=campaign_id)
    grouped = list(
        rows.values("source_id", "channel")
        .annotate(**_metric_counts())
        .order_by("source_id", "channel")
    )
    names = labels_for(MessageSource.CAMPAIGN, (g["source_id"] for g in grouped))
    return [
        AnalyticsRow(
            g["source_id"],
            g["channel"],
            {m: g[m] for m in METRICS},
            campaign_name=names.get(g["source_id"], ""),
        )
        for g in grouped
    ]


def source_totals(*, source: str, source_id: str) -> dict[str, int]:
    """Totals of every message of one source (a whole campaign): the analytics metrics plus
    ``messages`` (rows), ``waiting`` (not yet handed to a provider), ``failed`` (FAILED,
    BOUNCED or DEAD) and ``cancelled`` (contactability refused). Aggregates only, no
    recipient: for the owner's own page (the campaign page), which checked its permission."""
    rows = Message.objects.filter(source=source, source_id=str(source_id)[:64])
    return rows.aggregate(
        messages=Count("pk"),
        waiting=Count("pk", filter=Q(status__in=[MessageStatus.QUEUED, MessageStatus.SENDING])),
        failed=Count(
            "pk",
            filter=Q(status__in=[MessageStatus.FAILED, MessageStatus.BOUNCED, MessageStatus.DEAD]),
        ),
        cancelled=Count("pk", filter=Q(status=MessageStatus.CANCELLED)),
        **_metric_counts(),
    )


def step_totals(*, source: str, source_id: str) -> dict[str, dict[str, int]]:
    """``source_totals`` per step of one source (the arms of a campaign's A/B test are steps),
    with the same metric definitions as channel analytics. Aggregates only, no recipient."""
    rows = Message.objects.filter(source=source, source_id=str(source_id)[:64])
    grouped = rows.values("step").annotate(
        messages=Count("pk"),
        waiting=Count("pk", filter=Q(status__in=[MessageStatus.QUEUED, MessageStatus.SENDING])),
        **_metric_counts(),
    )
    return {g.pop("step"): g for g in grouped.order_by("step")}


# --------------------------------------------------------------------------- for senders' forms


def template_exists(*, key: str, channel: str) -> bool:
    """Whether a template ``key`` exists for ``channel`` (approved or not): a sender's form
    refuses an unknown one at once; approval is checked when it sends."""
    return MessageTemplate.objects.filter(key=key, channel=channel).exists()


def approved_templates(*, purpose: str) -> list[tuple[str, str, list[str]]]:
    """``(key, name, channels)`` of the templates of ``purpose`` with an APPROVED version, by
    key — what a sender's form offers (the sender's service checks again when it is used)."""
    found: dict[str, tuple[str, list[str]]] = {}
    rows = (
        MessageTemplate.objects.filter(purpose=purpose, versions__status=VersionStatus.APPROVED)
        .order_by("key", "channel")
        .values_list("key", "name", "channel")
    )
    for key, name, channel in rows:
        found.setdefault(key, (name, []))[1].append(channel)
    return [(key, name, channels) for key, (name, channels) in found.items()]
