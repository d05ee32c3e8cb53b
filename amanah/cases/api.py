"""/api/v1/cases: intake, the moves of the case workflow and the end of a case, with the same
rules as the pages (the workflow engine decides which moves the caller may make)."""

from datetime import datetime
from uuid import UUID

from ninja import Router, Schema, Status

from amanah.cases import selectors, services
from amanah.cases.policies import CASE_CLOSE, CASE_CREATE, CASE_UPDATE, CASE_VIEW
from amanah.core.api import permission
from amanah.core.fields import Text
from amanah.customers.contract import customer_for
from amanah.workflow.contract import available_transitions

router = Router(tags=["cases"])


class CaseIn(Schema):
    customer_id: UUID
    channel: Text(40)
    category: Text(40)
    priority: Text(40)
    description: Text(10_000)
    product: Text(80) = ""
    contact_preference: Text(80) = ""


class CaseOut(Schema):
    id: UUID
    case_no: str
    status: str
    category: str
    priority: str
    channel: str
    received_at: datetime
    first_response_due_at: datetime
    sla_due_at: datetime
    regulatory_deadline_at: datetime | None
    resolved_at: datetime | None
    closed_at: datetime | None


def _out(case) -> dict:
    return {
        "id": case.pk,
        "case_no": case.case_no,
        "status": case.status,
        "category": case.category_id,
        "priority": case.priority,
        "channel": case.channel,
        "received_at": case.received_at,
        "first_response_due_at": case.first_response_due_at,
        "sla_due_at": case.sla_due_at,
        "regulatory_deadline_at": case.regulatory_deadline_at,
        "resolved_at": case.resolved_at,
        "closed_at": case.closed_at,
    }


@router.post("", response={201: CaseOut}, **permission(CASE_CREATE))
def create(request, payload: CaseIn):
    """Register a complaint (CREATE_CASE); refused with `no_sla_rule` when no SLA applies."""
    customer = customer_for(actor=request.auth, customer_id=payload.customer_id)
    case = services.case_create(
        actor=request.auth,
        data=services.CaseInput(
            customer=customer,
            channel=payload.channel,
            category_code=payload.category,
            priority=payload.priority,
            description=payload.description,
            product=payload.product,
            contact_preference=payload.contact_preference,
        ),
    )
    return Status(201, _out(case))


@router.get("/{case_id}", response=CaseOut, **permission(CASE_VIEW))
def get(request, case_id: UUID):
    return _out(selectors.case_for(actor=request.auth, case_id=case_id))


class MoveOut(Schema):
    to_status: str
    label: str
    required_fields: list[str]


@router.get("/{case_id}/moves", response=list[MoveOut], **permission(CASE_VIEW))
def moves(request, case_id: UUID):
    """The moves of the workflow ``cases.case`` the caller may make from the case's status.
    Those with required fields have their own operations (final response, close)."""
    case = selectors.case_for(actor=request.auth, case_id=case_id)
    return [
        {"to_status": m.to_status, "label": m.label, "required_fields": list(m.required_fields)}
        for m in available_transitions(request.auth, case)
    ]


class StatusIn(Schema):
    to_status: Text(40)
    note: Text(5_000) = ""


@router.post("/{case_id}/status", response=CaseOut, **permission(CASE_UPDATE))
def change_status(request, case_id: UUID, payload: StatusIn):
    """A hand move (e.g. IN_PROGRESS → WAITING_INFO); one the workflow does not allow →
    400 transition_not_allowed, one the caller's role may not make → 403."""
    case = selectors.case_for(actor=request.auth, case_id=case_id)
    moved = services.case_change_status(
        actor=request.auth, case=case, to_status=payload.to_status, note=payload.note
    )
    return _out(moved)


class FinalResponseIn(Schema):
    final_response: Text(10_000)
    # One of the configured resolution codes (refused: `resolution_code_required`,
    # `resolution_code_invalid`).
    resolution_code: Text(40) = ""


@router.post("/{case_id}/final-response", response=CaseOut, **permission(CASE_UPDATE))
def final_response(request, case_id: UUID, payload: FinalResponseIn):
    case = selectors.case_for(actor=request.auth, case_id=case_id)
    return _out(
        services.case_final_response(
            actor=request.auth,
            case=case,
            text=payload.final_response,
            resolution_code=payload.resolution_code,
        )
    )


class CloseIn(Schema):
    # The code chosen with the final response stands; one given here must be that one.
    resolution_code: Text(40) = ""


@router.post("/{case_id}/close", response=CaseOut, **permission(CASE_CLOSE))
def close(request, case_id: UUID, payload: CloseIn):
    """Refused (`final_response_required`) until a final response is recorded."""
    case = selectors.case_for(actor=request.auth, case_id=case_id)
    return _out(
        services.case_close(actor=request.auth, case=case, resolution_code=payload.resolution_code)
    )
