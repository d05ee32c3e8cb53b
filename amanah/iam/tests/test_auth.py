"""Sign-in, lockout, sessions and the second factor."""

from __future__ import annotations

import time

import pytest
from django.test import Client
from django.utils.functional import LazyObject
from django_otp.plugins.otp_totp.models import TOTPDevice

from amanah.audit.models import AuditLog
from amanah.conftest import PASSWORD, sign_in, totp_now
from amanah.core.roles import RoleKey as R
from amanah.iam import services as iam
from amanah.iam.models import User


def actions_for(user) -> list[str]:
    return list(
        AuditLog.objects.filter(object_id=str(user.pk))
        .order_by("id")
        .values_list("action", flat=True)
    )


def test_production_hasher_is_argon2():
    from amanah import settings as configured  # the module, not the test-time override

    assert configured.PASSWORD_HASHERS == ["django.contrib.auth.hashers.Argon2PasswordHasher"]


@pytest.mark.django_db
def test_argon2_is_used_for_stored_passwords(settings, make_user):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.Argon2PasswordHasher"]
    user = make_user(R.AGENT)
    assert user.password.startswith("argon2$argon2id$")
    assert iam.auth_login(username=user.username, password=PASSWORD) == user


def test_login_rotates_session_and_is_audited(make_user, client):
    user = make_user(R.AGENT)
    client.get("/login/")
    client.cookies["sessionid"] = "attacker-chosen-id"
    sign_in(client, user)
    assert client.cookies["sessionid"].value != "attacker-chosen-id"
    assert client.get("/").status_code == 200
    login = AuditLog.objects.filter(action="LOGIN", object_id=str(user.pk)).get()
    assert login.ip == "127.0.0.1" and login.request_id


def test_wrong_password_gives_one_neutral_message(make_user, client):
    user = make_user(R.AGENT)
    unknown = client.post("/login/", {"username": "tidak-ada", "password": "x" * 12})
    wrong = client.post("/login/", {"username": user.username, "password": "salah-sekali-123"})
    assert unknown.status_code == wrong.status_code == 200
    assert unknown.context["form"].non_field_errors() == wrong.context["form"].non_field_errors()
    failed = AuditLog.objects.filter(action="LOGIN_FAILED").order_by("id")
    assert failed[0].actor_username.startswith("unknown:")  # never the raw attempted name
    assert "tidak-ada" not in failed[0].actor_username
    assert failed[1].actor_username == user.username


def test_lockout_after_repeated_failures_refuses_even_the_right_password(
    make_user, client, settings
):
    settings.LOGIN_MAX_FAILURES = 3
    user = make_user(R.AGENT)
    for _ in range(3):
        client.post("/login/", {"username": user.username, "password": "salah-sekali-123"})
    user.refresh_from_db()
    assert user.locked_until is not None
    response = client.post("/login/", {"username": user.username, "password": PASSWORD})
    assert response.status_code == 200  # refused, form shown again
    assert "_auth_user_id" not in client.session
    assert actions_for(user).count("LOCKOUT") == 1


def test_lockout_expires(make_user, client, settings):
    settings.LOGIN_MAX_FAILURES = 2
    settings.LOGIN_LOCKOUT_SECONDS = 0
    user = make_user(R.AGENT)
    for _ in range(2):
        client.post("/login/", {"username": user.username, "password": "salah-sekali-123"})
    assert (
        client.post("/login/", {"username": user.username, "password": PASSWORD}).status_code == 302
    )


def test_success_resets_failure_count(make_user, client, settings):
    settings.LOGIN_MAX_FAILURES = 3
    user = make_user(R.AGENT)
    for _ in range(2):
        client.post("/login/", {"username": user.username, "password": "salah-sekali-123"})
    sign_in(client, user)
    user.refresh_from_db()
    assert user.failed_logins == 0


def test_disabling_a_user_ends_their_sessions_at_once(signed_in, make_user, branch_a):
    client, agent = signed_in(R.AGENT, branches=[branch_a])
    other_client = sign_in(Client(), agent)
    admin = make_user(R.ADMIN)
    iam.user_disable(actor=admin, user=agent, reason="resign dari bank")
    for c in (client, other_client):
        response = c.get("/")
        assert response.status_code == 302 and response["Location"].startswith("/login/")
    refused = Client().post("/login/", {"username": agent.username, "password": PASSWORD})
    assert refused.status_code == 200
    assert "DISABLE_USER" in actions_for(agent)


def test_role_change_ends_sessions_so_new_limits_apply(signed_in, make_user, branch_a):
    client, agent = signed_in(R.AGENT, branches=[branch_a])
    admin = make_user(R.ADMIN)
    iam.user_update(
        actor=admin,
        user=agent,
        full_name=agent.full_name,
        email="",
        home_branch=branch_a,
        roles=["RM"],
        scopes=[iam.ScopeInput(branch=branch_a)],
    )
    assert client.get("/")["Location"].startswith("/login/")


