"""Marketing in the menu and on the Customer 360: "Kenapa saya melihat ini?", campaign events on
the timeline, and the merge mover of its history."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from amanah.consent.contract import Reason, contactability
from amanah.core import registry
from amanah.core.contributions import (
    NavItem,
    TimelineEvent,
    TimelineKind,
    TimelineProvider,
    in_window,
)
from amanah.marketing.models import OUTCOME_TYPES, CampaignEligibility, CampaignEvent
from amanah.marketing.policies import CAMPAIGN_VIEW, SEGMENT_MANAGE


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
    rows = in_window(
        CampaignEvent.objects.visible_to(actor)
        .filter(customer=customer)
        .select_related("campaign"),
        "at",
        since,
        until,
    )
    return [
        TimelineEvent(
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


registry.navigation.register(
    "marketing.campaigns",
    NavItem(gettext_lazy("Kampanye"), "marketing:campaign_list", CAMPAIGN_VIEW),
    order=60,
)
registry.navigation.register(
    "marketing.segments",
    NavItem(gettext_lazy("Segmen"), "marketing:segment_list", SEGMENT_MANAGE),
    order=70,
)
registry.timeline_kinds.register("MARKETING", TimelineKind(gettext_lazy("Pemasaran")), order=30)
registry.timeline_providers.register(
    "marketing.events", TimelineProvider("MARKETING", campaign_events)
)
registry.facts.register("marketing", marketing_facts)
registry.merge_movers.register("marketing.history", move_marketing)
