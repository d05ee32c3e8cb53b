"""The nightly RFM run (seed 001 §1: "computed nightly"), after it the nightly NBA run for
the RMs' portfolios (seed 001 §4), the expiry of NBA outcomes, and the service-recovery scan."""

from django.conf import settings
from procrastinate.contrib.django import app

from amanah.core.actors import declare_actor
from amanah.insight.policies import NBA_PORTFOLIO_REFRESH, RFM_RUN

# The nightly runs' own actors: they may run RFM / refresh the NBA of every branch, no more.
RFM_SCHEDULER = declare_actor("insight-rfm", permissions=(RFM_RUN,), all_branches=True)
NBA_SCHEDULER = declare_actor(
    "insight-nba", permissions=(NBA_PORTFOLIO_REFRESH,), all_branches=True
)


# 18:00 UTC is 01:00 WIB, after the day's bookings are in.
@app.periodic(cron="0 18 * * *", periodic_id="insight_rfm_nightly")
@app.task(queue="insight", queueing_lock="insight_rfm", lock="insight_rfm")
def rfm_nightly_job(timestamp: int) -> dict:
    """Thin: one set-based run as the insight scheduler (an integration actor that may only
    run RFM and sees every branch). The day comes from the schedule's timestamp, not the
    clock, so a retried or late job scores the same day — and finds that day's run already
    there instead of writing a second one."""
    from datetime import UTC, datetime

    from django.utils import timezone

    from amanah.insight.services import rfm_run_compute

    actor = RFM_SCHEDULER
    as_of = timezone.localdate(datetime.fromtimestamp(timestamp, tz=UTC))
    run = rfm_run_compute(actor=actor, trigger="NIGHTLY", as_of=as_of)
    return {"run": run.pk, "customers": run.customers}


# 19:00 UTC is 02:00 WIB: an hour after the RFM run, whose segments the rules read.
@app.periodic(cron="0 19 * * *", periodic_id="insight_nba_portfolios_nightly")
@app.task(queue="insight", queueing_lock="insight_nba_portfolios", lock="insight_nba_portfolios")
def nba_portfolios_nightly_job(timestamp: int) -> dict:
    """Thin: the worklists rebuilt as the insight scheduler (may only refresh them). Safe to
    retry: a run rewrites every worklist from the live arbitration."""
    from amanah.insight.nba.services import nba_portfolio_refresh

    return nba_portfolio_refresh(actor=NBA_SCHEDULER)


@app.periodic(cron=settings.RECOVERY_SCAN_CRON, periodic_id="insight_recovery_scan")
@app.task(queue="insight", queueing_lock="insight_recovery_scan", lock="insight_recovery_scan")
def recovery_scan_job(timestamp: int) -> dict:
    """Thin: service recovery for cases now past twice their SLA, and for breaches whose
    sweep digest never came (set-based, idempotent: a retry creates nothing)."""
    from amanah.insight.recovery.services import recovery_scan

    return {"created": recovery_scan()}


# 19:30 UTC is 02:30 WIB, after the portfolios' run.
@app.periodic(cron="30 19 * * *", periodic_id="insight_nba_outcomes_expire")
@app.task(queue="insight", queueing_lock="insight_nba_outcomes", lock="insight_nba_outcomes")
def nba_outcomes_expire_job(timestamp: int) -> dict:
    """Thin: accepted recommendations with no result after 30 days become FAILED (batched,
    idempotent: a retry finds nothing left to expire)."""
    from amanah.insight.nba.outcomes import nba_outcomes_expire

    return {"failed": nba_outcomes_expire()}


# 20:00 UTC is 03:00 WIB.
@app.periodic(cron="0 20 * * *", periodic_id="insight_recovery_expire")
@app.task(queue="insight", queueing_lock="insight_recovery_expire", lock="insight_recovery_expire")
def recovery_expire_job(timestamp: int) -> dict:
    """Thin: sent recoveries unclaimed after RECOVERY_CLAIM_DAYS become EXPIRED through the
    workflow (batched, idempotent)."""
    from amanah.insight.recovery.services import recovery_expire

    return {"expired": recovery_expire()}
