"""Messages to staff, many at once: the SLA digest, approvals waiting, decisions taken.

``staff_queue_many`` queues one message per (user, content) pair on one channel — IN_APP
(the notifications inbox, its unread badge) or EMAIL (the user's address) — with one
``INSERT … ON CONFLICT DO NOTHING RETURNING`` per thousand rows (the rows returned are the new
ones: no count of the key before and after) and one audit row of counts. The idempotency key is the
outbox's own ``(source, source_id, staff_user, channel, step)``: a retried job, or a second
run of the same step, inserts nothing. Staff messages have no contact rule (purpose STAFF);
a user without an address for the channel (no e-mail) is counted, not queued.
"""

from __future__ import annotations

from datetime import datetime

from django.db import connection, transaction
from django.utils import timezone

from amanah.audit import services as audit
from amanah.audit.models import AuditAction
from amanah.messaging import addresses
from amanah.messaging.channels import Purpose
from amanah.messaging.content import Rendered
from amanah.messaging.models import Message, MessageStatus
from amanah.messaging.queueing import (
    content_fields,
    dispatch_channels_soon,
    staff_address,
    validate_message,
)


@transaction.atomic
def staff_queue_many(
    *,
    actor,
    channel: str,
    source: str,
    source_id: str,
    step: str,
    notices: list[tuple[object, Rendered]],
    template_key: str = "",
    template_version: int | None = None,
    at: datetime | None = None,
) -> dict:
    """Queue each ``(user, rendered)`` of ``notices``; returns ``queued``, ``no_address``
    and ``already_queued``."""
    validate_message(channel, Purpose.STAFF, source, to_staff=True)
    at = at or timezone.now()
    rows, no_address = [], 0
    for user, rendered in notices:
        address = staff_address(channel, user)
        if not address or not getattr(user, "is_active", True):
            no_address += 1
            continue
        rows.append(
            Message(
                channel=channel,
                purpose=Purpose.STAFF,
                staff_user=user,
                template_key=template_key,
                template_version=template_version,
                **content_fields(rendered),
                address_sealed=addresses.seal(address),
                address_masked=addresses.mask(channel, address),
                source=source,
                source_id=str(source_id)[:64],
                step=step[:64],
                status=MessageStatus.QUEUED,
                created_at=at,
                status_changed_at=at,
                next_attempt_at=at,
            )
        )
    queued = _insert_new(rows)
    if queued:
        dispatch_channels_soon([channel])
    counts = {"queued": queued, "no_address": no_address, "already_queued": len(rows) - queued}
    audit.record(
        actor=actor,
        action=AuditAction.QUEUE_MESSAGES,
        object_type="messaging.Message",
        object_id=f"{source}:{str(source_id)[:64]}",
        meta={"channel": channel, "purpose": Purpose.STAFF, "source": source, "step": step,
              **counts},
    )  # fmt: skip
    return counts


INSERT_BATCH = 1000  # rows per statement (about 35 parameters each, far below 65,535)


def _insert_new(rows: list[Message]) -> int:
    """Insert the rows whose key is new; returns how many were inserted (``RETURNING``)."""
    fields = Message._meta.concrete_fields
    quote = connection.ops.quote_name
    columns = ", ".join(quote(f.column) for f in fields)
    one_row = "(" + ", ".join(["%s"] * len(fields)) + ")"
    inserted = 0
    with connection.cursor() as cursor:
        for start in range(0, len(rows), INSERT_BATCH):
            batch = rows[start : start + INSERT_BATCH]
            params = [
                f.get_db_prep_save(f.pre_save(row, add=True), connection)
                for row in batch
                for f in fields
            ]
            cursor.execute(  # identifiers from the model, quoted; every value a parameter
                f"INSERT INTO {quote(Message._meta.db_table)} ({columns}) "  # noqa: S608
                f"VALUES {', '.join([one_row] * len(batch))} "
                "ON CONFLICT DO NOTHING RETURNING 1",
                params,
            )
            inserted += len(cursor.fetchall())
    return inserted
