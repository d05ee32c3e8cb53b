"""SLA arithmetic for cases, on the branch's working calendar (amanah.calendars)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from amanah.calendars import worktime
from amanah.calendars.schedules import schedule_for_branch
from amanah.cases.models import SlaPolicy, TimeUnit

WARN_FRACTION = 0.75
OJK_DAYS_WITHOUT_RESOLUTION = 20  # POJK 22/2023: 10 working days + one extension of 10


@dataclass(frozen=True)
class Deadlines:
    first_response_due_at: datetime
    warn_at: datetime
    due_at: datetime
    regulatory_deadline_at: datetime | None


def _add(schedule, start: datetime, value: int, unit: str) -> datetime:
    if unit == TimeUnit.DAYS:
        # "Within N working days" ends when the N-th working day ends (the regulation's reading).
        return worktime.add_working_days(schedule, start, value, at_day_end=True)
    return worktime.add_working_minutes(schedule, start, value * 60)


def deadlines(policy: SlaPolicy, received_at: datetime, branch) -> Deadlines:
    schedule = schedule_for_branch(branch)
    due = _add(schedule, received_at, policy.resolution_value, policy.resolution_unit)
    allowed = worktime.working_minutes_between(schedule, received_at, due)
    return Deadlines(
        first_response_due_at=_add(
            schedule, received_at, policy.first_response_value, policy.first_response_unit
        ),
        warn_at=worktime.add_working_minutes(schedule, received_at, int(allowed * WARN_FRACTION)),
        due_at=due,
        regulatory_deadline_at=(
            worktime.add_working_days(
                schedule, received_at, OJK_DAYS_WITHOUT_RESOLUTION, at_day_end=True
            )
            if policy.regulatory
            else None
        ),
    )


def after_pause(
    branch, moment: datetime, paused_from: datetime, paused_until: datetime
) -> datetime:
    """A deadline moved on by exactly the working time the case spent waiting."""
    return worktime.shift_for_pause(schedule_for_branch(branch), moment, paused_from, paused_until)


def paused_working_minutes(branch, paused_from: datetime, paused_until: datetime) -> int:
    return worktime.working_minutes_between(schedule_for_branch(branch), paused_from, paused_until)


def extended(branch, due_at: datetime, days: int) -> datetime:
    return worktime.add_working_days(schedule_for_branch(branch), due_at, days, at_day_end=True)
