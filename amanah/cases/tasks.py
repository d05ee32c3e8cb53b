from procrastinate.contrib.django import app


@app.periodic(cron="* * * * *", periodic_id="sla_sweep")
@app.task(queue="sla", queueing_lock="sla_sweep", lock="sla_sweep")
def sla_sweep_job(timestamp: int) -> dict:
    """Every minute. The queueing lock keeps at most one sweep waiting; the lock keeps two
    workers from running sweeps at the same time (the queueing lock alone does not: it frees
    once a job starts). A periodic defer refused by the queueing lock is expected and handled
    by the stalled-job recovery in ``core/tasks.py``; a run is idempotent anyway."""
    from amanah.cases.sweep import sla_sweep

    return sla_sweep().__dict__
