"""Which channel a message to a customer goes on — the one published rule for every sender
that chooses (``messaging.contract.channel_order`` / ``customer_channel``).

The customer's own choice for the purpose (consent's ``ContactPreference``: SERVICE,
COLLECTION, OFFER) comes first when the sender can send on it and the customer has an address
there; then the sender's own channels in its order, those the customer has an address for.
Whether the message may go at all is still ``consent.contactability``'s answer, asked by the
outbox: a preference the sender cannot serve (no template, no address there) leaves the
fallback to be refused NOT_PREFERRED, kept with its reason — the customer is never sent on a
channel they turned away from. (For an offer, a preferred channel the customer has since
withdrawn marketing on no longer turns the others away: consent's rule.)

Senders that choose: bill, installment, late-fee and arrears notices, new-connection step
notices and area-incident notices (utility), case receipts and status updates (messaging),
survey invitations (surveys), and the offers of campaigns and journey ACTION steps whose
template is approved on several channels (marketing, journeys).

:func:`channel_choices` is the set form for a batch of offers: the same order per customer,
and the first channel of it that ``consent.contactability`` allows *now* (its set form, every
candidate channel in one statement) — a preferred channel the customer withdrew or cannot be
reached on gives way to the next; nobody reachable keeps a reason. A constant number of
queries however many customers.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from types import SimpleNamespace

from django.db.models import BooleanField, Count, ExpressionWrapper, Q

from amanah.consent.contract import (
    Reason,
    is_wait,
    preferred_channel,
    preferred_channels,
    with_channel_reasons,
    with_preferred_channel,
)
from amanah.messaging.channels import Channel
from amanah.messaging.queueing import CUSTOMER_ADDRESS

# The reason of a customer no candidate channel has an address for.
NO_ADDRESS = "NO_ADDRESS"

# A sender without an order of its own (the notices): SMS first — a pelanggan has a phone more
# often than an e-mail address.
DEFAULT_CHANNELS = (Channel.SMS, Channel.WHATSAPP, Channel.EMAIL)


def channel_order(customer, purpose: str, candidates=DEFAULT_CHANNELS, *, preferred=None) -> list:
    """The channels of ``candidates`` that reach ``customer`` (an address there), the one the
    customer prefers for ``purpose`` first. ``preferred``: the preference when the caller
    read it for a batch (``consent.preferred_channels``); None reads it here."""
    if preferred is None:
        preferred = preferred_channel(customer, purpose)
    reachable = [c for c in candidates if getattr(customer, CUSTOMER_ADDRESS.get(c, ""), "")]
    if preferred in reachable:
        reachable.remove(preferred)
        reachable.insert(0, preferred)
    return reachable


def customer_channel(customer, purpose: str, candidates=DEFAULT_CHANNELS, *, preferred=None):
    """The first of :func:`channel_order`, or None when no channel reaches the customer."""
    order = channel_order(customer, purpose, candidates, preferred=preferred)
    return order[0] if order else None


@dataclass(frozen=True)
class ChannelChoice:
    """Where one customer's message goes: ``channel`` (``""`` when nowhere) and otherwise
    ``reason`` — a wait (``OUTSIDE_WINDOW``, else ``FREQUENCY_CAP``) when some channel of
    theirs only waits for the contact window or a frequency cap, else the first refusal on the
    first channel of their order (``NO_ADDRESS``: no candidate reaches them). ``timezone``:
    their branch's zone (when the wait is over: ``consent.contract.wait_over_at``)."""

    channel: str
    reason: str
    timezone: str


_REASON = "_choice_reason_"