def test_idle_timeout(signed_in, settings):
    client, user = signed_in(R.AGENT)
    session = client.session
    session["seen_at"] = time.time() - settings.SESSION_IDLE_SECONDS - 5
    session.save()
    response = client.get("/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")
    assert "SESSION_EXPIRED" in actions_for(user)


def test_absolute_timeout_even_when_active(signed_in, settings):
    client, user = signed_in(R.AGENT)
    session = client.session
    session["auth_at"] = time.time() - settings.SESSION_ABSOLUTE_SECONDS - 5
    session.save()
    assert client.get("/")["Location"].startswith("/login/")


def test_logout_requires_post_and_ends_session(signed_in):
    client, user = signed_in(R.AGENT)
    assert client.get("/logout/").status_code == 405
    client.post("/logout/")
    assert client.get("/")["Location"].startswith("/login/")
    assert "LOGOUT" in actions_for(user)


@pytest.mark.parametrize("role", [R.ADMIN, R.COMPLIANCE])
def test_privileged_roles_cannot_pass_without_mfa(role, make_user, settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = 0  # the throttle has its own test below
    user = make_user(role)
    client = Client()
    response = client.post("/login/", {"username": user.username, "password": PASSWORD})
    assert response["Location"].startswith("/mfa/")
    for path in ("/", "/audit/", "/admin/users/", "/profile/"):
        blocked = client.get(path)
        assert blocked.status_code == 302 and blocked["Location"].startswith("/mfa/"), path
    wrong = client.post("/mfa/", {"token": "000000"})
    assert wrong.status_code == 400 and client.get("/")["Location"].startswith("/mfa/")
    assert client.post("/mfa/", {"token": totp_now(user)}).status_code == 303
    assert client.get("/").status_code == 200
    assert {"MFA_FAILED", "MFA_VERIFY"} <= set(actions_for(user))


def test_views_get_the_user_itself_with_its_second_factor(make_user):
    """No lazy proxy is left around the actor (read thousands of times on a page), and what
    django-otp attaches to it is there (``ConcreteUserMiddleware``)."""
    user = make_user(R.COMPLIANCE)
    client = Client()
    client.post("/login/", {"username": user.username, "password": PASSWORD})
    client.post("/mfa/", {"token": totp_now(user)})
    seen = client.get("/profile/").wsgi_request.user
    assert type(seen) is User and seen.pk == user.pk
    assert seen.is_verified() and seen.otp_device is not None
    anonymous = Client().get("/login/").wsgi_request.user
    assert not isinstance(anonymous, LazyObject)
    assert not anonymous.is_authenticated and not anonymous.is_verified()


@pytest.mark.parametrize("role", [R.AGENT, R.SUPERVISOR, R.RM, R.MARKETING, R.DIRECTOR])
def test_other_roles_need_no_second_factor(role, make_user):
    user = make_user(role)
    client = Client()
    assert (
        client.post("/login/", {"username": user.username, "password": PASSWORD})["Location"] == "/"
    )
    assert client.get("/").status_code == 200


def test_wrong_codes_throttle_further_attempts(make_user):
    user = make_user(R.COMPLIANCE)
    client = Client()
    client.post("/login/", {"username": user.username, "password": PASSWORD})
    client.post("/mfa/", {"token": "000000"})
    # Right after a failure even the right code waits: brute force gets nowhere.
    assert client.post("/mfa/", {"token": totp_now(user)}).status_code == 400
    assert client.get("/")["Location"].startswith("/mfa/")


def test_mfa_session_id_rotates_after_verification(make_user):
    user = make_user(R.COMPLIANCE)
    client = Client()
    client.post("/login/", {"username": user.username, "password": PASSWORD})
    before = client.cookies["sessionid"].value
    client.post("/mfa/", {"token": totp_now(user)})
    assert client.cookies["sessionid"].value != before


def test_enrolment_flow_for_a_privileged_user_without_a_device(make_user, settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    user = make_user(R.ADMIN)
    TOTPDevice.objects.filter(user=user).delete()
    client = Client()
    client.post("/login/", {"username": user.username, "password": PASSWORD})
    page = client.get("/mfa/")
    assert page.context["enrolling"] and "<svg" in page.content.decode()
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    assert client.post("/mfa/", {"token": "123456"}).status_code == 400
    device.refresh_from_db()
    assert not device.confirmed
    assert client.post("/mfa/", {"token": _token(device)}).status_code == 303
    device.refresh_from_db()
    assert device.confirmed
    assert client.get("/").status_code == 200
    assert "MFA_ENROL" in actions_for(user)


def _token(device) -> str:
    from django_otp.oath import TOTP

    return f"{TOTP(device.bin_key, device.step, device.t0, device.digits).token():06d}"


def test_password_reset_forces_new_enrolment(make_user):
    admin = make_user(R.ADMIN)
    target = make_user(R.COMPLIANCE)
    iam.user_password_set(actor=admin, user=target, password="Kata-Sandi-Baru-2026")
    assert not TOTPDevice.objects.filter(user=target).exists()
    assert User.objects.get(pk=target.pk).check_password("Kata-Sandi-Baru-2026")
