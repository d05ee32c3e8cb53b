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
    """The complaint classifier's training (``cases.classifier.training.run_job``): nightly
    (02:17 UTC) and queued by intake when it finds no model. A new version when the training
    data changed (the agents' decisions, a new release's generated or hand-written set), used
    only when not worse; then a batch of the complaints that waited for a model, queued again
    while more wait. Idempotent; a no-op when the classifier is off. The only place a model is
    trained (besides ``amanah cases_classifier retrain``): never a web request."""
    from amanah.cases.classifier.training import run_job

    return run_job()
