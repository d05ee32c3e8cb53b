"""Housekeeping jobs of the platform itself."""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import transaction
from procrastinate import exceptions
from procrastinate.contrib.django import app
from procrastinate.jobs import Status
from procrastinate.manager import QUEUEING_LOCK_CONSTRAINT

from amanah.core import events

logger = logging.getLogger(__name__)


def defer_unless_waiting(job, **arguments) -> bool:
    """Defer ``job`` (a task, or a job configured with its queueing lock) unless one with
    that lock is already waiting; True when deferred. Safe inside a transaction: a refused
    insert is undone in its own savepoint, the caller's transaction goes on."""
    try:
        with transaction.atomic():
            job.defer(**arguments)
    except exceptions.AlreadyEnqueued:
        return False
    return True


@app.periodic(cron=settings.STALLED_JOB_RECOVERY_CRON, periodic_id="retry_stalled_jobs")
# No `lock`: a recovery run held by a dead worker would then block the run that recovers it.
@app.task(queue="housekeeping", queueing_lock="retry_stalled_jobs", pass_context=True)
async def retry_stalled_jobs(context, timestamp: int) -> dict:
    """Jobs held by a worker that stopped beating (killed, crashed) go back to the queue.

    This is what makes killing a worker lose nothing: its jobs are retried by another one.
    A stalled job whose next run is already waiting (same queueing lock, e.g. a periodic
    task the scheduler queued meanwhile) is not retried but marked failed: the waiting run
    does its work, and there may be only one waiting. One job that cannot be recovered does
    not stop the others.
    """
    manager = context.app.job_manager
    seconds = settings.PROCRASTINATE_WORKER_DEFAULTS["stalled_worker_timeout"]
    outcome = {"retried": 0, "superseded": 0, "failed": 0}
    for job in await manager.get_stalled_jobs(seconds_since_heartbeat=seconds):
        outcome[await _recover(manager, job)] += 1
    if any(outcome.values()):
        logger.warning(
            "stalled jobs: %(retried)d retried, %(superseded)d superseded by a waiting run, "
            "%(failed)d not recoverable",
            outcome,
        )
    return outcome


async def _recover(manager, job) -> str:
    try:
        await manager.retry_job(job)
        return "retried"
    except exceptions.UniqueViolation as collision:
        if collision.constraint_name != QUEUEING_LOCK_CONSTRAINT:
            logger.exception("stalled job %s could not be retried", job.id)
            return "failed"
    except Exception:
        logger.exception("stalled job %s could not be retried", job.id)
        return "failed"
    try:
        await manager.finish_job(job, status=Status.FAILED, delete_job=False)
    except Exception:
        logger.exception("stalled job %s could not be marked failed", job.id)
        return "failed"
    logger.warning("stalled job %s superseded by its waiting next run", job.id)
    return "superseded"


@app.periodic(cron="17 * * * *", periodic_id="purge_rate_counters")
@app.task(queue="housekeeping", queueing_lock="purge_rate_counters")
def purge_rate_counters(timestamp: int) -> int:
    """Old rate-limit windows are of no use; keep the table small."""
    from amanah.core.ratelimit import purge_older_than

    return purge_older_than()


@app.task(queue="events")
def run_event_handler(handler_key: str, actor: dict, objects: dict) -> None:
    """A domain-event handler registered with ``deferred=True``, run after its change committed."""
    events.run_deferred(handler_key, actor, objects)


@app.periodic(cron=settings.PARTITION_CRON, periodic_id="month_partitions")
@app.task(queue="housekeeping", queueing_lock="month_partitions", lock="month_partitions")
def month_partitions(timestamp: int) -> dict:
    """Daily: this UTC month's partition and the next ``PARTITION_MONTHS_AHEAD`` of every
    partitioned table (audit trail, raw gateway callbacks), so the default partition only ever
    catches a far-off timestamp. Idempotent; a month the default already holds rows of is
    reported, not forced (docs/scaling.md)."""
    from amanah.core.partitions import ensure_month_partitions

    outcomes = [o.outcome for o in ensure_month_partitions()]
    counts = {name: outcomes.count(name) for name in ("created", "exists", "blocked")}
    if counts["blocked"]:
        logger.warning("month partitions: %(blocked)d months held by a default partition", counts)
    return counts
