"""How sales shows up elsewhere: RM activities on the 360 timeline, the Sales tab's facts,
quick actions, and the merge movers that make leads follow the surviving customer."""

from __future__ import annotations

from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from amanah.customer360 import actions, timeline
from amanah.customer360.selectors import register_facts
from amanah.customers.merge import register_mover
from amanah.sales.models import FollowUpTask, Lead, Opportunity, RmActivity
from amanah.sales.selectors import customer_sales


def activity_events(customer, *, actor, since=None, until=None, limit=50):
    """RM calls, meetings and notes (seed 003 US-17 AC-2) as ACTIVITY events."""
    rows = timeline.in_window(
        RmActivity.objects.visible_to(actor).filter(customer=customer), "created_at", since, until
    )
    return [
        timeline.TimelineEvent(
            at=a.created_at,
            kind="ACTIVITY",
            title=_("RM · %(type)s%(lead)s")
            % {
                "type": a.get_activity_type_display(),
                "lead": _(" · lead") if a.lead_id else "",
            },
            detail=a.note[:200],
            actor=a.created_by_label,
        )
        for a in rows.order_by("-created_at")[:limit]
    ]


def _sales_tab(customer) -> str:
    return reverse("customer360:workspace", args=[customer.pk]) + "?tab=sales"


def move_leads(absorbed, survivor) -> int:
    """Merge mover. A lead from a source the survivor already has (same campaign) stays with
    the absorbed record rather than break the one-lead-per-source rule; its RM still holds it."""
    taken = Lead.objects.filter(customer=survivor, source_id__isnull=False).values_list(
        "source_type", "source_id"
    )
    clash = Q()
    for source_type, source_id in taken:
        clash |= Q(source_type=source_type, source_id=source_id)
    movable = Lead.objects.filter(customer=absorbed)
    if clash:
        movable = movable.exclude(clash)
    return movable.update(customer=survivor)


def move_sales_rows(absorbed, survivor) -> int:
    """Merge mover: activities, opportunities and follow-up tasks follow the person."""
    return sum(
        model.objects.filter(customer=absorbed).update(customer=survivor)
        for model in (RmActivity, Opportunity, FollowUpTask)
    )


timeline.register("sales.activities", "ACTIVITY", activity_events)
register_facts("sales", customer_sales)
actions.register(
    actions.QuickAction(gettext_lazy("Catat aktivitas"), "sales.activity.log", _sales_tab)
)
actions.register(
    actions.QuickAction(
        gettext_lazy("Buat lead"),
        "lead.create",
        lambda c: reverse("sales:lead_create", args=[c.pk]),
    )
)
register_mover("sales.leads", move_leads)
register_mover("sales.rows", move_sales_rows)
