"""Working-time arithmetic for SLA clocks, contact hours and rotations.

Everything here is pure: it works on a :class:`Schedule` (a plain, immutable value) and never
touches the database, so the hot path (computing a due time for every new complaint, every
row of an SLA queue) makes no queries. ``amanah.calendars.schedules`` builds a Schedule from a
stored calendar once and caches it.

The model
---------
*Working time* is the union of a schedule's windows on its working dates. Windows are
wall-clock times in the schedule's time zone (``08:00–12:00`` and ``13:00–16:00``) and are
**half-open**: the start instant is working time, the end instant is not.

A date is a *working date* when it has windows after these rules, in this order:

1. a date in ``extra_dates`` works — with its weekday's windows, or ``extra_day_windows`` when
   that weekday has none (a Saturday ordered to work like a normal weekday);
2. a date in ``closed_dates`` (company holiday, cuti bersama, regional holiday) does not work;
3. a national holiday from ``holidays`` (the ``holidays`` package) does not work;
4. otherwise the weekday's windows apply (Monday = 0 … Sunday = 6).

*On the clock* means working time **or exactly the end of a window**. Every moment this module
returns is on the clock and in UTC. The end instant is allowed so that "15 working minutes from
15:45" is 16:00 the same afternoon, not 08:00 the next working morning — and conversely a
deadline of 16:00 is still met by a reply sent at 16:00:00.

Durations are exact (``timedelta``, to the microsecond); the ``*_minutes`` helpers wrap them.
"""

from __future__ import annotations

import bisect
import functools
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from types import MappingProxyType
from zoneinfo import ZoneInfo

import holidays as holidays_lib

Window = tuple[time, time]
UtcWindow = tuple[datetime, datetime]

ONE_DAY = timedelta(days=1)
ONE_MINUTE = timedelta(minutes=1)
# A search for the next working moment gives up after this many days without any working time:
# a schedule that never works would otherwise loop for ever.
MAX_IDLE_DAYS = 3 * 366


class NoWorkingTime(ValueError):
    """The schedule has no working time ahead of the given moment (within MAX_IDLE_DAYS)."""


# --------------------------------------------------------------------------- national holidays


@functools.lru_cache(maxsize=256)
def _national(year: int, categories: tuple[str, ...]) -> Mapping[date, str]:
    # The package computes the Islamic and lunar dates itself, which is slow-ish; a year is
    # computed once per process and category set, then served from memory.
    found = holidays_lib.country_holidays("ID", years=year, categories=categories, language="id")
    return MappingProxyType(dict(sorted(found.items())))


@dataclass(frozen=True)
class NationalHolidays:
    """Indonesia's national holidays (``public``) and *cuti bersama* (``government``) by year.

    The dates come from the ``holidays`` package, which follows the government's joint decree
    (SKB 3 Menteri); dates marked "(estimated)" for future years are replaced by the package
    when the decree is published. Cached per year and category set.
    """

    public: bool = True
    cuti_bersama: bool = True

    @property
    def categories(self) -> tuple[str, ...]:
        return tuple(
            name
            for name, wanted in (("public", self.public), ("government", self.cuti_bersama))
            if wanted
        )

    def names(self, year: int) -> Mapping[date, str]:
        """Date → Indonesian name(s) of the holidays of one year."""
        if not self.categories:
            return MappingProxyType({})
        return _national(year, self.categories)

    def dates(self, year: int) -> frozenset[date]:
        return _national_dates(year, self.categories)


@functools.lru_cache(maxsize=256)
def _national_dates(year: int, categories: tuple[str, ...]) -> frozenset[date]:
    if not categories:
        return frozenset()
    return frozenset(_national(year, categories))


# --------------------------------------------------------------------------- schedule


