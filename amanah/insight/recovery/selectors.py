"""Service-recovery reads, each starting from ``visible_to(actor)`` (a recovery is exactly as
visible as its case): the work list (pending first), the 360 timeline lines, and the figures
for dashboards (recovery rate, redemption rate, cost)."""

from __future__ import annotations

from django.db.models import Case, Count, IntegerField, Q, Sum, Value, When
from django.urls import reverse
from django.utils.translation import gettext as _

from amanah.core.contributions import TimelineEvent, in_window, timeline_read
from amanah.iam import authz
from amanah.insight.policies import RECOVERY_TRIGGER_MANAGE, RECOVERY_VIEW
from amanah.insight.recovery.models import RecoveryStatus, RecoveryTrigger, ServiceRecovery

S = RecoveryStatus
LIST_LIMIT = 200
# The work list's order: what waits for someone first, then what is out with the customer.
_STATUS_ORDER = Case(
    When(status=S.PENDING, then=Value(0)),
    When(status=S.APPROVED, then=Value(1)),
    When(status=S.SENT, then=Value(2)),
    default=Value(3),
    output_field=IntegerField(),
)


def recovery_list(*, actor, status: str = "", limit: int = LIST_LIMIT) -> list[ServiceRecovery]:
    """The recoveries of the cases the actor may see, pending first, newest first within."""
    authz.require(actor, RECOVERY_VIEW)
    rows = ServiceRecovery.objects.visible_to(actor).select_related("case", "trigger")
    if status in S.values:
        rows = rows.filter(status=status)
    return list(rows.order_by(_STATUS_ORDER, "-created_at", "id")[:limit])


def trigger_list(*, actor) -> list[RecoveryTrigger]:
    """The trigger table (seed 001 §3) in its evaluation order, for the admin who manages it:
    configuration, not customer data, so the permission to manage it is the whole scope (the
    manager need not see any case, ``RECOVERY_VIEW``)."""
    authz.require(actor, RECOVERY_TRIGGER_MANAGE)
    return list(RecoveryTrigger.objects.order_by("position", "code"))


def _rupiah(value: int) -> str:
    return "Rp" + f"{value:,}".replace(",", ".")


# What a RECOVERY line shows: the rest of the three joined rows is not read.
RECOVERY_EVENT_FIELDS = (
    "created_at",
    "action",
    "status",
    "estimated_value",
    "proposed_by_label",
    "case__case_no",
    "case__category__is_sensitive",
)


@timeline_read(ServiceRecovery)
def _recoveries(actor, *, customer, since, until, limit):
    return in_window(
        ServiceRecovery.objects.visible_to(actor)
        .filter(customer=customer)
        .select_related("case", "case__category")
        .only(*RECOVERY_EVENT_FIELDS),
        "created_at",
        since,
        until,
    ).order_by("-created_at")[:limit]


def recovery_events(customer, *, actor, since=None, until=None, limit=50) -> list[TimelineEvent]:
    """The customer's recoveries as RECOVERY lines on the 360 timeline."""
    if not authz.has_perm(actor, RECOVERY_VIEW):
        return []
    rows = _recoveries(actor, customer=customer, since=since, until=until, limit=limit)
    url = reverse("insight:recovery_list")
    return [
        TimelineEvent(
            at=r.created_at,
            kind="RECOVERY",
            title=_("Pemulihan layanan · %(action)s") % {"action": r.get_action_display()},
            detail=f"{r.case.case_no} · {r.get_status_display()} · {_rupiah(r.estimated_value)}",
            actor=r.proposed_by_label,
            sensitive=r.case.category.is_sensitive,
            url=url,
        )
        for r in rows
    ]


def _rate(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def recovery_metrics(*, actor, since=None, until=None) -> dict:
    """Over the recoveries created in [since, until) the actor may see:

    - ``recovery_rate``: % of recoveries that reached the customer (sent, whatever came
      after) of all created;
    - ``redemption_rate``: % CLAIMED of those sent (CLAIMED / SENT, seed 001 §3);
    - ``cost_claimed``: IDR of what customers claimed (the realised cost), ``cost_sent``: IDR
      of everything sent (the committed cost);
    - the counts per status. Rates are None when their base is zero."""
    authz.require(actor, RECOVERY_VIEW)
    rows = in_window(ServiceRecovery.objects.visible_to(actor), "created_at", since, until)
    sent = Q(sent_at__isnull=False)
    claimed = Q(status=S.CLAIMED)
    figures = rows.aggregate(
        created=Count("pk"),
        sent=Count("pk", filter=sent),
        claimed=Count("pk", filter=claimed),
        pending=Count("pk", filter=Q(status=S.PENDING)),
        approved=Count("pk", filter=Q(status=S.APPROVED)),
        expired=Count("pk", filter=Q(status=S.EXPIRED)),
        cost_claimed=Sum("estimated_value", filter=claimed, default=0),
        cost_sent=Sum("estimated_value", filter=sent, default=0),
    )
    figures["recovery_rate"] = _rate(figures["sent"], figures["created"])
    figures["redemption_rate"] = _rate(figures["claimed"], figures["sent"])
    return figures
