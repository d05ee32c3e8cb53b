"""Reminders of a new connection's step deadline: DUE_SOON at 80 % of the step's working time
and OVERDUE after it, each once per stage, to whoever may take the step in the branch; never
for a stage that moved on; the job is registered."""

from __future__ import annotations

import datetime as dt
from contextlib import contextmanager
from unittest import mock
from zoneinfo import ZoneInfo

import pytest

from amanah.core.roles import RoleKey as R
from amanah.notifications.models import Notification
from amanah.utility import installations as inst
from amanah.utility import testing
from amanah.utility.installations.reminders import installation_reminders

S = inst.S
WIB = ZoneInfo("Asia/Jakarta")
MONDAY_9 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=WIB)  # a working Monday morning
MINUTE = dt.timedelta(minutes=1)


@contextmanager
def at(moment: dt.datetime):
    """Freeze 'now' for services, audit and the SLA arithmetic (as cases' tests do)."""
    with mock.patch("django.utils.timezone.now", return_value=moment.astimezone(dt.UTC)):
        yield


@pytest.fixture
def people(db, branch_a, branch_b, make_user):
    return {
        "tech": make_user(R.AGENT, branches=[branch_a]),
        "supervisor": make_user(R.SUPERVISOR, branches=[branch_a]),
        "elsewhere": make_user(R.AGENT, branches=[branch_b]),
    }


def _inbox(user) -> list[str]:
    return sorted(Notification.objects.filter(user=user).values_list("title", flat=True))


def test_due_soon_then_overdue_once_each_to_who_may_take_the_step(people, branch_a):
    with at(MONDAY_9):
        installation = testing.installation(branch_a)
    warn, due = installation.stage_warn_at, installation.stage_due_at
    assert MONDAY_9 < warn < due
    # 80 % of the working minutes between the start and the deadline
    assert warn == inst.workflow.stage_warn(installation, S.APPLIED, installation.stage_since)

    assert installation_reminders(now=warn - MINUTE).notifications == 0
    first = installation_reminders(now=warn)
    assert (first.due_soon, first.overdue) == (1, 0)
    tech = people["tech"]
    soon = f"Pasang baru {installation.number}: tahap Permohonan mendekati batas waktu"
    assert _inbox(tech) == [soon]
    notice = Notification.objects.get(user=tech)
    assert notice.url == f"/air/pasang-baru/{installation.pk}/"
    assert "Catat survei lokasi" in notice.body and "Rahmat" not in notice.body
    # only who holds the step's permission in the installation's branch
    assert _inbox(people["supervisor"]) == [] and _inbox(people["elsewhere"]) == []

    again = installation_reminders(now=warn + MINUTE)
    assert (again.due_soon, again.overdue, again.notifications) == (0, 0, 0)

    late = installation_reminders(now=due)
    assert (late.due_soon, late.overdue) == (0, 1)
    assert _inbox(tech) == [
        f"Pasang baru {installation.number}: tahap Permohonan melewati batas waktu",
        f"Pasang baru {installation.number}: tahap Permohonan mendekati batas waktu",
    ]
    assert installation_reminders(now=due + dt.timedelta(days=3)).notifications == 0
    assert Notification.objects.filter(user=tech).count() == 2


def test_a_stage_found_overdue_gets_one_reminder_and_a_moved_on_stage_none(people, branch_a):
    with at(MONDAY_9):
        late = testing.installation(branch_a)
        moved = testing.installation(branch_a)
    old_warn, old_due = moved.stage_warn_at, moved.stage_due_at
    with at(old_warn - dt.timedelta(minutes=5)):
        inst.installation_move(
            actor=people["tech"],
            installation_id=moved.pk,
            to=S.SURVEYED,
            lat="3.6",
            lon="98.67",
            note="ok",
        )
    moved.refresh_from_db()
    assert moved.reminded_soon_at is None and moved.stage_warn_at > old_warn

    # a worker that was down: the first run after the deadline sends OVERDUE only, once
    run = installation_reminders(now=old_due)
    assert (run.due_soon, run.overdue) == (0, 1)
    overdue = f"Pasang baru {late.number}: tahap Permohonan melewati batas waktu"
    assert _inbox(people["tech"]) == [overdue]
    assert _inbox(people["supervisor"]) == []  # the moved one's old APPLIED clock is gone

    # the new stage (SURVEYED → RAB) has its own clock and its own people
    run = installation_reminders(now=moved.stage_warn_at)
    assert run.due_soon == 1
    assert [n for n in _inbox(people["supervisor"]) if moved.number in n] == [
        f"Pasang baru {moved.number}: tahap Survei lokasi selesai mendekati batas waktu"
    ]


def test_the_job_is_registered_and_idempotent(people, branch_a):
    from procrastinate.contrib.django import app

    from amanah.utility.tasks import installation_reminders_job

    periodic = {t.task.name: t for t in app.periodic_registry.periodic_tasks.values()}
    entry = periodic["amanah.utility.tasks.installation_reminders_job"]
    assert entry.cron == "*/10 * * * *" and entry.task.queue == "utility"
    assert installation_reminders_job.lock == "utility_installation_reminders"

    with at(MONDAY_9):
        installation = testing.installation(branch_a)
    with at(installation.stage_due_at + MINUTE):
        assert installation_reminders_job(timestamp=0)["overdue"] == 1
        assert installation_reminders_job(timestamp=0) == {
            "due_soon": 0,
            "overdue": 0,
            "notifications": 0,
        }
