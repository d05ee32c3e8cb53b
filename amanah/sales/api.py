"""/api/v1/sales: the RM's leads, moving a lead, logging an activity — the same services and
the same scope as the pages (an RM asking for another RM's lead gets 404)."""

from datetime import datetime
from uuid import UUID

from ninja import Router, Schema, Status

from amanah.core.api import permission
from amanah.core.errors import NotFound
from amanah.core.fields import Text
from amanah.customers.contract import customer_for
from amanah.sales import selectors, services
from amanah.sales.policies import ACTIVITY_LOG, LEAD_UPDATE, LEAD_VIEW

router = Router(tags=["sales"])


class LeadOut(Schema):
    id: UUID
    customer_id: UUID
    customer_name: str
    source_type: str
    source_id: UUID | None
    status: str
    score: int
    priority: str
    product_interest: str
    assigned_to: str
    closed_reason: str
    created_at: datetime
    updated_at: datetime


def _lead_out(lead) -> dict:
    return {
        "id": lead.pk,
        "customer_id": lead.customer_id,
        "customer_name": lead.customer.full_name,
        "source_type": lead.source_type,
        "source_id": lead.source_id,
        "status": lead.status,
        "score": lead.score,
        "priority": lead.priority,
        "product_interest": lead.product_interest,
        "assigned_to": lead.assigned_to.username,
        "closed_reason": lead.closed_reason,
        "created_at": lead.created_at,
        "updated_at": lead.updated_at,
    }


@router.get("/leads", response=list[LeadOut], **permission(LEAD_VIEW))
def leads(request, status: Text(40) = ""):
    """The caller's leads (an RM: only their own), hottest first; at most 200."""
    return [
        _lead_out(lead) for lead in selectors.leads_for(actor=request.auth, status=status)[:200]
    ]


@router.get("/leads/{lead_id}", response=LeadOut, **permission(LEAD_VIEW))
def lead(request, lead_id: UUID):
    return _lead_out(selectors.lead_for(actor=request.auth, lead_id=lead_id))


class MoveIn(Schema):
    to_status: Text(40)
    reason: Text(2_000) = ""


@router.post("/leads/{lead_id}/move", response=LeadOut, **permission(LEAD_UPDATE))
def move(request, lead_id: UUID, payload: MoveIn):
    """The moves the workflow ``sales.lead`` allows (forward, or to CLOSED_WON / CLOSED_LOST);
    a close without a reason → 400 field_required, one under 5 characters → 400 guard_failed."""
    found = selectors.lead_for(actor=request.auth, lead_id=lead_id)
    moved = services.lead_move(
        actor=request.auth, lead=found, to_status=payload.to_status, reason=payload.reason
    )
    return _lead_out(moved)


class ActivityIn(Schema):
    customer_id: UUID
    activity_type: Text(40)
    note: Text(10_000)
    lead_id: UUID | None = None


class ActivityOut(Schema):
    id: UUID
    customer_id: UUID
    lead_id: UUID | None
    activity_type: str
    note: str
    created_at: datetime


@router.post("/activities", response={201: ActivityOut}, **permission(ACTIVITY_LOG))
def activity_create(request, payload: ActivityIn):
    """CALL / MEETING / NOTE on a customer in scope, or on the customer of the caller's lead."""
    actor = request.auth
    if payload.lead_id:
        found = selectors.lead_for(actor=actor, lead_id=payload.lead_id)
        if found.customer_id != payload.customer_id:
            raise NotFound()
        customer = found.customer
    else:
        found, customer = None, customer_for(actor=actor, customer_id=payload.customer_id)
    activity = services.activity_log(
        actor=actor,
        customer=customer,
        activity_type=payload.activity_type,
        note=payload.note,
        lead=found,
    )
    return Status(
        201,
        {
            "id": activity.pk,
            "customer_id": activity.customer_id,
            "lead_id": activity.lead_id,
            "activity_type": activity.activity_type,
            "note": activity.note,
            "created_at": activity.created_at,
        },
    )
