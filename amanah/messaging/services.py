"""Outbox services. The outbox work replaces these placeholders; webhooks call them."""

from __future__ import annotations

from amanah.messaging.providers.base import InboundMessage, StatusUpdate


def message_status_apply(update: StatusUpdate) -> bool:
    """Merge one provider status into the outbox; True when it changed something."""
    raise NotImplementedError


def inbound_receive(message: InboundMessage) -> None:
    """A customer wrote to us (WhatsApp/SMS): STOP withdraws, the rest goes to intake."""
    raise NotImplementedError
