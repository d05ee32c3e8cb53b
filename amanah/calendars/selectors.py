"""Reads a user triggers on the calendar pages, always scoped by the actor."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db.models import Count, QuerySet

from amanah.calendars.models import BusinessCalendar, StaffAbsence
from amanah.calendars.policies import ABSENCE_MANAGE, CALENDAR_MANAGE
from amanah.calendars.worktime import NationalHolidays
from amanah.core.errors import NotFound
from amanah.iam import authz
from amanah.iam.models import Branch


def calendar_list(*, actor) -> QuerySet[BusinessCalendar]:
    return BusinessCalendar.objects.visible_to(actor).annotate(
        branch_count=Count("branch_links", distinct=True),
        window_count=Count("windows", distinct=True),
    )


def calendar_get(*, actor, calendar_id) -> BusinessCalendar:
    """The calendar, or NotFound (missing and forbidden look the same)."""
    calendar = BusinessCalendar.objects.visible_to(actor).filter(pk=calendar_id).first()
    if calendar is None:
        raise NotFound()
    return calendar


def _branches(actor) -> QuerySet[Branch]:
    # Not Branch.visible_to: that needs iam.branch.view, and calendar managers need only
    # their own permission plus branch scope.
    if not authz.has_perm(actor, CALENDAR_MANAGE):
        return Branch.objects.none()
    return authz.filter_by_branch_scope(Branch.objects.all(), actor, field="pk")


def branch_get(*, actor, branch_id) -> Branch:
    branch = _branches(actor).filter(pk=branch_id).first()
    if branch is None:
        raise NotFound()
    return branch


def branches_with_calendar(*, actor) -> QuerySet[Branch]:
    """Branches in scope with their calendar link (None: they use the default calendar)."""
    return _branches(actor).select_related("calendar_link__calendar").order_by("code")


def calendar_branches(*, actor, calendar: BusinessCalendar) -> QuerySet[Branch]:
    return _branches(actor).filter(calendar_link__calendar=calendar).order_by("code")


@dataclass(frozen=True)
class NationalDay:
    date: date
    name: str
    cuti_bersama: bool
    observed: bool


def national_holidays(*, calendar: BusinessCalendar, year: int) -> list[NationalDay]:
    """The package's national holidays and cuti bersama of a year, and whether this
    calendar observes them (its two switches)."""
    days = [
        NationalDay(day, name, False, calendar.national_holidays)
        for day, name in NationalHolidays(public=True, cuti_bersama=False).names(year).items()
    ] + [
        NationalDay(day, name, True, calendar.cuti_bersama)
        for day, name in NationalHolidays(public=False, cuti_bersama=True).names(year).items()
    ]
    return sorted(days, key=lambda d: (d.date, d.cuti_bersama))


def parse_year(value, *, default: int) -> int:
    try:
        year = int(value)
    except (TypeError, ValueError):
        return default
    return year if 2000 <= year <= 2100 else default


def absences_ahead(*, actor, user_ids, now) -> QuerySet[StaffAbsence]:
    """The absences not withdrawn and not over at ``now`` of ``user_ids``, for a page that
    manages them (a supervisor: staff of their own branches, as the services allow; nothing
    without ``calendar.absence.manage``)."""
    if not authz.has_perm(actor, ABSENCE_MANAGE):
        return StaffAbsence.objects.none()
    rows = StaffAbsence.objects.filter(
        user_id__in=list(user_ids), cancelled_at__isnull=True, ends_at__gt=now
    )
    return authz.filter_by_branch_scope(rows, actor, field="user__home_branch").select_related(
        "user"
    )


def absence_get(*, actor, absence_id) -> StaffAbsence:
    """One absence the actor may manage; missing and out of scope are the same ``NotFound``."""
    absence = (
        absences_scope(actor).filter(pk=absence_id).select_related("user").first()
        if authz.has_perm(actor, ABSENCE_MANAGE)
        else None
    )
    if absence is None:
        raise NotFound()
    return absence


def absences_scope(actor) -> QuerySet[StaffAbsence]:
    return authz.filter_by_branch_scope(
        StaffAbsence.objects.all(), actor, field="user__home_branch"
    )
