"""/api/v1/followup: the desk's operations for other systems.

* ``POST /deposits`` — deposits from core banking (a token whose role holds only
  ``followdesk.deposit.record``). A deposit for nobody on the desk or stamped in the future
  answers 422 with its reason and is kept for the sync monitor; the same ``external_ref`` again
  answers 200 with the deposit already recorded.
* ``POST /members`` — a customer onto the desk from an import or an integration (a system key
  holding ``followdesk.member.enrol`` and sight of the customers: ``customer.view`` and
  ``customer.view.branch``). 201 with the member; the same ``external_ref`` for the same
  customer again answers 200 (``DUPLICATE``) with that member. Refusals in the API's one error
  shape, nothing written: 404 ``not_found`` (unknown or out-of-scope customer), 400
  ``already_member``, ``reference_conflict`` (the reference names another customer's
  enrolment), ``customer_closed``, ``consent_withdrawn``, ``do_not_contact``,
  ``target_invalid``, ``entry_reason_invalid``, ``reference_invalid``; 422 for wrong types,
  missing fields or overlong text.

Amounts (``amount``, ``deposit_target``) are a JSON number, or text read by the house's one
rule (``core.money``): ``1500000.50``, ``"1.500.000,50"`` and ``"Rp 1.500.000"`` are read as
meant, ``"1,500"`` is refused with ``rupiah_invalid`` (422)."""

from datetime import datetime

from ninja import Router, Schema, Status

from amanah.core.api import permission
from amanah.core.errors import error_body
from amanah.core.fields import RupiahSen, Text
from amanah.followup import services
from amanah.followup.models import EntryReason
from amanah.followup.policies import DEPOSIT_RECORD, MEMBER_ENROL

router = Router(tags=["followup"])


class DepositIn(Schema):
    customer_id: Text(64)
    amount: RupiahSen
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


class MemberIn(Schema):
    customer_id: Text(64)
    external_ref: Text(64)
    deposit_target: RupiahSen
    entry_reason: Text(20) = EntryReason.IMPORT.value


class MemberOut(Schema):
    status: str
    external_ref: str
    member_id: int
    member_status: str
    agent_position: int | None
    window_end: datetime | None


@router.post(
    "/members",
    response={201: MemberOut, 200: MemberOut},
    **permission(MEMBER_ENROL),
)
def member_enrol(request, payload: MemberIn):
    result = services.member_import(
        actor=request.auth,
        customer_ref=payload.customer_id,
        external_ref=payload.external_ref,
        deposit_target=payload.deposit_target,
        entry_reason=payload.entry_reason,
    )
    member = result.member
    agent = member.current_agent
    body = {
        "status": result.status,
        "external_ref": member.external_ref,
        "member_id": member.pk,
        "member_status": member.status,
        "agent_position": agent.position if agent else None,
        "window_end": member.window_end,
    }
    return Status(201 if result.status == "ENROLLED" else 200, body)
