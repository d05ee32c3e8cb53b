"""WhatsApp's 24-hour customer service window, kept by the outbox.

The Cloud API rule: a *free-form* message (``type: "text"``, no approved template) may only go
to a customer who wrote to the business in the last 24 hours; outside that window only
approved template messages may be sent, and the API reports free text as failed with error
131047 ("Re-engagement message").

- **Opening it.** ``services.inbound_receive`` calls ``record_inbound`` for every inbound
  message: ``LastInbound`` keeps, per customer and channel, the provider timestamp of the
  newest message from the sender's number (every customer with that number — several people
  may share one, as for a STOP reply). The time only moves forward; a timestamp from the
  future is clamped to now.
- **At dispatch.** ``outside(messages, at)`` picks the free-form WhatsApp messages to customers
  whose window is closed at ``at``. The dispatcher does not hand them to the provider: each is
  ``FAILED`` with the code ``outside_service_window`` (shown on the dead-letter page and the
  Komunikasi tab). It is not re-rendered as a template: the row carries content, not the
  template choice, and a service reply rewritten as a marketing-style template is not the
  same message. An ADMIN may retry it from the dead-letter page once the customer has written
  again; a consumer that must reach the customer either way queues a template instead.
- **The provider agrees.** Should the provider still refuse (clocks, a message that waited),
  its 131047 — in the answer or in a ``failed`` status webhook — maps to the same permanent
  code (``providers.whatsapp.PERMANENT_CODES``).

Messages to staff (``staff_user``) are not checked here: no inbound is recorded for them; the
provider's refusal applies. Template messages are never affected.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import connection
from django.utils import timezone

from amanah.core.errors import ServiceError
from amanah.messaging.channels import Channel
from amanah.messaging.models import LastInbound
from amanah.messaging.providers.whatsapp import OUTSIDE_SERVICE_WINDOW

WINDOW = timedelta(hours=24)
CODE = OUTSIDE_SERVICE_WINDOW

RECORD = """
    INSERT INTO messaging_lastinbound (customer_id, channel, at)
    SELECT c.id, %(channel)s, %(at)s FROM customers_customer c
     WHERE c.phone_e164 = %(phone)s AND c.merged_into_id IS NULL
    ON CONFLICT (customer_id, channel)
    DO UPDATE SET at = GREATEST(messaging_lastinbound.at, EXCLUDED.at)
"""

MOVE_TO_SURVIVOR = """
    INSERT INTO messaging_lastinbound (customer_id, channel, at)
    SELECT %(survivor)s, channel, at FROM messaging_lastinbound WHERE customer_id = %(absorbed)s
    ON CONFLICT (customer_id, channel)
    DO UPDATE SET at = GREATEST(messaging_lastinbound.at, EXCLUDED.at)
"""


def record_inbound(*, channel: str, from_address: str, at: datetime) -> int:
    """The customers with this number wrote to us on ``channel`` at ``at``; returns how many
    customers matched (0 for an unknown or unreadable number). Call inside the transaction of
    the inbound message."""
    from amanah.customers.validation import normalize_phone

    try:
        phone = normalize_phone(from_address)
    except ServiceError:
        return 0
    if not phone:
        return 0
    with connection.cursor() as cursor:
        cursor.execute(RECORD, {"channel": channel, "at": min(at, timezone.now()), "phone": phone})
        return cursor.rowcount


def needs_window(message) -> bool:
    """Free-form WhatsApp to a customer: only inside the window."""
    return (
        message.channel == Channel.WHATSAPP
        and not message.provider_template
        and message.customer_id is not None
    )


def open_for(customer_ids, at: datetime, channel: str = Channel.WHATSAPP) -> set:
    """The customers among ``customer_ids`` whose window on ``channel`` is open at ``at``."""
    return set(
        LastInbound.objects.filter(
            customer_id__in=list(customer_ids), channel=channel, at__gt=at - WINDOW
        ).values_list("customer_id", flat=True)
    )


def outside(messages, at: datetime) -> list:
    """The messages that must not be handed to the provider at ``at`` (one query)."""
    candidates = [m for m in messages if needs_window(m)]
    if not candidates:
        return []
    opened = open_for({m.customer_id for m in candidates}, at)
    return [m for m in candidates if m.customer_id not in opened]


def move_to_survivor(absorbed, survivor) -> int:
    """Merge mover: the survivor's window is the later of the two records'."""
    with connection.cursor() as cursor:
        cursor.execute(MOVE_TO_SURVIVOR, {"survivor": survivor.pk, "absorbed": absorbed.pk})
        return cursor.rowcount
