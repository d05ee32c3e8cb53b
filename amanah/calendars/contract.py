"""What calendars offers the house: the working-calendar settings in the admin menu; the
organisation's working calendar for bank-wide work that belongs to no branch (a journey's
schedule) — ``organisation_schedule()``, a ``worktime.Schedule`` of the default calendar; and
for whoever hands work out: staff absences (leave, off days) — ``absent_user_ids(at)`` and the
event ``calendars.staff_absence_changed`` (``actor, absence``) — and working hours —
``on_duty_user_ids(at, user_ids)``, the staff whose home branch's calendar is open at ``at``."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from amanah.calendars import worktime
from amanah.calendars.absences import (
    ABSENCE_CHANGED,
    absent_user_ids,
    staff_absence_cancel,
    staff_absence_record,
)
from amanah.calendars.models import AbsenceKind, StaffAbsence
from amanah.calendars.policies import ABSENCE_MANAGE, CALENDAR_MANAGE
from amanah.calendars.schedules import (
    on_duty_user_ids,
    organisation_schedule,
    schedule_for_branch,
)
from amanah.calendars.worktime import (
    MAX_IDLE_DAYS,
    NationalHolidays,
    NoWorkingTime,
    Schedule,
    is_working_time,
    next_working_moment,
    working_date_before,
    working_date_on_or_after,
)
from amanah.core import events, registry
from amanah.core.contributions import NavItem

__all__ = [
    "ABSENCE_CHANGED",
    "ABSENCE_MANAGE",
    "MAX_IDLE_DAYS",
    "AbsenceKind",
    "NationalHolidays",
    "NoWorkingTime",
    "Schedule",
    "StaffAbsence",
    "absent_user_ids",
    "is_working_time",
    "next_working_moment",
    "on_duty_user_ids",
    "organisation_schedule",
    "schedule_for_branch",
    "staff_absence_cancel",
    "staff_absence_record",
    "working_date_before",
    "working_date_on_or_after",
    "worktime",
]

registry.navigation.register(
    "calendars.list",
    NavItem(_("Kalender kerja"), "calendars:list", CALENDAR_MANAGE, "admin"),
    order=230,
)

events.declare(ABSENCE_CHANGED)
