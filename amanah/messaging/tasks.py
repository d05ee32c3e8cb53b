"""Dispatch jobs: one job sends one batch (≈1,000 messages), never one job per message.

``dispatch`` sends a batch of one channel. When it claimed a full batch it first defers its
follower, so while there is work several workers send in parallel, each on its own rows
(``SKIP LOCKED``); when something is still due at the end it defers one again. The queueing
lock keeps at most one *waiting* dispatch job per channel, however many services queue
messages meanwhile. ``dispatch_due`` (every minute) wakes the channels whose messages became
due since: a contact window opened, a back-off ran out, a provider's pause ended, or a
killed worker left rows ``SENDING``. A job is idempotent: a duplicate finds nothing to claim.

``parked_callbacks_cleanup`` (hourly by default) deletes stale parked status callbacks in
batches (``housekeeping.parked_events_purge``). ``receipts_not_sent`` (every five minutes,
``RECEIPT_NOTES_CRON``) notes on their cases the receipts that ended unsent.
"""

from __future__ import annotations

from django.conf import settings
from django.utils import timezone
from procrastinate.contrib.django import app

from amanah.core.tasks import defer_unless_waiting

QUEUE = "messaging"


def _lock(channel: str) -> str:
    return f"messaging-dispatch-{channel}"


@app.task(queue=QUEUE, retry=3)
def dispatch(channel: str) -> dict:
    """Thin: ``dispatch.dispatch_batch`` claims, re-checks, sends, records and audits."""
    from amanah.messaging.dispatch import dispatch_batch, has_due

    counts = dispatch_batch(channel)
    if counts["claimed"] >= settings.MESSAGING_BATCH_SIZE:
        dispatch_soon(channel)
    elif has_due(channel):
        # Nothing claimed although something is due: rate-limited or paused. Come back when
        # tokens have refilled (a second) or the pause ends, not in a busy loop.
        dispatch_soon(channel, delay=0 if counts["claimed"] else _wait_seconds(channel))
    return counts


def _wait_seconds(channel: str) -> float:
    from amanah.messaging.providers import configured, provider_for
    from amanah.messaging.ratelimit import paused_until

    if not configured(channel):
        return 1.0
    until = paused_until(provider_for(channel).name)
    return max(1.0, (until - timezone.now()).total_seconds()) if until else 1.0


def dispatch_soon(channel: str, *, delay: float = 0) -> None:
    """Defer a dispatch job for ``channel`` (in ``delay`` seconds) unless one is already
    waiting. Safe inside a transaction: a refused insert is undone in its own savepoint."""
    options = {"queueing_lock": _lock(channel)}
    if delay:
        options["schedule_in"] = {"seconds": delay}
    defer_unless_waiting(dispatch.configure(**options), channel=channel)


@app.periodic(cron=settings.MESSAGING_DISPATCH_CRON, periodic_id="messaging_dispatch_due")
@app.task(queue="housekeeping", queueing_lock="messaging_dispatch_due")
def dispatch_due(timestamp: int) -> list[str]:
    """Wake every channel with something due (a dispatch job per channel, not per message)."""
    from amanah.messaging.dispatch import due_channels

    channels = due_channels()
    for channel in channels:
        dispatch_soon(channel)
    return channels


PARKED_CLEANUP_LOCK = "messaging_parked_cleanup"


@app.periodic(cron=settings.MESSAGING_PARKED_CLEANUP_CRON, periodic_id=PARKED_CLEANUP_LOCK)
@app.task(queue="housekeeping", queueing_lock=PARKED_CLEANUP_LOCK, lock=PARKED_CLEANUP_LOCK)
def parked_callbacks_cleanup(timestamp: int) -> int:
    """Delete one batch of stale parked status callbacks (``housekeeping``); a full batch
    means there may be more: defer the next one now (the locks keep it single)."""
    from amanah.messaging.housekeeping import parked_events_purge

    deleted = parked_events_purge()
    if deleted >= settings.MESSAGING_PARKED_CLEANUP_BATCH:
        defer_unless_waiting(parked_callbacks_cleanup, timestamp=timestamp)
    return deleted


RECEIPT_NOTES_LOCK = "messaging_receipt_notes"
RECEIPT_NOTES_CRON = "*/5 * * * *"


@app.periodic(cron=RECEIPT_NOTES_CRON, periodic_id=RECEIPT_NOTES_LOCK)
@app.task(queue="housekeeping", queueing_lock=RECEIPT_NOTES_LOCK, lock=RECEIPT_NOTES_LOCK)
def receipts_not_sent(timestamp: int) -> int:
    """Note on each case whose receipt ended unsent (failed, bounced, cancelled at sending)
    that it was not sent (``not_sent.receipts_not_sent_note``; idempotent)."""
    from amanah.messaging.not_sent import receipts_not_sent_note

    return receipts_not_sent_note()
