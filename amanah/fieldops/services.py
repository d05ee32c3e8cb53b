"""Work-order writes: made by hand, assigned, moved along the workflow (NEW → ASSIGNED →
IN_PROGRESS → VISITED → CLOSED / CANCELLED, revert with a reason). Set-based generation and
assignment live in ``generate.py``, visit results and corrections in ``visits.py``.
Every write: permission and scope, validation, write, audit, event — one transaction."""

from __future__ import annotations

import json

from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from amanah.audit import services as audit
from amanah.audit.models import AuditAction
from amanah.core import events
from amanah.core.actors import user_or_none
from amanah.core.errors import NotFound, ServiceError
from amanah.core.inputs import problem_in_text
from amanah.customers.addresses import address_text_incomplete
from amanah.customers.models import Customer
from amanah.fieldops.generate import WORKFLOW, territory_agents
from amanah.fieldops.models import (
    OPEN_STATUSES,
    LocationSource,
    WoOrigin,
    WorkOrder,
    WoStatus,
)
from amanah.fieldops.policies import WO_MANAGE
from amanah.fieldops.selectors import work_order_get
from amanah.fieldops.sources import COLUMNS, arrears_sources
from amanah.iam import authz
from amanah.workflow.contract import transition_apply, transition_revert

WORK_ORDER_CREATED = "fieldops.work_order_created"  # (actor, work_order)
WORK_ORDER_REASSIGNED = "fieldops.work_order_reassigned"  # (actor, work_order, previous)
NOTE_MAX = 500
LAT_MIN, LAT_MAX, LON_MIN, LON_MAX = -11.5, 6.5, 94.5, 141.5


def _text(value, field: str, maximum: int) -> str:
    value = value.strip() if isinstance(value, str) else ""
    if len(value) > maximum or problem_in_text(value):
        raise ServiceError(
            f"{field}_invalid",
            _("Teks biasa, paling panjang %d karakter.") % maximum,
            field=field,
        )
    return value


def in_indonesia(latitude, longitude) -> bool:
    return LAT_MIN <= latitude <= LAT_MAX and LON_MIN <= longitude <= LON_MAX


def _billing_of(customer_id) -> dict | None:
    """The customer's row in the first declared arrears source that has one, or None."""
    for key, source in arrears_sources.items():
        sql, params = source.select(customer_id)
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT {', '.join(COLUMNS)} FROM ({sql}) s WHERE s.customer_id = %s",  # noqa: S608
                [*params, customer_id],
            )
            row = cursor.fetchone()
        if row is not None:
            data = dict(zip(COLUMNS, row, strict=True))
            if isinstance(data["billing"], str):  # Django's cursor hands jsonb over as text
                data["billing"] = json.loads(data["billing"])
            data["source"] = key
            return data
    return None


@transaction.atomic
def work_order_create(
    *, actor, customer_id, note: str = "", address: str = "", latitude=None, longitude=None
) -> WorkOrder:
    """A supervisor's work order for one customer: the billing data from the arrears source
    that knows the customer (none: an empty summary), the location given here or the
    source's. Refused when the customer already has an open work order."""
    authz.require(actor, WO_MANAGE)
    customer = Customer.objects.visible_to(actor).filter(pk=customer_id).first()
    if customer is None:
        raise NotFound()
    note, address = _text(note, "note", NOTE_MAX), _text(address, "address", 300)
    if (latitude is None) != (longitude is None) or (
        latitude is not None and not in_indonesia(latitude, longitude)
    ):
        raise ServiceError(
            "coordinates_invalid",
            _("Koordinat harus lengkap dan di dalam wilayah Indonesia."),
            field="latitude",
        )
    row = _billing_of(customer.pk) or {}
    source_has_location = row.get("latitude") is not None
    if latitude is not None:
        location = (latitude, longitude, LocationSource.GEOCODED)
    elif source_has_location:
        location = (row["latitude"], row["longitude"], row["location_source"])
    else:
        location = (None, None, LocationSource.NONE)
    address = address or row.get("address") or ""
    work_order = WorkOrder(
        customer=customer,
        branch_id=customer.home_branch_id,
        origin=WoOrigin.MANUAL,
        source=row.get("source", ""),
        account_ref=(row.get("account_ref") or "")[:60],
        days_past_due=row.get("days_past_due") or 0,
        outstanding=row.get("outstanding") or 0,
        billing=row.get("billing") or {},
        last_payment_on=row.get("last_payment_on"),
        latitude=location[0],
        longitude=location[1],
        location_source=location[2],
        address=address[:300],
        address_incomplete=address_text_incomplete(address),
        note=note,
        created_by=user_or_none(actor),
    )
    try:
        with transaction.atomic():
            work_order.save()
    except IntegrityError:
        raise ServiceError(
            "work_order_open_exists",
            _("Pelanggan ini sudah punya work order yang masih terbuka."),
            field="customer",
        ) from None
    events.emit(WORK_ORDER_CREATED, actor=actor, work_order=work_order)
    audit.record(
        actor=actor,
        action=AuditAction.CREATE_WORK_ORDER,
        obj=work_order,
        meta={"origin": WoOrigin.MANUAL, "has_location": location[0] is not None},
    )
    return work_order


