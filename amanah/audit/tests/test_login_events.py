"""Sign-in and sign-out land in the trail with the caller's address and the request id."""

import pytest

from amanah.audit.chain import verify_chain
from amanah.audit.models import AuditAction, AuditLog
from amanah.conftest import PASSWORD
from amanah.core.roles import RoleKey

AGENT_UA = "Mozilla/5.0 (pytest)"


@pytest.fixture
def agent(make_user, branch_a):
    return make_user(RoleKey.AGENT, branches=[branch_a])


def login(client, username: str, password: str = PASSWORD):
    return client.post(
        "/login/", {"username": username, "password": password}, headers={"user-agent": AGENT_UA}
    )


def test_login_is_recorded_with_ip_and_request_id(client, agent):
    response = login(client, agent.username)
    assert response.status_code == 302
    log = AuditLog.objects.get(action=AuditAction.LOGIN, actor_id=str(agent.pk))
    assert log.ip == "127.0.0.1"
    assert log.request_id
    assert log.request_id == response["X-Request-ID"]
    assert log.user_agent == AGENT_UA
    assert (log.actor_username, log.actor_role) == (agent.username, "AGENT")
    assert (log.object_type, log.object_id) == ("iam.User", str(agent.pk))
    assert log.meta == {"mfa_required": False}
    assert verify_chain().ok


def test_logout_is_recorded_with_its_own_request_id(client, agent):
    login_response = login(client, agent.username)
    response = client.post("/logout/", headers={"user-agent": AGENT_UA})
    assert response.status_code == 302
    log = AuditLog.objects.get(action=AuditAction.LOGOUT, actor_id=str(agent.pk))
    assert log.ip == "127.0.0.1"
    assert log.request_id == response["X-Request-ID"]
    assert log.request_id != login_response["X-Request-ID"]
    assert log.meta == {"reason": "user"}


def test_wrong_password_is_recorded(client, agent):
    response = login(client, agent.username, "salah-sekali-2026")
    assert response.status_code == 200
    log = AuditLog.objects.get(action=AuditAction.LOGIN_FAILED, actor_id=str(agent.pk))
    assert log.meta == {"reason": "bad_password"}
    assert (log.ip, log.request_id) == ("127.0.0.1", response["X-Request-ID"])
    assert not AuditLog.objects.filter(action=AuditAction.LOGIN, actor_id=str(agent.pk)).exists()


def test_unknown_username_is_recorded_without_the_name_itself(client, db):
    response = login(client, "nik.3201234567890001")
    assert response.status_code == 200
    log = AuditLog.objects.get(action=AuditAction.LOGIN_FAILED, request_id=response["X-Request-ID"])
    assert log.actor_username.startswith("unknown:")
    assert "3201234567890001" not in str(log.meta) + log.actor_username + log.object_id
    assert log.ip == "127.0.0.1"
