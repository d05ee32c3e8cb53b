"""The agent's page, the dashboard and the deposit API."""

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from amanah.conftest import sign_in
from amanah.core.actors import SystemActor
from amanah.core.roles import RoleKey as R
from amanah.followup import services
from amanah.followup.models import Desk, FollowUpLog, Member, RejectedDeposit
from amanah.followup.sweep import rotation_sweep
from amanah.iam import services as iam

# Working hours off: pages on the wall clock, not who is at work (test_working_hours.py).
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("round_the_clock")]


@pytest.fixture
def desk(make_desk, make_customers, system, branch_a):
    agents = make_desk(2)
    for agent in agents:
        agent.user.home_branch = branch_a
        agent.user.save(update_fields=["home_branch"])
    member = services.member_enrol(
        actor=system,
        customer=make_customers(1)[0],
        entry_reason="NEW_ACCOUNT",
        deposit_target="100000",
    )
    return agents, member


def test_the_agent_sees_the_countdown_in_their_zone_and_logs_a_call(desk):
    agents, member = desk
    Desk.objects.filter(pk=1).update(window_hours=24)  # the page says the desk's window
    client = sign_in(Client(), agents[0].user)
    page = client.get(reverse("followup:my"))
    body = page.content.decode()
    assert page.status_code == 200
    assert member.customer.full_name in body and "WIB" in body
    assert "selama 24 jam" in body and "48 jam" not in body
    client.cookies["django_language"] = "en"
    with translation.override(translation.get_language()):  # the middleware switches it
        assert "yours for 24 hours" in client.get(reverse("followup:my")).content.decode()
    client.cookies["django_language"] = "id"
    assert 'data-testid="countdown"' in body
    response = client.post(
        reverse("followup:log_add", kwargs={"member_id": member.pk}),
        {"kind": "CALL", "note": "Nasabah minta ditelepon besok"},
    )
    assert response.status_code == 303
    assert FollowUpLog.objects.filter(member=member, kind="CALL").count() == 1
    member.refresh_from_db()
    assert member.current_agent_id == agents[0].pk


def test_the_next_agent_sees_the_member_and_the_first_one_no_more(desk):
    agents, member = desk
    rotation_sweep(now=timezone.now() + timedelta(hours=49))
    first = sign_in(Client(), agents[0].user)
    second = sign_in(Client(), agents[1].user)
    assert member.customer.full_name not in first.get(reverse("followup:my")).content.decode()
    assert member.customer.full_name in second.get(reverse("followup:my")).content.decode()
    refused = first.post(
        reverse("followup:log_add", kwargs={"member_id": member.pk}), {"kind": "CALL"}
    )
    assert refused.status_code == 404


def test_bad_log_input_changes_nothing(desk):
    agents, member = desk
    client = sign_in(Client(), agents[0].user)
    url = reverse("followup:log_add", kwargs={"member_id": member.pk})
    for data in (
        {"kind": "VISIT"},
        {"kind": "NOTE", "note": ""},
        {"kind": "NOTE", "note": "x" * 3000},
    ):
        response = client.post(url, data)
        assert response.status_code in (303, 400)
    assert not FollowUpLog.objects.filter(member=member).exists()


def test_the_dashboard_shows_loads_due_and_history(desk, make_user, branch_a):
    agents, member = desk
    rotation_sweep(now=timezone.now() + timedelta(hours=49))
    supervisor = make_user(R.SUPERVISOR, branches=[branch_a])
    page = sign_in(Client(), supervisor).get(reverse("followup:dashboard"))
    body = page.content.decode()
    assert page.status_code == 200
    assert "Agen 1" in body and "Agen 2" in body
    assert "Tidak ada setoran dalam 2 hari" in body
    with translation.override("id"):
        assert member.customer.full_name in body


def test_a_supervisor_of_another_branch_sees_nothing_of_the_member(
    desk, make_user, branch_a, branch_b
):
    """Issue 51 (9b): a supervisor of PMS01 opened an MDN01 member's page and saw the
    customer's name and deposit state. The member is as visible as its customer: 404, and
    the dashboard leaves it out; the supervisor of its own branch still sees it."""
    agents, member = desk
    other = sign_in(Client(), make_user(R.SUPERVISOR, branches=[branch_b]))
    page = other.get(reverse("followup:member", kwargs={"member_id": member.pk}))
    assert page.status_code == 404
    assert member.customer.full_name not in page.content.decode()
    dashboard = other.get(reverse("followup:dashboard", query={"hours": 72})).content.decode()
    assert member.customer.full_name not in dashboard
    own = sign_in(Client(), make_user(R.SUPERVISOR, branches=[branch_a]))
    page = own.get(reverse("followup:member", kwargs={"member_id": member.pk}))
    assert page.status_code == 200
    assert member.customer.full_name in page.content.decode()


