"""Entering a journey from outside: the API trigger (seed 001 §6A "API").

``journey_enroll`` is the one path: a caller holding ``journey.enroll`` (a system key, an
``IntegrationActor`` — no role holds it) names a journey by its ``key`` (the same for every
version) and a customer it may see; the customer enters the running (ACTIVE) version at its
trigger node, as the trigger's re-entry rule allows (``triggers._insert``). A replay while the
customer's pass is still open answers that pass (idempotent); a customer the rule keeps out is
refused with the reason. One audit row per enrolment (ids only)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from amanah.audit import services as audit
from amanah.audit.models import AuditAction
from amanah.core.errors import NotFound, ServiceError
from amanah.iam import authz
from amanah.journeys import triggers
from amanah.journeys.models import (
    EnrollmentStatus,
    JourneyEnrollment,
    JourneyStatus,
    MarketingJourney,
    TriggerType,
)
from amanah.journeys.policies import JOURNEY_ENROLL


@dataclass(frozen=True)
class Enrolled:
    status: str  # ENROLLED (new pass) or ALREADY_ENROLLED (a pass is open)
    enrollment: JourneyEnrollment


def _running(actor, journey_key) -> MarketingJourney:
    try:
        journey = (
            MarketingJourney.objects.visible_to(actor)
            .filter(key=journey_key, status=JourneyStatus.ACTIVE)
            .first()
        )
    except (ValueError, TypeError, ValidationError):
        journey = None
    if journey is None:
        raise NotFound()
    if journey.trigger_type != TriggerType.API:
        raise ServiceError(
            "trigger_not_api",
            _("Journey ini tidak dimulai lewat API (pemicunya lain)."),
            field="journey",
        )
    return journey


def _customer(actor, customer_id):
    from amanah.customers.models import Customer

    try:
        customer = Customer.objects.visible_to(actor).filter(pk=customer_id).first()
    except (ValueError, TypeError, ValidationError):  # a malformed id is just "unknown"
        customer = None
    if customer is None:
        raise NotFound()
    if customer.merged_into_id is not None or customer.status == "CLOSED":
        raise ServiceError(
            "customer_inactive",
            _("Nasabah tidak aktif atau sudah digabung."),
            field="customer_id",
        )
    return customer


@transaction.atomic
def journey_enroll(*, actor, journey_key, customer_id, now: datetime | None = None) -> Enrolled:
    authz.require(actor, JOURNEY_ENROLL)
    now = now or timezone.now()
    journey = _running(actor, journey_key)
    customer = _customer(actor, customer_id)
    node_id = triggers.trigger_node_id(journey)
    inserted = triggers.enrol_one(journey, node_id, customer.pk, now)
    passes = JourneyEnrollment.objects.filter(journey=journey, customer=customer)
    if not inserted:
        open_pass = passes.filter(
            status__in=[EnrollmentStatus.ACTIVE, EnrollmentStatus.ERROR]
        ).first()
        if open_pass is not None:
            return Enrolled("ALREADY_ENROLLED", open_pass)
        raise ServiceError(
            "reentry_not_allowed",
            _("Nasabah sudah melalui journey ini; aturan masuk ulang belum mengizinkannya."),
            field="customer_id",
        )
    enrollment = passes.order_by("-entry").first()
    audit.record(
        actor=actor,
        action=AuditAction.ENROL_JOURNEY,
        obj=enrollment,
        meta={"journey": str(journey.pk), "entry": enrollment.entry, "via": "API"},
    )
    return Enrolled("ENROLLED", enrollment)
