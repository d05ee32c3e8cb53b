"""Working hours in availability (issue 20; ``assign`` "Availability"): an agent outside working
hours (night, weekend, holiday of the home branch's calendar) gets no new member — new and
rotating members wait (PENDING) and go to the next agent in order when work starts — but
keeps the members it holds: only a recorded absence hands them on at once."""

from datetime import UTC, datetime, timedelta

import pytest

from amanah.calendars.contract import staff_absence_record
from amanah.followup.models import Member
from amanah.followup.sweep import rotation_sweep
from amanah.followup.tests.conftest import HOURS_48

pytestmark = pytest.mark.django_db

TUESDAY_NIGHT = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)  # 22:00 WIB
WEDNESDAY_0800 = datetime(2026, 11, 25, 1, 0, tzinfo=UTC)  # 08:00 WIB
FRIDAY_1500 = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)  # 15:00 WIB


def _where(member) -> tuple[str, int | None]:
    member.refresh_from_db()
    return member.status, member.current_agent.position if member.current_agent_id else None


def test_a_member_enrolled_at_night_waits_for_the_first_agent_at_work(
    make_desk, make_customers, enrol
):
    make_desk(3)
    member = enrol(make_customers(1)[0], at=TUESDAY_NIGHT)
    assert _where(member) == ("PENDING", None)
    assert rotation_sweep(now=WEDNESDAY_0800 - timedelta(minutes=5)).assigned == 0
    assert rotation_sweep(now=WEDNESDAY_0800).assigned == 1
    assert _where(member) == ("ACTIVE", 1)  # its first agent, after the desk's cursor
    member.refresh_from_db()
    assert member.window_start == WEDNESDAY_0800  # the window starts when an agent has it
    assert member.window_end == WEDNESDAY_0800 + HOURS_48
    assert member.last_rotation.reason == "NEW_MEMBER"


def test_an_agent_keeps_its_members_at_night_and_over_the_weekend(make_desk, make_customers, enrol):
    make_desk(2)
    member = enrol(make_customers(1)[0], at=FRIDAY_1500)  # window ends Sunday 15:00 WIB
    for hours in (5, 12, 24, 47):  # Friday night, Saturday, Sunday: nothing moves
        result = rotation_sweep(now=FRIDAY_1500 + timedelta(hours=hours))
        assert (result.unavailable, result.no_deposit) == (0, 0)
        assert _where(member) == ("ACTIVE", 1)


def test_a_window_ending_out_of_hours_waits_for_the_next_agent_in_order(
    make_desk, make_customers, enrol
):
    make_desk(3)
    member = enrol(make_customers(1)[0], at=FRIDAY_1500)
    sunday = FRIDAY_1500 + HOURS_48
    result = rotation_sweep(now=sunday)
    assert (result.no_deposit, result.pending) == (1, 1)  # agent 1's 48 hours are over
    assert _where(member) == ("PENDING", None)
    monday = datetime(2026, 11, 30, 1, 0, tzinfo=UTC)  # 08:00 WIB
    assert rotation_sweep(now=monday).assigned == 1
    assert _where(member) == ("ROTATED", 2)  # the next after agent 1, not agent 1 again


def test_an_agent_of_another_zone_at_work_takes_the_member(
    make_desk, make_customers, enrol, system
):
    """07:30 WIB: the Jayapura agent (WIT, 09:30 there) is at work, the Medan agents are not."""
    from amanah.iam import services as iam
    from amanah.iam.models import TimeZoneChoice

    agents = make_desk(3)
    papua = iam.branch_save(
        actor=system, code="JYP01", name="KC Jayapura", timezone_name=TimeZoneChoice.WIT
    )
    agents[2].user.home_branch = papua
    agents[2].user.save(update_fields=["home_branch"])
    early = datetime(2026, 11, 25, 0, 30, tzinfo=UTC)  # Wednesday 07:30 WIB
    member = enrol(make_customers(1)[0], at=early)
    assert _where(member) == ("ACTIVE", 3)


def test_an_absence_still_hands_members_on_at_once_during_hours(
    make_desk, make_customers, enrol, system, monkeypatch
):
    from amanah.followup import handlers

    agents = make_desk(2)
    member = enrol(make_customers(1)[0], at=WEDNESDAY_0800)
    now = WEDNESDAY_0800 + timedelta(hours=2)
    monkeypatch.setattr(handlers, "clock", lambda: now)
    staff_absence_record(
        actor=system, user=agents[0].user, kind="OFF", starts_at=now,
        ends_at=now + timedelta(hours=8),
    )  # fmt: skip
    assert _where(member) == ("ROTATED", 2)
    assert member.last_rotation.reason == "AGENT_UNAVAILABLE"


def test_round_the_clock_desk_ignores_working_hours(make_desk, make_customers, enrol, settings):
    settings.FOLLOWUP_WORKING_HOURS = False
    make_desk(2)
    member = enrol(make_customers(1)[0], at=TUESDAY_NIGHT)
    assert _where(member) == ("ACTIVE", 1)
    assert Member.objects.filter(status="PENDING").count() == 0
