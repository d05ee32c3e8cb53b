"""From stored calendars to :class:`~amanah.calendars.worktime.Schedule` values, cached.

These are internal reads for other apps (case SLA, contact hours, rotations), not pages: they
take no actor. The hot path is ``schedule_for_branch(branch)``: one query to find the branch's
calendar; the schedule itself comes from memory unless the calendar changed since.
"""

from __future__ import annotations

import threading

from django.db.models import Exists, OuterRef, Q

from amanah.calendars.models import (
    CLOSING_KINDS,
    BranchCalendar,
    BusinessCalendar,
    CalendarDay,
    CalendarDayKind,
    WorkingWindow,
)
from amanah.calendars.worktime import NationalHolidays, Schedule, is_working_time
from amanah.core.prepared import prepared

_lock = threading.Lock()
# (calendar pk, time zone) → (revision, schedule). One entry per calendar and zone: an edit
# gives the calendar a new revision, and the next lookup replaces the entry.
_cache: dict[tuple, tuple] = {}


class NoDefaultCalendar(RuntimeError):
    """The default calendar (created by migration 0002) is missing."""


def default_calendar() -> BusinessCalendar:
    calendar = BusinessCalendar.objects.filter(is_default=True).first()
    if calendar is None:
        raise NoDefaultCalendar("no default business calendar: run `amanah migrate`")
    return calendar


@prepared(BusinessCalendar, params=("branch",))
def _calendars_of(_actor, *, branch):
    # Every new case asks (its SLA deadlines): kept compiled, the branch its one value.
    assigned = BranchCalendar.objects.filter(branch=branch, calendar__is_active=True)
    return (
        BusinessCalendar.objects.filter(
            Q(pk__in=assigned.values("calendar_id")) | Q(is_default=True)
        )
        .annotate(assigned=Exists(assigned.filter(calendar_id=OuterRef("pk"))))
        .order_by("-assigned")[:1]
    )


def calendar_for_branch(branch) -> BusinessCalendar:
    """The branch's own (active) calendar, else the default one; one query.

    ``branch=None`` (a case with no branch) gets the default calendar.
    """
    if branch is None:
        return default_calendar()
    calendar = _calendars_of.first(None, branch=branch)
    if calendar is None:
        raise NoDefaultCalendar("no default business calendar: run `amanah migrate`")
    return calendar


def schedule_for_branch(branch) -> Schedule:
    """The schedule a branch works by, in local time where the branch is.

    A branch with its own calendar uses that calendar's zone (assignment refuses a zone that
    differs from the branch's). A branch on the default calendar uses the default's windows in
    the *branch's* zone: a Makassar branch opens at 08:00 WITA, not at 08:00 WIB.
    """
    calendar = calendar_for_branch(branch)
    tz = calendar.timezone
    if branch is not None and not getattr(calendar, "assigned", False):
        tz = branch.timezone
    return schedule_for_calendar(calendar, tz=tz)


def organisation_schedule() -> Schedule:
    """The organisation's working calendar (the default one, in its own zone): what bank-wide
    work that belongs to no branch runs by (a journey's schedule trigger). One query."""
    return schedule_for_calendar(default_calendar())


def schedule_for_calendar(calendar: BusinessCalendar, *, tz: str | None = None) -> Schedule:
    """The calendar's schedule (optionally in another zone), built once per revision.

    A cache hit makes no query; a miss makes two (windows, days).
    """
    tz = tz or calendar.timezone
    key = (calendar.pk, tz)
    with _lock:
        hit = _cache.get(key)
    if hit is not None and hit[0] == calendar.revision:
        return hit[1]
    schedule = build_schedule(calendar, tz=tz)
    with _lock:
        _cache[key] = (calendar.revision, schedule)
    return schedule


def build_schedule(calendar: BusinessCalendar, *, tz: str | None = None) -> Schedule:
    """A fresh schedule from the stored windows and days (no cache)."""
    windows: dict[int, list] = {}
    for weekday, start, end in WorkingWindow.objects.filter(calendar=calendar).values_list(
        "weekday", "start_time", "end_time"
    ):
        windows.setdefault(weekday, []).append((start, end))
    closed, extra = set(), set()
    for day, kind in CalendarDay.objects.filter(calendar=calendar).values_list("date", "kind"):
        if kind == CalendarDayKind.EXTRA_WORKDAY:
            extra.add(day)
        elif kind in CLOSING_KINDS:
            closed.add(day)
    national = None
    if calendar.national_holidays or calendar.cuti_bersama:
        national = NationalHolidays(
            public=calendar.national_holidays, cuti_bersama=calendar.cuti_bersama
        )
    return Schedule.build(
        tz or calendar.timezone,
        windows,
        closed_dates=closed,
        extra_dates=extra,
        holidays=national,
    )


def on_duty_user_ids(at, user_ids) -> set:
    """The staff among ``user_ids`` for whom ``at`` lies inside working hours: a working window
    of their home branch's calendar (the branch's own, else the default one in the branch's
    zone, as ``schedule_for_branch`` chooses; no home branch: the default calendar) on a day it
    is open (not a weekend, holiday or *cuti bersama* of that calendar). Absences are another
    question (``absences.absent_user_ids``). One query for the users, one for their branches
    and one per distinct branch (the schedules come from the cache)."""
    from amanah.iam.models import Branch, User

    rows = list(User.objects.filter(pk__in=list(user_ids)).values_list("pk", "home_branch_id"))
    branches = Branch.objects.in_bulk({branch_id for _pk, branch_id in rows if branch_id})
    working = {
        branch_id: is_working_time(schedule_for_branch(branches.get(branch_id)), at)
        for branch_id in {branch_id for _pk, branch_id in rows}
    }
    return {pk for pk, branch_id in rows if working[branch_id]}


def clear_cache() -> None:
    with _lock:
        _cache.clear()
