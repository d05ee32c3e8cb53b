"""Webhook delivery jobs: one job sends one batch (``delivery.deliver_batch``), never one job
per delivery. The queueing lock keeps at most one *waiting* job however many events commit
meanwhile; a full batch defers its follower first. ``webhooks_due`` (every minute) wakes the
deliveries whose back-off ran out or that a dead worker left ``SENDING``. Idempotent: a
duplicate job finds nothing to claim."""

from __future__ import annotations

from django.conf import settings
from procrastinate.contrib.django import app

from amanah.core.tasks import defer_unless_waiting

DELIVER_LOCK = "integrations_webhook_deliver"


@app.task(queue="integrations", retry=3)
def webhook_deliver() -> dict:
    from amanah.integrations.delivery import deliver_batch

    counts = deliver_batch()
    if counts["claimed"] >= settings.INTEGRATIONS_WEBHOOK_BATCH:
        deliver_soon()
    return counts


def deliver_soon() -> None:
    """Defer a delivery job unless one is already waiting (safe inside a transaction)."""
    defer_unless_waiting(webhook_deliver.configure(queueing_lock=DELIVER_LOCK))


@app.periodic(cron="* * * * *", periodic_id="integrations_webhooks_due")
@app.task(queue="housekeeping", queueing_lock="integrations_webhooks_due")
def webhooks_due(timestamp: int) -> bool:
    from amanah.integrations.delivery import has_due

    due = has_due()
    if due:
        deliver_soon()
    return due


@app.periodic(cron="*/5 * * * *", periodic_id="integrations_sync_silence")
@app.task(queue="housekeeping", queueing_lock="integrations_sync_silence")
def sync_silence_check(timestamp: int) -> int:
    """ADMIN hears of each scheduled system silent too long (``monitor.silence_alerts``)."""
    from amanah.integrations.monitor import silence_alerts

    return silence_alerts()


@app.periodic(cron=settings.INTEGRATIONS_MAIL_CRON, periodic_id="integrations_mailbox_poll")
@app.task(queue="integrations", queueing_lock="integrations_mailbox_poll")
def mailbox_poll(timestamp: int) -> dict:
    """Case intake by e-mail: the mailbox's unseen mails, once each (``mailbox.poll``); does
    nothing while no mailbox is configured."""
    from amanah.integrations.mailbox import poll

    return poll()


# The batch import: one job per step of a batch (the dry run, the real run); each works the
# batch's rows chunk by chunk (``INTEGRATIONS_IMPORT_CHUNK``) and commits its progress per
# chunk. Idempotent: a repeated job finds the batch no longer in its step and does nothing.
@app.task(queue="integrations")
def import_check(batch_id: str) -> str | None:
    from amanah.integrations.imports import batch_check

    return batch_check(batch_id)


@app.task(queue="integrations")
def import_run(batch_id: str) -> str | None:
    from amanah.integrations.imports import batch_run

    return batch_run(batch_id)


@app.periodic(cron="*/10 * * * *", periodic_id="integrations_import_sweep")
@app.task(queue="housekeeping", queueing_lock="integrations_import_sweep")
def import_sweep(timestamp: int) -> dict:
    """Imports whose worker died are resumed or failed; finished ones past their retention
    lose their file and staged rows (``imports.sweep``)."""
    from amanah.integrations.imports import sweep

    return sweep()
