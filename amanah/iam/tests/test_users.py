"""User administration: validation, scope, self-protection — bad input changes nothing."""

from __future__ import annotations

import pytest
from django.test import Client

from amanah.audit.models import AuditLog
from amanah.conftest import sign_in
from amanah.core.errors import NotFound, ServiceError
from amanah.core.roles import RoleKey as R
from amanah.iam import services as iam
from amanah.iam.models import User


def test_admin_creates_a_user_through_the_form(make_user, branch_a):
    admin = make_user(R.ADMIN)
    client = sign_in(Client(), admin)
    response = client.post(
        "/admin/users/new/",
        {
            "username": "teller.baru",
            "full_name": "Teller Baru",
            "email": "Teller@Bank.co.id",
            "home_branch": branch_a.pk,
            "roles": ["AGENT"],
            "scope_branches": [str(branch_a.pk)],
            "password": "Sandi-Awal-Yang-Kuat-1",
        },
    )
    assert response.status_code == 303
    user = User.objects.get(username="teller.baru")
    assert user.role_keys() == ["AGENT"]
    assert User.objects.filter(email="teller@bank.co.id").exists()  # citext: case-insensitive
    event = AuditLog.objects.get(action="CREATE_USER", object_id=str(user.pk))
    assert event.meta["roles"] == ["AGENT"] and event.meta["scopes"] == ["BRANCH:MDN01"]


@pytest.mark.parametrize(
    ("field", "value", "code"),
    [
        ("username", "bad name!", "username_invalid"),
        ("full_name", "  ", "full_name_required"),
        ("email", "not-an-email", "email_invalid"),
        ("password", "short", "password_weak"),
        ("roles", ["WIZARD"], "roles_invalid"),
        ("roles", [], "roles_invalid"),
    ],
)
def test_bad_input_is_refused_and_creates_nothing(make_user, field, value, code):
    admin = make_user(R.ADMIN)
    data = {
        "username": "valid.name",
        "full_name": "Valid",
        "password": "Sandi-Awal-Yang-Kuat-1",
        "roles": ["AGENT"],
        "scopes": [iam.ScopeInput(branch=None)],
        "email": "",
    }
    data[field] = value
    before = User.objects.count()
    with pytest.raises(ServiceError) as refused:
        iam.user_create(actor=admin, **data)
    assert refused.value.code == code
    assert User.objects.count() == before


def test_form_shows_errors_never_a_500(make_user):
    client = sign_in(Client(), make_user(R.ADMIN))
    response = client.post(
        "/admin/users/new/",
        {"username": "x y", "full_name": "", "roles": ["AGENT"], "password": "123"},
    )
    assert response.status_code == 400
    assert response.context["form"].errors


def test_username_is_case_insensitive_and_unique(make_user):
    admin = make_user(R.ADMIN)
    make_user(R.AGENT, username="siti")
    with pytest.raises(ServiceError) as refused:
        iam.user_create(
            actor=admin,
            username="SITI",
            full_name="Siti",
            password="Sandi-Awal-Yang-Kuat-1",
            roles=["AGENT"],
            scopes=[iam.ScopeInput(branch=None)],
        )
    assert refused.value.code == "username_taken"


def test_branch_admin_cannot_create_users_outside_their_scope(make_user, branch_a, branch_b):
    branch_admin = make_user(R.ADMIN, branches=[branch_a])
    with pytest.raises(ServiceError) as refused:
        iam.user_create(
            actor=branch_admin,
            username="luar.scope",
            full_name="Luar",
            home_branch=branch_b,
            password="Sandi-Awal-Yang-Kuat-1",
            roles=["AGENT"],
            scopes=[iam.ScopeInput(branch=branch_b)],
        )
    assert refused.value.code == "out_of_scope"
    assert not User.objects.filter(username="luar.scope").exists()


def test_branch_admin_cannot_touch_a_user_of_another_branch(make_user, branch_a, branch_b):
    branch_admin = make_user(R.ADMIN, branches=[branch_a])
    other = make_user(R.AGENT, branches=[branch_b])
    with pytest.raises(NotFound):
        iam.user_disable(actor=branch_admin, user=other, reason="tidak boleh terjadi")
    other.refresh_from_db()
    assert other.is_active


def test_admin_cannot_disable_self_or_drop_own_admin_role(make_user):
    admin = make_user(R.ADMIN)
    with pytest.raises(ServiceError):
        iam.user_disable(actor=admin, user=admin, reason="coba-coba saja")
    with pytest.raises(ServiceError):
        iam.user_update(
            actor=admin,
            user=admin,
            full_name="A",
            email="",
            home_branch=None,
            roles=["AGENT"],
            scopes=[iam.ScopeInput(branch=None)],
        )
    assert admin.role_keys() == ["ADMIN"]


def test_disable_requires_a_reason_and_revokes_tokens(make_user):
    admin = make_user(R.ADMIN)
    agent = make_user(R.AGENT)
    _token, raw = iam.api_token_create(actor=admin, user=agent, role="AGENT", name="skrip")
    with pytest.raises(ServiceError):
        iam.user_disable(actor=admin, user=agent, reason=" ")
    assert iam.api_token_authenticate(raw) is not None
    iam.user_disable(actor=admin, user=agent, reason="akun dibekukan")
    assert iam.api_token_authenticate(raw) is None


def test_branch_validation(make_user, system):
    admin = make_user(R.ADMIN)
    iam.branch_save(actor=admin, code="mdn02", name="KC Medan 2", timezone_name="Asia/Jakarta")
    for code, name, tz, err in [
        ("MDN02", "Dup", "Asia/Jakarta", "code_taken"),
        ("??", "X", "Asia/Jakarta", "code_invalid"),
        ("MKS01", "KC Makassar", "Europe/Paris", "timezone_invalid"),
    ]:
        with pytest.raises(ServiceError) as refused:
            iam.branch_save(actor=admin, code=code, name=name, timezone_name=tz)
        assert refused.value.code == err


def test_times_show_in_the_users_branch_time_zone(make_user, system):
    wita = iam.branch_save(
        actor=system, code="MKS01", name="KC Makassar", timezone_name="Asia/Makassar"
    )
    client = sign_in(Client(), make_user(R.AGENT, branches=[wita]))
    assert "WITA" in client.get("/").content.decode()
