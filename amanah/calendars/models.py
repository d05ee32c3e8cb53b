from __future__ import annotations

import uuid

from django.db import models
from django.db.models import Q
from django.utils.timezone import now
from django.utils.translation import gettext_lazy as _

from amanah.calendars.policies import CALENDAR_MANAGE
from amanah.core import scopes
from amanah.iam.models import Branch, TimeZoneChoice


class Weekday(models.IntegerChoices):
    MONDAY = 0, _("Senin")
    TUESDAY = 1, _("Selasa")
    WEDNESDAY = 2, _("Rabu")
    THURSDAY = 3, _("Kamis")
    FRIDAY = 4, _("Jumat")
    SATURDAY = 5, _("Sabtu")
    SUNDAY = 6, _("Minggu")


class CalendarDayKind(models.TextChoices):
    HOLIDAY = "HOLIDAY", _("Hari libur")
    CUTI_BERSAMA = "CUTI_BERSAMA", _("Cuti bersama")
    REGIONAL_HOLIDAY = "REGIONAL_HOLIDAY", _("Libur daerah")
    EXTRA_WORKDAY = "EXTRA_WORKDAY", _("Hari kerja tambahan")


# Kinds that close a date; EXTRA_WORKDAY is the only kind that opens one.
CLOSING_KINDS = frozenset(
    {CalendarDayKind.HOLIDAY, CalendarDayKind.CUTI_BERSAMA, CalendarDayKind.REGIONAL_HOLIDAY}
)


class BusinessCalendar(models.Model):
    """A working calendar: time zone, weekly working windows and extra days (holidays/workdays).

    National holidays and *cuti bersama* are not stored: they come from the ``holidays``
    package when ``national_holidays`` / ``cuti_bersama`` are on. ``revision`` changes on
    every edit (windows and days included) and keys the in-memory schedule cache, so a cached
    schedule is never used after a change — a fresh UUID rather than a counter, because a
    counter would repeat after a rolled-back edit. Exactly one calendar is the default: it
    serves every branch without a calendar of its own.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=100, unique=True)
    timezone = models.CharField(
        max_length=32, choices=TimeZoneChoice.choices, default=TimeZoneChoice.WIB
    )
    is_active = models.BooleanField(default=True)
    is_default = models.BooleanField(default=False)
    national_holidays = models.BooleanField(default=True)
    cuti_bersama = models.BooleanField(default=True)
    revision = models.UUIDField(default=uuid.uuid4)
    created_at = models.DateTimeField(default=now)
    updated_at = models.DateTimeField(default=now)

    objects = scopes.ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-is_default", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"], condition=Q(is_default=True), name="calendar_one_default"
            ),
            models.CheckConstraint(
                condition=Q(is_default=False) | Q(is_active=True), name="calendar_default_active"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def timezone_label(self) -> str:
        return TimeZoneChoice(self.timezone).label.split(" ")[0]


class WorkingWindow(models.Model):
    """One working window of a weekday (e.g. Monday 08:00–12:00); a day may have several.

    Windows of one day must not overlap. PostgreSQL has no time-range type for an exclusion
    constraint, so the service checks it while holding the calendar's row lock (a day's
    windows are always replaced as a whole under that lock).
    """

    calendar = models.ForeignKey(BusinessCalendar, on_delete=models.CASCADE, related_name="windows")
    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices)
    start_time = models.TimeField()
    end_time = models.TimeField()

    class Meta:
        ordering = ["weekday", "start_time"]
        constraints = [
            models.CheckConstraint(
                condition=Q(start_time__lt=models.F("end_time")), name="window_starts_before_end"
            ),
            models.CheckConstraint(condition=Q(weekday__lte=6), name="window_weekday_range"),
            models.UniqueConstraint(
                fields=["calendar", "weekday", "start_time"], name="window_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.start_time:%H:%M}–{self.end_time:%H:%M}"


class CalendarDay(models.Model):
    """A date the calendar treats differently from its week: closed (company or regional
    holiday, cuti bersama not in the national list) or an extra working day."""

    calendar = models.ForeignKey(BusinessCalendar, on_delete=models.CASCADE, related_name="days")
    date = models.DateField()
    kind = models.CharField(max_length=20, choices=CalendarDayKind.choices)
    name = models.CharField(max_length=120)
    created_at = models.DateTimeField(default=now)

    class Meta:
        ordering = ["date"]
        constraints = [
            models.UniqueConstraint(fields=["calendar", "date"], name="calendar_day_once"),
        ]

    def __str__(self) -> str:
        return f"{self.date} {self.kind} {self.name}"

    @property
    def is_closing(self) -> bool:
        return self.kind in CLOSING_KINDS


class BranchCalendar(models.Model):
    """The calendar a branch works by. Kept here so that ``iam`` need not know calendars;
    a branch without a row uses the default calendar in its own time zone."""

    branch = models.OneToOneField(Branch, on_delete=models.CASCADE, related_name="calendar_link")
    calendar = models.ForeignKey(
        BusinessCalendar, on_delete=models.PROTECT, related_name="branch_links"
    )
    assigned_at = models.DateTimeField(default=now)

    def __str__(self) -> str:
        return f"{self.branch_id} → {self.calendar_id}"


# Calendars are bank-wide settings: all of them for calendar managers, none otherwise.
scopes.register(BusinessCalendar, view=CALENDAR_MANAGE)


class AbsenceKind(models.TextChoices):
    LEAVE = "LEAVE", _("Cuti")
    OFF = "OFF", _("Libur / off")
    SICK = "SICK", _("Sakit")


class StaffAbsence(models.Model):
    """A member of staff away from ``starts_at`` to ``ends_at`` (leave, an off day, sick).

    Whoever hands work out (the follow-up desk's rotation, later case assignment) asks
    ``calendars.contract.absent_user_ids(at)`` and never reads this table itself. An absence
    is withdrawn (``cancelled_at``), never deleted, so a past hand-over can still be explained.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(
        "iam.User", on_delete=models.PROTECT, related_name="absences", db_index=False
    )
    kind = models.CharField(max_length=10, choices=AbsenceKind.choices)
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    note = models.CharField(max_length=200, blank=True, default="")
    created_at = models.DateTimeField(default=now)
    cancelled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["starts_at"]
        indexes = [
            models.Index(
                fields=["user", "starts_at"],
                name="absence_user_start",
                condition=Q(cancelled_at__isnull=True),
            ),
            models.Index(
                fields=["ends_at", "starts_at"],
                name="absence_current",
                condition=Q(cancelled_at__isnull=True),
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(starts_at__lt=models.F("ends_at")), name="absence_starts_before_end"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.kind} {self.starts_at:%Y-%m-%d}"
