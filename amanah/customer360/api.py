"""/api/v1/customers/<id>/summary and /timeline: the 360 composition, with the same scope,
masking and audit as the 360 page (mounted under the customers prefix by ``amanah/api.py``)."""

from datetime import date, datetime, time, timedelta
from uuid import UUID

from django.utils import timezone
from ninja import Query, Router, Schema

from amanah.core.api import permission
from amanah.core.fields import BoundedDate, Text
from amanah.customer360 import selectors as c360
from amanah.customers.policies import CUSTOMER_VIEW

router = Router(tags=["customers"])


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
