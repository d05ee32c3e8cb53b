"""Frequency caps and the branch calendar's closed days, by example (the properties over
random moments are in ``test_contactability_properties``)."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from amanah.calendars.models import BranchCalendar, BusinessCalendar, CalendarDay
from amanah.consent.contract import (
    ContactChannel,
    Purpose,
    Reason,
    contactability,
    is_wait,
    reason_codes,
    register_contact_counter,
    wait_over_at,
    with_contact_checks,
)
from amanah.consent.services import consent_change
from amanah.core import registry
from amanah.core.registry import DuplicateRegistration
from amanah.core.roles import RoleKey as R
from amanah.customers.models import Customer
from amanah.customers.services import CustomerInput, customer_create

WIB, WITA = ZoneInfo("Asia/Jakarta"), ZoneInfo("Asia/Makassar")
MONDAY_9 = datetime(2026, 11, 23, 9, 0, tzinfo=WIB)
TUESDAY_10 = datetime(2026, 11, 24, 10, 0, tzinfo=WIB)
WEDNESDAY_9 = datetime(2026, 11, 25, 9, 0, tzinfo=WIB)
THURSDAY_11 = datetime(2026, 11, 26, 11, 0, tzinfo=WIB)


@pytest.fixture
def granted(system, make_user, zone_branches):
    agent = make_user(R.AGENT, branches=list(zone_branches.values()))

    def make(name, zone="Asia/Jakarta"):
        customer = customer_create(
            actor=system, data=CustomerInput(full_name=name, home_branch=zone_branches[zone])
        )
        consent_change(
            actor=agent,
            customer=customer,
            consent_type="MARKETING",
            new_status="GRANTED",
            channel="BRANCH",
            verification_method="IN_PERSON",
        )
        return customer

    return make


def _both(customer, at, channel=ContactChannel.EMAIL, purpose=Purpose.OFFER):
    """The one-customer verdict, after checking that the set form names the same reason."""
    verdict = contactability(customer, purpose, channel, at)
    column = (
        with_contact_checks(Customer.objects.filter(pk=customer.pk), purpose, channel, at)
        .values_list("contact_reason", flat=True)
        .get()
    )
    assert column == verdict.reason
    return verdict


def test_the_day_cap_waits_for_the_next_morning(counted_caps, send_email, granted):
    siti = granted("Siti")
    send_email(siti, MONDAY_9)
    verdict = _both(siti, datetime(2026, 11, 23, 15, 0, tzinfo=WIB))
    assert verdict.reasons == (Reason.FREQUENCY_CAP,) and verdict.must_wait
    assert verdict.next_window_at == datetime(2026, 11, 24, 8, 0, tzinfo=WIB).astimezone(UTC)
    assert _both(siti, TUESDAY_10).allowed
    # Another channel is counted on its own (and uncapped here).
    assert _both(siti, datetime(2026, 11, 23, 15, 0, tzinfo=WIB), ContactChannel.SMS).allowed


def test_the_week_cap_waits_for_monday(counted_caps, send_email, granted):
    siti = granted("Siti")
    for moment in (MONDAY_9, datetime(2026, 11, 24, 9, 0, tzinfo=WIB), WEDNESDAY_9):
        send_email(siti, moment)
    verdict = _both(siti, THURSDAY_11)
    assert verdict.reasons == (Reason.FREQUENCY_CAP,)
    assert verdict.next_window_at == datetime(2026, 11, 30, 8, 0, tzinfo=WIB).astimezone(UTC)


def test_days_and_weeks_are_the_customers_local_ones(counted_caps, send_email, granted):
    wib, wita = granted("Wib"), granted("Wita", "Asia/Makassar")
    # 23:30 WIB on Monday is already Tuesday 00:30 in Makassar.
    late_monday = datetime(2026, 11, 23, 23, 30, tzinfo=WIB)
    send_email(wib, late_monday)
    send_email(wita, late_monday)
    tuesday_noon = datetime(2026, 11, 24, 12, 0, tzinfo=WIB)
    assert _both(wib, tuesday_noon).allowed
    assert _both(wita, tuesday_noon).reasons == (Reason.FREQUENCY_CAP,)
    assert _both(wita, tuesday_noon).next_window_at == datetime(2026, 11, 25, 8, 0, tzinfo=WITA)


def test_a_cap_and_a_closed_window_wait_for_the_later_of_both(counted_caps, send_email, granted):
    siti = granted("Siti")
    send_email(siti, datetime(2026, 11, 28, 9, 0, tzinfo=WIB))  # a Saturday
    verdict = _both(siti, datetime(2026, 11, 28, 19, 0, tzinfo=WIB))
    assert verdict.reasons == (Reason.OUTSIDE_WINDOW, Reason.FREQUENCY_CAP)
    assert verdict.must_wait and not verdict.refused
    assert verdict.next_window_at == datetime(2026, 11, 30, 8, 0, tzinfo=WIB).astimezone(UTC)


def test_no_counter_no_cap(settings, send_email, granted):
    settings.CONTACT_CAPS = {"OFFER": {"EMAIL": {"day": 1}}}
    siti = granted("Siti")
    send_email(siti, MONDAY_9)
    with registry.contact_counters.temporarily_empty():  # messaging registers the outbox's
        assert _both(siti, datetime(2026, 11, 23, 15, 0, tzinfo=WIB)).allowed
        assert Reason.FREQUENCY_CAP not in reason_codes(Purpose.OFFER)


def test_at_none_leaves_caps_out(counted_caps, send_email, granted):
    siti = granted("Siti")
    send_email(siti, MONDAY_9)
    assert _both(siti, None).allowed


def test_a_counter_is_registered_once(counted_caps):
    with pytest.raises(DuplicateRegistration):
        register_contact_counter("consent.tests.campaign", lambda *args: None)


def test_withdrawn_consent_is_refused_not_capped(counted_caps, send_email, granted, make_user):
    siti = granted("Siti")
    send_email(siti, MONDAY_9)
    consent_change(
        actor=make_user(R.AGENT, branches=[siti.home_branch]),
        customer=siti,
        consent_type="MARKETING",
        new_status="WITHDRAWN",
        channel="BRANCH",
        verification_method="IN_PERSON",
    )
    verdict = _both(siti, datetime(2026, 11, 23, 15, 0, tzinfo=WIB))
    assert verdict.reasons == (Reason.NO_CONSENT, Reason.FREQUENCY_CAP) and verdict.refused


# --------------------------------------------------------------------------- closed days


@pytest.fixture
def makassar_calendar(zone_branches):
    """The WITA branch's own calendar with a regional holiday on Tuesday 24 November 2026."""
    calendar = BusinessCalendar.objects.create(name="Kalender Makassar", timezone="Asia/Makassar")
    BranchCalendar.objects.create(branch=zone_branches["Asia/Makassar"], calendar=calendar)
    CalendarDay.objects.create(
        calendar=calendar, date=datetime(2026, 11, 24).date(), kind="REGIONAL_HOLIDAY", name="Uji"
    )
    return calendar


