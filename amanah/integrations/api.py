"""/api/v1/intake: a case from an external system (a call centre, mobile banking …) with an
API key holding ``case.create``. Same matching rule as inbound WhatsApp; idempotent by the
caller's ``idempotency_key`` (per system): a repeat answers 200 with the first result."""

from __future__ import annotations

from uuid import UUID

from ninja import Router, Schema, Status

from amanah.cases.policies import CASE_CREATE
from amanah.core.api import permission
from amanah.core.fields import Text
from amanah.integrations.intake import MAX_TEXT, intake_from_api

router = Router(tags=["intake"])


class IntakeIn(Schema):
    idempotency_key: Text(200, min_length=1)
    phone: Text(32, min_length=1)
    text: Text(MAX_TEXT, min_length=1)
    channel: Text(20) = "MOBILE"


class IntakeOut(Schema):
    intake_id: UUID
    status: str
    case_no: str | None
    replayed: bool


@router.post("/cases", response={200: IntakeOut, 201: IntakeOut}, **permission(CASE_CREATE))
def intake_case(request, payload: IntakeIn):
    """A complaint from outside: a new case (201), a note on the customer's open case from the
    same channel, or — when the number matches no single customer in the system's scope — a
    message in the unmatched queue for an agent (`status` says which)."""
    result = intake_from_api(
        actor=request.auth,
        idempotency_key=payload.idempotency_key,
        phone=payload.phone,
        text=payload.text,
        channel=payload.channel,
    )
    intake = result.intake
    body = {
        "intake_id": intake.pk,
        "status": intake.status,
        "case_no": intake.case.case_no if intake.case_id else None,
        "replayed": not result.created,
    }
    return Status(201 if result.created else 200, body)
