from procrastinate.contrib.django import app


@app.periodic(cron="*/5 * * * *", periodic_id="followup_rotation_sweep")
@app.task(queue="followup", queueing_lock="followup_sweep", lock="followup_sweep")
def rotation_sweep_job(timestamp: int) -> dict:
    """Every five minutes (DESIGN §6: not daily, so no window stretches to three days). The
    queueing lock keeps at most one sweep waiting, the lock keeps two from running at once;
    a run is idempotent anyway."""
    from amanah.followup.sweep import rotation_sweep

    return rotation_sweep().as_dict()