def _check_windows(windows: Iterable[Window], where: str) -> tuple[Window, ...]:
    ordered = tuple(sorted((start, end) for start, end in windows))
    for start, end in ordered:
        if not (isinstance(start, time) and isinstance(end, time)):
            raise TypeError(f"{where}: windows are pairs of datetime.time")
        if start.tzinfo is not None or end.tzinfo is not None:
            raise ValueError(f"{where}: window times are wall-clock times without a zone")
        if not start < end:
            raise ValueError(f"{where}: window {start}–{end} must start before it ends")
    for (_s1, end1), (start2, _e2) in zip(ordered, ordered[1:], strict=False):
        if start2 < end1:
            raise ValueError(f"{where}: windows overlap at {start2}")
    return ordered


@dataclass(frozen=True)
class Schedule:
    """When work happens: a time zone, windows per weekday and the exceptions to them.

    ``windows[0]`` is Monday's windows … ``windows[6]`` Sunday's; each day's windows are
    sorted, non-overlapping ``(start, end)`` wall-clock pairs with ``start < end`` (so none
    crosses midnight). Immutable and hashable; build one with :meth:`build`.
    """

    tz: ZoneInfo
    windows: tuple[tuple[Window, ...], ...]
    closed_dates: frozenset[date] = frozenset()
    extra_dates: frozenset[date] = frozenset()
    holidays: NationalHolidays | None = None
    # The hours of an extra working date whose weekday normally has none; defaults to the
    # first weekday that has hours (Monday in practice).
    extra_day_windows: tuple[Window, ...] = ()
    # Per-date UTC windows, filled on demand. Not part of the value (eq/hash/repr ignore it).
    _memo: dict = field(default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if isinstance(self.tz, str):
            object.__setattr__(self, "tz", ZoneInfo(self.tz))
        if len(self.windows) != 7:
            raise ValueError("a schedule has windows for exactly 7 weekdays (Monday = 0)")
        days = tuple(_check_windows(day, f"weekday {i}") for i, day in enumerate(self.windows))
        object.__setattr__(self, "windows", days)
        object.__setattr__(self, "closed_dates", frozenset(self.closed_dates))
        object.__setattr__(self, "extra_dates", frozenset(self.extra_dates))
        extra = _check_windows(self.extra_day_windows, "extra_day_windows")
        if not extra:
            extra = next((day for day in days if day), ())
        object.__setattr__(self, "extra_day_windows", extra)

    @classmethod
    def build(
        cls,
        tz: str | ZoneInfo,
        windows: Mapping[int, Iterable[Window]],
        *,
        closed_dates: Iterable[date] = (),
        extra_dates: Iterable[date] = (),
        holidays: NationalHolidays | None = None,
        extra_day_windows: Iterable[Window] = (),
    ) -> Schedule:
        """A schedule from ``{weekday: [(start, end), …]}``; missing weekdays have no hours."""
        return cls(
            tz=ZoneInfo(tz) if isinstance(tz, str) else tz,
            windows=tuple(tuple(windows.get(day, ())) for day in range(7)),
            closed_dates=frozenset(closed_dates),
            extra_dates=frozenset(extra_dates),
            holidays=holidays,
            extra_day_windows=tuple(extra_day_windows),
        )

    # ---------------------------------------------------------------- per date

    def local_windows(self, day: date) -> tuple[Window, ...]:
        """The wall-clock windows of one local date after holidays and extra days."""
        if day in self.extra_dates:
            return self.windows[day.weekday()] or self.extra_day_windows
        if day in self.closed_dates:
            return ()
        if self.holidays is not None and day in self.holidays.dates(day.year):
            return ()
        return self.windows[day.weekday()]

    def is_working_date(self, day: date) -> bool:
        return bool(self.local_windows(day))

    def utc_windows(self, day: date) -> tuple[UtcWindow, ...]:
        """The windows of one local date as UTC instants (memoized)."""
        found = self._memo.get(day)
        if found is None:
            found = tuple(
                (
                    datetime.combine(day, start, tzinfo=self.tz).astimezone(UTC),
                    datetime.combine(day, end, tzinfo=self.tz).astimezone(UTC),
                )
                for start, end in self.local_windows(day)
            )
            self._memo[day] = found
        return found

    def local_date(self, moment: datetime) -> date:
        return moment.astimezone(self.tz).date()


# --------------------------------------------------------------------------- helpers


def _utc(moment: datetime, name: str = "moment") -> datetime:
    if not isinstance(moment, datetime):
        raise TypeError(f"{name} must be a datetime")
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} must be time-zone aware")
    return moment.astimezone(UTC)


