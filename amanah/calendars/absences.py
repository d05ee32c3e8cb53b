"""Staff absences (leave, off days, sick): the writes and the one published question.

``staff_absence_record`` / ``staff_absence_cancel`` check ``calendar.absence.manage`` and branch
scope over the member of staff (a supervisor records the leave of their own branches' staff),
validate, write, emit ``calendars.staff_absence_changed`` and audit, in one transaction.
Whoever hands work out reacts to the event (the follow-up desk hands an absent agent's members
on at once) and asks ``absent_user_ids(at)`` for who is away at a moment.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from amanah.audit import services as audit
from amanah.audit.models import AuditAction
from amanah.calendars.models import AbsenceKind, StaffAbsence
from amanah.calendars.policies import ABSENCE_MANAGE
from amanah.core import events
from amanah.core.errors import NotFound, ServiceError
from amanah.core.inputs import problem_in_text
from amanah.core.prepared import prepared
from amanah.core.sqlparams import id_text, uuid_rows
from amanah.iam import authz
from amanah.iam.models import User

ABSENCE_CHANGED = "calendars.staff_absence_changed"  # fn(*, actor, absence)
LONGEST = timedelta(days=366)


def _staff_in_scope(actor, user: User) -> User:
    staff = authz.filter_by_branch_scope(
        User.objects.filter(pk=user.pk), actor, field="home_branch"
    ).first()
    if staff is None:
        raise NotFound()
    return staff


def _check_period(starts_at: datetime, ends_at: datetime) -> None:
    for value, field in ((starts_at, "starts_at"), (ends_at, "ends_at")):
        if not isinstance(value, datetime) or timezone.is_naive(value):
            raise ServiceError(
                "invalid_time", _("Waktu mulai dan selesai wajib diisi lengkap."), field=field
            )
        if not 2000 <= value.year <= 2100:
            raise ServiceError("date_out_of_range", _("Tanggal di luar rentang."), field=field)
    if ends_at <= starts_at:
        raise ServiceError(
            "absence_ends_before_start",
            _("Ketidakhadiran harus selesai setelah mulai."),
            field="ends_at",
        )
    if ends_at - starts_at > LONGEST:
        raise ServiceError(
            "absence_too_long",
            _("Satu ketidakhadiran paling lama satu tahun."),
            field="ends_at",
        )


def _clean_note(note) -> str:
    note = " ".join(str(note or "").split())
    if problem_in_text(note) or len(note) > 200:
        raise ServiceError(
            "note_invalid",
            _("Catatan paling panjang 200 huruf, tanpa karakter kontrol."),
            field="note",
        )
    return note


@transaction.atomic
def staff_absence_record(
    *, actor, user: User, kind: str, starts_at: datetime, ends_at: datetime, note: str = ""
) -> StaffAbsence:
    authz.require(actor, ABSENCE_MANAGE)
    staff = _staff_in_scope(actor, user)
    if kind not in AbsenceKind.values:
        raise ServiceError(
            "absence_kind_invalid", _("Jenis ketidakhadiran tidak dikenal."), field="kind"
        )
    _check_period(starts_at, ends_at)
    note = _clean_note(note)
    absence = StaffAbsence.objects.create(
        user=staff, kind=kind, starts_at=starts_at, ends_at=ends_at, note=note
    )
    events.emit(ABSENCE_CHANGED, actor=actor, absence=absence)
    audit.record(
        actor=actor,
        action=AuditAction.CHANGE_WORKFLOW,
        obj=absence,
        meta={"change": "staff_absence_record", "kind": kind, "user": str(staff.pk)},
    )
    return absence


@transaction.atomic
def staff_absence_cancel(*, actor, absence: StaffAbsence) -> StaffAbsence:
    authz.require(actor, ABSENCE_MANAGE)
    _staff_in_scope(actor, absence.user)
    absence = StaffAbsence.objects.select_for_update(of=("self",)).get(pk=absence.pk)
    if absence.cancelled_at is None:
        absence.cancelled_at = timezone.now()
        absence.save(update_fields=["cancelled_at"])
        events.emit(ABSENCE_CHANGED, actor=actor, absence=absence)
        audit.record(
            actor=actor,
            action=AuditAction.CHANGE_WORKFLOW,
            obj=absence,
            meta={"change": "staff_absence_cancel"},
        )
    return absence


def absent_user_ids(at: datetime, user_ids=None) -> set:
    """The staff away at ``at`` (an absence not withdrawn covers it), of ``user_ids`` (ids)
    or of everyone. Every assign dialog and queue page asks: a prepared read, the ids one
    parameter whatever their number."""
    ids = None if user_ids is None else id_text(user_ids)
    return set(_absent_at(None, at=at, user_ids=ids))


@prepared(StaffAbsence, params=("at", "user_ids"))
def _absent_at(_actor, *, at, user_ids):
    rows = StaffAbsence.objects.filter(cancelled_at__isnull=True, starts_at__lte=at, ends_at__gt=at)
    if user_ids is not None:
        rows = rows.filter(user_id__in=uuid_rows(user_ids))
    return rows.values_list("user_id", flat=True)
