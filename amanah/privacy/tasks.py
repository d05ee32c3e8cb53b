from procrastinate.contrib.django import app


@app.periodic(cron="17 2 * * *", periodic_id="privacy_retention")
@app.task(queue="privacy", queueing_lock="privacy_retention", lock="privacy_retention")
def privacy_retention_job(timestamp: int) -> dict:
    """Daily: anonymise the data classes whose retention ended (``privacy.retention``); batched
    and idempotent, so a retried or overlapping run changes nothing twice."""
    from amanah.privacy.retention import retention_run

    return retention_run()
