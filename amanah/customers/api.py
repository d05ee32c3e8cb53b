"""/api/v1/customers: search, 360 summary, timeline and consent change — same scope, masking
and audit as the pages (they call the same selectors and services)."""

from datetime import date, datetime, time, timedelta
from uuid import UUID

from django.utils import timezone
from ninja import Query, Router, Schema, Status

from amanah.consent.policies import CONSENT_CHANGE
from amanah.consent.services import consent_change
from amanah.core.api import permission
from amanah.core.fields import BoundedDate, Text
from amanah.customer360 import selectors as c360
from amanah.customers.policies import CUSTOMER_SEARCH, CUSTOMER_VIEW
from amanah.customers.selectors import customer_search

router = Router(tags=["customers"])


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


class IdentifierOut(Schema):
    type: str
    masked: str
    primary: bool


class AlertOut(Schema):
    code: str
    level: str
    label: str


class EventOut(Schema):
    at: datetime
    kind: str
    title: str
    detail: str
    actor: str


class SummaryOut(Schema):
    id: UUID
    full_name: str
    status: str
    segment_code: str
    is_vip: bool
    home_branch: str
    identifiers: list[IdentifierOut]
    phone: str
    email: str
    consents: dict[str, str]
    marketing_blocked: bool
    alerts: list[AlertOut]
    products: dict[str, bool]
    top_events: list[EventOut]


@router.get("/{customer_id}/summary", response=SummaryOut, **permission(CUSTOMER_VIEW))
def summary(request, customer_id: UUID):
    """The 360 summary (masked); audited as VIEW_PROFILE like the page."""
    view = c360.customer_360(actor=request.auth, customer_id=customer_id)
    c = view.customer
    return {
        "id": c.pk,
        "full_name": c.full_name,
        "status": c.status,
        "segment_code": c.segment_code,
        "is_vip": c.is_vip,
        "home_branch": c.home_branch.code,
        "identifiers": view.identifiers,
        "phone": view.contact["phone"],
        "email": view.contact["email"],
        "consents": view.consents,
        "marketing_blocked": view.marketing_blocked,
        "alerts": [{"code": a.code, "level": a.level, "label": str(a.label)} for a in view.alerts],
        "products": {
            f: getattr(c, f)
            for f in ("has_savings", "has_mobile_banking", "has_loan", "has_credit_card")
        },
        "top_events": [e.__dict__ for e in view.top_events],
    }


class TimelineQuery(Schema):
    kind: list[Text(40)] = []
    since: BoundedDate | None = None
    until: BoundedDate | None = None
    limit: int = 50


def _start(day: date | None) -> datetime | None:
    return timezone.make_aware(datetime.combine(day, time.min)) if day else None


@router.get("/{customer_id}/timeline", response=list[EventOut], **permission(CUSTOMER_VIEW))
def customer_timeline(request, customer_id: UUID, query: Query[TimelineQuery]):
    customer = c360.customer_for(actor=request.auth, customer_id=customer_id)
    until = _start(query.until + timedelta(days=1)) if query.until else None
    c360.record_profile_view(actor=request.auth, customer=customer, part="timeline-api")
    events = c360.timeline_for(
        actor=request.auth,
        customer=customer,
        kinds=set(query.kind) or None,
        since=_start(query.since),
        until=until,
        limit=max(1, min(query.limit, 200)),
    )
    return [e.__dict__ for e in events]


class ConsentIn(Schema):
    consent_type: Text(40)
    new_status: Text(40)
    channel: Text(40)
    verification_method: Text(40)
    reason: Text(2_000) = ""


class ConsentOut(Schema):
    id: UUID
    consent_type: str
    old_status: str
    new_status: str
    effective_at: datetime


@router.post("/{customer_id}/consents", response={201: ConsentOut}, **permission(CONSENT_CHANGE))
def change_consent(request, customer_id: UUID, payload: ConsentIn):
    """Record a consent change the customer asked for (never by MARKETING); CHANGE_CONSENT."""
    customer = c360.customer_for(actor=request.auth, customer_id=customer_id)
    record = consent_change(actor=request.auth, customer=customer, **payload.dict())
    return Status(201, record)
