"""Due times on real Indonesian dates (national holidays and cuti bersama 2025–2026 as the
``holidays`` package has them, following SKB 3 Menteri).

The dates used:
* 2025-12-31 (Wed) working; 2026-01-01 (Thu) Tahun Baru Masehi; 2026-01-02 (Fri) working.
* 2026-03-18 (Wed) cuti bersama Nyepi; 2026-03-19 (Thu) Hari Suci Nyepi;
  2026-03-20 (Fri) cuti bersama Idul Fitri; 03-21/22 (Sat/Sun) Idul Fitri 1447 H;
  2026-03-23/24 (Mon/Tue) cuti bersama Idul Fitri — a week without work, 18–24 March.
* 2026-05-14 (Thu) Kenaikan Yesus Kristus; 2026-05-15 (Fri) cuti bersama.
* 2026-05-31 (Sun) Waisak; 2026-06-01 (Mon) Hari Lahir Pancasila — a long weekend.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from amanah.calendars import worktime as wt
from amanah.calendars.worktime import NationalHolidays, Schedule

WIB, WITA, WIT = ZoneInfo("Asia/Jakarta"), ZoneInfo("Asia/Makassar"), ZoneInfo("Asia/Jayapura")
WEEKDAY = [(time(8), time(12)), (time(13), time(16))]
FRIDAY = [(time(8), time(11, 30)), (time(13, 30), time(16))]
OFFICE = {0: WEEKDAY, 1: WEEKDAY, 2: WEEKDAY, 3: WEEKDAY, 4: FRIDAY}


def office(tz=WIB, **kwargs) -> Schedule:
    kwargs.setdefault("holidays", NationalHolidays())
    return Schedule.build(tz, OFFICE, **kwargs)


def at(tz, *args) -> datetime:
    return datetime(*args, tzinfo=tz)


def local(moment: datetime, tz=WIB) -> datetime:
    assert moment.tzinfo is UTC  # every result is in UTC
    return moment.astimezone(tz).replace(tzinfo=None)


def test_the_package_knows_the_2026_dates_we_rely_on():
    names = NationalHolidays().names(2026)
    assert "Nyepi" in names[date(2026, 3, 19)]
    assert "Idul Fitri" in names[date(2026, 3, 21)]
    assert all("Cuti Bersama" in names[date(2026, 3, d)] for d in (18, 20, 23, 24))
    assert "Tahun Baru" in names[date(2026, 1, 1)]
    assert "Pancasila" in names[date(2026, 6, 1)]
    assert date(2026, 3, 20) not in NationalHolidays(cuti_bersama=False).dates(2026)


def test_complaint_before_the_idul_fitri_week_waits_for_the_25th():
    # Tuesday 17 March 2026, 17:00 WIB, after hours; Wed 18 – Tue 24 nobody works.
    received = at(WIB, 2026, 3, 17, 17, 0)
    schedule = office()
    assert local(wt.next_working_moment(schedule, received)) == datetime(2026, 3, 25, 8, 0)
    # 8 working hours: all 7 of Wednesday 25th, then one more on Thursday.
    assert local(wt.add_working_hours(schedule, received, 8)) == datetime(2026, 3, 26, 9, 0)


def test_friday_evening_before_the_long_weekend_of_waisak_and_pancasila():
    # Friday 29 May 2026 19:45 WIB; Sat 30, Sun 31 (Waisak), Mon 1 June (Pancasila) off.
    received = at(WIB, 2026, 5, 29, 19, 45)
    schedule = office()
    assert local(wt.add_working_minutes(schedule, received, 0)) == datetime(2026, 6, 2, 8, 0)
    assert local(wt.add_working_hours(schedule, received, 8)) == datetime(2026, 6, 3, 9, 0)
    assert wt.working_minutes_between(schedule, received, at(WIB, 2026, 6, 2, 8, 0)) == 0


def test_five_working_days_across_nyepi_and_idul_fitri():
    # Friday 13 March 2026 18:00: the clock starts Monday 16th; then 17th, 25th, 26th, 27th, 30th.
    received = at(WIB, 2026, 3, 13, 18, 0)
    schedule = office()
    assert local(wt.add_working_days(schedule, received, 5)) == datetime(2026, 3, 30, 8, 0)
    assert local(wt.add_working_days(schedule, received, 5, at_day_end=True)) == datetime(
        2026, 3, 30, 16, 0
    )
    # Received during hours on Tuesday 17th at 10:15: same time, five working days later.
    assert local(wt.add_working_days(schedule, at(WIB, 2026, 3, 17, 10, 15), 5)) == datetime(
        2026, 3, 31, 10, 15
    )


def test_without_cuti_bersama_the_week_has_three_working_days():
    # A calendar that keeps only national holidays works on 18, 20, 23 and 24 March.
    schedule = office(holidays=NationalHolidays(public=True, cuti_bersama=False))
    received = at(WIB, 2026, 3, 17, 17, 0)
    assert local(wt.add_working_hours(schedule, received, 8)) == datetime(2026, 3, 20, 9, 0)
    assert not schedule.is_working_date(date(2026, 3, 19))  # Nyepi stays a holiday


def test_new_year():
    schedule = office()
    # Wednesday 31 Dec 2025 15:00 + 2 working hours: one hour that day, then Friday 2 Jan.
    due = wt.add_working_hours(schedule, at(WIB, 2025, 12, 31, 15, 0), 2)
    assert local(due) == datetime(2026, 1, 2, 9, 0)


def test_kenaikan_and_its_cuti_bersama():
    # Wednesday 13 May 2026 15:30 + 1 working hour: 30 min, then Monday 18 May 08:30.
    due = wt.add_working_hours(office(), at(WIB, 2026, 5, 13, 15, 30), 1)
    assert local(due) == datetime(2026, 5, 18, 8, 30)


def test_friday_prayer_break():
    schedule = office()
    # Friday 9 Jan 2026 11:00 + 60 min: 30 min to 11:30, then 13:30 + 30 min.
    assert local(wt.add_working_minutes(schedule, at(WIB, 2026, 1, 9, 11, 0), 60)) == datetime(
        2026, 1, 9, 14, 0
    )
    assert not wt.is_working_time(schedule, at(WIB, 2026, 1, 9, 13, 0))  # Friday: still break
    assert wt.is_working_time(schedule, at(WIB, 2026, 1, 8, 13, 0))  # Thursday: back at work


def test_window_end_is_allowed_as_a_due_time_but_is_not_working_time():
    schedule = office()
    due = wt.add_working_minutes(schedule, at(WIB, 2026, 1, 8, 15, 45), 15)
    assert local(due) == datetime(2026, 1, 8, 16, 0)
    assert not wt.is_working_time(schedule, due)
    assert wt.is_working_time(schedule, due, include_window_end=True)
    assert local(wt.next_working_moment(schedule, due)) == datetime(2026, 1, 9, 8, 0)
    # From the end instant itself: zero keeps it; one minute more goes to the next morning.
    assert wt.add_working_minutes(schedule, due, 0) == due
    assert local(wt.add_working_minutes(schedule, due, 1)) == datetime(2026, 1, 9, 8, 1)


def test_one_working_day_keeps_the_side_of_the_lunch_break():
    schedule = office()
    assert local(wt.add_working_days(schedule, at(WIB, 2026, 1, 6, 13, 0), 1)) == datetime(
        2026, 1, 7, 13, 0
    )
    assert local(wt.add_working_days(schedule, at(WIB, 2026, 1, 6, 12, 0), 1)) == datetime(
        2026, 1, 7, 12, 0
    )
    # Thursday 15:30 is 6.5 h into a 7 h day; Friday has only 6 h, so the day's end.
    assert local(wt.add_working_days(schedule, at(WIB, 2026, 1, 8, 15, 30), 1)) == datetime(
        2026, 1, 9, 16, 0
    )


def test_each_zone_keeps_its_own_local_hours():
    # Friday 29 May 2026 16:30 WITA is 15:30 WIB: Jakarta is still open, Makassar is not.
    moment = at(WITA, 2026, 5, 29, 16, 30)
    wib, wita = office(WIB), office(WITA)
    assert wt.is_working_time(wib, moment) and not wt.is_working_time(wita, moment)
    assert local(wt.add_working_hours(wib, moment, 1), WIB) == datetime(2026, 6, 2, 8, 30)
    assert local(wt.add_working_hours(wita, moment, 1), WITA) == datetime(2026, 6, 2, 9, 0)
    assert wt.add_working_hours(wita, moment, 1) == datetime(2026, 6, 2, 1, 0, tzinfo=UTC)


def test_jayapura_new_year():
    # A WIT calendar with 07:30–15:30 hours: Wednesday 31 Dec 2025 15:00 WIT + 2 hours.
    hours = [(time(7, 30), time(12)), (time(13), time(15, 30))]
    schedule = Schedule.build(WIT, dict.fromkeys(range(5), hours), holidays=NationalHolidays())
    due = wt.add_working_hours(schedule, at(WIT, 2025, 12, 31, 15, 0), 2)
    assert local(due, WIT) == datetime(2026, 1, 2, 9, 0)
    assert due == datetime(2026, 1, 2, 0, 0, tzinfo=UTC)


def test_regional_holiday_and_extra_saturday():
    schedule = office(
        closed_dates={date(2026, 2, 9)},  # e.g. a regional holiday on Monday 9 Feb
        extra_dates={date(2026, 2, 7)},  # a working Saturday with Monday's hours
    )
    assert not schedule.is_working_date(date(2026, 2, 9))
    assert schedule.local_windows(date(2026, 2, 7)) == tuple(WEEKDAY)
    due = wt.add_working_hours(schedule, at(WIB, 2026, 2, 6, 16, 0), 7)
    assert local(due) == datetime(2026, 2, 7, 16, 0)
    # An extra date overrides a national holiday too (the bank opens on it).
    opened = office(extra_dates={date(2026, 3, 20)})
    assert opened.is_working_date(date(2026, 3, 20))
    assert opened.local_windows(date(2026, 3, 20)) == tuple(FRIDAY)


def test_pause_over_the_weekend_moves_nothing_and_over_hours_moves_hours():
    schedule = office()
    due = at(WIB, 2026, 1, 14, 10, 0)  # Wednesday
    weekend = (at(WIB, 2026, 1, 10, 9, 0), at(WIB, 2026, 1, 11, 20, 0))  # Sat–Sun
    assert wt.shift_for_pause(schedule, due, *weekend) == due.astimezone(UTC)
    # Paused Monday 12 Jan 14:30 → Tuesday 13 Jan 09:00: 1.5 h + 1 h of working time.
    shifted = wt.shift_for_pause(
        schedule, due, at(WIB, 2026, 1, 12, 14, 30), at(WIB, 2026, 1, 13, 9, 0)
    )
    assert local(shifted) == datetime(2026, 1, 14, 13, 30)  # 10:00 + 2.5 h, lunch skipped


@pytest.mark.parametrize(
    ("days", "expected"),
    [(1, date(2026, 3, 3)), (5, date(2026, 3, 9)), (10, date(2026, 3, 16)), (20, date(2026, 4, 7))],
)
def test_working_days_through_idul_fitri_and_good_friday(days, expected):
    # From Monday 2 March 09:00: 18–24 March (Nyepi, Idul Fitri, cuti bersama) and Good
    # Friday 3 April are skipped.
    schedule = office()
    start = at(WIB, 2026, 3, 2, 9, 0)
    due = wt.add_working_days(schedule, start, days)
    assert local(due) == datetime.combine(expected, time(9, 0))
    counted = sum(
        schedule.is_working_date(date(2026, 3, 2) + timedelta(days=i))
        for i in range(1, (expected - date(2026, 3, 2)).days + 1)
    )
    assert counted == days