def test_a_regional_holiday_closes_offers_in_that_branch_only(makassar_calendar, granted):
    wib, wita = granted("Wib"), granted("Wita", "Asia/Makassar")
    assert _both(wib, TUESDAY_10).allowed
    closed = _both(wita, TUESDAY_10)
    assert closed.reasons == (Reason.OUTSIDE_WINDOW,)
    assert closed.next_window_at == datetime(2026, 11, 25, 8, 0, tzinfo=WITA)
    assert _both(wita, TUESDAY_10, purpose=Purpose.SERVICE).allowed  # service: no closed days


def test_regional_holidays_are_a_per_purpose_switch(makassar_calendar, granted, settings):
    offer = {**settings.CONTACT_WINDOWS["OFFER"], "regional_holidays": False}
    settings.CONTACT_WINDOWS = {**settings.CONTACT_WINDOWS, "OFFER": offer}
    assert _both(granted("Wita", "Asia/Makassar"), TUESDAY_10).allowed


def test_cuti_bersama_is_a_per_purpose_switch(granted, settings):
    # 24 December 2026 (a Thursday) is cuti bersama for Christmas.
    christmas_eve = datetime(2026, 12, 24, 10, 0, tzinfo=WIB)
    siti = granted("Siti")
    assert _both(siti, christmas_eve).reasons == (Reason.OUTSIDE_WINDOW,)
    offer = {**settings.CONTACT_WINDOWS["OFFER"], "cuti_bersama": False}
    settings.CONTACT_WINDOWS = {**settings.CONTACT_WINDOWS, "OFFER": offer}
    assert _both(siti, christmas_eve).allowed


def test_the_default_calendars_holiday_closes_branches_without_their_own(granted):
    from amanah.calendars.schedules import default_calendar

    CalendarDay.objects.create(
        calendar=default_calendar(),
        date=datetime(2026, 11, 24).date(),
        kind="HOLIDAY",
        name="Ulang tahun bank",
    )
    assert _both(granted("Siti"), TUESDAY_10).reasons == (Reason.OUTSIDE_WINDOW,)


# --------------------------------------------------------------------------- a set's wait


def test_a_set_based_sender_asks_again_when_the_wait_can_be_over(
    counted_caps, send_email, granted, makassar_calendar
):
    """``wait_over_at``: the next window opening, after the local day for a cap; never later
    than the one customer's ``next_window_at`` and always after the moment asked at."""
    siti = granted("Siti")
    send_email(siti, MONDAY_9)
    monday_15 = datetime(2026, 11, 23, 15, 0, tzinfo=WIB)
    exact = _both(siti, monday_15).next_window_at
    assert wait_over_at("OFFER", Reason.FREQUENCY_CAP, "Asia/Jakarta", monday_15) == exact
    saturday_15 = datetime(2026, 11, 28, 15, 0, tzinfo=WIB)  # Sunday has no offer window
    monday_8 = datetime(2026, 11, 30, 8, 0, tzinfo=WIB)
    assert wait_over_at("OFFER", Reason.FREQUENCY_CAP, "Asia/Jakarta", saturday_15) == monday_8
    saturday_19 = datetime(2026, 11, 28, 19, 0, tzinfo=WIB)
    assert wait_over_at("OFFER", Reason.OUTSIDE_WINDOW, "Asia/Jakarta", saturday_19) == monday_8
    # A branch's own closed day (the Makassar holiday) waits while the zone's window is open:
    # the sender comes back at the next day's opening, never at once again.
    wita = granted("Wita", "Asia/Makassar")
    closed = _both(wita, TUESDAY_10)
    again = wait_over_at("OFFER", Reason.OUTSIDE_WINDOW, "Asia/Makassar", TUESDAY_10)
    assert TUESDAY_10 < again <= closed.next_window_at
    assert is_wait(Reason.FREQUENCY_CAP) and is_wait(Reason.OUTSIDE_WINDOW)
    assert not is_wait(Reason.NO_CONSENT) and not is_wait("")
