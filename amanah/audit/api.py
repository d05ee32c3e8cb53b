from datetime import datetime

from ninja import Query, Router, Schema

from amanah.audit import selectors
from amanah.audit.policies import AUDIT_VIEW
from amanah.core.api import permission
from amanah.core.fields import BoundedDate, Text

router = Router(tags=["audit"])


class AuditEventOut(Schema):
    id: int
    created_at: datetime
    action: str
    object_type: str
    object_id: str
    actor_username: str
    actor_role: str
    ip: str | None
    request_id: str
    meta: dict
    hash: str


class AuditPageOut(Schema):
    events: list[AuditEventOut]
    next_before: int | None


class AuditQuery(Schema):
    action: Text(40) = ""
    actor: Text(150) = ""
    object_type: Text(60) = ""
    object_id: Text(100) = ""
    date_from: BoundedDate | None = None
    date_to: BoundedDate | None = None
    before: int | None = None


@router.get("/events", response=AuditPageOut, **permission(AUDIT_VIEW))
def events(request, query: Query[AuditQuery]):
    """The audit trail, newest first, 50 a page; pass ``next_before`` as ``before`` for more.
    A reversed range, or one longer than a year, is refused (``date_range_invalid``)."""
    data = query.dict()
    before = data.pop("before")
    action = data.pop("action")
    data["actions"] = (action,) if action else ()
    rows, next_before = selectors.audit_page(
        actor=request.auth, filters=selectors.AuditFilter(**data), before_id=before
    )
    return {"events": rows, "next_before": next_before}
