from procrastinate.contrib.django import app


@app.periodic(cron="*/10 * * * *", periodic_id="dashboards_refresh")
@app.task(queue="dashboards", queueing_lock="dashboards_refresh", lock="dashboards_refresh")
def dashboards_refresh_job(timestamp: int) -> dict:
    """Every ten minutes: the dashboards' summary table (``dashboards.refresh``). The queueing
    lock keeps at most one run waiting, the lock keeps two from running at once; a run is
    idempotent, branch batch by branch batch."""
    from amanah.dashboards.refresh import dashboards_refresh

    return dashboards_refresh().__dict__
