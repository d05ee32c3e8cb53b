"""Properties of the working-time arithmetic over random schedules, moments and amounts.

Pure (no database): schedules are built directly, so hypothesis can try many of them.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from amanah.calendars import worktime as wt
from amanah.calendars.worktime import NationalHolidays, Schedule

FAST = settings(max_examples=200, deadline=None)

ZONES = ["Asia/Jakarta", "Asia/Makassar", "Asia/Jayapura"]
WEEKDAY = [(time(8), time(12)), (time(13), time(16))]
FRIDAY = [(time(8), time(11, 30)), (time(13, 30), time(16))]
OFFICE = {0: WEEKDAY, 1: WEEKDAY, 2: WEEKDAY, 3: WEEKDAY, 4: FRIDAY}


def _minute(m: int) -> time:
    return time(m // 60, m % 60)


@st.composite
def day_windows(draw):
    """0–3 sorted windows on minute marks; some touch (end of one = start of the next)."""
    marks = sorted(draw(st.lists(st.integers(0, 1439), min_size=0, max_size=6, unique=True)))
    pairs = [(marks[i], marks[i + 1]) for i in range(0, len(marks) - 1, 2)]
    if len(pairs) >= 2 and draw(st.booleans()):
        # Make the second window start where the first one ends.
        pairs[1] = (pairs[0][1], pairs[1][1])
    return [(_minute(a), _minute(b)) for a, b in pairs]


# Around Nyepi, Idul Fitri and cuti bersama 2026, where the calendar is at its most irregular.
some_dates = st.dates(min_value=date(2026, 2, 1), max_value=date(2026, 9, 30))


@st.composite
def schedules(draw):
    if draw(st.integers(0, 3)) == 0:
        windows = OFFICE  # the real office week is a quarter of the cases
    else:
        windows = {day: draw(day_windows()) for day in range(7)}
    # Sparse random weeks (one minute on Sundays) would make a big amount span centuries.
    weekly = sum(
        (b.hour * 60 + b.minute) - (a.hour * 60 + a.minute)
        for day in windows.values()
        for a, b in day
    )
    assume(weekly >= 600)
    return Schedule.build(
        draw(st.sampled_from(ZONES)),
        windows,
        closed_dates=draw(st.frozensets(some_dates, max_size=15)),
        extra_dates=draw(st.frozensets(some_dates, max_size=5)),
        holidays=draw(st.sampled_from([None, NationalHolidays(), NationalHolidays(True, False)])),
    )


moments = st.datetimes(
    min_value=datetime(2026, 2, 1), max_value=datetime(2026, 7, 31), timezones=st.just(UTC)
).map(lambda m: m.replace(microsecond=m.microsecond // 1000 * 1000))
minutes = st.integers(0, 12_000)  # up to ~6 weeks of a 7-hour day


def on_clock(schedule, moment) -> bool:
    return moment.tzinfo is UTC and wt.is_working_time(schedule, moment, include_window_end=True)


@FAST
@given(schedules(), moments, minutes)
def test_result_is_on_the_clock_and_utc(schedule, start, m):
    due = wt.add_working_minutes(schedule, start, m)
    assert on_clock(schedule, due)
    assert due >= start


@FAST
@given(schedules(), moments, moments, minutes)
def test_monotonic_in_start(schedule, a, b, m):
    a, b = min(a, b), max(a, b)
    assert wt.add_working_minutes(schedule, a, m) <= wt.add_working_minutes(schedule, b, m)


@FAST
@given(schedules(), moments, minutes, minutes)
def test_monotonic_in_minutes(schedule, start, m1, m2):
    m1, m2 = min(m1, m2), max(m1, m2)
    assert wt.add_working_minutes(schedule, start, m1) <= wt.add_working_minutes(
        schedule, start, m2
    )


@FAST
@given(schedules(), moments, minutes)
def test_add_then_measure_gives_the_minutes_back(schedule, start, m):
    due = wt.add_working_minutes(schedule, start, m)
    assert wt.working_minutes_between(schedule, start, due) == m
    assert wt.working_time_between(schedule, start, due) == timedelta(minutes=m)


@FAST
@given(schedules(), moments, minutes)
def test_from_inside_working_time(schedule, start, m):
    start = wt.next_working_moment(schedule, start)
    assert wt.is_working_time(schedule, start)
    assert wt.add_working_minutes(schedule, start, 0) == start
    assert (
        wt.working_minutes_between(schedule, start, wt.add_working_minutes(schedule, start, m)) == m
    )


@FAST
@given(schedules(), moments, moments)
def test_measure_then_add_stays_within_the_end(schedule, start, end):
    assume(start <= end)
    measured = wt.working_minutes_between(schedule, start, end)
    if wt.working_time_between(schedule, start, end) > timedelta(0):
        assert wt.add_working_minutes(schedule, start, measured) <= end
    # One minute more is always past the end: the measure is the largest that fits.
    assert wt.add_working_minutes(schedule, start, measured + 1) > end
    # The ">=" relation: whatever reaches `end` had at least that much working time.
    for m in (0, 1, 60, 420):
        if wt.add_working_minutes(schedule, start, m) <= end:
            assert measured >= m


@FAST
@given(schedules(), moments, minutes, minutes)
def test_adding_is_additive(schedule, start, a, b):
    step = wt.add_working_minutes(schedule, wt.add_working_minutes(schedule, start, a), b)
    assert step == wt.add_working_minutes(schedule, start, a + b)


@FAST
@given(schedules(), moments, moments, moments)
def test_measuring_is_additive(schedule, a, b, c):
    a, b, c = sorted((a, b, c))
    total = wt.working_time_between(schedule, a, c)
    assert total == wt.working_time_between(schedule, a, b) + wt.working_time_between(
        schedule, b, c
    )
    assert wt.working_time_between(schedule, c, a) == timedelta(0)


@FAST
@given(schedules(), moments)
def test_next_working_moment(schedule, moment):
    found = wt.next_working_moment(schedule, moment)
    assert found >= moment and wt.is_working_time(schedule, found)
    assert wt.working_time_between(schedule, moment, found) == timedelta(0)
    if wt.is_working_time(schedule, moment):
        assert found == moment


@FAST
@given(schedules(), moments, minutes, st.integers(0, 3_000), st.floats(0, 1))
def test_pause_moves_the_due_time_by_exactly_the_paused_working_time(
    schedule, start, m, paused, where
):
    due = wt.add_working_minutes(schedule, start, m)
    # The pause starts somewhere between the start and the due time.
    paused_from = start + (due - start) * where
    assume(paused_from < due)
    paused_until = wt.add_working_minutes(schedule, paused_from, paused)
    shifted = wt.shift_for_pause(schedule, due, paused_from, paused_until)
    assert on_clock(schedule, shifted)
    assert wt.working_minutes_between(schedule, due, shifted) == paused
    assert wt.working_time_between(schedule, due, shifted) == timedelta(minutes=paused)
    # Same as if the SLA had been `paused` minutes longer from the start.
    if paused:
        assert shifted == wt.add_working_minutes(schedule, start, m + paused)


@FAST
@given(schedules(), moments, minutes, st.integers(0, 3_000))
def test_pause_after_the_due_time_changes_nothing(schedule, start, m, paused):
    due = wt.add_working_minutes(schedule, start, m)
    until = wt.add_working_minutes(schedule, due, paused)
    assert wt.shift_for_pause(schedule, due, due, until) == due
    assert wt.shift_for_pause(schedule, due, start, start) == due  # empty pause


@FAST
@given(schedules(), moments, moments, st.integers(0, 25), st.integers(0, 25), st.booleans())
def test_working_days(schedule, a, b, d1, d2, at_day_end):
    a, b = min(a, b), max(a, b)
    d1, d2 = min(d1, d2), max(d1, d2)
    due = wt.add_working_days(schedule, a, d1, at_day_end=at_day_end)
    assert on_clock(schedule, due)
    assert due <= wt.add_working_days(schedule, b, d1, at_day_end=at_day_end)
    assert due <= wt.add_working_days(schedule, a, d2, at_day_end=at_day_end)
    # The result's date is exactly d1 working dates after the (normalized) start's date.
    anchor = schedule.local_date(wt.add_working_minutes(schedule, a, 0))
    target = schedule.local_date(due)
    between = [anchor + timedelta(days=i) for i in range(1, (target - anchor).days + 1)]
    assert sum(schedule.is_working_date(d) for d in between) == d1
    assert schedule.is_working_date(target)


@FAST
@given(schedules(), moments)
def test_local_offset_is_kept_by_working_days(schedule, start):
    """On a uniform week, one working day later is the same wall-clock time."""
    uniform = Schedule.build(schedule.tz, {d: WEEKDAY for d in range(5)})
    start = wt.next_working_moment(uniform, start)
    later = wt.add_working_days(uniform, start, 1)
    local = start.astimezone(uniform.tz)
    assert later.astimezone(uniform.tz).time() == local.time()
    assert wt.working_minutes_between(uniform, start, later) == 7 * 60


def test_rejects_bad_arguments():
    schedule = Schedule.build("Asia/Jakarta", OFFICE)
    with pytest.raises(ValueError, match="aware"):
        wt.add_working_minutes(schedule, datetime(2026, 1, 5, 9), 10)
    with pytest.raises(ValueError):
        wt.add_working_minutes(schedule, datetime(2026, 1, 5, 9, tzinfo=UTC), -1)
    with pytest.raises(TypeError):
        wt.add_working_minutes(schedule, datetime(2026, 1, 5, 9, tzinfo=UTC), 1.5)
    with pytest.raises(ValueError, match="overlap"):
        Schedule.build("Asia/Jakarta", {0: [(time(8), time(12)), (time(11), time(13))]})
    with pytest.raises(ValueError, match="before"):
        Schedule.build("Asia/Jakarta", {0: [(time(12), time(8))]})
    with pytest.raises(ValueError, match="7 weekdays"):
        Schedule(tz="Asia/Jakarta", windows=((),))


def test_a_schedule_without_working_time_says_so():
    never = Schedule.build("Asia/Jakarta", {})
    with pytest.raises(wt.NoWorkingTime):
        wt.add_working_minutes(never, datetime(2026, 1, 5, tzinfo=UTC), 1)
    assert (
        wt.working_minutes_between(
            never, datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 12, 31, tzinfo=UTC)
        )
        == 0
    )


def test_schedules_are_values():
    one = Schedule.build("Asia/Jakarta", OFFICE, holidays=NationalHolidays())
    two = Schedule.build("Asia/Jakarta", OFFICE, holidays=NationalHolidays())
    wt.add_working_minutes(one, datetime(2026, 1, 5, tzinfo=UTC), 600)  # fills one's memo
    assert one == two and hash(one) == hash(two) and len({one, two}) == 1
    assert one != Schedule.build("Asia/Makassar", OFFICE, holidays=NationalHolidays())


def test_twenty_working_days_skip_whole_days():
    """Adding a month of working time looks at each date about once, never minute by minute."""
    schedule = Schedule.build("Asia/Jakarta", OFFICE, holidays=NationalHolidays())
    start = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
    wt.add_working_days(schedule, start, 20)
    wt.add_working_hours(schedule, start, 20 * 7)
    assert len(schedule._memo) < 40


@FAST
@given(schedules(), moments, moments, st.integers(0, 3))
def test_the_counter_counts_as_working_days_elapsed(schedule, start, moment, days_before):
    """The OJK report's cached counter and the one-off count agree for every pair, a moment
    before the start and a start on the counter's first day included."""
    first = schedule.local_date(start) - timedelta(days=days_before)
    counter = wt.WorkingDayCounter(schedule, first)
    for a, b in ((start, moment), (moment, start), (start, start)):
        assert counter.elapsed(a, b) == wt.working_days_elapsed(schedule, a, b), (a, b)
