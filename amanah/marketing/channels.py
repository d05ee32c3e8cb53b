"""How campaign messages leave the building. The messaging issue will add real email,
WhatsApp and SMS senders behind this same interface; today's sender records what it would send.

A sender receives the campaign and a SQL query of recipient ids (a campaign batch passes the
≈1,000 ids it re-checked) and records one SENT event per recipient, idempotently, returning
how many it newly sent.
"""

from __future__ import annotations

from typing import Protocol

from django.db import connection


class Sender(Protocol):
    def send(self, campaign, recipients_sql: str, params: list, now) -> int: ...


class RecordingSender:
    """Records SENT events; used for the demo and until a real gateway is configured."""

    def send(self, campaign, recipients_sql: str, params: list, now) -> int:
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO marketing_campaignevent "
                "(campaign_id, customer_id, event_type, channel, at, meta) "
                "SELECT %s, r.customer_id, 'SENT', %s, %s, '{}'::jsonb "
                f"FROM ({recipients_sql}) r "
                # Any unique key: a customer who already has an outcome (SENT or
                # SKIPPED, campaign_one_outcome) is not sent to again.
                "ON CONFLICT DO NOTHING",
                [campaign.pk, campaign.channel, now, *params],
            )
            return cursor.rowcount


def sender_for(channel: str) -> Sender:
    return RecordingSender()


def simulates_engagement(channel: str) -> bool:
    """The recording sender reaches nobody, so the demo invents opens, clicks and replies."""
    return isinstance(sender_for(channel), RecordingSender)
