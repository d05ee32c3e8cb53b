"""The field map's data (issue 19): the work orders an actor may see as markers coloured by
status, in route order with the total distance for the agent's day, and the outlines of the
areas they lie in. Rendered by Leaflet from ``static/vendor`` (``static/js/fieldops-map.js``)
on a plain background: no internet tiles; ``FIELDOPS_TILE_URL`` names an intranet tile
server when the institution has one (empty by default: no tiles at all).

Every answer starts from ``WorkOrder.objects.visible_to(actor)`` (the declared scope: own work
orders for an agent, the branches' for a supervisor); one work order out of scope answers the
same NotFound as one that does not exist.

**Area outlines** are reference geometry, not customer data: an app that knows them declares
``map_areas.register("<app>.<thing>", MapAreas(label, outlines))`` where ``outlines(bounds)``
answers ``[{"name": str, "polygon": [[lat, lon], …]}]`` or, without an outline,
``{"name", "centre": [lat, lon], "radius_m"}`` for the areas meeting ``bounds`` (south, west,
north, east). The PDAM utility declares its service areas; fieldops never imports it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.urls import reverse
from django.utils.functional import Promise

from amanah.core.registry import Registry
from amanah.fieldops import selectors
from amanah.fieldops.models import OPEN_STATUSES, WorkOrder, WoStatus

# Marker colour per status (the legend reads the same table).
STATUS_COLOURS = {
    WoStatus.NEW: "#6b7280",
    WoStatus.ASSIGNED: "#2563eb",
    WoStatus.IN_PROGRESS: "#d97706",
    WoStatus.VISITED: "#16a34a",
    WoStatus.CLOSED: "#111827",
    WoStatus.CANCELLED: "#dc2626",
}
# The team map shows at most this many markers (the open work orders with coordinates, by
# days past due): a supervisor's branches rarely have more open at once; the page says so
# when some are left off.
TEAM_LIMIT = 1000
# Around the markers, outlines are asked for within this margin (degrees, ~10 km).
AREA_MARGIN = 0.1


@dataclass(frozen=True)
class MapAreas:
    label: str | Promise
    outlines: Callable[[tuple[float, float, float, float]], list[dict]]


# key "<app>.<thing>" -> MapAreas; write-once like the kernel's stores.
map_areas = Registry("fieldops map areas", per_profile=True)


def tile_url() -> str:
    return getattr(settings, "FIELDOPS_TILE_URL", "") or ""


def legend() -> list[dict]:
    return [
        {"status": value, "label": str(label), "colour": STATUS_COLOURS[value]}
        for value, label in WoStatus.choices
    ]


def _marker(wo: WorkOrder, *, order=None, leg_km=None, agent=False) -> dict:
    marker = {
        "id": wo.pk,
        "number": wo.number,
        "customer": wo.customer.full_name,
        "status": wo.status,
        "status_label": str(wo.get_status_display()),
        "colour": STATUS_COLOURS[wo.status],
        "lat": wo.latitude,
        "lon": wo.longitude,
        "order": order,
        "leg_km": None if leg_km is None else round(leg_km, 2),
        "url": reverse("fieldops:detail", kwargs={"work_order_id": wo.pk}),
        "navigate": selectors.navigate_links(wo.latitude, wo.longitude),
    }
    if agent:
        marker["agent"] = wo.agent.full_name if wo.agent_id else ""
    return marker


def _bounds(points: list[tuple[float, float]]):
    if not points:
        return None
    lats, lons = [p[0] for p in points], [p[1] for p in points]
    return (
        min(lats) - AREA_MARGIN,
        min(lons) - AREA_MARGIN,
        max(lats) + AREA_MARGIN,
        max(lons) + AREA_MARGIN,
    )


def areas_near(points: list[tuple[float, float]]) -> list[dict]:
    """The declared area outlines meeting the markers' bounding box (none without markers)."""
    bounds = _bounds(points)
    if bounds is None:
        return []
    found = []
    for _key, source in map_areas.items():
        found.extend(source.outlines(bounds))
    return found


def _answer(markers: list[dict], *, origin=None, total_km=None, unplaced=0, left_off=0) -> dict:
    points = [(m["lat"], m["lon"]) for m in markers]
    if origin is not None:
        points.append(tuple(origin))
    return {
        "tiles": tile_url(),
        "legend": legend(),
        "areas": areas_near(points),
        "origin": list(origin) if origin is not None else None,
        "total_km": None if total_km is None else round(total_km, 2),
        "work_orders": markers,
        "unplaced": unplaced,
        "left_off": left_off,
    }


def agent_map(*, actor, latitude=None, longitude=None) -> dict:
    """The agent's day (``selectors.agent_day``: own work orders waiting for a visit) as
    markers in route order from the device position, with the legs and the total."""
    day = selectors.agent_day(actor=actor, latitude=latitude, longitude=longitude)
    markers = [
        _marker(s.work_order, order=s.position, leg_km=s.leg_km)
        for s in day.stops
        if s.work_order.latitude is not None
    ]
    unplaced = sum(1 for s in day.stops if s.work_order.latitude is None)
    return _answer(markers, origin=day.origin, total_km=day.total_km, unplaced=unplaced)


def team_map(*, actor) -> dict:
    """The team's open work orders (the actor's scope) as markers, with each one's agent."""
    rows = WorkOrder.objects.visible_to(actor).filter(status__in=OPEN_STATUSES)
    placed = rows.filter(latitude__isnull=False).select_related("customer", "agent")
    markers = list(placed.order_by("-days_past_due", "id")[: TEAM_LIMIT + 1])
    left_off = 0
    if len(markers) > TEAM_LIMIT:
        left_off = placed.count() - TEAM_LIMIT
        markers = markers[:TEAM_LIMIT]
    return _answer(
        [_marker(w, agent=True) for w in markers],
        unplaced=rows.filter(latitude__isnull=True).count(),
        left_off=left_off,
    )


def work_order_map(*, actor, work_order_id) -> dict:
    """One work order's marker (the detail page's map); NotFound when missing or out of
    scope (``selectors.work_order_get``)."""
    wo = selectors.work_order_get(actor=actor, work_order_id=work_order_id)
    markers = [_marker(wo, agent=True)] if wo.latitude is not None else []
    return _answer(markers, unplaced=0 if markers else 1)