def _days_from(schedule: Schedule, first: date) -> Iterator[tuple[date, tuple[UtcWindow, ...]]]:
    """Working dates from ``first`` on (inclusive), with their UTC windows."""
    day, idle = first, 0
    while True:
        windows = schedule.utc_windows(day)
        if windows:
            idle = 0
            yield day, windows
        else:
            idle += 1
            if idle > MAX_IDLE_DAYS:
                raise NoWorkingTime(f"no working time within {MAX_IDLE_DAYS} days after {first}")
        day += ONE_DAY


def _offset_into_day(windows: tuple[UtcWindow, ...], moment: datetime) -> timedelta:
    """Working time of one day's windows that lies before ``moment``."""
    return sum((min(end, moment) - start for start, end in windows if start < moment), timedelta(0))


def _at_offset(windows: tuple[UtcWindow, ...], offset: timedelta, *, at_end: bool) -> datetime:
    """The on-the-clock moment of a day after ``offset`` of its working time (clamped).

    An offset that ends exactly at a break is placed at the break's end (``at_end``) or at
    the next window's start, so that "13:00 plus one working day" is 13:00, not 12:00.
    """
    for index, (start, end) in enumerate(windows):
        length = end - start
        last = index == len(windows) - 1
        if offset < length or (offset == length and (at_end or last)):
            return start + offset
        offset -= length
    return windows[-1][1]


# --------------------------------------------------------------------------- queries


def is_working_time(
    schedule: Schedule, moment: datetime, *, include_window_end: bool = False
) -> bool:
    """Whether ``moment`` lies in a window (``start <= moment < end``).

    With ``include_window_end`` the end instant of a window counts as well — i.e. "on the
    clock", the set every result of this module belongs to.
    """
    moment = _utc(moment)
    for start, end in schedule.utc_windows(schedule.local_date(moment)):
        if start <= moment < end or (include_window_end and moment == end):
            return True
    return False


def working_date_on_or_after(schedule: Schedule, day: date) -> date:
    """``day`` when it is a working date, else the next one (``NoWorkingTime`` when none
    comes within MAX_IDLE_DAYS)."""
    return next(_days_from(schedule, day))[0]


def working_date_before(schedule: Schedule, day: date) -> date | None:
    """The last working date strictly before ``day`` (None when none within MAX_IDLE_DAYS)."""
    for back in range(1, MAX_IDLE_DAYS + 1):
        earlier = day - back * ONE_DAY
        if schedule.is_working_date(earlier):
            return earlier
    return None


def next_working_moment(schedule: Schedule, moment: datetime) -> datetime:
    """The earliest moment ``>= moment`` that is working time (a window end does not count).

    ``moment`` itself (in UTC) when it is working time; otherwise the start of the next window.
    """
    moment = _utc(moment)
    for _day, windows in _days_from(schedule, schedule.local_date(moment)):
        for start, end in windows:
            if end > moment:
                return max(start, moment)
    raise AssertionError("unreachable: _days_from never ends")  # pragma: no cover


def working_time_between(schedule: Schedule, start: datetime, end: datetime) -> timedelta:
    """The exact working time inside ``[start, end]``; zero when ``end <= start``."""
    start, end = _utc(start, "start"), _utc(end, "end")
    if end <= start:
        return timedelta(0)
    total = timedelta(0)
    day, last = schedule.local_date(start), schedule.local_date(end)
    while day <= last:
        for w_start, w_end in schedule.utc_windows(day):
            low, high = max(w_start, start), min(w_end, end)
            if high > low:
                total += high - low
        day += ONE_DAY
    return total


