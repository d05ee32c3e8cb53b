"""The steps of a new connection on the workflow engine: the SLA of each step, the guards,
what a step implies (``on_apply``), the application, a step and its revert."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from amanah.audit import services as audit
from amanah.audit.models import AuditAction
from amanah.calendars.contract import schedule_for_branch, worktime
from amanah.core import events
from amanah.core.actors import user_or_none
from amanah.core.inputs import required_text
from amanah.iam import authz
from amanah.utility import services
from amanah.utility.installations.common import (
    INSTALLATION_CREATED,
    NOTE_MAX,
    RAB_APPROVED,
    S,
    actor_ref,
    installation_for_update,
)
from amanah.utility.installations.notices import installation_notify
from amanah.utility.models import (
    Connection,
    ConnectionStatus,
    Installation,
    PaymentPlan,
)
from amanah.utility.policies import (
    INSTALLATION_APPLY,
)

# --------------------------------------------------------------------------- SLA per step


def sla_hours(status: str) -> int | None:
    """Working hours allowed for the step that starts at ``status`` (None: no clock)."""
    return settings.UTILITY_INSTALLATION_SLA_HOURS.get(str(status))


def stage_due(installation: Installation, status: str, since: dt.datetime) -> dt.datetime | None:
    hours = sla_hours(status)
    if hours is None:
        return None
    schedule = schedule_for_branch(installation.connection.branch)
    return worktime.add_working_minutes(schedule, since, int(hours) * 60)


def stage_warn(installation: Installation, status: str, since: dt.datetime) -> dt.datetime | None:
    """When ``UTILITY_INSTALLATION_WARN_PERCENT`` of the step's working time is used (the
    DUE_SOON reminder), on the same calendar as the deadline."""
    hours = sla_hours(status)
    if hours is None:
        return None
    schedule = schedule_for_branch(installation.connection.branch)
    minutes = int(hours) * 60 * int(settings.UTILITY_INSTALLATION_WARN_PERCENT) // 100
    return worktime.add_working_minutes(schedule, since, minutes)


def _start_stage(installation: Installation, status: str, at: dt.datetime) -> list[str]:
    installation.stage_since = at
    installation.stage_due_at = stage_due(installation, status, at)
    installation.stage_warn_at = stage_warn(installation, status, at)
    installation.reminded_soon_at = installation.reminded_overdue_at = None  # a new clock
    installation.updated_at = at
    return [
        "stage_since",
        "stage_due_at",
        "stage_warn_at",
        "reminded_soon_at",
        "reminded_overdue_at",
        "updated_at",
    ]


def not_rab_author(installation, data) -> bool:
    """Four eyes: whoever drafted (or last changed) the RAB does not approve it."""
    actor = data.get("actor")
    return actor is not None and actor_ref(actor) != installation.rab_author_ref


def has_rab(installation, data) -> bool:
    return installation.rab_total > 0 and installation.rab_lines.exists()


def payment_received(installation, data) -> bool:
    """A plan is set and paid: all of it (FULL), or the first installment (uang muka)."""
    rows = list(installation.installments.order_by("seq"))
    if not rows:
        return False
    if installation.plan == PaymentPlan.FULL:
        return all(row.paid == row.amount for row in rows)
    return rows[0].paid == rows[0].amount


def no_plan(installation, data) -> bool:
    """An approval is undone only before the RAB was billed (the plan set)."""
    return not installation.plan


def _clean_coordinates(data) -> tuple[Decimal, Decimal]:
    lat = services._latitude(data.get("lat"), "lat")
    lon = services._longitude(data.get("lon"), "lon")
    return lat, lon


def _clean_note(value) -> str:
    note = required_text(value, field="note", label=_("Catatan survei"), maximum=NOTE_MAX)
    return note


def on_apply(installation, *, transition, data, at) -> list[str]:
    """What a step implies, on the locked installation (the engine saves it)."""
    actor = data.get("actor")
    fields = _start_stage(installation, transition.to_status, at)
    if transition.is_revert:
        return fields
    to = transition.to_status
    if to == S.SURVEYED:
        installation.survey_lat, installation.survey_lon = _clean_coordinates(data)
        installation.survey_note = _clean_note(data.get("note"))
        installation.technician = user_or_none(actor)
        fields += ["survey_lat", "survey_lon", "survey_note", "technician"]
    elif to == S.RAB_APPROVED:
        installation.approved_by = user_or_none(actor)
        fields.append("approved_by")
    elif to == S.ACTIVE:
        _activate(actor, installation, data)
    return fields


def _activate(actor, installation, data) -> None:
    meter = required_text(
        data.get("meter_number"), field="meter_number", label=_("No. meter"), maximum=30
    )
    connection = (
        Connection.objects.select_for_update(of=("self",))
        .select_related("area__spam")
        .get(pk=installation.connection_id)
    )
    connection.meter_number = meter
    connection.save(update_fields=["meter_number"])
    if connection.status == ConnectionStatus.APPLIED:
        result = services.connection_move(
            actor=actor, connection=connection, status=ConnectionStatus.ACTIVE
        )
        data["audit"]["capacity_warnings"] = len(result.warnings)


@dataclass(frozen=True)
class Applied:
    installation: Installation
    warnings: list[str]


@transaction.atomic
def installation_apply(*, actor, data: services.ConnectionInput) -> Applied:
    """Register an application for a new connection: the connection (status APPLIED, as
    ``connection_create``) and its installation at APPLIED, with the survey's SLA."""
    authz.require(actor, INSTALLATION_APPLY)
    result = services.connection_register(actor=actor, data=data)
    at = timezone.now()
    installation = Installation(connection=result.connection, created_at=at)
    _start_stage(installation, S.APPLIED, at)
    installation.save()
    audit.record(
        actor=actor,
        action=AuditAction.APPLY_INSTALLATION,
        obj=installation,
        meta={"connection": result.connection.pk, "capacity_warning": bool(result.warnings)},
    )
    events.emit(INSTALLATION_CREATED, actor=actor, installation=installation)
    installation_notify(actor=actor, obj=installation, to_status=S.APPLIED, revert=False)
    return Applied(installation, result.warnings)


@transaction.atomic
def installation_move(*, actor, installation_id, to: str, **data) -> Installation:
    """Take the step to ``to`` (the engine checks who may, and the guard). An approved RAB is
    announced (``utility.rab_approved``) in the same transaction: its signed PDF is issued."""
    from amanah.workflow.contract import transition_apply

    installation = installation_for_update(actor, installation_id)
    moved = transition_apply(actor=actor, obj=installation, to=to, **data)
    if moved.status == S.RAB_APPROVED:
        events.emit(RAB_APPROVED, actor=actor, installation=moved)
    return moved


@transaction.atomic
def installation_revert(*, actor, installation_id, reason: str) -> Installation:
    """Undo the last step with a reason (a compensating move, audited; nothing deleted)."""
    from amanah.workflow.contract import transition_revert

    installation = installation_for_update(actor, installation_id)
    return transition_revert(actor=actor, obj=installation, reason=reason)
