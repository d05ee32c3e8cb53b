"""UU PDP reads: exports, corrections and incidents in the actor's scope, and the breach
timer panel of the compliance dashboard."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from amanah.core.errors import NotFound
from amanah.iam import authz
from amanah.privacy.models import (
    AccessRequest,
    BreachIncident,
    BreachStatus,
    CorrectionRequest,
    CorrectionStatus,
)
from amanah.privacy.policies import (
    PRIVACY_BREACH_VIEW,
    PRIVACY_CORRECTION_REVIEW,
    PRIVACY_DSAR,
)

LIST_LIMIT = 200
PANEL_LIMIT = 20


def _one(queryset, pk):
    try:
        found = queryset.filter(pk=pk).first()
    except (ValueError, TypeError):
        found = None
    if found is None:
        raise NotFound()
    return found


def dsar_list(*, actor) -> list[AccessRequest]:
    authz.require(actor, PRIVACY_DSAR)
    rows = AccessRequest.objects.visible_to(actor).select_related("customer", "requested_by")
    return list(rows.order_by("-requested_at", "pk")[:LIST_LIMIT])


def dsar_get(*, actor, request_id) -> AccessRequest:
    authz.require(actor, PRIVACY_DSAR)
    rows = AccessRequest.objects.visible_to(actor).select_related("customer", "requested_by")
    return _one(rows, request_id)


def corrections_waiting(*, actor) -> list[CorrectionRequest]:
    """Requests in the actor's scope that wait for a review (oldest first, all of them), then
    the newest decided ones."""
    authz.require(actor, PRIVACY_CORRECTION_REVIEW)
    rows = CorrectionRequest.objects.visible_to(actor).select_related(
        "customer", "requested_by", "decided_by"
    )
    waiting = rows.filter(status=CorrectionStatus.REQUESTED).order_by("requested_at", "pk")
    decided = rows.exclude(status=CorrectionStatus.REQUESTED).order_by("-decided_at", "pk")
    return [*waiting, *decided[:LIST_LIMIT]]


def correction_get(*, actor, correction_id) -> CorrectionRequest:
    authz.require(actor, PRIVACY_CORRECTION_REVIEW)
    return _one(CorrectionRequest.objects.visible_to(actor), correction_id)


def corrections_of(*, actor, customer) -> list[CorrectionRequest]:
    """The correction requests of one customer the actor may see (the request page)."""
    rows = CorrectionRequest.objects.visible_to(actor).filter(customer=customer)
    return list(rows.select_related("requested_by", "decided_by").order_by("-requested_at")[:50])


def breach_list(*, actor) -> list[BreachIncident]:
    """Every incident not closed (the most urgent first), then the newest closed ones."""
    authz.require(actor, PRIVACY_BREACH_VIEW)
    rows = BreachIncident.objects.visible_to(actor).select_related("recorded_by", "notified_by")
    waiting = rows.exclude(status=BreachStatus.CLOSED).order_by("notify_by", "pk")
    closed = rows.filter(status=BreachStatus.CLOSED).order_by("-discovered_at", "pk")
    return [*waiting, *closed[:LIST_LIMIT]]


def breach_get(*, actor, incident_id) -> BreachIncident:
    authz.require(actor, PRIVACY_BREACH_VIEW)
    return _one(BreachIncident.objects.visible_to(actor), incident_id)


@dataclass(frozen=True)
class Timer:
    incident: BreachIncident
    overdue: bool
    hours_left: int  # negative when overdue


def breach_panel(actor, now: datetime) -> dict:
    """The compliance dashboard's breach timer: incidents not yet notified, the nearest
    deadline first (the status and deadline index), at most ``PANEL_LIMIT``, and how many."""
    rows = BreachIncident.objects.visible_to(actor).filter(status=BreachStatus.OPEN)
    timers = [
        Timer(i, i.overdue(now), int((i.notify_by - now).total_seconds() // 3600))
        for i in rows.order_by("notify_by", "pk")[:PANEL_LIMIT]
    ]
    return {"timers": timers, "open": rows.count(), "limit": PANEL_LIMIT}