def working_minutes_between(schedule: Schedule, start: datetime, end: datetime) -> int:
    """Whole working minutes inside ``[start, end]`` (rounded down); 0 when ``end <= start``."""
    return working_time_between(schedule, start, end) // ONE_MINUTE


# --------------------------------------------------------------------------- arithmetic


def add_working_time(schedule: Schedule, start: datetime, amount: timedelta) -> datetime:
    """The earliest on-the-clock moment ``t >= start`` with ``amount`` of working time in
    ``[start, t]``, in UTC.

    * ``amount == 0``: ``start`` itself when it is on the clock (a window end included),
      otherwise the start of the next window.
    * ``amount > 0``: the result lies in ``(window start, window end]`` of some window, so it
      may be exactly a window end (15:45 + 15 min = 16:00), never the next morning's 08:00.
    * Exact: ``working_time_between(start, result) == amount`` for every ``start``.

    Whole non-working days and whole working days are skipped a day at a time.
    """
    start = _utc(start, "start")
    if not isinstance(amount, timedelta):
        raise TypeError("amount must be a timedelta")
    if amount < timedelta(0):
        raise ValueError("amount must not be negative")
    remaining = amount
    for _day, windows in _days_from(schedule, schedule.local_date(start)):
        for w_start, w_end in windows:
            if w_end < start:
                continue
            begin = max(w_start, start)
            available = w_end - begin
            if remaining <= available:
                return begin + remaining
            remaining -= available
    raise AssertionError("unreachable: _days_from never ends")  # pragma: no cover


def add_working_minutes(schedule: Schedule, start: datetime, minutes: int) -> datetime:
    """``add_working_time`` for a whole number of working minutes (``minutes >= 0``)."""
    if isinstance(minutes, bool) or not isinstance(minutes, int):
        raise TypeError("minutes must be an int")
    if minutes < 0:
        raise ValueError("minutes must not be negative")
    return add_working_time(schedule, start, timedelta(minutes=minutes))


def add_working_hours(schedule: Schedule, start: datetime, hours: int | float) -> datetime:
    """``add_working_time`` for working hours (fractions allowed: 1.5 = 90 minutes)."""
    if isinstance(hours, bool) or not isinstance(hours, int | float):
        raise TypeError("hours must be a number")
    if hours < 0:
        raise ValueError("hours must not be negative")
    return add_working_time(schedule, start, timedelta(hours=hours))


def add_working_days(
    schedule: Schedule, start: datetime, days: int, *, at_day_end: bool = False
) -> datetime:
    """The moment ``days`` working days after ``start``, at the same working-time offset.

    Exact definition:

    1. ``anchor = add_working_time(start, 0)`` — ``start``, or the next window start when
       ``start`` is outside working time (a complaint received Friday 20:00 counts from
       Monday 08:00);
    2. ``D0`` = the anchor's local date; ``offset`` = working time on ``D0`` before the anchor
       (0 at the first window's start, the whole day at its last window's end);
    3. ``DN`` = the ``days``-th working date after ``D0`` (``DN = D0`` when ``days == 0``);
    4. the result is the moment on ``DN`` after ``offset`` of ``DN``'s working time, clamped to
       the end of ``DN``'s last window when ``DN`` is shorter (Friday's 6 hours vs. 7). When
       the offset ends exactly at a break, the result is on the same side of the break as the
       anchor: 13:00 (a window start) gives 13:00, 12:00 (a window end) gives 12:00;
    5. with ``at_day_end=True`` the result is always the end of ``DN``'s last window — the
       usual reading of "within N working days" in a regulation.

    Monotonic in ``start`` and ``days``; result in UTC and on the clock.
    """
    if isinstance(days, bool) or not isinstance(days, int):
        raise TypeError("days must be an int")
    if days < 0:
        raise ValueError("days must not be negative")
    anchor = add_working_time(schedule, start, timedelta(0))
    first = schedule.local_date(anchor)
    offset = _offset_into_day(schedule.utc_windows(first), anchor)
    target = iter(_days_from(schedule, first))
    for _ in range(days + 1):
        _day, windows = next(target)
    if at_day_end:
        return windows[-1][1]
    return _at_offset(windows, offset, at_end=not is_working_time(schedule, anchor))


