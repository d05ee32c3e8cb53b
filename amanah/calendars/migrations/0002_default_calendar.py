"""The default working calendar: Monday–Friday office hours in WIB.

Monday–Thursday 08:00–12:00 and 13:00–16:00. Friday has the longer midday break for Friday
prayers that Indonesian offices keep: 08:00–11:30 and 13:30–16:00. National holidays and cuti
bersama come from the `holidays` package. Branches without a calendar of their own use these
hours in their own time zone.
"""

from datetime import time

from django.db import migrations

DEFAULT_NAME = "Kalender Standar Nasional"
WEEKDAY_WINDOWS = [(time(8, 0), time(12, 0)), (time(13, 0), time(16, 0))]
FRIDAY_WINDOWS = [(time(8, 0), time(11, 30)), (time(13, 30), time(16, 0))]


def create_default(apps, schema_editor):
    BusinessCalendar = apps.get_model("calendars", "BusinessCalendar")
    WorkingWindow = apps.get_model("calendars", "WorkingWindow")
    db = schema_editor.connection.alias
    if BusinessCalendar.objects.using(db).filter(is_default=True).exists():
        return
    calendar = BusinessCalendar.objects.using(db).create(
        name=DEFAULT_NAME, timezone="Asia/Jakarta", is_default=True, is_active=True
    )
    rows = []
    for weekday in range(5):
        for start, end in FRIDAY_WINDOWS if weekday == 4 else WEEKDAY_WINDOWS:
            rows.append(
                WorkingWindow(calendar=calendar, weekday=weekday, start_time=start, end_time=end)
            )
    WorkingWindow.objects.using(db).bulk_create(rows)


def remove_default(apps, schema_editor):
    BusinessCalendar = apps.get_model("calendars", "BusinessCalendar")
    BranchCalendar = apps.get_model("calendars", "BranchCalendar")
    db = schema_editor.connection.alias
    defaults = BusinessCalendar.objects.using(db).filter(is_default=True, name=DEFAULT_NAME)
    # Branch links PROTECT their calendar, so the links to it go first.
    BranchCalendar.objects.using(db).filter(calendar__in=defaults).delete()
    defaults.delete()


class Migration(migrations.Migration):
    dependencies = [("calendars", "0001_initial")]

    operations = [migrations.RunPython(create_default, remove_default)]
