"""Campaign reporting (aggregates only: marketing sees no per-customer detail)."""

from __future__ import annotations

from django.db.models import Count

from amanah.marketing.models import OUTCOME_TYPES, Campaign, eligibility_reason_label
from amanah.marketing.services import eligibility_counts
from amanah.messaging.contract import MessageSource
from amanah.messaging.selectors import source_totals


def campaign_report(campaign: Campaign) -> dict:
    """Eligibility, the send's outcomes (SENT = handed to the messaging hub, SKIPPED at the
    send's re-check), what the hub did with the messages (``hub``: delivered, opened,
    clicked … from the outbox and its engagement) and the leads the campaign produced."""
    events = dict(
        campaign.events.filter(event_type__in=OUTCOME_TYPES)
        .values_list("event_type")
        .annotate(n=Count("id"))
    )
    report = {"events": events, **eligibility_counts(campaign)}
    report["hub"] = source_totals(source=MessageSource.CAMPAIGN, source_id=str(campaign.pk))
    report["leads_created"], report["leads_won"] = _lead_counts(campaign)
    report["reason_labels"] = {r: eligibility_reason_label(r) for r in report["ineligible"]}
    return report


def _lead_counts(campaign: Campaign) -> tuple[int, int]:
    try:
        from amanah.sales.models import Lead
    except ImportError:  # the sales app is optional for the marketing module
        return 0, 0
    leads = Lead.objects.filter(source_type="CAMPAIGN", source_id=campaign.pk)
    return leads.count(), leads.filter(status="CLOSED_WON").count()
