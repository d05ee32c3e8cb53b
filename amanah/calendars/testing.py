"""Objects for the project-wide view permission table (amanah/core/tests/test_view_permissions)."""

from __future__ import annotations

from datetime import date

from amanah.calendars.models import CalendarDay, CalendarDayKind
from amanah.calendars.schedules import default_calendar


def default_calendar_kwargs(world: dict) -> dict:
    return {"calendar_id": default_calendar().pk}


def calendar_day_kwargs(world: dict) -> dict:
    """A regional holiday on the default calendar (a Friday, so it closes a working day)."""
    calendar = default_calendar()
    day, _created = CalendarDay.objects.get_or_create(
        calendar=calendar,
        date=date(2026, 4, 10),
        defaults={"kind": CalendarDayKind.REGIONAL_HOLIDAY, "name": "Libur daerah uji"},
    )
    return {"calendar_id": calendar.pk, "day_id": day.pk}
