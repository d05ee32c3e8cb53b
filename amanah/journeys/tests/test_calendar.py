"""The schedule calendar: journeys (activation, schedule runs, waits until a date) and
campaigns on the days they happen, in the reader's zone, only what the reader may see."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.utils import timezone

from amanah.conftest import sign_in
from amanah.core.roles import RoleKey as R
from amanah.journeys import services
from amanah.journeys.calendar import month_calendar
from amanah.journeys.testing import edge, node, on_working_dates

WIB = ZoneInfo("Asia/Jakarta")


def _schedule_graph(segment_id, at: datetime, wait_until: datetime) -> dict:
    return {
        "nodes": [
            node("t", "TRIGGER", type="SCHEDULE", segment=str(segment_id), at=at.isoformat(),
                 repeat="WEEKLY"),
            node("w", "WAIT", mode="UNTIL_DATE", date=wait_until.isoformat()),
            node("a1", "ACTION", channel="WHATSAPP", template="uji.penawaran"),
            node("e", "END", reason="FINISHED"),
        ],
        "edges": [edge("t", "w"), edge("w", "a1"), edge("a1", "e")],
    }  # fmt: skip


@pytest.fixture
def planned(marketer, director, segment, offers):
    """An approved (not yet active) weekly journey: its runs and its wait are projected."""
    first = (timezone.now() + timedelta(days=40)).astimezone(WIB)
    # Every weekly run of the month on a working date (a holiday would move one).
    at = on_working_dates(first.replace(hour=9, minute=0, second=0, microsecond=0), weeks=5)
    journey = services.journey_create(
        actor=marketer,
        name="Jadwal mingguan",
        graph=_schedule_graph(segment.pk, at, at + timedelta(days=3)),
    )
    services.journey_submit(actor=marketer, journey=journey)
    services.journey_approve(actor=director, journey=journey)
    return journey, at


def _days(calendar) -> dict[date, list[str]]:
    return {
        cell["day"]: [e.kind for e in cell["entries"]]
        for week in calendar["weeks"]
        for cell in week
        if cell["entries"] and cell["in_month"]
    }


def test_schedule_runs_and_waits_land_on_their_days(planned, marketer):
    journey, at = planned
    with timezone.override(WIB):
        calendar = month_calendar(actor=marketer, month=at.date())
    days = _days(calendar)
    assert days[at.date()] == ["SCHEDULE_RUN"]
    assert days[(at + timedelta(days=3)).date()] == ["WAIT_UNTIL"]
    runs = [d for d, kinds in days.items() if "SCHEDULE_RUN" in kinds]
    assert all((d - at.date()).days % 7 == 0 and d >= at.date() for d in runs)
    assert len(runs) == len([k for k in range(6) if (at + timedelta(weeks=k)).month == at.month])
    # Weeks start on Monday and cover the whole month.
    assert all(week[0]["day"].weekday() == 0 for week in calendar["weeks"])


def test_who_may_not_see_journeys_sees_nothing_and_the_page_answers(planned, make_user, marketer):
    journey, at = planned
    agent = make_user(R.AGENT)
    with timezone.override(WIB):
        assert month_calendar(actor=agent, month=at.date())["entries"] == 0
    client = sign_in(Client(), marketer)
    page = client.get(f"/journeys/calendar/?bulan={at:%Y-%m}")
    assert page.status_code == 200
    assert b'data-kind="SCHEDULE_RUN"' in page.content
    for bad in ("2026-13", "9999-01", "x" * 500, "2026-1"):  # this month instead
        assert client.get("/journeys/calendar/", {"bulan": bad}).status_code == 200
    assert sign_in(Client(), agent).get("/journeys/calendar/").status_code in (403, 404)
