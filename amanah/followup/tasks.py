from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.utils import timezone
from procrastinate.contrib.django import app


@app.periodic(cron="*/5 * * * *", periodic_id="followup_rotation_sweep")
@app.task(queue="followup", queueing_lock="followup_sweep", lock="followup_sweep")
def rotation_sweep_job(timestamp: int) -> dict:
    """Every five minutes (DESIGN §6: not daily, so no window stretches to three days). The
    queueing lock keeps at most one sweep waiting, the lock keeps two from running at once;
    a run is idempotent anyway."""
    from amanah.followup.sweep import rotation_sweep

    return rotation_sweep().as_dict()


@app.periodic(cron=settings.FOLLOWUP_REPORT_CRON, periodic_id="followup_daily_report")
@app.task(queue="followup", queueing_lock="followup_report", lock="followup_report")
def daily_report_job(timestamp: int) -> dict:
    """Once a day (by default 00:00 UTC, 07:00 WIB): the report of the day before, in the
    deployment's zone. Idempotent per day (``report``): a retry sends nothing twice."""
    from amanah.followup.report import REPORTER, daily_report_send

    now = datetime.fromtimestamp(timestamp, tz=UTC)
    day = timezone.localdate(now) - timedelta(days=1)
    return daily_report_send(actor=REPORTER, day=day, now=now)


@app.periodic(cron=settings.FOLLOWUP_ENROL_CRON, periodic_id="followup_enrolment")
@app.task(queue="followup", queueing_lock="followup_enrolment", lock="followup_enrolment")
def enrolment_job(timestamp: int) -> dict:
    """Every hour by default: who enters the desk by rule (``enrolment``: new savings accounts
    without a first deposit, dormant customers — the rules switched on in
    ``FOLLOWUP_ENROL_RULES``). Batched and idempotent: a second run enrols nobody twice."""
    from amanah.followup.enrolment import enrolment_run

    return enrolment_run()