def channel_choices(customers, purpose: str, candidates, at: datetime | None = None) -> dict:
    """``{customer id: ChannelChoice}`` for every customer of the queryset ``customers``.

    ``candidates``: the sender's channels in its order (those it has an approved template
    for). Per customer: :func:`channel_order` (their preference for ``purpose`` first, only
    channels they have an address on), then the first of those that contactability allows at
    ``at`` (``None``: windows and caps left to the outbox). Queries: one for the customers
    with the rule's reason on every candidate, one for the preferences (none with a single
    candidate) — never one per customer."""
    candidates = tuple(dict.fromkeys(candidates))
    fields = sorted({CUSTOMER_ADDRESS[c] for c in candidates})
    rows = list(
        with_channel_reasons(customers, purpose, candidates, at, prefix=_REASON)
        .order_by()
        .values("pk", "home_branch__timezone", *fields, *(_REASON + c for c in candidates))
    )
    preferences = (
        preferred_channels([r["pk"] for r in rows], purpose) if len(candidates) > 1 else {}
    )
    return {
        row["pk"]: _choose(row, purpose, candidates, preferences.get(row["pk"], "")) for row in rows
    }


def _choose(row: dict, purpose: str, candidates: tuple, preferred: str) -> ChannelChoice:
    person = SimpleNamespace(**{f: row[f] for f in set(CUSTOMER_ADDRESS.values()) if f in row})
    order = channel_order(person, purpose, candidates, preferred=preferred)
    zone = row["home_branch__timezone"]
    for channel in order:
        if not row[_REASON + channel]:
            return ChannelChoice(channel, "", zone)
    reasons = [row[_REASON + c] for c in order or candidates[:1]]
    waits = [r for r in reasons if is_wait(r)]  # a channel that only asks to wait: later
    if waits:
        wait = Reason.OUTSIDE_WINDOW if Reason.OUTSIDE_WINDOW in waits else waits[0]
        return ChannelChoice("", str(wait), zone)
    return ChannelChoice("", reasons[0] or NO_ADDRESS, zone)


_HAS = "_choice_has_"
_PREFERRED = "_choice_preferred"


def has_address(channel: str) -> Q:
    """The customer has an address ``channel`` sends to (set and not empty) — the set form
    of :func:`channel_order`'s test. A channel without a customer address field (none so
    far) is not refused here."""
    field = CUSTOMER_ADDRESS.get(channel)
    if field is None:
        return Q(pk__isnull=False)
    return Q(**{f"{field}__isnull": False}) & ~Q(**{field: ""})


def with_address_flags(customers, channels, prefix: str):
    """``customers`` annotated ``<prefix><channel>``: :func:`has_address` for each channel."""
    return customers.annotate(
        **{
            prefix + c: ExpressionWrapper(has_address(c), output_field=BooleanField())
            for c in channels
        }
    )


def choice_counts(customers, purpose: str, candidates, at: datetime | None = None) -> Counter:
    """``Counter({(channel, reason): n})``: what :func:`channel_choices` would decide for the
    customers of the queryset ``customers`` (``(channel, "")`` reached on ``channel``,
    ``("", reason)`` left out), without reading them one by one.

    One statement, grouped by everything a choice depends on — each candidate's reason, an
    address or not on each, the preference for ``purpose`` — and each group chosen by the
    same :func:`_choose` as a send: at most a few dozen groups, however many customers."""
    candidates = tuple(dict.fromkeys(candidates))
    fields = sorted({CUSTOMER_ADDRESS[c] for c in candidates})
    rows = with_channel_reasons(customers, purpose, candidates, at, prefix=_REASON)
    if len(candidates) > 1:
        rows = with_preferred_channel(rows, purpose, _PREFERRED)
    # One flag per address field (WhatsApp and SMS share the phone), named after a channel.
    by_field = {CUSTOMER_ADDRESS[c]: c for c in candidates}
    rows = with_address_flags(rows, by_field.values(), _HAS)
    keys = [*(_HAS + by_field[f] for f in fields), *(_REASON + c for c in candidates)]
    if len(candidates) > 1:
        keys.append(_PREFERRED)
    counts: Counter = Counter()
    for group in rows.order_by().values(*keys).annotate(_n=Count("pk")):
        row = {
            "home_branch__timezone": "",
            **{f: "x" if group[_HAS + by_field[f]] else "" for f in fields},
            **{_REASON + c: group[_REASON + c] for c in candidates},
        }
        choice = _choose(row, purpose, candidates, group.get(_PREFERRED, ""))
        counts[(choice.channel, choice.reason)] += group["_n"]
    return counts
