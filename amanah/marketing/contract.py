"""Marketing on the Customer 360: "Kenapa saya melihat ini?" and campaign events on the timeline."""

from __future__ import annotations

from django.utils.translation import gettext as _

from amanah.consent.contract import Reason, contactability
from amanah.customer360 import timeline
from amanah.customer360.selectors import register_facts
from amanah.customers.merge import register_mover
from amanah.marketing.models import OUTCOME_TYPES, CampaignEligibility, CampaignEvent


def marketing_facts(customer, actor) -> dict:
    """Eligibility per campaign with its reason and flags, for the Marketing tab (2 queries);
    "suppressed" is a yes/no every viewer of the customer may know."""
    rows = list(
        CampaignEligibility.objects.visible_to(actor)
        .filter(customer=customer)
        .select_related("campaign")
        .order_by("-evaluated_at")[:20]
    )
    return {
        "eligibility": rows,
        "suppressed": Reason.DO_NOT_CONTACT in contactability(customer, "OFFER", "PHONE").reasons,
    }


def campaign_events(customer, *, actor, since=None, until=None, limit=50):
    rows = timeline.in_window(
        CampaignEvent.objects.visible_to(actor)
        .filter(customer=customer)
        .select_related("campaign"),
        "at",
        since,
        until,
    )
    return [
        timeline.TimelineEvent(
            at=e.at,
            kind="MARKETING",
            title=f"{e.campaign.name}: {e.get_event_type_display()}",
            detail=_("Kanal %s") % e.get_channel_display(),
        )
        for e in rows.order_by("-at")[:limit]
    ]


def move_marketing(absorbed, survivor) -> int:
    """Merge mover: history stays with the person; the survivor's own verdicts win on conflict."""
    taken = set(
        CampaignEligibility.objects.filter(customer=survivor).values_list("campaign_id", flat=True)
    )
    CampaignEligibility.objects.filter(customer=absorbed, campaign_id__in=taken).delete()
    moved = CampaignEligibility.objects.filter(customer=absorbed).update(customer=survivor)
    for event in CampaignEvent.objects.filter(customer=absorbed):
        # One outcome (SENT or SKIPPED) per campaign and customer: the survivor's wins.
        same = list(OUTCOME_TYPES) if event.event_type in OUTCOME_TYPES else [event.event_type]
        if CampaignEvent.objects.filter(
            customer=survivor, campaign=event.campaign, event_type__in=same
        ).exists():
            event.delete()
        else:
            CampaignEvent.objects.filter(pk=event.pk).update(customer=survivor)
    return moved


register_facts("marketing", marketing_facts)
timeline.register("marketing.events", "MARKETING", campaign_events)
register_mover("marketing.history", move_marketing)
