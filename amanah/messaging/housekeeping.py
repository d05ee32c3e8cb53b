"""Housekeeping of the outbox: parked status callbacks nobody adopted.

A status callback for a provider id we do not know is *parked* (``MessageEvent`` without a
message, see ``services.message_status_apply``): it may have overtaken its own send, and the
dispatch batch adopts it within seconds (``services.adopt_parked_events``). One still parked
after ``MESSAGING_PARKED_CALLBACK_DAYS`` belongs to no message we will ever know (another
system's number, a message sent before a restore, a provider test): ``parked_events_purge``
deletes them, oldest first, ``MESSAGING_PARKED_CLEANUP_BATCH`` rows per transaction, audited
with the count. The periodic job (``tasks.parked_callbacks_cleanup``) runs it and defers
itself again while full batches come back, so a backlog is worked off in short transactions.

Rows being adopted at that moment are skipped (``SKIP LOCKED``), and an adopted row (it has a
message) is never deleted. The batch is picked in a CTE (run once): ``id IN (SELECT … LIMIT
… SKIP LOCKED)`` may be re-run by the planner and delete more than the limit.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from amanah.audit import services as audit
from amanah.audit.models import AuditAction
from amanah.core.actors import declare_actor

HOUSEKEEPER = declare_actor("messaging-housekeeping", permissions=())

PURGE = """
    WITH doomed AS (
        SELECT id FROM messaging_messageevent
         WHERE message_id IS NULL AND received_at < %(before)s
         ORDER BY received_at
         LIMIT %(limit)s
           FOR UPDATE SKIP LOCKED)
    DELETE FROM messaging_messageevent e USING doomed
     WHERE e.id = doomed.id AND e.message_id IS NULL
"""


def parked_cutoff(at: datetime | None = None) -> datetime:
    return (at or timezone.now()) - timedelta(days=settings.MESSAGING_PARKED_CALLBACK_DAYS)


@transaction.atomic
def parked_events_purge(*, actor=HOUSEKEEPER, at: datetime | None = None, limit=None) -> int:
    """Delete up to ``limit`` parked callbacks received before the cutoff; returns how many.
    Audited (count, cutoff in days) only when something was deleted."""
    limit = limit or settings.MESSAGING_PARKED_CLEANUP_BATCH
    if limit <= 0:
        return 0
    with connection.cursor() as cursor:
        cursor.execute(PURGE, {"before": parked_cutoff(at), "limit": limit})
        deleted = cursor.rowcount
    if deleted:
        audit.record(
            actor=actor,
            action=AuditAction.PURGE_PARKED_CALLBACKS,
            object_type="messaging.MessageEvent",
            object_id="parked",
            meta={"deleted": deleted, "older_than_days": settings.MESSAGING_PARKED_CALLBACK_DAYS},
        )
    return deleted
