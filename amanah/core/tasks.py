"""Housekeeping jobs of the platform itself."""

from __future__ import annotations

import logging

from procrastinate.contrib.django import app

logger = logging.getLogger(__name__)


@app.periodic(cron="* * * * *", periodic_id="retry_stalled_jobs")
@app.task(queue="housekeeping", queueing_lock="retry_stalled_jobs", pass_context=True)
async def retry_stalled_jobs(context, timestamp: int) -> int:
    """Jobs held by a worker that stopped beating (killed, crashed) go back to the queue.

    This is what makes killing a worker lose nothing: its jobs are retried by another one.
    """
    stalled = await context.app.job_manager.get_stalled_jobs()
    for job in stalled:
        await context.app.job_manager.retry_job(job)
    if stalled:
        logger.warning("retried %d stalled job(s)", len(stalled))
    return len(stalled)


@app.periodic(cron="17 * * * *", periodic_id="purge_rate_counters")
@app.task(queue="housekeeping", queueing_lock="purge_rate_counters")
def purge_rate_counters(timestamp: int) -> int:
    """Old rate-limit windows are of no use; keep the table small."""
    from amanah.core.ratelimit import purge_older_than

    return purge_older_than()
