"""Visit results (VOC) and the coordinate corrections they propose (seed 002, issue 19).

``visit_record`` is the one way a result comes in, from the page or a device's sync:

- the work order is the one the agent may see (``visible_to``: its own, or the one it handed
  on last), locked; any other — another agent's, another branch's, missing — is NotFound
  (404, nothing stored, nobody named);
- applied once: the device's idempotency key is unique; the same key again answers the
  result already stored, whatever happened since — also when two requests with one key
  race (the loser's insert meets the unique index: it answers what the winner stored, or,
  when the key is another agent's, the refusal a later request would get);
- a work order the agent no longer holds (reassigned meanwhile), or no longer open, or a
  result captured outside the collection contact window (``consent.contactability``, purpose
  COLLECTION on the VISIT channel, at the moment of capture — DESIGN §6), is answered with the
  reason and kept as a CONFLICT for the supervisor — never applied, never lost;
- the device position (lat, lon, accuracy, captured at) outside Indonesia or less accurate
  than ``FIELDOPS_MAX_ACCURACY_M`` is kept but flagged, not trusted;
- an ATK whose agent confirmed a trusted new position proposes a coordinate correction that
  a supervisor accepts (``correction_decide``, audited); the customer's known location then
  follows, and the next work order starts from it.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from amanah.audit import services as audit
from amanah.audit.models import AuditAction
from amanah.consent.contract import ContactChannel, Purpose, Reason, contactability
from amanah.core import events
from amanah.core.actors import user_or_none
from amanah.core.errors import NotFound, ServiceError
from amanah.core.money import service_amount
from amanah.fieldops.models import (
    ConflictReason,
    CoordinateCorrection,
    CorrectionStatus,
    KnownLocation,
    LocationSource,
    Outcome,
    PositionFlag,
    ResultStatus,
    VisitResult,
    WorkOrder,
    WoStatus,
)
from amanah.fieldops.policies import WO_MANAGE, WO_WORK
from amanah.fieldops.services import _text, in_indonesia, work_order_for_update
from amanah.iam import authz
from amanah.workflow.contract import transition_apply

VISIT_RECORDED = "fieldops.visit_recorded"  # (actor, visit)
VISIT_CONFLICT = "fieldops.visit_conflict"  # (actor, visit)
CORRECTION_DECIDED = "fieldops.correction_decided"  # (actor, correction)
KEY_PATTERN = re.compile(r"^[A-Za-z0-9_.:-]{8,80}$")
MAX_AMOUNT = Decimal("1e15")
MAX_PROMISE_DAYS = 90
MAX_AGE = timedelta(days=30)  # a device offline longer than this is refused
CLOCK_SKEW = timedelta(minutes=10)


@dataclass(frozen=True)
class VisitInput:
    work_order_id: int
    idempotency_key: str
    outcome: str
    captured_at: datetime
    note: str = ""
    promise_date: date | None = None
    promise_amount: Decimal | str | None = None
    paid_amount: Decimal | str | None = None
    latitude: float | None = None
    longitude: float | None = None
    accuracy_m: float | None = None
    position_confirmed: bool = False


def _amount(value, field: str, *, required: bool) -> Decimal | None:
    if value in (None, "") and not required:
        return None
    return service_amount(
        value,
        low=Decimal("0.01"),
        high=MAX_AMOUNT,
        sen=True,
        refuse=lambda: ServiceError(
            f"{field}_invalid", _("Nominal harus angka rupiah lebih dari nol."), field=field
        ),
    )


def _clean(data: VisitInput, now: datetime) -> dict:
    key = data.idempotency_key if isinstance(data.idempotency_key, str) else ""
    if not KEY_PATTERN.fullmatch(key):
        raise ServiceError(
            "idempotency_key_invalid",
            _("Kunci idempotensi tidak valid (8–80 huruf, angka, - _ . :)."),
            field="idempotency_key",
        )
    if data.outcome not in Outcome.values:
        raise ServiceError("outcome_invalid", _("Hasil kunjungan tidak dikenal."), field="outcome")
    captured = data.captured_at
    if (
        not isinstance(captured, datetime)
        or timezone.is_naive(captured)
        or not now - MAX_AGE <= captured <= now + CLOCK_SKEW
    ):
        raise ServiceError(
            "captured_at_invalid",
            _("Waktu pencatatan wajib berzona, tidak di masa depan, maks. 30 hari lalu."),
            field="captured_at",
        )
    cleaned = {
        "idempotency_key": key,
        "outcome": data.outcome,
        "captured_at": captured,
        "note": _text(data.note, "note", 1000),
        "promise_date": None,
        "promise_amount": None,
        "paid_amount": None,
    }
    if data.outcome == Outcome.PROMISE:
        today = timezone.localdate(now)
        if not isinstance(data.promise_date, date) or not (
            today <= data.promise_date <= today + timedelta(days=MAX_PROMISE_DAYS)
        ):
            raise ServiceError(
                "promise_date_invalid",
                _("Tanggal janji bayar wajib, mulai hari ini s.d. %d hari ke depan.")
                % MAX_PROMISE_DAYS,
                field="promise_date",
            )
        cleaned["promise_date"] = data.promise_date
        cleaned["promise_amount"] = _amount(data.promise_amount, "promise_amount", required=True)
    if data.outcome == Outcome.MET_PAID:
        cleaned["paid_amount"] = _amount(data.paid_amount, "paid_amount", required=False)
    if data.outcome == Outcome.OTHER and not cleaned["note"]:
        raise ServiceError(
            "note_required", _('Catatan wajib diisi untuk hasil "Lainnya".'), field="note"
        )
    cleaned.update(_position(data))
    return cleaned


def _finite(value) -> float | None:
    if value in (None, ""):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return math.nan
    return number


def _position(data: VisitInput) -> dict:
    """The device position kept as sent when it is a position at all; flagged unless it lies
    in Indonesia with an accuracy within the setting."""
    lat, lon, accuracy = (_finite(v) for v in (data.latitude, data.longitude, data.accuracy_m))
    if lat is None and lon is None:
        return {
            "latitude": None,
            "longitude": None,
            "accuracy_m": None,
            "position_flag": PositionFlag.MISSING,
        }
    if (
        lat is None
        or lon is None
        or not (math.isfinite(lat) and math.isfinite(lon))
        or not (-90 <= lat <= 90 and -180 <= lon <= 180)
        or (accuracy is not None and (not math.isfinite(accuracy) or accuracy < 0))
    ):
        raise ServiceError("position_invalid", _("Posisi perangkat tidak valid."), field="latitude")
    if not in_indonesia(lat, lon):
        flag = PositionFlag.OUT_OF_AREA
    elif accuracy is None or accuracy > settings.FIELDOPS_MAX_ACCURACY_M:
        flag = PositionFlag.INACCURATE
    else:
        flag = PositionFlag.TRUSTED
    return {"latitude": lat, "longitude": lon, "accuracy_m": accuracy, "position_flag": flag}


def outside_contact_window(work_order: WorkOrder, captured_at: datetime) -> bool:
    """Was the visit made outside the collection contact hours? Consent's one rule decides
    (the customer's home-branch zone, holidays, the branch's closed days)."""
    answer = contactability(
        work_order.customer, Purpose.COLLECTION, ContactChannel.VISIT, at=captured_at
    )
    return Reason.OUTSIDE_WINDOW in answer.reasons


def conflict_message(visit: VisitResult) -> str:
    return str(visit.get_conflict_reason_display()) if visit.conflict_reason else ""


def _earlier(actor, key: str) -> VisitResult | None:
    """The result already stored under ``key`` (the first answer stands), None when there is
    none; another agent's key is refused, never shown."""
    if KEY_PATTERN.fullmatch(key) is None:  # checked before it reaches a query
        return None
    earlier = VisitResult.objects.filter(idempotency_key=key).first()
    if earlier is not None and earlier.agent_id != actor.pk:
        raise ServiceError(
            "idempotency_key_taken",
            _("Kunci idempotensi sudah dipakai untuk hasil lain."),
            field="idempotency_key",
        )
    return earlier


