"""Campaign sends run in the worker, one job per batch of ≈1,000 customers."""

from __future__ import annotations

from procrastinate.contrib.django import app


@app.task(queue="campaigns", retry=3)
def send_campaign_batch(campaign_id: str, number: int) -> dict:
    """Thin: the batch service re-checks, records and audits; a re-run does nothing twice."""
    from amanah.marketing.sending import campaign_send_batch

    return campaign_send_batch(campaign_id=campaign_id, number=number)
