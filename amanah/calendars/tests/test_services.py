"""Calendar services: permission, scope, audit, bad input; and schedules built from them."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied

from amanah.audit.models import AuditLog
from amanah.calendars import services, worktime
from amanah.calendars.models import (
    BranchCalendar,
    BusinessCalendar,
    CalendarDay,
    CalendarDayKind,
    WorkingWindow,
)
from amanah.calendars.schedules import (
    calendar_for_branch,
    default_calendar,
    schedule_for_branch,
    schedule_for_calendar,
)
from amanah.core.errors import NotFound, ServiceError
from amanah.core.roles import RoleKey as R
from amanah.iam import services as iam
from amanah.iam.models import TimeZoneChoice

WIB, WITA = ZoneInfo("Asia/Jakarta"), ZoneInfo("Asia/Makassar")

pytestmark = pytest.mark.django_db


def _hours(calendar, weekday):
    return [
        (w.start_time, w.end_time)
        for w in calendar.windows.filter(weekday=weekday).order_by("start_time")
    ]


def _events(change):
    return AuditLog.objects.filter(action="CHANGE_WORKFLOW", meta__change=change)


@pytest.fixture
def admin(make_user, branch_a):
    return make_user(R.ADMIN, branches=[branch_a])


@pytest.fixture
def branch_makassar(db, system):
    return iam.branch_save(
        actor=system, code="MKS01", name="KC Makassar", timezone_name=TimeZoneChoice.WITA
    )


@pytest.fixture
def calendar(db, system):
    return services.calendar_create(actor=system, name="Kalender Uji", timezone_name="Asia/Jakarta")


# --------------------------------------------------------------------------- the default


def test_migration_creates_the_default_office_week(db):
    default = default_calendar()
    assert default.is_default and default.is_active and default.timezone == "Asia/Jakarta"
    assert _hours(default, 0) == [(time(8), time(12)), (time(13), time(16))]
    assert _hours(default, 4) == [(time(8), time(11, 30)), (time(13, 30), time(16))]
    assert _hours(default, 5) == [] and _hours(default, 6) == []


# --------------------------------------------------------------------------- permission


@pytest.mark.parametrize("role", [R.AGENT, R.SUPERVISOR, R.COMPLIANCE, R.DIRECTOR])
def test_only_calendar_managers_may_change_calendars(make_user, branch_a, calendar, role):
    user = make_user(role, branches=[branch_a])
    calls = [
        lambda: services.calendar_create(actor=user, name="X", timezone_name="Asia/Jakarta"),
        lambda: services.calendar_set_windows(actor=user, calendar=calendar, weekday=5, windows=[]),
        lambda: services.calendar_day_add(
            actor=user, calendar=calendar, day=date(2026, 4, 10), kind="HOLIDAY", name="x"
        ),
        lambda: services.branch_calendar_assign(actor=user, branch=branch_a, calendar=calendar),
    ]
    for call in calls:
        with pytest.raises(PermissionDenied):
            call()
    assert not _events("calendar_windows").exists()


def test_admin_holds_calendar_manage_by_default(admin, calendar):
    services.calendar_set_windows(
        actor=admin, calendar=calendar, weekday=5, windows=[(time(8), time(12))]
    )
    event = _events("calendar_windows").get()
    assert event.actor_username == admin.username and event.actor_role == "ADMIN"
    assert event.object_id == str(calendar.pk)
    assert event.meta["before"] == [] and event.meta["after"] == ["08:00-12:00"]


def test_branch_outside_scope_is_not_found(admin, branch_b, calendar):
    with pytest.raises(NotFound):
        services.branch_calendar_assign(actor=admin, branch=branch_b, calendar=calendar)
    assert not BranchCalendar.objects.exists()


# --------------------------------------------------------------------------- calendars


def test_create_copies_the_default_hours_and_is_audited(system):
    cal = services.calendar_create(
        actor=system, name="  KC  Bali ", timezone_name="Asia/Makassar", cuti_bersama=False
    )
    assert cal.name == "KC Bali" and not cal.cuti_bersama and not cal.is_default
    assert _hours(cal, 4) == _hours(default_calendar(), 4)
    assert _events("calendar_create").get().meta["timezone"] == "Asia/Makassar"


@pytest.mark.parametrize(
    ("name", "tz", "code"),
    [
        (" ", "Asia/Jakarta", "name_required"),
        ("x" * 101, "Asia/Jakarta", "name_too_long"),
        ("Baru", "Asia/Singapore", "timezone_invalid"),
        ("kalender standar nasional", "Asia/Jakarta", "name_taken"),
    ],
)
def test_create_refuses_bad_input(system, name, tz, code):
    before = BusinessCalendar.objects.count()
    with pytest.raises(ServiceError) as refused:
        services.calendar_create(actor=system, name=name, timezone_name=tz)
    assert refused.value.code == code and refused.value.message
    assert BusinessCalendar.objects.count() == before
    assert not _events("calendar_create").exists()


def _update(calendar, actor, **changes):
    fields = {
        "name": calendar.name,
        "timezone_name": calendar.timezone,
        "is_active": calendar.is_active,
        "national_holidays": calendar.national_holidays,
        "cuti_bersama": calendar.cuti_bersama,
    }
    fields.update(changes)
    return services.calendar_update(actor=actor, calendar=calendar, **fields)


def test_update_moves_the_default_flag(system, calendar):
    old = default_calendar()
    _update(calendar, system, make_default=True)
    assert default_calendar() == calendar
    old.refresh_from_db()
    assert not old.is_default
    event = _events("calendar_update").get()
    assert event.meta["before"] == {"is_default": False}
    assert event.meta["after"] == {"is_default": True}


def test_update_without_changes_records_nothing(system, calendar):
    revision = calendar.revision
    _update(calendar, system)
    calendar.refresh_from_db()
    assert calendar.revision == revision and not _events("calendar_update").exists()


def test_the_default_calendar_cannot_be_deactivated(system):
    with pytest.raises(ServiceError) as refused:
        _update(default_calendar(), system, is_active=False)
    assert refused.value.code == "default_inactive"
    assert default_calendar().is_active


def test_a_calendar_in_use_cannot_be_deactivated_or_moved_to_another_zone(
    system, calendar, branch_a
):
    services.branch_calendar_assign(actor=system, branch=branch_a, calendar=calendar)
    with pytest.raises(ServiceError) as refused:
        _update(calendar, system, is_active=False)
    assert refused.value.code == "calendar_in_use" and "MDN01" in refused.value.message
    with pytest.raises(ServiceError) as refused:
        _update(calendar, system, timezone_name="Asia/Makassar")
    assert refused.value.code == "timezone_mismatch"
    calendar.refresh_from_db()
    assert calendar.is_active and calendar.timezone == "Asia/Jakarta"


# --------------------------------------------------------------------------- windows


@pytest.mark.parametrize(
    ("windows", "code"),
    [
        ([(time(12), time(8))], "window_order"),
        ([(time(8), time(8))], "window_order"),
        ([(time(8), time(12)), (time(11, 30), time(14))], "window_overlap"),
        ([(time(8, 0, 30), time(12))], "window_minutes"),
        ([(time(h), time(h, 30)) for h in range(8, 15)], "too_many_windows"),
        ([("08:00", "12:00")], "window_invalid"),
    ],
)
def test_bad_windows_change_nothing(system, calendar, windows, code):
    revision, before = calendar.revision, _hours(calendar, 0)
    with pytest.raises(ServiceError) as refused:
        services.calendar_set_windows(actor=system, calendar=calendar, weekday=0, windows=windows)
    assert refused.value.code == code and refused.value.field == "windows"
    calendar.refresh_from_db()
    assert _hours(calendar, 0) == before and calendar.revision == revision
    assert not _events("calendar_windows").exists()


def test_windows_may_touch_and_are_stored_sorted(system, calendar):
    services.calendar_set_windows(
        actor=system,
        calendar=calendar,
        weekday=5,
        windows=[(time(12), time(14)), (time(8), time(12))],
    )
    assert _hours(calendar, 5) == [(time(8), time(12)), (time(12), time(14))]


def test_weekday_must_exist(system, calendar):
    with pytest.raises(ServiceError) as refused:
        services.calendar_set_windows(actor=system, calendar=calendar, weekday=7, windows=[])
    assert refused.value.code == "weekday_invalid"


def test_a_calendar_keeps_some_working_hours(system, calendar):
    for weekday in range(4):
        services.calendar_set_windows(actor=system, calendar=calendar, weekday=weekday, windows=[])
    with pytest.raises(ServiceError) as refused:
        services.calendar_set_windows(actor=system, calendar=calendar, weekday=4, windows=[])
    assert refused.value.code == "calendar_no_hours"
    assert WorkingWindow.objects.filter(calendar=calendar).count() == 2


# --------------------------------------------------------------------------- extra days


def test_add_and_remove_a_regional_holiday(system, calendar):
    day = services.calendar_day_add(
        actor=system,
        calendar=calendar,
        day=date(2026, 4, 10),
        kind=CalendarDayKind.REGIONAL_HOLIDAY,
        name="Hari Jadi Kota Medan",
    )
    calendar.refresh_from_db()
    assert not schedule_for_calendar(calendar).is_working_date(date(2026, 4, 10))
    services.calendar_day_remove(actor=system, calendar=calendar, day=day)
    calendar.refresh_from_db()
    assert schedule_for_calendar(calendar).is_working_date(date(2026, 4, 10))
    assert _events("calendar_day_add").get().meta["date"] == "2026-04-10"
    assert _events("calendar_day_remove").get().meta["name"] == "Hari Jadi Kota Medan"


def test_an_extra_saturday_works_with_the_weekday_hours(system, calendar):
    services.calendar_day_add(
        actor=system,
        calendar=calendar,
        day=date(2026, 3, 28),
        kind=CalendarDayKind.EXTRA_WORKDAY,
        name="Sabtu pengganti cuti bersama",
    )
    calendar.refresh_from_db()
    schedule = schedule_for_calendar(calendar)
    assert schedule.local_windows(date(2026, 3, 28)) == ((time(8), time(12)), (time(13), time(16)))


@pytest.mark.parametrize(
    ("day", "kind", "name", "code"),
    [
        (date(2026, 4, 9), "HOLIDAY", "Libur", "day_exists"),
        (date(2026, 4, 8), "HOLIDAY", "   ", "name_required"),
        (date(2026, 4, 8), "LIBUR", "Libur", "kind_invalid"),
        (date(2206, 4, 8), "HOLIDAY", "Libur", "date_invalid"),
        (date(2026, 4, 8), "EXTRA_WORKDAY", "Lembur", "day_already_working"),  # a Wednesday
        (date(2026, 4, 12), "HOLIDAY", "Libur", "day_already_off"),  # a Sunday
    ],
)
def test_bad_days_change_nothing(system, calendar, day, kind, name, code):
    services.calendar_day_add(
        actor=system, calendar=calendar, day=date(2026, 4, 9), kind="HOLIDAY", name="Sudah ada"
    )
    with pytest.raises(ServiceError) as refused:
        services.calendar_day_add(actor=system, calendar=calendar, day=day, kind=kind, name=name)
    assert refused.value.code == code and refused.value.message
    assert CalendarDay.objects.filter(calendar=calendar).count() == 1
    assert _events("calendar_day_add").count() == 1


def test_an_extra_workday_may_open_a_national_holiday(system, calendar):
    # Friday 20 March 2026 is cuti bersama Idul Fitri; a bank may decide to open that day.
    services.calendar_day_add(
        actor=system,
        calendar=calendar,
        day=date(2026, 3, 20),
        kind=CalendarDayKind.EXTRA_WORKDAY,
        name="Layanan terbatas",
    )
    calendar.refresh_from_db()
    assert schedule_for_calendar(calendar).is_working_date(date(2026, 3, 20))


def test_removing_another_calendars_day_is_not_found(system, calendar):
    day = services.calendar_day_add(
        actor=system, calendar=calendar, day=date(2026, 4, 9), kind="HOLIDAY", name="Libur"
    )
    with pytest.raises(NotFound):
        services.calendar_day_remove(actor=system, calendar=default_calendar(), day=day)
    assert CalendarDay.objects.filter(pk=day.pk).exists()


# --------------------------------------------------------------------------- branches


def test_assign_and_reset_a_branch_calendar(admin, branch_a, calendar):
    assert calendar_for_branch(branch_a) == default_calendar()
    services.branch_calendar_assign(actor=admin, branch=branch_a, calendar=calendar)
    assert calendar_for_branch(branch_a) == calendar
    services.branch_calendar_assign(actor=admin, branch=branch_a, calendar=None)
    assert calendar_for_branch(branch_a) == default_calendar()
    events = list(_events("branch_calendar").order_by("id"))
    assert [e.meta["after"] for e in events] == [str(calendar.pk), None]
    assert events[0].object_type == "iam.Branch" and events[0].object_id == str(branch_a.pk)


def test_a_branch_gets_only_a_calendar_of_its_own_zone(system, branch_makassar, calendar):
    with pytest.raises(ServiceError) as refused:
        services.branch_calendar_assign(actor=system, branch=branch_makassar, calendar=calendar)
    assert refused.value.code == "timezone_mismatch" and "WITA" in refused.value.message
    assert not BranchCalendar.objects.exists()


def test_an_inactive_calendar_cannot_be_assigned(system, branch_a, calendar):
    _update(calendar, system, is_active=False)
    with pytest.raises(ServiceError) as refused:
        services.branch_calendar_assign(actor=system, branch=branch_a, calendar=calendar)
    assert refused.value.code == "calendar_inactive"


# --------------------------------------------------------------------------- schedules


def test_a_branch_on_the_default_calendar_works_in_its_own_zone(branch_a, branch_makassar):
    moment = datetime(2026, 5, 29, 16, 30, tzinfo=WITA)  # 15:30 in Jakarta
    assert worktime.is_working_time(schedule_for_branch(branch_a), moment)
    makassar = schedule_for_branch(branch_makassar)
    assert str(makassar.tz) == "Asia/Makassar"
    assert not worktime.is_working_time(makassar, moment)
    due = worktime.add_working_hours(makassar, moment, 1)
    assert due == datetime(2026, 6, 2, 1, 0, tzinfo=UTC)  # Tue 2 June 09:00 WITA


def test_a_wita_calendar_serves_its_wita_branch(system, branch_makassar):
    cal = services.calendar_create(actor=system, name="Sulawesi", timezone_name="Asia/Makassar")
    services.calendar_set_windows(
        actor=system, calendar=cal, weekday=5, windows=[(time(8), time(12))]
    )
    services.branch_calendar_assign(actor=system, branch=branch_makassar, calendar=cal)
    schedule = schedule_for_branch(branch_makassar)
    saturday = datetime(2026, 6, 6, 9, 0, tzinfo=WITA)
    assert worktime.is_working_time(schedule, saturday)


def test_the_hot_path_is_one_query_and_edits_are_seen(
    system, branch_a, calendar, django_assert_num_queries
):
    services.branch_calendar_assign(actor=system, branch=branch_a, calendar=calendar)
    first = schedule_for_branch(branch_a)
    with django_assert_num_queries(1):
        assert schedule_for_branch(branch_a) is first
    services.calendar_set_windows(
        actor=system, calendar=calendar, weekday=5, windows=[(time(9), time(11))]
    )
    fresh = schedule_for_branch(branch_a)
    assert fresh is not first and fresh.windows[5] == ((time(9), time(11)),)


def test_national_holiday_switches_reach_the_schedule(system, calendar):
    cuti = date(2026, 3, 20)  # cuti bersama Idul Fitri
    assert not schedule_for_calendar(calendar).is_working_date(cuti)
    _update(calendar, system, cuti_bersama=False)
    calendar.refresh_from_db()
    assert schedule_for_calendar(calendar).is_working_date(cuti)
    assert not schedule_for_calendar(calendar).is_working_date(date(2026, 3, 19))  # Nyepi
