"""The billing run as a job (one per run; its slices commit one by one)."""

from __future__ import annotations

from procrastinate.contrib.django import app


@app.task(queue="utility", queueing_lock="utility_billing", lock="utility_billing")
def billing_run_job(run_id: int) -> str:
    from amanah.utility.billing import billing_execute

    return billing_execute(run_id)
