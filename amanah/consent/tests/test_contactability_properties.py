"""Properties of the contact rule over random moments (hypothesis), across the three zones,
national holidays, cuti bersama, a branch's regional holiday, and day and week boundaries:

(a) the one-customer form and the set form name the same reason for every customer;
(b) a wait (OUTSIDE_WINDOW, FREQUENCY_CAP) names a ``next_window_at`` strictly later, which
    is inside the window, at the window's opening hour, and at which the contact is allowed;
(c) the zones have no DST: the window is plain local-hour arithmetic, days last 24 hours and
    weeks 168.

The customers and messages are made once per test (fixtures); the examples only read.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from amanah.calendars.models import BranchCalendar, BusinessCalendar, CalendarDay
from amanah.calendars.worktime import NationalHolidays
from amanah.consent.contactability import in_window, period_end, period_start
from amanah.consent.contract import (
    ContactChannel,
    Purpose,
    Reason,
    contactability,
    with_contact_checks,
)
from amanah.consent.services import consent_change
from amanah.core.roles import RoleKey as R
from amanah.customers.models import Customer
from amanah.customers.services import CustomerInput, customer_create
from amanah.iam.models import TimeZoneChoice

PROPERTIES = settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
ZONES = TimeZoneChoice.values
REGIONAL_HOLIDAY = date(2026, 11, 24)  # a Tuesday, closed in the Makassar branch only
# The messages of the capped customers: Monday to Wednesday of one week, 09:00 WIB.
SENT_AT = [datetime(2026, 11, d, 2, 0, tzinfo=UTC) for d in (23, 24, 25)]
AFTER_SENDING = SENT_AT[-1] + timedelta(hours=1)

_year = NationalHolidays(public=True, cuti_bersama=True)
SPECIAL_DATES = sorted(
    {*_year.dates(2026), REGIONAL_HOLIDAY}
    | {date(2026, 11, 22) + timedelta(days=n) for n in range(9)}  # a Sunday to a Monday
)
# When each purpose's window opens (settings.CONTACT_WINDOWS); STAFF has no window.
OPENS = {"OFFER": time(8), "COLLECTION": time(8), "SERVICE": time(7)}
OFFSETS = {
    "Asia/Jakarta": timedelta(hours=7),
    "Asia/Makassar": timedelta(hours=8),
    "Asia/Jayapura": timedelta(hours=9),
}
EDGES = [time(0), time(7, 59, 59), time(8), time(17, 59, 59), time(18), time(23, 59, 59)]


@st.composite
def moments(draw, earliest=datetime(2026, 1, 1, tzinfo=UTC)):
    """Anywhere in 2026, or a special date at a window or day edge in one of the zones."""
    if draw(st.booleans()):
        moment = draw(
            st.datetimes(
                min_value=earliest.replace(tzinfo=None),
                max_value=datetime(2026, 12, 31, 23, 59),
                timezones=st.just(UTC),
            )
        )
    else:
        day = draw(st.sampled_from([d for d in SPECIAL_DATES if d >= earliest.date()]))
        clock = draw(st.one_of(st.sampled_from(EDGES), st.times()))
        moment = datetime.combine(day, clock, tzinfo=ZoneInfo(draw(st.sampled_from(ZONES))))
    return max(moment, earliest)


@pytest.fixture
def population(counted_caps, send_email, system, make_user, zone_branches):
    """Per zone: a granted customer, one without consent, one over the day cap and one over
    the week cap; the Makassar branch keeps its own calendar with a regional holiday."""
    calendar = BusinessCalendar.objects.create(name="Kalender Makassar", timezone="Asia/Makassar")
    BranchCalendar.objects.create(branch=zone_branches["Asia/Makassar"], calendar=calendar)
    CalendarDay.objects.create(
        calendar=calendar, date=REGIONAL_HOLIDAY, kind="REGIONAL_HOLIDAY", name="Libur daerah"
    )
    agent = make_user(R.AGENT, branches=list(zone_branches.values()))
    people = []
    for zone, branch in zone_branches.items():
        for kind in ("granted", "no consent", "day cap", "week cap"):
            customer = customer_create(
                actor=system,
                data=CustomerInput(full_name=f"{kind} {zone}", home_branch=branch),
            )
            if kind != "no consent":
                consent_change(
                    actor=agent,
                    customer=customer,
                    consent_type="MARKETING",
                    new_status="GRANTED",
                    channel="BRANCH",
                    verification_method="IN_PERSON",
                )
            for moment in {"day cap": SENT_AT[-1:], "week cap": SENT_AT}.get(kind, []):
                send_email(customer, moment)
            people.append(customer)
    return people


def _verdicts(people, purpose, channel, at):
    column = dict(
        with_contact_checks(
            Customer.objects.filter(pk__in=[c.pk for c in people]), purpose, channel, at
        ).values_list("pk", "contact_reason")
    )
    return {c.pk: (c, contactability(c, purpose, channel, at), column[c.pk]) for c in people}


@PROPERTIES
@given(
    at=moments(),
    purpose=st.sampled_from(Purpose.values),
    channel=st.sampled_from([ContactChannel.EMAIL, ContactChannel.WHATSAPP]),
)
def test_both_forms_agree_everywhere(population, at, purpose, channel):
    for customer, verdict, column in _verdicts(population, purpose, channel, at).values():
        assert column == verdict.reason, (customer.full_name, at)


@PROPERTIES
@given(at=moments(earliest=AFTER_SENDING), purpose=st.sampled_from(Purpose.values))
def test_a_wait_names_a_later_moment_inside_the_window(population, at, purpose):
    for customer, verdict, _column in _verdicts(
        population, purpose, ContactChannel.EMAIL, at
    ).values():
        if not set(verdict.reasons) & {Reason.OUTSIDE_WINDOW, Reason.FREQUENCY_CAP}:
            assert verdict.next_window_at is None
            continue
        later = verdict.next_window_at
        assert later is not None and later > at, (customer.full_name, at)
        zone = customer.home_branch.timezone
        assert later.astimezone(ZoneInfo(zone)).time() == OPENS[purpose], (customer.full_name, at)
        again = contactability(customer, purpose, ContactChannel.EMAIL, later)
        assert Reason.OUTSIDE_WINDOW not in again.reasons, (customer.full_name, at)
        assert Reason.FREQUENCY_CAP not in again.reasons, (customer.full_name, at)


@PROPERTIES
@given(at=moments(), zone=st.sampled_from(ZONES))
def test_the_window_is_local_hour_arithmetic(population, at, zone):
    local = at.astimezone(ZoneInfo(zone))
    closed = local.date() in _year.dates(local.year)
    expected = local.weekday() <= 5 and not closed and time(8) <= local.time() < time(18)
    assert in_window(Purpose.OFFER, zone, at) == expected
    assert local.utcoffset() == OFFSETS[zone]
    day, week = period_start("day", zone, at), period_start("week", zone, at)
    assert day <= at < period_end("day", zone, at) == day + timedelta(hours=24)
    assert week <= at < period_end("week", zone, at) == week + timedelta(hours=168)
    assert week.astimezone(ZoneInfo(zone)).weekday() == 0
    assert day.astimezone(ZoneInfo(zone)).time() == time(0)
    assert week.astimezone(ZoneInfo(zone)).time() == time(0)