def work_order_for_update(actor, work_order_id) -> WorkOrder:
    """The work order ``actor`` may see, locked (this row only); missing or out of scope:
    NotFound. Every write to one work order starts here."""
    if isinstance(work_order_id, bool) or not isinstance(work_order_id, int):
        raise NotFound()
    row = (
        WorkOrder.objects.visible_to(actor)
        .select_for_update(of=("self",))
        .filter(pk=work_order_id)
        .first()
    )
    if row is None:
        raise NotFound()
    return row


def _agent_for(work_order: WorkOrder, agent_id):
    agent = next(
        (a for a in territory_agents(work_order.branch_id) if str(a.pk) == str(agent_id)), None
    )
    if agent is None:
        raise ServiceError(
            "agent_not_in_territory",
            _("Petugas harus petugas lapangan aktif di cabang work order ini."),
            field="agent",
        )
    return agent


@transaction.atomic
def work_order_assign(*, actor, work_order_id, agent_id) -> WorkOrder:
    """Give a work order to one of its branch's agents: NEW → ASSIGNED through the engine;
    an ASSIGNED or IN_PROGRESS one changes hands (audited, the status stays)."""
    authz.require(actor, WO_MANAGE)
    work_order = work_order_for_update(actor, work_order_id)
    agent = _agent_for(work_order, agent_id)
    if work_order.status == WoStatus.NEW:
        work_order = transition_apply(
            actor=actor, obj=work_order, to=WoStatus.ASSIGNED, agent=agent
        )
        return work_order
    if work_order.status not in (WoStatus.ASSIGNED, WoStatus.IN_PROGRESS):
        raise ServiceError(
            "work_order_not_assignable",
            _("Hanya work order yang belum dikunjungi yang dapat ditugaskan."),
        )
    previous = work_order.agent_id
    if previous == agent.pk:
        return work_order
    # the agent it leaves may still send a result captured before (a conflict, not a loss)
    work_order.previous_agent_id = previous
    work_order.agent, work_order.assigned_at = agent, timezone.now()
    work_order.save(update_fields=["agent", "previous_agent", "assigned_at"])
    events.emit(WORK_ORDER_REASSIGNED, actor=actor, work_order=work_order, previous=previous)
    audit.record(
        actor=actor,
        action=AuditAction.REASSIGN_WORK_ORDER,
        obj=work_order,
        meta={"from": str(previous), "to": str(agent.pk)},
    )
    return work_order


def work_order_move(*, actor, work_order_id, to: str, cancel_reason: str = "") -> WorkOrder:
    """One workflow move (start, close, cancel …): the engine checks who may."""
    work_order = work_order_get(actor=actor, work_order_id=work_order_id)
    data = {}
    if to == WoStatus.CANCELLED:
        data["cancel_reason"] = _text(cancel_reason, "cancel_reason", 500)
    return transition_apply(actor=actor, obj=work_order, to=to, **data)


def work_order_revert(*, actor, work_order_id, reason: str) -> WorkOrder:
    work_order = work_order_get(actor=actor, work_order_id=work_order_id)
    return transition_revert(actor=actor, obj=work_order, reason=reason)


def on_apply(work_order: WorkOrder, *, transition, data: dict, at) -> list[str]:
    """The fields a move implies, set by the engine on the locked row before it is saved."""
    to = transition.to_status
    if to == WoStatus.ASSIGNED and not transition.is_revert:
        work_order.assigned_at = at
        return ["assigned_at"]
    if to == WoStatus.NEW and transition.is_revert:
        work_order.previous_agent_id = work_order.agent_id
        work_order.agent, work_order.assigned_at = None, None
        return ["agent", "previous_agent", "assigned_at"]
    if to == WoStatus.VISITED and not transition.is_revert:
        visit = data.get("visit")
        work_order.visited_at = at
        fields = ["visited_at"]
        if visit is not None:
            work_order.last_outcome = visit.outcome
            fields.append("last_outcome")
            if visit.promise_date:
                work_order.promise_date = visit.promise_date
                work_order.promise_amount = visit.promise_amount
                fields += ["promise_date", "promise_amount"]
            data["audit"].update({"outcome": visit.outcome, "position": visit.position_flag})
        return fields
    if to in (WoStatus.CLOSED, WoStatus.CANCELLED):
        work_order.closed_at = at
        return ["closed_at"]
    if transition.is_revert and transition.from_status in (WoStatus.CLOSED,):
        work_order.closed_at = None
        return ["closed_at"]
    return []


def is_agent(work_order: WorkOrder, data: dict) -> bool:
    """Guard: only the agent a work order is assigned to moves it in the field."""
    actor = data.get("actor")
    return actor is not None and work_order.agent_id == getattr(actor, "pk", None)


__all__ = [
    "OPEN_STATUSES",
    "WORKFLOW",
    "work_order_assign",
    "work_order_create",
    "work_order_for_update",
    "work_order_move",
    "work_order_revert",
]
