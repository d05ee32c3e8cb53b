"""What field operations offer the rest of the house (seed 002 Find&Go, issue 19).

Ask: ``route_order(origin, stops) -> Route`` — the visiting order of ``(lat, lon)`` stops for
an agent standing at ``origin``: nearest-first improved by 2-opt and Or-opt, an open path (no
return), with its legs and total in km (``amanah/fieldops/routing.py``). Pure: no database,
no actor; the caller decides which stops the actor may see.

Declare an arrears source (an app that knows who is in arrears, e.g. the PDAM utility's
bills): ``arrears_sources.register("<app>.<thing>", ArrearsSource(label, select))`` where
``select() -> (sql, params)`` answers the columns of ``ARREARS_COLUMNS`` (see
``fieldops/sources.py``). Work orders are generated from every source by rule. fieldops
itself declares the bank's source from its loan-arrears import target
(``fieldops.loan_arrears``).

Listen: ``fieldops.work_orders_generated`` (actor, source, created),
``fieldops.work_orders_assigned`` (actor, assigned), ``fieldops.work_order_created``
(actor, work_order), ``fieldops.work_order_reassigned`` (actor, work_order, previous),
``fieldops.visit_recorded`` (actor, visit) — a promise to pay carries ``promise_date`` and
``promise_amount`` — ``fieldops.visit_conflict`` (actor, visit),
``fieldops.correction_decided`` (actor, correction), and the workflow's
``fieldops.work_order.transitioned``.

Declare area outlines for the field map (reference geometry, not customer data):
``map_areas.register("<app>.<thing>", MapAreas(label, outlines))`` where ``outlines(bounds)``
answers the areas meeting ``(south, west, north, east)`` (``fieldops/maps.py``).

Registers: the work-order workflow and its guards, the VISIT kind on the 360 timeline and its
provider, the 360 facts and card (open work order, promise to pay), a merge mover, menu
entries, the loan-arrears import target and source, and the work order as a documents owner
kind (``fieldops.WorkOrder``: the visit photos).
"""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext_lazy, gettext_noop

from amanah.core import events, registry
from amanah.core.contributions import Card, NavItem, TimelineKind, TimelineProvider
from amanah.documents.contract import register_owner
from amanah.fieldops import generate, loans, selectors, services, visits
from amanah.fieldops import subject as _subject_section
from amanah.fieldops.maps import MapAreas, map_areas
from amanah.fieldops.models import OPEN_STATUSES, KnownLocation, LoanArrears, WorkOrder
from amanah.fieldops.models import WoStatus as S
from amanah.fieldops.policies import WO_MANAGE, WO_TEAM, WO_VIEW, WO_WORK
from amanah.fieldops.routing import Route, route_order
from amanah.fieldops.sources import COLUMNS as ARREARS_COLUMNS
from amanah.fieldops.sources import ArrearsSource, arrears_sources
from amanah.insight.merchants.locations import LocationSource, customer_locations
from amanah.workflow.contract import (
    TransitionSpec,
    WorkflowSpec,
    declare_workflow,
    register_guard,
)

__all__ = [
    "ARREARS_COLUMNS",
    "ArrearsSource",
    "MapAreas",
    "Route",
    "arrears_sources",
    "map_areas",
    "route_order",
]

# --------------------------------------------------------------------------- the workflow

IS_AGENT = register_guard(
    "fieldops.work_order.is_agent",
    services.is_agent,
    message=gettext_lazy("Hanya petugas yang ditugaskan yang dapat mengerjakan work order ini."),
)
NO_OTHER_OPEN = register_guard(
    "fieldops.work_order.no_other_open",
    lambda wo, data: (
        not WorkOrder.objects.filter(customer_id=wo.customer_id, status__in=OPEN_STATUSES)
        .exclude(pk=wo.pk)
        .exists()
    ),
    message=gettext_lazy("Pelanggan ini sudah punya work order lain yang masih terbuka."),
)


def _cancel(from_status) -> TransitionSpec:
    return TransitionSpec(
        from_status, S.CANCELLED, WO_MANAGE, gettext_noop("Batalkan"), required=("cancel_reason",)
    )


