from procrastinate.contrib.django import app


@app.periodic(cron="* * * * *", periodic_id="sla_sweep")
@app.task(queue="sla", queueing_lock="sla_sweep")
def sla_sweep_job(timestamp: int) -> dict:
    """Every minute; overlapping runs are prevented by the queueing lock, and a run is
    idempotent anyway."""
    from amanah.cases.sweep import sla_sweep

    return sla_sweep().__dict__
