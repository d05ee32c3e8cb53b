"""What messaging offers the house, and nothing else.

* ``message_queue(...)`` / ``message_queue_many(...)`` — put a message (or the same content
  to many customers) into the outbox: idempotent, contact-checked, audited
  (``messaging.queueing``);
* ``message_status_apply(StatusUpdate)`` / ``inbound_receive(InboundMessage)`` — what the
  provider webhooks call (``messaging.services``);
* ``Channel``, ``Purpose``, ``MessageSource``, ``MessageStatus``, ``Rendered``;
* ``engagement_record(message_id=, kind=)`` with ``EngagementKind`` — the first open, click,
  unsubscribe or conversion of a message, for channel analytics (``messaging.tracking``);
  ``tracked_url(message, url)`` / ``open_pixel_url(message)`` for the renderer;
* the event ``messaging.message_status_changed`` (``actor``, ``message``) — DELIVERED, READ,
  FAILED … for channel analytics.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from amanah.core import events, registry
from amanah.core.contributions import NavItem, Tab
from amanah.messaging.channels import Channel, Purpose
from amanah.messaging.content import Rendered
from amanah.messaging.models import EngagementKind, MessageSource, MessageStatus
from amanah.messaging.policies import MESSAGE_VIEW
from amanah.messaging.queueing import message_queue, message_queue_many
from amanah.messaging.services import STATUS_CHANGED, inbound_receive, message_status_apply
from amanah.messaging.tracking import engagement_record, open_pixel_url, tracked_url
from amanah.messaging.views_communication import TAB_KEY, customer_tab_context

__all__ = [
    "Channel",
    "EngagementKind",
    "MessageSource",
    "MessageStatus",
    "Purpose",
    "Rendered",
    "engagement_record",
    "inbound_receive",
    "message_queue",
    "message_queue_many",
    "message_status_apply",
    "open_pixel_url",
    "tracked_url",
]

events.declare(STATUS_CHANGED)
registry.navigation.register(
    "messaging.dead_letters",
    NavItem(_("Pesan gagal"), "messaging:dead_letters", MESSAGE_VIEW, section="admin"),
    order=245,
)

# The 360 Komunikasi tab: every message to the customer, masked addresses only.
registry.workspace_tabs.register(
    TAB_KEY,
    Tab(_("Komunikasi"), "messaging/_customer_tab.html", MESSAGE_VIEW, customer_tab_context),
    order=20,
)
registry.navigation.register(
    "messaging.analytics",
    NavItem(_("Analitik saluran"), "messaging:analytics", MESSAGE_VIEW, section="main"),
    order=75,
)
