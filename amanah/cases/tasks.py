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


@app.periodic(cron="17 2 * * *", periodic_id="case_classifier_retrain")
@app.task(
    queue="housekeeping",
    queueing_lock="case_classifier_retrain",
    lock="case_classifier_retrain",
)
def case_classifier_retrain_job(timestamp: int) -> dict:
    """Nightly (02:17 UTC): retrain the complaint classifier with the agents' decisions
    (``cases.classifier.services.retrain``); idempotent, a no-op when the classifier is off or
    nothing new was decided, and a model that scores worse on the hand-written set is not used.
    """
    from amanah.cases.classifier.services import retrain

    result = retrain()
    return result.__dict__ if result else {"outcome": "off"}
