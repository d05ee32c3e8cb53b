"""What messaging offers the house, and nothing else.

* ``message_queue(...)`` / ``message_queue_many(...)`` — put a message (or the same content
  to many customers) into the outbox: idempotent, contact-checked, audited
  (``messaging.queueing``);
* ``message_status_apply(StatusUpdate)`` / ``inbound_receive(InboundMessage)`` — what the
  provider webhooks call (``messaging.services``);
* ``Channel``, ``Purpose``, ``MessageSource``, ``MessageStatus``, ``Rendered``;
* the event ``messaging.message_status_changed`` (``actor``, ``message``) — DELIVERED, READ,
  FAILED … for channel analytics.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from amanah.core import events, registry
from amanah.core.contributions import NavItem
from amanah.messaging.channels import Channel, Purpose
from amanah.messaging.content import Rendered
from amanah.messaging.models import MessageSource, MessageStatus
from amanah.messaging.policies import MESSAGE_VIEW
from amanah.messaging.queueing import message_queue, message_queue_many
from amanah.messaging.services import (
    STATUS_CHANGED,
    inbound_receive,
    message_status_apply,
    messages_move_to_survivor,
)

__all__ = [
    "Channel",
    "MessageSource",
    "MessageStatus",
    "Purpose",
    "Rendered",
    "inbound_receive",
    "message_queue",
    "message_queue_many",
    "message_status_apply",
]

events.declare(STATUS_CHANGED)
registry.merge_movers.register("messaging.messages", messages_move_to_survivor)
registry.navigation.register(
    "messaging.dead_letters",
    NavItem(_("Pesan gagal"), "messaging:dead_letters", MESSAGE_VIEW, section="admin"),
    order=245,
)
