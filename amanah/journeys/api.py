"""/api/v1/journeys: the API trigger.

* ``POST /journeys/{key}/enrollments`` ``{"customer_id": …}`` — a system key holding
  ``journey.enroll`` (and sight of journeys and of the customer: ``journey.view``,
  ``customer.view``, ``customer.view.branch``) puts the customer into the running version of
  the journey ``key`` whose trigger is API. 201 ``ENROLLED`` with the entry; 200
  ``ALREADY_ENROLLED`` while the customer's pass is open (a replay). Refusals in the API's one
  shape, nothing written: 404 ``not_found`` (no running journey with that key, or a customer
  unknown or out of scope), 400 ``trigger_not_api``, ``customer_inactive``,
  ``reentry_not_allowed``; 422 for wrong types."""

from uuid import UUID

from ninja import Router, Schema, Status

from amanah.core.api import permission
from amanah.core.fields import Text
from amanah.journeys.enrolment import journey_enroll
from amanah.journeys.policies import JOURNEY_ENROLL

router = Router(tags=["journeys"])


class EnrolIn(Schema):
    customer_id: Text(64)


class EnrolOut(Schema):
    status: str
    enrollment_id: int
    journey_version: int
    entry: int
    enrollment_status: str


@router.post(
    "/{uuid:journey_key}/enrollments",
    response={201: EnrolOut, 200: EnrolOut},
    **permission(JOURNEY_ENROLL),
)
def enrol(request, journey_key: UUID, payload: EnrolIn):
    result = journey_enroll(
        actor=request.auth, journey_key=journey_key, customer_id=payload.customer_id
    )
    enrollment = result.enrollment
    body = {
        "status": result.status,
        "enrollment_id": enrollment.pk,
        "journey_version": enrollment.journey.version,
        "entry": enrollment.entry,
        "enrollment_status": enrollment.status,
    }
    return Status(201 if result.status == "ENROLLED" else 200, body)