def working_days_elapsed(schedule: Schedule, start: datetime, moment: datetime) -> int:
    """On which working day after ``start`` the moment ``moment`` falls: the least ``n`` with
    ``moment <= add_working_days(start, n, at_day_end=True)``.

    0 is the day the clock starts (a complaint answered the day it came in); a moment outside
    working time belongs to the next working day (an answer sent on Saturday counts on Monday);
    a moment before the clock starts is 0. So "resolved within 10 working days" is exactly
    ``working_days_elapsed(received, resolved) <= 10``, the reading of ``add_working_days``.
    Walks the working dates in between (a month is ~22 steps; windows are memoized).
    """
    moment = _utc(moment)
    anchor = add_working_time(schedule, start, timedelta(0))
    for elapsed, (_day, windows) in enumerate(_days_from(schedule, schedule.local_date(anchor))):
        if moment <= windows[-1][1]:
            return elapsed
    raise AssertionError("unreachable: _days_from never ends")  # pragma: no cover


class WorkingDayCounter:
    """:func:`working_days_elapsed` for many (start, moment) pairs on one schedule — a report
    over thousands of complaints of one branch.

    The ends of the working days from ``first`` on (the last window's end of each) are walked
    once, as far as the latest moment asked, and kept; each count is then two bisections:
    the clock's first day is the first working day whose end is not before ``start`` (the
    anchor's date, see :func:`add_working_days`), and ``moment`` falls on the first one whose
    end is not before it. The same answers as :func:`working_days_elapsed` (tested against
    it); a start before ``first`` is counted by that function itself.
    """

    def __init__(self, schedule: Schedule, first: date):
        self.schedule = schedule
        self.first = first
        self._days = _days_from(schedule, first)
        self._ends: list[datetime] = []

    def _cover(self, moment: datetime) -> None:
        while not self._ends or self._ends[-1] < moment:
            _day, windows = next(self._days)
            self._ends.append(windows[-1][1])

    def elapsed(self, start: datetime, moment: datetime) -> int:
        start, moment = _utc(start, "start"), _utc(moment)
        if self.schedule.local_date(start) < self.first:
            return working_days_elapsed(self.schedule, start, moment)
        self._cover(max(start, moment))
        first_day = bisect.bisect_left(self._ends, start)
        return max(bisect.bisect_left(self._ends, moment), first_day) - first_day


def shift_for_pause(
    schedule: Schedule, due_at: datetime, paused_from: datetime, paused_until: datetime
) -> datetime:
    """The due time after the clock was stopped from ``paused_from`` to ``paused_until``.

    The due time moves later by exactly the working time inside the pause, so
    ``working_time_between(due_at, result) == working_time_between(paused_from, paused_until)``
    (waiting for the customer's documents over a weekend moves nothing; over two working
    hours moves two working hours). A pause that starts at or after ``due_at`` changes nothing:
    the case was already overdue and a pause must not hide the breach. An empty or reversed
    pause changes nothing. Result in UTC.
    """
    due_at = _utc(due_at, "due_at")
    paused_from, paused_until = _utc(paused_from, "paused_from"), _utc(paused_until, "paused_until")
    if paused_until <= paused_from or paused_from >= due_at:
        return due_at
    paused = working_time_between(schedule, paused_from, paused_until)
    if not paused:
        return due_at
    return add_working_time(schedule, due_at, paused)
