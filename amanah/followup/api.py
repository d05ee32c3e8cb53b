"""/api/v1/followup/deposits: deposits from core banking (a token whose role holds only
``followdesk.deposit.record``). A deposit for nobody on the desk or stamped in the future
answers 422 with its reason and is kept for the sync monitor; the same ``external_ref`` again
answers 200 with the deposit already recorded."""

from datetime import datetime
from decimal import Decimal

from ninja import Router, Schema, Status

from amanah.core.api import permission
from amanah.core.errors import error_body
from amanah.core.fields import Text
from amanah.followup import services
from amanah.followup.policies import DEPOSIT_RECORD

router = Router(tags=["followup"])


class DepositIn(Schema):
    customer_id: Text(64)
    amount: Decimal
    deposited_at: datetime
    external_ref: Text(64)


class DepositOut(Schema):
    status: str
    external_ref: str
    reset_window: bool


@router.post(
    "/deposits",
    response={201: DepositOut, 200: DepositOut, 422: dict},
    **permission(DEPOSIT_RECORD),
)
def deposit(request, payload: DepositIn):
    result = services.deposit_record(
        actor=request.auth,
        customer_ref=payload.customer_id,
        amount=payload.amount,
        deposited_at=payload.deposited_at,
        external_ref=payload.external_ref,
    )
    if result.status == "REJECTED":
        return Status(422, error_body(result.reason.lower(), result.rejected.get_reason_display()))
    body = {
        "status": result.status,
        "external_ref": result.deposit.external_ref,
        "reset_window": result.deposit.reset_window,
    }
    return Status(201 if result.status == "ACCEPTED" else 200, body)