declare_workflow(
    WorkflowSpec(
        key=generate.WORKFLOW,
        model="fieldops.WorkOrder",
        status_field="status",
        label=gettext_noop("Work order kunjungan"),
        audit_action="MOVE_WORK_ORDER",
        on_apply=services.on_apply,
        transitions=(
            TransitionSpec(
                S.NEW, S.ASSIGNED, WO_MANAGE, gettext_noop("Tugaskan"), required=("agent",)
            ),
            TransitionSpec(
                S.ASSIGNED, S.IN_PROGRESS, WO_WORK, gettext_noop("Mulai kunjungan"), guard=IS_AGENT
            ),
            TransitionSpec(
                S.ASSIGNED, S.VISITED, WO_WORK, gettext_noop("Catat kunjungan"), guard=IS_AGENT
            ),
            TransitionSpec(
                S.IN_PROGRESS, S.VISITED, WO_WORK, gettext_noop("Catat kunjungan"), guard=IS_AGENT
            ),
            TransitionSpec(S.VISITED, S.CLOSED, WO_MANAGE, gettext_noop("Tutup")),
            _cancel(S.NEW),
            _cancel(S.ASSIGNED),
            _cancel(S.IN_PROGRESS),
            _cancel(S.VISITED),
            TransitionSpec(
                S.ASSIGNED, S.NEW, WO_MANAGE, gettext_noop("Batalkan penugasan"), is_revert=True
            ),
            TransitionSpec(
                S.IN_PROGRESS,
                S.ASSIGNED,
                WO_MANAGE,
                gettext_noop("Kembalikan ke ditugaskan"),
                is_revert=True,
            ),
            TransitionSpec(
                S.VISITED, S.IN_PROGRESS, WO_MANAGE, gettext_noop("Kunjungi ulang"), is_revert=True
            ),
            TransitionSpec(
                S.VISITED, S.ASSIGNED, WO_MANAGE, gettext_noop("Kunjungi ulang"), is_revert=True
            ),
            TransitionSpec(
                S.CLOSED,
                S.VISITED,
                WO_MANAGE,
                gettext_noop("Buka kembali"),
                is_revert=True,
                guard=NO_OTHER_OPEN,
            ),
        ),
    )
)

# --------------------------------------------------------------------------- events

for _event in (
    generate.WORK_ORDERS_GENERATED,
    generate.WORK_ORDERS_ASSIGNED,
    services.WORK_ORDER_CREATED,
    services.WORK_ORDER_REASSIGNED,
    visits.VISIT_RECORDED,
    visits.VISIT_CONFLICT,
    visits.CORRECTION_DECIDED,
):
    events.declare(_event)

# --------------------------------------------------------------------------- sources, imports

registry.import_targets.register("fieldops.loan_arrears", loans.TARGET, order=40)
arrears_sources.register(
    "fieldops.loan_arrears",
    ArrearsSource(
        gettext_lazy("Tunggakan pinjaman (impor core banking)"), loans.loan_arrears_select
    ),
)

# --------------------------------------------------------------------------- the 360

registry.timeline_kinds.register(
    "VISIT", TimelineKind(gettext_lazy("Kunjungan lapangan")), order=40
)
registry.timeline_providers.register(
    "fieldops.visits", TimelineProvider("VISIT", selectors.visit_events)
)
registry.facts.register("fieldops", selectors.customer_facts)
registry.cards.register(
    "fieldops.work_order",
    Card(gettext_lazy("Kunjungan lapangan"), "fieldops/_customer_card.html", WO_VIEW),
    order=40,
)


def move_to_survivor(absorbed, survivor) -> int:
    """Merge mover: the absorbed customer's work orders and loan arrears follow the survivor;
    an open work order stays behind when the survivor has one open already (one open per
    customer), and so does a field-confirmed location when the survivor has its own."""
    moved = LoanArrears.objects.filter(customer=absorbed).update(customer=survivor)
    rows = WorkOrder.objects.filter(customer=absorbed)
    if WorkOrder.objects.filter(customer=survivor, status__in=OPEN_STATUSES).exists():
        rows = rows.exclude(status__in=OPEN_STATUSES)
    moved += rows.update(customer=survivor)
    if not KnownLocation.objects.filter(customer=survivor).exists():
        moved += KnownLocation.objects.filter(customer=absorbed).update(customer=survivor)
    return moved


registry.merge_movers.register("fieldops.work_orders", move_to_survivor)

# --------------------------------------------------------------------------- menu

registry.navigation.register(
    "fieldops.my", NavItem(gettext_lazy("Kunjungan saya"), "fieldops:my", WO_WORK), order=66
)
registry.navigation.register(
    "fieldops.team",
    NavItem(gettext_lazy("Work order lapangan"), "fieldops:list", WO_TEAM),
    order=67,
)

# Its part of a data subject's access export (UU PDP; the privacy app reads the store).
registry.subject_sections.register("fieldops", _subject_section.SECTION)

# The nearest-merchant search (insight, below) asks where a customer is: the location a field
# visit confirmed is the best the house knows, so it is asked first.
customer_locations.register(
    "fieldops.known_location",
    LocationSource(
        gettext_lazy("Lokasi yang dikonfirmasi kunjungan lapangan"),
        "SELECT latitude, longitude FROM fieldops_knownlocation WHERE customer_id = %(customer)s",
        order=10,
    ),
    order=10,
)

# Visit photos are documents of their work order (``photos.py``; encrypted, versioned, audited
# by documents), in the work order's own scope.
register_owner(
    "fieldops.WorkOrder",
    label=gettext_lazy("Work order lapangan"),
    url=lambda wo: reverse("fieldops:detail", kwargs={"work_order_id": wo.pk}),
    describe=lambda wo: wo.number,
    # the visits to the customer: their photos are in the access export (UU PDP)
    of_customer=lambda customer: WorkOrder.objects.filter(customer=customer),
)
