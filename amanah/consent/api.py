"""/api/v1/customers/{id}/consents: a consent change the customer asked for (mounted under the
customers prefix by ``amanah/api.py``, as the 360's summary is: the path names the customer, the
rule is consent's own)."""

from datetime import datetime
from uuid import UUID

from ninja import Router, Schema, Status

from amanah.consent.policies import CONSENT_CHANGE
from amanah.consent.services import consent_change
from amanah.core.api import permission
from amanah.core.fields import Text
from amanah.customers.contract import customer_for

router = Router(tags=["customers"])


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
