"""Work-order reads, each starting from ``visible_to(actor)``: an agent sees its own work
orders, a supervisor its branches' (``fieldops.wo.team``); missing and out of scope are the
same NotFound."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from amanah.core.contributions import TimelineEvent, in_window, timeline_read
from amanah.core.errors import NotFound
from amanah.core.fields import format_rupiah
from amanah.core.prepared import prepared
from amanah.fieldops.models import (
    OPEN_STATUSES,
    CoordinateCorrection,
    CorrectionStatus,
    Outcome,
    ResultStatus,
    VisitResult,
    WorkOrder,
    WoStatus,
)
from amanah.fieldops.policies import WO_VIEW
from amanah.fieldops.routing import MAX_STOPS, route_order, validate_point
from amanah.iam import authz

LIST_LIMIT = 200
# The agent's list: work orders waiting for a visit.
TO_VISIT = (WoStatus.ASSIGNED, WoStatus.IN_PROGRESS)


def work_order_get(*, actor, work_order_id) -> WorkOrder:
    row = (
        WorkOrder.objects.visible_to(actor)
        .select_related("customer", "branch", "agent")
        .filter(pk=work_order_id)
        .first()
    )
    if row is None:
        raise NotFound()
    return row


def work_order_list(*, actor, status: str = "", limit: int = LIST_LIMIT) -> list[WorkOrder]:
    rows = WorkOrder.objects.visible_to(actor).select_related("customer", "agent", "branch")
    if status in WoStatus.values:
        rows = rows.filter(status=status)
    else:
        rows = rows.filter(status__in=OPEN_STATUSES)
    return list(rows.order_by("-days_past_due", "id")[:limit])


def status_counts(*, actor) -> dict[str, int]:
    rows = WorkOrder.objects.visible_to(actor).values("status").annotate(n=Count("id"))
    return {r["status"]: r["n"] for r in rows.order_by()}


def visits_of(*, actor, work_order: WorkOrder) -> list[VisitResult]:
    return list(
        VisitResult.objects.visible_to(actor)
        .filter(work_order=work_order)
        .select_related("agent")
        .order_by("-captured_at")
    )


def own_visit_get(*, actor, visit_id) -> VisitResult:
    """A visit result the actor recorded itself (photos are added by their agent only)."""
    row = VisitResult.objects.visible_to(actor).filter(pk=visit_id, agent_id=actor.pk).first()
    if row is None:
        raise NotFound()
    return row


def conflicts(*, actor) -> list[VisitResult]:
    return list(
        VisitResult.objects.visible_to(actor)
        .filter(status=ResultStatus.CONFLICT)
        .select_related("work_order", "work_order__customer", "agent")
        .order_by("recorded_at")[:LIST_LIMIT]
    )


def corrections_pending(*, actor) -> list[CoordinateCorrection]:
    return list(
        CoordinateCorrection.objects.visible_to(actor)
        .filter(status=CorrectionStatus.PROPOSED)
        .select_related("work_order", "work_order__customer", "visit__agent")
        .order_by("created_at")[:LIST_LIMIT]
    )


def navigate_links(latitude, longitude) -> dict[str, str]:
    """Open the device's map app at the coordinates: a ``geo:`` URI (Android and most apps)
    and a directions link (any browser, iOS)."""
    if latitude is None or longitude is None:
        return {}
    point = f"{latitude:.6f},{longitude:.6f}"
    return {
        "geo": f"geo:{point}?q={quote(point)}",
        "directions": f"https://www.google.com/maps/dir/?api=1&destination={quote(point)}",
    }


@dataclass
class Stop:
    work_order: WorkOrder
    position: int | None  # visiting order (1 …), None without coordinates
    leg_km: float | None
    links: dict


@dataclass
class AgentDay:
    stops: list[Stop]
    total_km: float | None  # None: no origin given, listed by arrears instead
    origin: tuple[float, float] | None
    origin_error: str = ""


def agent_day(*, actor, latitude=None, longitude=None) -> AgentDay:
    """The agent's work orders waiting for a visit, in route order from where the agent
    stands (nearest-first + 2-opt, ``routing.route_order``) when the device gave a
    position; those without coordinates come last, by days past due."""
    rows = list(
        WorkOrder.objects.visible_to(actor)
        .filter(agent_id=actor.pk, status__in=TO_VISIT)
        .select_related("customer")
        .order_by("-days_past_due", "id")[:MAX_STOPS]
    )
    placed = [w for w in rows if w.latitude is not None]
    unplaced = [w for w in rows if w.latitude is None]
    origin, error = None, ""
    if latitude not in (None, "") or longitude not in (None, ""):
        try:
            origin = validate_point((latitude, longitude), "origin")
        except (ValueError, TypeError):
            error = _("Posisi perangkat tidak valid; daftar diurutkan menurut tunggakan.")
    if origin is None:
        stops = [Stop(w, None, None, navigate_links(w.latitude, w.longitude)) for w in rows]
        return AgentDay(stops, None, None, error)
    route = route_order(origin, [(w.latitude, w.longitude) for w in placed])
    stops = [
        Stop(
            placed[i],
            k + 1,
            route.legs_km[k],
            navigate_links(placed[i].latitude, placed[i].longitude),
        )
        for k, i in enumerate(route.order)
    ]
    stops += [Stop(w, None, None, {}) for w in unplaced]
    return AgentDay(stops, route.total_km, origin)


# --------------------------------------------------------------------------- the 360


# What a VISIT line shows: the rest of the visit, its agent and work order is not read.
VISIT_EVENT_FIELDS = (
    "captured_at",
    "outcome",
    "promise_date",
    "promise_amount",
    "agent__full_name",
    "work_order__id",  # its number is made of the id
)


@timeline_read(VisitResult)
def _visits(actor, *, customer, since, until, limit):
    return in_window(
        VisitResult.objects.visible_to(actor)
        .filter(work_order__customer=customer, status=ResultStatus.APPLIED)
        .select_related("agent", "work_order")
        .only(*VISIT_EVENT_FIELDS),
        "captured_at",
        since,
        until,
    ).order_by("-captured_at")[:limit]


def visit_events(customer, *, actor, since=None, until=None, limit=50) -> list[TimelineEvent]:
    """The customer's visits as VISIT lines on the 360 timeline (conflicts left out)."""
    if not authz.has_perm(actor, WO_VIEW):
        return []
    events = []
    for v in _visits(actor, customer=customer, since=since, until=until, limit=limit):
        detail = v.work_order.number
        if v.outcome == Outcome.PROMISE:
            detail += " · " + _("janji bayar %(date)s Rp %(amount)s") % {
                "date": date_format(v.promise_date, "j M Y"),
                "amount": format_rupiah(int(v.promise_amount)),
            }
        events.append(
            TimelineEvent(
                at=v.captured_at,
                kind="VISIT",
                title=_("Kunjungan lapangan · %(outcome)s") % {"outcome": v.get_outcome_display()},
                detail=detail,
                actor=v.agent.full_name,
                url=reverse("fieldops:detail", kwargs={"work_order_id": v.work_order_id}),
            )
        )
    return events


def customer_facts(customer, actor) -> dict:
    """``field_work_order``: the customer's open work order the actor may see (with its
    promise to pay, if any); ``field_promise``: the latest promise still ahead."""
    if not authz.has_perm(actor, WO_VIEW):
        return {"field_work_order": None, "field_promise": None}
    work_order = _open_work_order.first(actor, customer=customer)
    promise = _promise_ahead.first(actor, customer=customer, today=timezone.localdate())
    return {"field_work_order": work_order, "field_promise": promise}


@prepared(WorkOrder, params=("customer",))
def _open_work_order(actor, *, customer):
    return (
        WorkOrder.objects.visible_to(actor)
        .filter(customer=customer, status__in=OPEN_STATUSES)
        .only("status", "last_outcome")  # what the 360 card shows (its number is the id)
        .order_by("pk")[:1]
    )


@prepared(VisitResult, params=("customer", "today"))
def _promise_ahead(actor, *, customer, today):
    return (
        VisitResult.objects.visible_to(actor)
        .filter(
            Q(work_order__customer=customer),
            outcome=Outcome.PROMISE,
            status=ResultStatus.APPLIED,
            promise_date__gte=today,
        )
        .order_by("-captured_at")
        .only("promise_date", "promise_amount")[:1]
    )
