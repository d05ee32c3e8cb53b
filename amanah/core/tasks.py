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
