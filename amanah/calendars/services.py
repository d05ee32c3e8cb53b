"""Every change to working calendars goes through here (DESIGN.md §2).

Each service takes ``actor`` first (keyword-only), checks ``calendar.manage`` (and branch
scope where a branch is involved), validates, writes, and records a CHANGE_WORKFLOW audit
event in the same transaction. Edits lock the calendar row, so two admins editing the same
day's windows cannot together produce overlapping windows, and give the calendar a new
``revision`` so cached schedules are rebuilt.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, time

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from amanah.audit import services as audit
from amanah.audit.models import AuditAction
from amanah.calendars.models import (
    BranchCalendar,
    BusinessCalendar,
    CalendarDay,
    CalendarDayKind,
    Weekday,
    WorkingWindow,
)
from amanah.calendars.policies import CALENDAR_MANAGE
from amanah.calendars.schedules import build_schedule, default_calendar
from amanah.core.errors import NotFound, ServiceError
from amanah.iam import authz
from amanah.iam.models import Branch, TimeZoneChoice

MAX_WINDOWS_PER_DAY = 6
# Calendar days outside these years are almost certainly typing mistakes (2206 for 2026).
FIRST_YEAR, LAST_YEAR = 2000, 2100


def _hhmm(value: time) -> str:
    return value.strftime("%H:%M")


def _windows_text(windows) -> list[str]:
    return [f"{_hhmm(start)}-{_hhmm(end)}" for start, end in windows]


def _clean_name(name: str) -> str:
    name = " ".join((name or "").split())
    if not name:
        raise ServiceError("name_required", _("Nama kalender wajib diisi."), field="name")
    if len(name) > 100:
        raise ServiceError(
            "name_too_long", _("Nama kalender paling panjang 100 huruf."), field="name"
        )
    return name


def _check_timezone(timezone_name: str) -> str:
    if timezone_name not in TimeZoneChoice.values:
        raise ServiceError(
            "timezone_invalid", _("Zona waktu harus WIB, WITA atau WIT."), field="timezone"
        )
    return timezone_name


def _check_name_free(name: str, calendar: BusinessCalendar | None = None) -> None:
    clash = BusinessCalendar.objects.filter(name__iexact=name)
    if calendar is not None:
        clash = clash.exclude(pk=calendar.pk)
    if clash.exists():
        raise ServiceError("name_taken", _("Nama kalender sudah dipakai: %s.") % name, field="name")


def _lock(calendar: BusinessCalendar) -> BusinessCalendar:
    return BusinessCalendar.objects.select_for_update(of=("self",), no_key=True).get(pk=calendar.pk)


def _touch(calendar: BusinessCalendar, *fields: str) -> None:
    calendar.revision, calendar.updated_at = uuid.uuid4(), timezone.now()
    calendar.save(update_fields=[*fields, "revision", "updated_at"])


def _audit(actor, obj, change: str, **meta) -> None:
    audit.record(
        actor=actor, action=AuditAction.CHANGE_WORKFLOW, obj=obj, meta={"change": change, **meta}
    )


# --------------------------------------------------------------------------- calendars


@transaction.atomic
def calendar_create(
    *,
    actor,
    name: str,
    timezone_name: str,
    national_holidays: bool = True,
    cuti_bersama: bool = True,
    copy_from: BusinessCalendar | None = None,
) -> BusinessCalendar:
    """Create a calendar whose weekly windows are copied from ``copy_from`` (default: the
    default calendar), so a new calendar is never without working hours. Extra days are not
    copied: regional holidays rarely carry over."""
    authz.require(actor, CALENDAR_MANAGE)
    name = _clean_name(name)
    _check_timezone(timezone_name)
    _check_name_free(name)
    source = copy_from or default_calendar()
    calendar = BusinessCalendar.objects.create(
        name=name,
        timezone=timezone_name,
        national_holidays=bool(national_holidays),
        cuti_bersama=bool(cuti_bersama),
    )
    WorkingWindow.objects.bulk_create(
        WorkingWindow(
            calendar=calendar, weekday=w.weekday, start_time=w.start_time, end_time=w.end_time
        )
        for w in source.windows.all()
    )
    _audit(
        actor,
        calendar,
        "calendar_create",
        name=name,
        timezone=timezone_name,
        national_holidays=calendar.national_holidays,
        cuti_bersama=calendar.cuti_bersama,
        copied_from=str(source.pk),
    )
    return calendar


@transaction.atomic
def calendar_update(
    *,
    actor,
    calendar: BusinessCalendar,
    name: str,
    timezone_name: str,
    is_active: bool,
    national_holidays: bool,
    cuti_bersama: bool,
    make_default: bool = False,
) -> BusinessCalendar:
    """Change a calendar's settings; ``make_default`` moves the default flag to it.

    Refused: deactivating the default calendar or one that branches use, and changing the zone
    of a calendar that branches of another zone use (their hours would shift by an hour).
    """
    authz.require(actor, CALENDAR_MANAGE)
    name = _clean_name(name)
    _check_timezone(timezone_name)
    calendar = _lock(calendar)
    _check_name_free(name, calendar)
    branches = list(Branch.objects.filter(calendar_link__calendar=calendar).order_by("code"))
    if not is_active:
        if calendar.is_default or make_default:
            raise ServiceError(
                "default_inactive",
                _("Kalender bawaan tidak boleh dinonaktifkan; jadikan kalender lain bawaan dulu."),
                field="is_active",
            )
        if branches:
            raise ServiceError(
                "calendar_in_use",
                _("Kalender masih dipakai cabang %s; pindahkan cabangnya dulu.")
                % ", ".join(b.code for b in branches),
                field="is_active",
            )
    other_zone = [b.code for b in branches if b.timezone != timezone_name]
    if other_zone:
        raise ServiceError(
            "timezone_mismatch",
            _("Zona waktu tidak cocok dengan cabang yang memakai kalender ini: %s.")
            % ", ".join(other_zone),
            field="timezone",
        )
    fields = ("name", "timezone", "is_active", "national_holidays", "cuti_bersama", "is_default")
    before = {f: getattr(calendar, f) for f in fields}
    if make_default and not calendar.is_default:
        # The unique partial index allows one default: clear the old one first.
        BusinessCalendar.objects.filter(is_default=True).update(is_default=False)
        calendar.is_default = True
    calendar.name, calendar.timezone, calendar.is_active = name, timezone_name, bool(is_active)
    calendar.national_holidays, calendar.cuti_bersama = bool(national_holidays), bool(cuti_bersama)
    after = {f: getattr(calendar, f) for f in fields}
    if after == before:
        return calendar
    _touch(calendar, *fields)
    changed = sorted(f for f in fields if before[f] != after[f])
    _audit(
        actor,
        calendar,
        "calendar_update",
        before={f: before[f] for f in changed},
        after={f: after[f] for f in changed},
    )
    return calendar


# --------------------------------------------------------------------------- windows


def _check_windows(windows: Sequence[tuple[time, time]]) -> list[tuple[time, time]]:
    if len(windows) > MAX_WINDOWS_PER_DAY:
        raise ServiceError(
            "too_many_windows",
            _("Paling banyak %d jam kerja per hari.") % MAX_WINDOWS_PER_DAY,
            field="windows",
        )
    for pair in windows:
        if len(pair) != 2 or not all(isinstance(t, time) and t.tzinfo is None for t in pair):
            raise ServiceError("window_invalid", _("Jam kerja tidak valid."), field="windows")
    ordered = sorted(windows)
    for start, end in ordered:
        if start.second or start.microsecond or end.second or end.microsecond:
            raise ServiceError(
                "window_minutes", _("Jam kerja diisi dalam menit penuh (JJ:MM)."), field="windows"
            )
        if not start < end:
            raise ServiceError(
                "window_order",
                _("Jam mulai harus sebelum jam selesai: %(start)s–%(end)s.")
                % {"start": _hhmm(start), "end": _hhmm(end)},
                field="windows",
            )
    for (s1, e1), (s2, e2) in zip(ordered, ordered[1:], strict=False):
        if s2 < e1:
            raise ServiceError(
                "window_overlap",
                _("Jam kerja %(a)s dan %(b)s bertumpuk.")
                % {"a": f"{_hhmm(s1)}–{_hhmm(e1)}", "b": f"{_hhmm(s2)}–{_hhmm(e2)}"},
                field="windows",
            )
    return ordered


@transaction.atomic
def calendar_set_windows(
    *, actor, calendar: BusinessCalendar, weekday: int, windows: Sequence[tuple[time, time]]
) -> list[WorkingWindow]:
    """Replace one weekday's working windows (an empty list makes it a day off).

    Windows may touch (12:00–13:00 after 08:00–12:00) but not overlap; the calendar as a whole
    must keep some working hours, or no SLA could ever fall due.
    """
    authz.require(actor, CALENDAR_MANAGE)
    if isinstance(weekday, bool) or weekday not in Weekday.values:
        raise ServiceError("weekday_invalid", _("Hari tidak dikenal."), field="weekday")
    wanted = _check_windows(list(windows))
    calendar = _lock(calendar)
    current = list(calendar.windows.filter(weekday=weekday).order_by("start_time"))
    before = [(w.start_time, w.end_time) for w in current]
    if before == wanted:
        return current
    if not wanted and not calendar.windows.exclude(weekday=weekday).exists():
        raise ServiceError(
            "calendar_no_hours",
            _("Kalender harus punya jam kerja paling sedikit pada satu hari."),
            field="windows",
        )
    calendar.windows.filter(weekday=weekday).delete()
    created = WorkingWindow.objects.bulk_create(
        WorkingWindow(calendar=calendar, weekday=weekday, start_time=start, end_time=end)
        for start, end in wanted
    )
    _touch(calendar)
    _audit(
        actor,
        calendar,
        "calendar_windows",
        weekday=weekday,
        before=_windows_text(before),
        after=_windows_text(wanted),
    )
    return created


# --------------------------------------------------------------------------- extra days


@transaction.atomic
def calendar_day_add(
    *, actor, calendar: BusinessCalendar, day: date, kind: str, name: str
) -> CalendarDay:
    """Mark one date: closed (holiday, cuti bersama, regional holiday) or an extra workday.

    Refused when it would change nothing: closing a weekday that has no hours anyway, or
    opening a date that already works.
    """
    authz.require(actor, CALENDAR_MANAGE)
    if kind not in CalendarDayKind.values:
        raise ServiceError("kind_invalid", _("Jenis hari tidak dikenal."), field="kind")
    name = " ".join((name or "").split())
    if not name:
        raise ServiceError("name_required", _("Keterangan hari wajib diisi."), field="name")
    if len(name) > 120:
        raise ServiceError("name_too_long", _("Keterangan paling panjang 120 huruf."), field="name")
    if not isinstance(day, date) or not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise ServiceError(
            "date_invalid",
            _("Tanggal harus antara tahun %(a)d dan %(b)d.") % {"a": FIRST_YEAR, "b": LAST_YEAR},
            field="date",
        )
    calendar = _lock(calendar)
    existing = calendar.days.filter(date=day).first()
    if existing is not None:
        raise ServiceError(
            "day_exists",
            _("Tanggal %(date)s sudah tercatat: %(kind)s — %(name)s.")
            % {"date": day.isoformat(), "kind": existing.get_kind_display(), "name": existing.name},
            field="date",
        )
    weekday_label = Weekday(day.weekday()).label
    if kind == CalendarDayKind.EXTRA_WORKDAY:
        if build_schedule(calendar).is_working_date(day):
            raise ServiceError(
                "day_already_working",
                _("%(date)s (%(day)s) sudah hari kerja pada kalender ini.")
                % {"date": day.isoformat(), "day": weekday_label},
                field="date",
            )
    elif not calendar.windows.filter(weekday=day.weekday()).exists():
        raise ServiceError(
            "day_already_off",
            _("%(date)s jatuh pada hari %(day)s, yang memang bukan hari kerja.")
            % {"date": day.isoformat(), "day": weekday_label},
            field="date",
        )
    created = CalendarDay.objects.create(calendar=calendar, date=day, kind=kind, name=name)
    _touch(calendar)
    _audit(actor, calendar, "calendar_day_add", date=day.isoformat(), kind=kind, name=name)
    return created


@transaction.atomic
def calendar_day_remove(*, actor, calendar: BusinessCalendar, day: CalendarDay) -> None:
    """Remove one marked date; the date falls back to its weekday and national holidays."""
    authz.require(actor, CALENDAR_MANAGE)
    calendar = _lock(calendar)
    if day.calendar_id != calendar.pk:
        raise NotFound()
    day.delete()
    _touch(calendar)
    _audit(
        actor,
        calendar,
        "calendar_day_remove",
        date=day.date.isoformat(),
        kind=day.kind,
        name=day.name,
    )


# --------------------------------------------------------------------------- branches


@transaction.atomic
def branch_calendar_assign(
    *, actor, branch: Branch, calendar: BusinessCalendar | None
) -> BranchCalendar | None:
    """Give a branch its own calendar, or (``calendar=None``) return it to the default one.

    The branch must be in the actor's scope (else NotFound, as for a missing branch); the
    calendar must be active and in the branch's own time zone, so a WITA branch can never
    silently run on WIB hours.
    """
    authz.require(actor, CALENDAR_MANAGE)
    if not authz.branch_scope(actor).allows(branch.pk):
        raise NotFound()
    link = (
        BranchCalendar.objects.select_for_update(of=("self",), no_key=True)
        .filter(branch=branch)
        .first()
    )
    before = str(link.calendar_id) if link else None
    if calendar is not None:
        calendar = _lock(calendar)
        if not calendar.is_active:
            raise ServiceError(
                "calendar_inactive", _("Kalender %s tidak aktif.") % calendar.name, field="calendar"
            )
        if calendar.timezone != branch.timezone:
            raise ServiceError(
                "timezone_mismatch",
                _("Zona waktu kalender (%(cal)s) berbeda dengan zona waktu cabang (%(branch)s).")
                % {"cal": calendar.timezone_label, "branch": branch.timezone_label},
                field="calendar",
            )
    after = str(calendar.pk) if calendar is not None else None
    if before == after:
        return link
    if calendar is None:
        link.delete()
        link = None
    elif link is None:
        link = BranchCalendar.objects.create(branch=branch, calendar=calendar)
    else:
        link.calendar, link.assigned_at = calendar, timezone.now()
        link.save(update_fields=["calendar", "assigned_at"])
    _audit(
        actor,
        branch,
        "branch_calendar",
        before=before,
        after=after,
        calendar_name=calendar.name if calendar is not None else None,
    )
    return link
