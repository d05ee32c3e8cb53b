"""Campaign reporting (aggregates only: marketing sees no per-customer detail)."""

from __future__ import annotations

from django.db.models import Count

from amanah.marketing.models import Campaign
from amanah.marketing.services import eligibility_counts


def campaign_report(campaign: Campaign) -> dict:
    events = dict(campaign.events.values_list("event_type").annotate(n=Count("id")))
    report = {"events": events, **eligibility_counts(campaign)}
    report["leads_created"], report["leads_won"] = _lead_counts(campaign)
    return report


def _lead_counts(campaign: Campaign) -> tuple[int, int]:
    try:
        from amanah.sales.models import Lead
    except ImportError:  # the sales app is optional for the marketing module
        return 0, 0
    leads = Lead.objects.filter(source_type="CAMPAIGN", source_id=campaign.pk)
    return leads.count(), leads.filter(status="CLOSED_WON").count()
