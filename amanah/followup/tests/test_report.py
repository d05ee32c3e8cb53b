"""The daily report to ADMIN through the messaging hub: rotations of the day, performance per
agent (follow-ups, deposits, conversion) and load per agent; once per day and recipient,
however often the job runs."""

from datetime import UTC, date, datetime, timedelta

import pytest

from amanah.audit.models import AuditLog
from amanah.core.errors import ServiceError
from amanah.core.roles import RoleKey as R
from amanah.followup import selectors, services
from amanah.followup.report import REPORTER, daily_report_send, day_bounds
from amanah.followup.sweep import rotation_sweep
from amanah.followup.tasks import daily_report_job
from amanah.followup.tests.conftest import HOURS_48, T0
from amanah.messaging.models import Message

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("round_the_clock")]
TUESDAY = date(2026, 11, 24)  # T0 is Tuesday 10:00 WIB
THURSDAY = date(2026, 11, 26)


@pytest.fixture
def day_of_work(make_desk, make_customers, enrol, system):
    """Tuesday: agents 1–3 get members 1–3 (and agent 1 the fourth); agent 1 logs two calls;
    member 1 pays part of its target with agent 1 (a conversion), member 2 nothing. Thursday:
    the windows end, every member but the paying one moves on."""
    agents = make_desk(3, capacity=10)
    members = [enrol(c) for c in make_customers(4)]
    user = agents[0].user
    user.active_role = "AGENT"
    for member in (members[0], members[3]):
        services.followup_log_add(
            actor=user, member=member, kind="CALL", note="Ditelepon", now=T0 + timedelta(hours=1)
        )
    paid = T0 + timedelta(hours=2)
    services.deposit_record(
        actor=system, customer_ref=str(members[0].customer_id), amount="25000",
        deposited_at=paid, external_ref="DR-1", now=paid,
    )  # fmt: skip
    rotation_sweep(now=T0 + HOURS_48)
    return agents, members


def test_performance_per_agent_counts_assignments_conversions_and_follow_ups(day_of_work):
    start, end = day_bounds(TUESDAY)
    rows = {r["position"]: r for r in selectors.agent_performance(actor=REPORTER, start=start,
                                                                  end=end)}  # fmt: skip
    assert (rows[1]["assigned"], rows[1]["converted"], rows[1]["conversion"]) == (2, 1, 50)
    assert (rows[2]["assigned"], rows[2]["converted"], rows[2]["conversion"]) == (1, 0, 0)
    assert rows[1]["followups"] == 2 and rows[2]["followups"] == 0
    assert (rows[1]["deposits"], rows[1]["deposit_amount"]) == (1, 25000)
    thursday = selectors.rotation_counts(actor=REPORTER, start=day_bounds(THURSDAY)[0],
                                         end=day_bounds(THURSDAY)[1])  # fmt: skip
    assert thursday == {"NO_DEPOSIT": 3}  # the paying member's window restarted on Tuesday


def test_the_report_goes_to_report_holders_once_per_day(day_of_work, make_user, settings):
    admins = [make_user(R.ADMIN, email=f"admin{n}@bank.co.id") for n in range(2)]
    agent = day_of_work[0][0].user
    friday = datetime(2026, 11, 27, 1, 0, tzinfo=UTC)
    first = daily_report_send(actor=REPORTER, day=THURSDAY, now=friday)
    again = daily_report_send(actor=REPORTER, day=THURSDAY, now=friday)
    assert (first["IN_APP"]["queued"], first["EMAIL"]["queued"]) == (2, 2)
    assert (again["IN_APP"]["queued"], again["EMAIL"]["queued"]) == (0, 0)
    assert again["EMAIL"]["already_queued"] == 2
    sent = Message.objects.filter(source="ROTATION", source_id="report:2026-11-26")
    assert set(sent.values_list("staff_user", flat=True)) == {a.pk for a in admins}
    assert not sent.filter(staff_user=agent).exists()
    mail = sent.get(channel="EMAIL", staff_user=admins[0])
    assert mail.subject == "Laporan meja tindak lanjut 26-11-2026: 3 rotasi"
    assert "Tidak ada setoran dalam 2 hari: 3" in mail.text
    assert "1. Agen 1: 2/10; 1 diterima;" in mail.text  # load now / capacity, on Thursday
    assert "Member Uji" not in mail.text  # no customer in a staff report
    audits = AuditLog.objects.filter(action="SEND_FOLLOWUP_REPORT", object_id="2026-11-26")
    assert [a.meta["email_queued"] for a in audits.order_by("id")] == [2, 0]


def test_the_job_reports_the_day_before_and_a_retry_sends_nothing_twice(day_of_work, make_user):
    admin = make_user(R.ADMIN, email="admin@bank.co.id")
    friday_0700 = datetime(2026, 11, 27, 0, 0, tzinfo=UTC)
    first = daily_report_job(timestamp=int(friday_0700.timestamp()))
    retry = daily_report_job(timestamp=int(friday_0700.timestamp()) + 60)
    assert first["EMAIL"]["queued"] == 1 and retry["EMAIL"]["queued"] == 0
    assert Message.objects.filter(staff_user=admin, source_id="report:2026-11-26").count() == 2


@pytest.mark.parametrize("day", [THURSDAY, "2026-11-26", None, datetime(2026, 11, 25, tzinfo=UTC)])
def test_a_day_not_over_or_not_a_day_is_refused(day, make_user):
    make_user(R.ADMIN)
    thursday_night = datetime(2026, 11, 26, 16, 59, tzinfo=UTC)  # 23:59 WIB
    with pytest.raises(ServiceError):
        daily_report_send(actor=REPORTER, day=day, now=thursday_night)
    assert not Message.objects.filter(source="ROTATION").exists()


def test_the_report_needs_the_monitor_permission(make_user):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        daily_report_send(actor=make_user(R.AGENT), day=TUESDAY)
