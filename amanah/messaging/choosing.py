"""Which channel a message to a customer goes on — the one published rule for every sender
that chooses (``messaging.contract.channel_order`` / ``customer_channel``).

The customer's own choice for the purpose (consent's ``ContactPreference``: SERVICE,
COLLECTION, OFFER) comes first when the sender can send on it and the customer has an address
there; then the sender's own channels in its order, those the customer has an address for.
Whether the message may go at all is still ``consent.contactability``'s answer, asked by the
outbox: a preference the sender cannot serve (no template, no address there) leaves the
fallback to be refused NOT_PREFERRED, kept with its reason — the customer is never sent on a
channel they turned away from.

Senders that choose: bill, installment, late-fee and arrears notices, new-connection step
notices and area-incident notices (utility), case receipts and status updates (messaging),
survey invitations (surveys). A campaign or journey step is designed for one channel and does
not choose; its audience is filtered by contactability.
"""

from __future__ import annotations

from amanah.consent.contract import preferred_channel
from amanah.messaging.channels import Channel
from amanah.messaging.queueing import CUSTOMER_ADDRESS

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