@transaction.atomic
def visit_record(*, actor, data: VisitInput, now: datetime | None = None) -> VisitResult:
    """Record one visit result; answers the stored result (``status`` APPLIED or CONFLICT,
    ``conflict_message`` for the reason). The same idempotency key again: the first answer."""
    authz.require(actor, WO_WORK)
    if user_or_none(actor) is None:
        raise ServiceError("agent_required", _("Hasil kunjungan dicatat oleh petugas."))
    now = now or timezone.now()
    key = data.idempotency_key if isinstance(data.idempotency_key, str) else ""
    earlier = _earlier(actor, key)
    if earlier is not None:
        return earlier
    cleaned = _clean(data, now)
    work_order = work_order_for_update(actor, data.work_order_id)
    # a request with the same key that held the lock before us has committed by now
    earlier = _earlier(actor, key)
    if earlier is not None:
        return earlier
    reason = ""
    if work_order.agent_id != actor.pk:
        reason = ConflictReason.NOT_YOURS
    elif work_order.status not in (WoStatus.ASSIGNED, WoStatus.IN_PROGRESS):
        reason = ConflictReason.NOT_OPEN
    elif outside_contact_window(work_order, cleaned["captured_at"]):
        reason = ConflictReason.OUTSIDE_WINDOW
    visit = VisitResult(
        work_order=work_order,
        agent=actor,
        status=ResultStatus.CONFLICT if reason else ResultStatus.APPLIED,
        conflict_reason=reason,
        recorded_at=now,
        **cleaned,
    )
    try:
        with transaction.atomic():
            visit.save()
    except IntegrityError:
        # The same key from a request racing this one (on another work order) committed
        # first: its answer stands (READ COMMITTED: this statement sees its row).
        earlier = _earlier(actor, key)
        if earlier is None:
            raise
        return earlier
    if reason:
        events.emit(VISIT_CONFLICT, actor=actor, visit=visit)
        audit.record(
            actor=actor,
            action=AuditAction.VISIT_CONFLICT,
            obj=visit,
            meta={"work_order": work_order.pk, "reason": str(reason)},
        )
        return visit
    if (
        visit.outcome == Outcome.ATK
        and data.position_confirmed
        and visit.position_flag == PositionFlag.TRUSTED
    ):
        CoordinateCorrection.objects.create(
            work_order=work_order,
            visit=visit,
            latitude=visit.latitude,
            longitude=visit.longitude,
            accuracy_m=visit.accuracy_m,
            created_at=now,
        )
    events.emit(VISIT_RECORDED, actor=actor, visit=visit)
    # last: the move emits the workflow's event and records the audit row (MOVE_WORK_ORDER)
    transition_apply(actor=actor, obj=work_order, to=WoStatus.VISITED, visit=visit)
    return visit


