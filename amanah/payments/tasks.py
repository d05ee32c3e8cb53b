from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.utils import timezone
from procrastinate.contrib.django import app


@app.periodic(cron=settings.PAYMENT_POLL_CRON, periodic_id="payments_pending_poll")
@app.task(queue="payments", queueing_lock="payments_poll", lock="payments_poll")
def pending_poll_job(timestamp: int) -> dict:
    """Payments pending too long are asked about at the gateway (``poll``). One batch per
    run, claimed with SKIP LOCKED; the next run takes the next batch."""
    from amanah.payments.poll import pending_poll

    return pending_poll().as_dict()


@app.periodic(cron=settings.PAYMENT_RECONCILE_CRON, periodic_id="payments_daily_reconciliation")
@app.task(queue="payments", queueing_lock="payments_reconcile", lock="payments_reconcile")
def daily_reconciliation_job(timestamp: int) -> dict:
    """Once a day: yesterday's settlement files (``<dir>/<provider>-<YYYY-MM-DD>.csv``) from
    ``PAYMENT_SETTLEMENT_DIR``, each reconciled once (the file's hash is unique)."""
    from amanah.payments.daily import reconcile_day

    now = datetime.fromtimestamp(timestamp, tz=UTC)
    return reconcile_day(timezone.localdate(now) - timedelta(days=1))
