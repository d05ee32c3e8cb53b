"""/api/v1/customers/search and …/{id}/consents: the customer search and a consent change."""

from datetime import datetime
from uuid import UUID

from ninja import Schema, Status

from amanah.consent.policies import CONSENT_CHANGE
from amanah.consent.services import consent_change
from amanah.core.api import permission
from amanah.core.fields import Text
from amanah.customers.api.router import router
from amanah.customers.policies import CUSTOMER_SEARCH
from amanah.customers.selectors import customer_for, customer_search


class SearchHitOut(Schema):
    id: UUID
    full_name: str
    match: str
    matched_on: str
    masked_cif: str
    branch_code: str
    is_vip: bool
    segment_code: str
    possible_duplicate: bool


class SearchOut(Schema):
    results: list[SearchHitOut]


@router.get("/search", response=SearchOut, **permission(CUSTOMER_SEARCH))
def search(request, q: Text(200)):
    """Name (fuzzy), phone, CIF, account or NIK; only customers in the caller's scope."""
    hits = customer_search(actor=request.auth, query=q)
    return {
        "results": [
            {
                "id": h.customer.pk,
                "full_name": h.customer.full_name,
                "match": h.match,
                "matched_on": h.matched_on,
                "masked_cif": h.masked_cif,
                "branch_code": h.customer.home_branch.code,
                "is_vip": h.customer.is_vip,
                "segment_code": h.customer.segment_code,
                "possible_duplicate": h.possible_duplicate,
            }
            for h in hits
        ]
    }


class ConsentIn(Schema):
    consent_type: Text(40)
    new_status: Text(40)
    channel: Text(40)
    verification_method: Text(40)
    reason: Text(2_000) = ""
    # Blank: every channel; a channel (EMAIL, WHATSAPP …): that channel only.
    contact_channel: Text(40) = ""


class ConsentOut(Schema):
    id: UUID
    consent_type: str
    old_status: str
    new_status: str
    effective_at: datetime
    contact_channel: str


@router.post("/{customer_id}/consents", response={201: ConsentOut}, **permission(CONSENT_CHANGE))
def change_consent(request, customer_id: UUID, payload: ConsentIn):
    """Record a consent change the customer asked for (never by MARKETING); CHANGE_CONSENT."""
    customer = customer_for(actor=request.auth, customer_id=customer_id)
    record = consent_change(actor=request.auth, customer=customer, **payload.dict())
    return Status(201, record)