def _distance_m(lat1, lon1, lat2, lon2) -> int:
    from amanah.fieldops.routing import haversine_km

    return round(haversine_km((lat1, lon1), (lat2, lon2)) * 1000)


@transaction.atomic
def correction_decide(*, actor, correction_id, accept: bool) -> CoordinateCorrection:
    """A supervisor accepts (the customer's known location moves there, and the open work
    order with it) or rejects a proposed correction; audited with the distance moved, not the
    coordinates."""
    authz.require(actor, WO_MANAGE)
    correction = (
        CoordinateCorrection.objects.visible_to(actor)
        .select_for_update(of=("self",))
        .select_related("work_order")
        .filter(pk=correction_id)
        .first()
    )
    if correction is None:
        raise NotFound()
    if correction.status != CorrectionStatus.PROPOSED:
        raise ServiceError("correction_decided", _("Koreksi ini sudah diputuskan."))
    now = timezone.now()
    correction.status = CorrectionStatus.ACCEPTED if accept else CorrectionStatus.REJECTED
    correction.decided_by, correction.decided_at = user_or_none(actor), now
    correction.save(update_fields=["status", "decided_by", "decided_at"])
    work_order = correction.work_order
    moved = None
    if accept:
        if work_order.latitude is not None:
            moved = _distance_m(
                work_order.latitude, work_order.longitude, correction.latitude, correction.longitude
            )
        KnownLocation.objects.update_or_create(
            customer_id=work_order.customer_id,
            defaults={
                "latitude": correction.latitude,
                "longitude": correction.longitude,
                "correction": correction,
                "updated_at": now,
            },
        )
        WorkOrder.objects.filter(pk=work_order.pk).update(
            latitude=correction.latitude,
            longitude=correction.longitude,
            location_source=LocationSource.FIELD,
        )
    events.emit(CORRECTION_DECIDED, actor=actor, correction=correction)
    audit.record(
        actor=actor,
        action=AuditAction.ACCEPT_COORDINATE_CORRECTION
        if accept
        else AuditAction.REJECT_COORDINATE_CORRECTION,
        obj=correction,
        meta={"work_order": work_order.pk, "moved_m": moved},
    )
    return correction


@transaction.atomic
def conflict_settle(*, actor, visit_id) -> VisitResult:
    """A supervisor has dealt with a conflicting result (e.g. recorded it on the right work
    order): it leaves the conflict list; audited."""
    authz.require(actor, WO_MANAGE)
    visit = (
        VisitResult.objects.visible_to(actor)
        .select_for_update(of=("self",))
        .filter(pk=visit_id, status=ResultStatus.CONFLICT)
        .first()
    )
    if visit is None:
        raise NotFound()
    visit.status = ResultStatus.SETTLED
    visit.save(update_fields=["status"])
    audit.record(
        actor=actor,
        action=AuditAction.SETTLE_VISIT_CONFLICT,
        obj=visit,
        meta={"reason": visit.conflict_reason},
    )
    return visit