def _token(user):
    raw = iam.api_token_create(actor=SystemActor("t"), user=user, role="ADMIN", name="core")[1]
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}")


def test_the_api_records_a_deposit_once_and_keeps_refusals(desk, make_user):
    _agents, member = desk
    client = _token(make_user(R.ADMIN))
    url = "/api/v1/followup/deposits"
    now = timezone.now()
    body = {
        "customer_id": str(member.customer_id),
        "amount": "25000",
        "deposited_at": now.isoformat(),
        "external_ref": "CBS-1",
    }
    first = client.post(url, body, content_type="application/json")
    again = client.post(url, body, content_type="application/json")
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["reset_window"] is True
    member.refresh_from_db()
    assert member.deposit_status == "PARTIAL"
    future = {
        **body,
        "external_ref": "CBS-2",
        "deposited_at": (now + timedelta(days=1)).isoformat(),
    }
    refused = client.post(url, future, content_type="application/json")
    assert refused.status_code == 422 and refused.json()["code"] == "future_timestamp"
    unknown = {**body, "external_ref": "CBS-3", "customer_id": "nobody"}
    assert client.post(url, unknown, content_type="application/json").status_code == 422
    assert set(RejectedDeposit.objects.values_list("reason", flat=True)) == {
        "FUTURE_TIMESTAMP",
        "UNKNOWN_MEMBER",
    }
    wrong = client.post(url, {**body, "amount": "lots"}, content_type="application/json")
    assert wrong.status_code == 422
    assert Member.objects.get(pk=member.pk).deposit_total == 25000
    # The desk's monitor sees each refusal with its reason, the customer reference masked.
    monitor = sign_in(Client(), make_user(R.SUPERVISOR))
    table = monitor.get(reverse("followup:dashboard")).content.decode()
    table = table[table.index('data-testid="refused-deposits"') :]
    assert "CBS-2" in table and "CBS-3" in table
    assert "Waktu setoran di masa depan" in table and "Member tidak dikenal" in table
    assert str(member.customer_id) not in table


def test_the_api_needs_the_deposit_permission(desk, make_user):
    raw = iam.api_token_create(
        actor=SystemActor("t"), user=make_user(R.AGENT), role="AGENT", name="x"
    )[1]
    response = Client(HTTP_AUTHORIZATION=f"Bearer {raw}").post(
        "/api/v1/followup/deposits", {}, content_type="application/json"
    )
    assert response.status_code == 403


def test_the_dashboard_charts_performance_and_each_members_sequence(
    desk, make_user, system, branch_a
):
    agents, member = desk
    user = agents[0].user
    user.active_role = "AGENT"
    services.followup_log_add(actor=user, member=member, kind="CALL", note="Ditelepon")
    now = timezone.now()
    services.deposit_record(
        actor=system, customer_ref=str(member.customer_id), amount="1000",
        deposited_at=now, external_ref="DB-1", now=now,
    )  # fmt: skip
    rotation_sweep(now=now + timedelta(hours=49))
    client = sign_in(Client(), make_user(R.SUPERVISOR, branches=[branch_a]))
    body = client.get(reverse("followup:dashboard"), {"days": "7", "hours": "72"}).content.decode()
    assert 'id="chart-followup-load"' in body and 'id="chart-followup-conversion"' in body
    assert "vendor/chart.umd.min.js" in body
    assert "100%" in body  # agent 1: one member received, it paid while agent 1 had it
    assert "1 → 2" in body  # the member's agents so far, in the due list and the history
    for bad in ({"hours": "-5"}, {"hours": "x\x00"}, {"days": "9999"}, {"hours": "1e9"}):
        assert client.get(reverse("followup:dashboard"), bad).status_code in (200, 400)
    page = client.get(reverse("followup:member", kwargs={"member_id": member.pk}))
    story = page.content.decode()
    assert page.status_code == 200
    assert "1 → 2" in story and "Ditelepon" in story and "Tidak ada setoran dalam 2 hari" in story
    assert client.get(reverse("followup:member", kwargs={"member_id": 10**9})).status_code == 404
