"""Campaign sends run in the worker, one job per batch of ≈1,000 customers."""

from __future__ import annotations

from procrastinate.contrib.django import app


@app.task(queue="campaigns", retry=3)
def send_campaign_batch(campaign_id: str, number: int) -> dict:
    """Thin: the batch service re-checks, records and audits; a re-run does nothing twice."""
    from amanah.marketing.sending import campaign_send_batch

    return campaign_send_batch(campaign_id=campaign_id, number=number)


@app.periodic(cron="*/15 * * * *", periodic_id="campaign_abtest_decide")
@app.task(queue="campaigns", queueing_lock="campaign_abtest_decide", lock="campaign_abtest_decide")
def decide_campaign_abtests(timestamp: int) -> int:
    """Decide each running A/B test whose horizon has come (once; auto roll-out if asked)."""
    from amanah.marketing.ab_services import decide_due

    return decide_due()
