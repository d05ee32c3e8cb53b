import contextlib
import threading
import time
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import connection
from django.utils import timezone
from procrastinate.contrib.django import app
from procrastinate.exceptions import AlreadyEnqueued

from amanah.core.tasks import defer_unless_waiting

CALLBACKS_LOCK = "payments_callbacks"


@app.task(queue="payments", queueing_lock=CALLBACKS_LOCK, lock=CALLBACKS_LOCK)
def callbacks_job() -> dict:
    """The stored (RECEIVED) gateway callbacks applied in batches (``processing``). Asked for
    by the endpoint after each callback it stores; the queueing lock keeps at most one
    waiting, the lock one running (a callback stored while one runs queues the next)."""
    from amanah.payments.processing import callbacks_process

    return callbacks_process(linger=2 * _ask_every()).as_dict()


def _ask_every() -> float:
    return int(settings.PAYMENT_CALLBACK_ASK_MS) / 1000


# When this process last asked for the job (monotonic seconds): a job was waiting then.
_asked = {"at": float("-inf")}
_asked_lock = threading.Lock()


def callbacks_soon() -> None:
    """Ask for the callbacks job unless one is already waiting (one statement; a waiting job
    will see the callback just stored).

    In autocommit (the endpoint: the callback is committed before this runs), at most once per
    ``PAYMENT_CALLBACK_ASK_MS`` per process. Why skipping is safe: when this process last asked
    (moment T, taken before the statement), a job was waiting — either just deferred or already
    there (``AlreadyEnqueued``) — so that job starts after T; ``callbacks_job`` makes its last
    claim no sooner than ``linger`` = 2 × the window after its start; a callback committed
    before T + window is therefore committed before that claim and is seen by it. (And the
    sweep every minute remains.) At 500 callbacks/s this turns 500 statements a second — most of
    them refused by the queueing lock inside PostgreSQL — into a few dozen."""
    if connection.in_atomic_block:  # a refusal must not break the caller's transaction
        defer_unless_waiting(callbacks_job)
        return
    now = time.monotonic()
    with _asked_lock:
        if now - _asked["at"] < _ask_every():
            return
    with contextlib.suppress(AlreadyEnqueued):
        callbacks_job.defer()  # the endpoint, in autocommit: one statement, no BEGIN
    with _asked_lock:
        _asked["at"] = max(_asked["at"], now)


@app.periodic(cron="* * * * *", periodic_id="payments_callbacks_sweep")
@app.task(queue="payments", queueing_lock="payments_callbacks_sweep", lock=CALLBACKS_LOCK)
def callbacks_sweep(timestamp: int) -> dict:
    """Every minute: whatever is still RECEIVED (a worker died midway, the request for the job
    was lost, a batch failed) is applied. Idempotent: nothing RECEIVED, nothing done."""
    from amanah.payments.processing import callbacks_process

    return callbacks_process().as_dict()


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
