"""A customer's identifiers and relations: read (masked, in the caller's scope), add,
correct, verify, remove — the identities page's services (``services.identifiers``,
``services.relations``), the customer found in the caller's write scope."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from ninja import Schema, Status

from amanah.core.api import permission
from amanah.core.fields import Text
from amanah.customers import selectors, services
from amanah.customers.api.router import router
from amanah.customers.policies import (
    CUSTOMER_MANAGE,
    CUSTOMER_VIEW,
    IDENTIFIER_MANAGE,
    IDENTIFIER_VERIFY,
)


class IdentifierOut(Schema):
    id: UUID
    id_type: str
    masked: str
    is_primary: bool
    verified_at: datetime | None
    verification_method: str


def _identifier(row) -> dict:
    i = row.identifier
    return {
        "id": i.pk,
        "id_type": i.id_type,
        "masked": row.masked,
        "is_primary": i.is_primary,
        "verified_at": i.verified_at,
        "verification_method": i.verification_method,
    }


def _changing(request, customer_id: UUID, permission_code: str):
    return selectors.customer_for_change(
        actor=request.auth, permission=permission_code, customer_id=customer_id
    )


def _masked(request, customer, identifier_id) -> dict:
    rows = selectors.identifiers_of(actor=request.auth, customer=customer)
    return next(_identifier(r) for r in rows if r.identifier.pk == identifier_id)


@router.get("/{customer_id}/identifiers", response=list[IdentifierOut], **permission(CUSTOMER_VIEW))
def identifiers(request, customer_id: UUID):
    """The customer's CIF, NIK and account numbers, masked (reveal one on the pages)."""
    customer = selectors.customer_for(actor=request.auth, customer_id=customer_id)
    return [_identifier(r) for r in selectors.identifiers_of(actor=request.auth, customer=customer)]


class IdentifierIn(Schema):
    id_type: Text(12, min_length=1)  # CIF, NIK, ACCOUNT_NO
    value: Text(40, min_length=1)


@router.post(
    "/{customer_id}/identifiers", response={201: IdentifierOut}, **permission(IDENTIFIER_MANAGE)
)
def identifier_add(request, customer_id: UUID, payload: IdentifierIn):
    """Add a CIF, NIK (checked against the birth date and sex) or account number; a value
    another customer holds is refused (``identifier_taken``). ADD_IDENTIFIER."""
    customer = _changing(request, customer_id, IDENTIFIER_MANAGE)
    made = services.identifier_add(actor=request.auth, customer=customer, **payload.dict())
    return Status(201, _masked(request, customer, made.pk))


class CorrectionIn(Schema):
    value: Text(40, min_length=1)
    reason: Text(300, min_length=1)


@router.patch(
    "/{customer_id}/identifiers/{identifier_id}",
    response=IdentifierOut,
    **permission(IDENTIFIER_MANAGE),
)
def identifier_correct(request, customer_id: UUID, identifier_id: UUID, payload: CorrectionIn):
    """Correct a value typed wrong (its verification is cleared). CORRECT_IDENTIFIER."""
    customer = _changing(request, customer_id, IDENTIFIER_MANAGE)
    services.identifier_correct(
        actor=request.auth, customer=customer, identifier_id=identifier_id, **payload.dict()
    )
    return _masked(request, customer, identifier_id)


class VerificationIn(Schema):
    method: Text(12, min_length=1)  # DOCUMENT, CORE_SYSTEM, DUKCAPIL


@router.post(
    "/{customer_id}/identifiers/{identifier_id}/verify",
    response=IdentifierOut,
    **permission(IDENTIFIER_VERIFY),
)
def identifier_verify(request, customer_id: UUID, identifier_id: UUID, payload: VerificationIn):
    """Record how the value was checked; not by whoever changed it last (``four_eyes``)."""
    customer = _changing(request, customer_id, IDENTIFIER_VERIFY)
    services.identifier_verify(
        actor=request.auth, customer=customer, identifier_id=identifier_id, method=payload.method
    )
    return _masked(request, customer, identifier_id)


class ReasonIn(Schema):
    reason: Text(300, min_length=1)


class DoneOut(Schema):
    done: bool


@router.post(
    "/{customer_id}/identifiers/{identifier_id}/remove",
    response=DoneOut,
    **permission(IDENTIFIER_MANAGE),
)
def identifier_remove(request, customer_id: UUID, identifier_id: UUID, payload: ReasonIn):
    """Remove an account number attached by mistake (CIF and NIK are corrected instead)."""
    customer = _changing(request, customer_id, IDENTIFIER_MANAGE)
    services.identifier_remove(
        actor=request.auth, customer=customer, identifier_id=identifier_id, reason=payload.reason
    )
    return {"done": True}


class RelationOut(Schema):
    id: int
    relation_type: str
    label: str
    outgoing: bool
    other_id: UUID | None  # null: the other customer is outside the caller's scope


def _relation(row) -> dict:
    r = row.relation
    return {
        "id": r.pk,
        "relation_type": r.relation_type,
        "label": r.label,
        "outgoing": row.outgoing,
        "other_id": row.other.pk if row.other else None,
    }


@router.get("/{customer_id}/relations", response=list[RelationOut], **permission(CUSTOMER_VIEW))
def relations(request, customer_id: UUID):
    """The customer's relations both ways (the other end named only when in scope)."""
    customer = selectors.customer_for(actor=request.auth, customer_id=customer_id)
    return [_relation(r) for r in selectors.relations_of(actor=request.auth, customer=customer)]


class RelationIn(Schema):
    other_cif: Text(20, min_length=1)
    relation_type: Text(10, min_length=1)  # FAMILY, COMPANY, GROUP
    label: Text(60) = ""


@router.post("/{customer_id}/relations", response={201: RelationOut}, **permission(CUSTOMER_MANAGE))
def relation_add(request, customer_id: UUID, payload: RelationIn):
    """This customer is ``relation_type`` of the customer with ``other_cif`` (both in the
    caller's write scope); the same relation twice is refused (``relation_exists``)."""
    customer = _changing(request, customer_id, CUSTOMER_MANAGE)
    other = selectors.customer_by_cif_for_change(
        actor=request.auth, permission=CUSTOMER_MANAGE, cif=payload.other_cif, field="other_cif"
    )
    made = services.relation_add(
        actor=request.auth,
        customer=customer,
        other=other,
        relation_type=payload.relation_type,
        label=payload.label,
    )
    rows = selectors.relations_of(actor=request.auth, customer=customer)
    return Status(201, next(_relation(r) for r in rows if r.relation.pk == made.pk))


@router.post(
    "/{customer_id}/relations/{relation_id}/remove",
    response=DoneOut,
    **permission(CUSTOMER_MANAGE),
)
def relation_remove(request, customer_id: UUID, relation_id: int, payload: ReasonIn):
    customer = _changing(request, customer_id, CUSTOMER_MANAGE)
    services.relation_remove(
        actor=request.auth, customer=customer, relation_id=relation_id, reason=payload.reason
    )
    return {"done": True}
