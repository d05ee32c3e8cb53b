"""Calendar administration pages (ADMIN): thin views over the services and selectors."""

from __future__ import annotations

from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from amanah.calendars import selectors, services, worktime
from amanah.calendars.forms import (
    BranchCalendarForm,
    CalendarEditForm,
    CalendarForm,
    DayForm,
    PreviewForm,
    PreviewUnit,
    WindowsForm,
    windows_text,
)
from amanah.calendars.models import BusinessCalendar, Weekday
from amanah.calendars.policies import CALENDAR_MANAGE
from amanah.calendars.schedules import schedule_for_calendar
from amanah.core.view_helpers import Done, run_action, submit_form
from amanah.core.views import requires


@requires(CALENDAR_MANAGE)
def calendar_list(request):
    calendars = selectors.calendar_list(actor=request.user)
    branches = selectors.branches_with_calendar(actor=request.user)
    return render(
        request,
        "calendars/list.html",
        {"calendars": calendars, "branches": branches, "assign_form": BranchCalendarForm()},
    )


@requires(CALENDAR_MANAGE)
def calendar_create(request):
    def submit(data):
        calendar = services.calendar_create(
            actor=request.user,
            name=data["name"],
            timezone_name=data["timezone"],
            national_holidays=data["national_holidays"],
            cuti_bersama=data["cuti_bersama"],
        )
        return Done(_detail_url(calendar), _("Kalender dibuat dengan jam kerja kalender bawaan."))

    form = CalendarForm(request.POST or None)
    return submit_form(request, form, submit, template="calendars/form.html", context={})


def _detail_url(calendar: BusinessCalendar) -> str:
    return reverse("calendars:detail", kwargs={"calendar_id": calendar.pk})


def _preview(request, calendar: BusinessCalendar):
    if "start" not in request.GET:
        return PreviewForm(), None
    # The start is typed in the calendar's own local time, whatever the admin's zone.
    with timezone.override(calendar.timezone):
        form = PreviewForm(request.GET)
        valid = form.is_valid()
    if not valid:
        return form, None
    schedule = schedule_for_calendar(calendar)
    start, amount, unit = (form.cleaned_data[k] for k in ("start", "amount", "unit"))
    try:
        if unit == PreviewUnit.MINUTES:
            due = worktime.add_working_minutes(schedule, start, amount)
        elif unit == PreviewUnit.HOURS:
            due = worktime.add_working_hours(schedule, start, amount)
        else:
            due = worktime.add_working_days(
                schedule, start, amount, at_day_end=unit == PreviewUnit.DAYS_END
            )
    except worktime.NoWorkingTime:
        form.add_error(None, _("Kalender ini tidak punya jam kerja di depan tanggal itu."))
        return form, None
    return form, {
        "start": start,
        "clock_start": worktime.next_working_moment(schedule, start),
        "due": due,
        "working_minutes": worktime.working_minutes_between(schedule, start, due),
    }


@requires(CALENDAR_MANAGE)
def calendar_detail(request, calendar_id):
    calendar = selectors.calendar_get(actor=request.user, calendar_id=calendar_id)
    initial = {
        "name": calendar.name,
        "timezone": calendar.timezone,
        "national_holidays": calendar.national_holidays,
        "cuti_bersama": calendar.cuti_bersama,
        "is_active": calendar.is_active,
        "make_default": calendar.is_default,
    }

    def submit(data):
        services.calendar_update(
            actor=request.user,
            calendar=calendar,
            name=data["name"],
            timezone_name=data["timezone"],
            is_active=data["is_active"],
            national_holidays=data["national_holidays"],
            cuti_bersama=data["cuti_bersama"],
            make_default=data["make_default"],
        )
        return Done(_detail_url(calendar), _("Kalender disimpan."))

    form = CalendarEditForm(request.POST or None, initial=initial)
    return submit_form(
        request,
        form,
        submit,
        template="calendars/detail.html",
        context=lambda: _detail_context(request, calendar),
    )


def _detail_context(request, calendar: BusinessCalendar) -> dict:
    windows = list(calendar.windows.all())
    weekdays = [
        {
            "label": label,
            "form": WindowsForm(
                initial={
                    "weekday": value,
                    "windows": windows_text(w for w in windows if w.weekday == value),
                },
                auto_id=f"id_w{value}_%s",
            ),
        }
        for value, label in Weekday.choices
    ]
    year = selectors.parse_year(request.GET.get("year"), default=timezone.localdate().year)
    national = selectors.national_holidays(calendar=calendar, year=year)
    preview_form, preview = _preview(request, calendar)
    return {
        "calendar": calendar,
        "weekdays": weekdays,
        "days": calendar.days.all(),
        "day_form": DayForm(),
        "branches": selectors.calendar_branches(actor=request.user, calendar=calendar),
        "year": year,
        "national": national,
        # The holidays package knows cuti bersama only for the years SKB 3 Menteri has set
        # (none from 2028 in the locked version): say so, or SLA clocks, contact windows and
        # rotations would quietly count those days as working days.
        "cuti_bersama_unknown": calendar.cuti_bersama
        and not any(day.cuti_bersama for day in national),
        "preview_form": preview_form,
        "preview": preview,
    }


@requires(CALENDAR_MANAGE)
@require_POST
def set_windows(request, calendar_id):
    calendar = selectors.calendar_get(actor=request.user, calendar_id=calendar_id)
    form = WindowsForm(request.POST)

    def save():
        weekday = form.cleaned_data["weekday"]
        services.calendar_set_windows(
            actor=request.user,
            calendar=calendar,
            weekday=weekday,
            windows=form.cleaned_data["windows"],
        )
        return _("Jam kerja hari %s disimpan.") % Weekday(weekday).label

    return run_action(request, save, back=_detail_url(calendar), form=form)


@requires(CALENDAR_MANAGE)
@require_POST
def add_day(request, calendar_id):
    calendar = selectors.calendar_get(actor=request.user, calendar_id=calendar_id)
    form = DayForm(request.POST)

    def add():
        services.calendar_day_add(
            actor=request.user,
            calendar=calendar,
            day=form.cleaned_data["date"],
            kind=form.cleaned_data["kind"],
            name=form.cleaned_data["name"],
        )
        return _("Tanggal ditambahkan.")

    return run_action(request, add, back=_detail_url(calendar), form=form)


@requires(CALENDAR_MANAGE)
@require_POST
def remove_day(request, calendar_id, day_id):
    calendar = selectors.calendar_get(actor=request.user, calendar_id=calendar_id)
    day = get_object_or_404(calendar.days.all(), pk=day_id)

    def remove():
        services.calendar_day_remove(actor=request.user, calendar=calendar, day=day)
        return _("Tanggal dihapus.")

    return run_action(request, remove, back=_detail_url(calendar))


@requires(CALENDAR_MANAGE)
@require_POST
def assign_branch(request, branch_id):
    branch = selectors.branch_get(actor=request.user, branch_id=branch_id)
    form = BranchCalendarForm(request.POST)

    def assign():
        services.branch_calendar_assign(
            actor=request.user, branch=branch, calendar=form.cleaned_data["calendar"]
        )
        return _("Kalender cabang %s disimpan.") % branch.code

    # The list shows every branch: a refusal says which one it is about.
    return run_action(request, assign, back=reverse("calendars:list"), form=form, about=branch.code)
