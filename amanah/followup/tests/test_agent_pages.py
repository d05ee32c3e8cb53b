"""The pages that manage the desk's agents (ADMIN: add, order, capacity) and their absences
(supervisors for their own branches' staff, ADMIN): through the services, refusals as flash
messages that change nothing, never a 500; an absence from now hands members on at once."""

from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from amanah.calendars.models import StaffAbsence
from amanah.conftest import sign_in
from amanah.core.roles import RoleKey as R
from amanah.followup.models import DeskAgent, Member

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("round_the_clock")]


def _flash(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def _local(moment) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


@pytest.fixture
def admin(make_user):
    return sign_in(Client(), make_user(R.ADMIN))


def test_admin_adds_an_agent_and_sets_its_capacity(admin, make_user, branch_a, make_desk):
    make_desk(1)
    staff = make_user(R.AGENT, branches=[branch_a], full_name="Siti Rahma")
    page = admin.get(reverse("followup:agents")).content.decode()
    assert "Siti Rahma" in page and 'data-testid="agent-add-form"' in page
    response = admin.post(reverse("followup:agent_add"), {"user": staff.pk, "capacity": "30"})
    assert response.status_code == 303 and "Siti Rahma menjadi agen 2." in _flash(response)
    agent = DeskAgent.objects.get(user=staff)
    assert (agent.position, agent.capacity) == (2, 30)
    url = reverse("followup:capacity_set", kwargs={"agent_id": agent.pk})
    for bad in ("-1", "abc", "99999999", "1\x00"):
        response = admin.post(url, {"capacity": bad})
        # A refusal flashed on the way back, or (a NUL byte) refused before the view: 400.
        assert response.status_code == 400 or (response.status_code == 303 and _flash(response))
    assert DeskAgent.objects.get(pk=agent.pk).capacity == 30
    assert admin.post(url, {"capacity": "0"}).status_code == 303
    assert DeskAgent.objects.get(pk=agent.pk).capacity == 0
    again = admin.post(reverse("followup:agent_add"), {"user": staff.pk, "capacity": "30"})
    assert again.status_code == 303 and DeskAgent.objects.count() == 2  # not offered twice


def test_an_order_with_gaps_or_duplicates_is_refused_on_the_page(admin, make_desk):
    a, b, c = make_desk(3)
    url = reverse("followup:order_set")

    def order(x, y, z):
        return {f"position_{a.pk}": x, f"position_{b.pk}": y, f"position_{c.pk}": z}

    for bad in (order(1, 1, 2), order(1, 2, 4), order(1, 2, "x"), {f"position_{a.pk}": 1}):
        response = admin.post(url, bad)
        assert response.status_code == 303 and _flash(response)
    assert list(DeskAgent.objects.order_by("position").values_list("pk", flat=True)) == [
        a.pk, b.pk, c.pk,
    ]  # fmt: skip
    response = admin.post(url, order(3, 1, 2))
    assert "Urutan agen disimpan." in _flash(response)
    assert list(DeskAgent.objects.order_by("position").values_list("pk", flat=True)) == [
        b.pk, c.pk, a.pk,
    ]  # fmt: skip


def test_a_supervisor_records_leave_from_now_and_members_move_on(
    make_desk, make_customers, enrol, make_user, branch_a, branch_b
):
    agents = make_desk(3)
    for agent, branch in zip(agents, (branch_a, branch_a, branch_b), strict=True):
        agent.user.home_branch = branch
        agent.user.save(update_fields=["home_branch"])
    member = enrol(make_customers(1)[0], at=timezone.now())
    supervisor = sign_in(Client(), make_user(R.SUPERVISOR, branches=[branch_a]))
    page = supervisor.get(reverse("followup:agents")).content.decode()
    assert 'data-testid="absence-form"' in page and "agent-add-form" not in page
    now = timezone.now()
    response = supervisor.post(
        reverse("followup:absence_add", kwargs={"agent_id": agents[0].pk}),
        {"kind": "LEAVE", "starts_at": _local(now - timedelta(minutes=1)),
         "ends_at": _local(now + timedelta(days=2)), "note": "Cuti tahunan"},
    )  # fmt: skip
    assert response.status_code == 303, response.content
    member.refresh_from_db()
    assert member.current_agent_id == agents[1].pk
    assert member.last_rotation.reason == "AGENT_UNAVAILABLE"
    absence = StaffAbsence.objects.get(user=agents[0].user)
    assert "Cuti tahunan" in supervisor.get(reverse("followup:agents")).content.decode()
    # Another branch's agent is out of the supervisor's reach: missing, not forbidden.
    other = supervisor.post(
        reverse("followup:absence_add", kwargs={"agent_id": agents[2].pk}),
        {"kind": "LEAVE", "starts_at": _local(now), "ends_at": _local(now + timedelta(days=1))},
    )
    assert other.status_code == 404
    cancel = supervisor.post(reverse("followup:absence_cancel", kwargs={"absence_id": absence.pk}))
    assert cancel.status_code == 303
    absence.refresh_from_db()
    assert absence.cancelled_at is not None
    member.refresh_from_db()
    assert member.current_agent_id == agents[1].pk  # withdrawn leave moves nobody back


@pytest.mark.parametrize(
    "data",
    [
        {"kind": "LEAVE", "starts_at": "2026-12-02T08:00", "ends_at": "2026-12-01T08:00"},
        {"kind": "LEAVE", "starts_at": "2026-12-01T08:00", "ends_at": "9999-12-31T08:00"},
        {"kind": "HOLIDAY", "starts_at": "2026-12-01T08:00", "ends_at": "2026-12-02T08:00"},
        {"kind": "LEAVE", "starts_at": "besok", "ends_at": "2026-12-02T08:00"},
        {"kind": "LEAVE", "starts_at": "2026-12-01T08:00", "ends_at": "2026-12-02T08:00",
         "note": "cuti\x00"},
        {"kind": "LEAVE", "starts_at": "2026-12-01T08:00", "ends_at": "2028-12-02T08:00"},
    ],
)  # fmt: skip
def test_bad_absence_input_records_nothing(data, admin, make_desk):
    agent = make_desk(1)[0]
    response = admin.post(reverse("followup:absence_add", kwargs={"agent_id": agent.pk}), data)
    assert response.status_code in (303, 400)  # a NUL byte is refused before the view
    assert response.status_code == 400 or _flash(response)
    assert not StaffAbsence.objects.exists()
    assert not Member.objects.exists()


def test_the_desk_pages_speak_english_when_asked(admin, make_desk):
    from django.utils import translation

    make_desk(1)
    admin.cookies["django_language"] = "en"
    with translation.override(translation.get_language()):  # the middleware switches it
        agents = admin.get(reverse("followup:agents")).content.decode()
        dashboard = admin.get(reverse("followup:dashboard")).content.decode()
    assert "Follow-up desk agents" in agents and "Add as the last agent" in agents
    assert (
        "Deposit conversion per agent" in dashboard and "Due to rotate within 6 hours" in dashboard
    )
