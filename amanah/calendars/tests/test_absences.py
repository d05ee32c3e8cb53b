"""Staff absences: recorded with permission and branch scope, refused when nonsensical, and
announced with an event (the follow-up desk hands an absent agent's members on)."""

from datetime import UTC, datetime, timedelta

import pytest
from django.core.exceptions import PermissionDenied

from amanah.calendars.contract import (
    ABSENCE_CHANGED,
    absent_user_ids,
    staff_absence_cancel,
    staff_absence_record,
)
from amanah.core import registry
from amanah.core.errors import NotFound, ServiceError
from amanah.core.events import EventHandler
from amanah.core.roles import RoleKey as R

pytestmark = pytest.mark.django_db
START = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)


def test_an_absence_is_recorded_announced_and_withdrawn(system, make_user, branch_a):
    agent = make_user(R.AGENT, branches=[branch_a])
    seen = []
    handler = EventHandler(ABSENCE_CHANGED, lambda *, actor, absence: seen.append(absence.pk))
    with registry.event_handlers.temporarily(f"{ABSENCE_CHANGED}:test", handler):
        absence = staff_absence_record(
            actor=system, user=agent, kind="LEAVE", starts_at=START,
            ends_at=START + timedelta(days=3), note="Cuti tahunan",
        )  # fmt: skip
        assert absent_user_ids(START + timedelta(days=1)) == {agent.pk}
        assert absent_user_ids(START + timedelta(days=3)) == set()
        staff_absence_cancel(actor=system, absence=absence)
    assert seen == [absence.pk, absence.pk]
    assert absent_user_ids(START + timedelta(days=1)) == set()


@pytest.mark.parametrize(
    ("kind", "start", "end"),
    [
        ("HOLIDAY", START, START + timedelta(days=1)),
        ("LEAVE", START, START),
        ("LEAVE", START, START + timedelta(days=400)),
        ("LEAVE", START.replace(tzinfo=None), START + timedelta(days=1)),
        ("LEAVE", START, datetime(9999, 12, 31, tzinfo=UTC)),
    ],
)
def test_nonsense_is_refused(system, make_user, kind, start, end):
    agent = make_user(R.AGENT)
    with pytest.raises(ServiceError):
        staff_absence_record(actor=system, user=agent, kind=kind, starts_at=start, ends_at=end)


def test_a_supervisor_records_only_staff_of_their_branches(make_user, branch_a, branch_b):
    supervisor = make_user(R.SUPERVISOR, branches=[branch_a])
    mine = make_user(R.AGENT, branches=[branch_a])
    other = make_user(R.AGENT, branches=[branch_b])
    end = START + timedelta(days=1)
    staff_absence_record(actor=supervisor, user=mine, kind="OFF", starts_at=START, ends_at=end)
    with pytest.raises(NotFound):
        staff_absence_record(actor=supervisor, user=other, kind="OFF", starts_at=START, ends_at=end)
    with pytest.raises(PermissionDenied):
        staff_absence_record(actor=mine, user=mine, kind="OFF", starts_at=START, ends_at=end)


def test_on_duty_follows_each_home_branch_calendar_and_zone(system, make_user, branch_a):
    """Working hours come from the home branch's calendar in the branch's zone: at 07:30 WIB a
    Jayapura (WIT, UTC+9) agent is at work (09:30 there), a Medan one is not yet; on Sunday
    and at night nobody is; an agent with no home branch follows the default calendar."""
    from amanah.calendars.contract import on_duty_user_ids
    from amanah.iam import services as iam
    from amanah.iam.models import TimeZoneChoice

    papua = iam.branch_save(actor=system, code="JYP01", name="KC Jayapura",
                            timezone_name=TimeZoneChoice.WIT)  # fmt: skip
    medan = make_user(R.AGENT, branches=[branch_a])
    jayapura = make_user(R.AGENT, branches=[papua])
    nowhere = make_user(R.AGENT)
    assert nowhere.home_branch_id is None
    ids = [medan.pk, jayapura.pk, nowhere.pk]
    tuesday = datetime(2026, 12, 1, tzinfo=UTC)  # a Tuesday
    assert on_duty_user_ids(tuesday + timedelta(minutes=30), ids) == {jayapura.pk}  # 07:30 WIB
    assert on_duty_user_ids(tuesday + timedelta(hours=2), ids) == set(ids)  # 09:00 WIB
    lunch = tuesday + timedelta(hours=5, minutes=30)  # 12:30 WIB, 14:30 WIT
    assert on_duty_user_ids(lunch, ids) == {jayapura.pk}
    assert on_duty_user_ids(tuesday + timedelta(hours=15), ids) == set()  # 22:00 WIB
    assert on_duty_user_ids(tuesday + timedelta(days=5, hours=3), ids) == set()  # Sunday
    assert on_duty_user_ids(tuesday, []) == set()
