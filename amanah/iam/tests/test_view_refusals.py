"""iam's pages answer refusals through the core view helpers: flash + 303 back for a button,
the reason in place (400/404/429) for a revealed address; nothing changes on a refusal."""

from types import SimpleNamespace

import pytest
from django.test import Client

from amanah.audit.models import AuditLog
from amanah.conftest import sign_in
from amanah.core import ratelimit
from amanah.core.roles import RoleKey as R
from amanah.core.view_helpers import REFUSED_FRAGMENT_HEADER
from amanah.iam import services as iam
from amanah.iam.models import ApiToken, RolePermission

HTMX = {"HTTP_HX_REQUEST": "true"}
REASON = {"reason": "verifikasi alamat email pengguna"}


@pytest.fixture
def admin(make_user):
    return make_user(R.ADMIN)


@pytest.fixture
def client(admin):
    return sign_in(Client(), admin)


@pytest.fixture
def agent(make_user):
    return make_user(R.AGENT, email="agen.satu@bank.co.id")


def _flashed(client, url: str) -> str:
    return client.get(url).content.decode()


def test_a_refused_matrix_save_flashes_and_changes_nothing(client):
    before = set(RolePermission.objects.values_list("role", "permission"))
    audited = AuditLog.objects.filter(action="CHANGE_RBAC").count()
    cells = [f"{r}|{p}" for r, p in before if (r, p) != ("ADMIN", "iam.rbac.manage")]
    response = client.post("/admin/permissions/", {"grant": cells})
    assert (response.status_code, response["Location"]) == (303, "/admin/permissions/")
    assert set(RolePermission.objects.values_list("role", "permission")) == before
    assert AuditLog.objects.filter(action="CHANGE_RBAC").count() == audited
    assert "tidak boleh dicabut dari ADMIN" in _flashed(client, "/admin/permissions/")


def test_a_token_for_a_role_the_user_lacks_is_refused_back_to_the_user(client, agent):
    url = f"/admin/users/{agent.pk}/tokens/"
    response = client.post(url, {"name": "skrip", "role": "ADMIN", "valid_days": "30"})
    assert (response.status_code, response["Location"]) == (303, f"/admin/users/{agent.pk}/")
    assert not ApiToken.objects.filter(user=agent).exists()
    assert "Pengguna tidak memiliki peran ini." in _flashed(client, response["Location"])
    invalid = client.post(url, {"name": "", "role": "AGENT", "valid_days": "30"})
    assert invalid.status_code == 303 and not ApiToken.objects.filter(user=agent).exists()
    created = client.post(url, {"name": "skrip", "role": "AGENT", "valid_days": "30"})
    token = ApiToken.objects.get(user=agent)  # shown once, on a page of its own
    assert created.status_code == 200 and 'data-testid="raw-token"' in created.content.decode()
    assert token.name == "skrip"


def test_revoking_a_token_flashes_and_goes_back(client, admin, agent):
    token, _raw = iam.api_token_create(actor=admin, user=agent, role="AGENT", name="x")
    response = client.post(f"/admin/users/{agent.pk}/tokens/{token.pk}/revoke/")
    assert (response.status_code, response["Location"]) == (303, f"/admin/users/{agent.pk}/")
    token.refresh_from_db()
    assert token.revoked_at is not None


def _reveals() -> int:
    return AuditLog.objects.filter(action="REVEAL_FIELD").count()


def test_revealing_an_address_without_a_reason_is_a_400_in_place(client, agent):
    response = client.post(f"/admin/users/{agent.pk}/reveal-email/", {"reason": "x"}, **HTMX)
    body = response.content.decode()
    assert (response.status_code, response[REFUSED_FRAGMENT_HEADER]) == (400, "1")
    assert "minimal 10 karakter" in body and agent.email not in body and _reveals() == 0


def test_revealing_the_address_of_someone_out_of_scope_is_a_404_in_place(
    make_user, branch_a, branch_b
):
    branch_admin = make_user(R.ADMIN, branches=[branch_a])
    stranger = make_user(R.AGENT, branches=[branch_b], home=branch_b, email="jauh@bank.co.id")
    client = sign_in(Client(), branch_admin)
    response = client.post(f"/admin/users/{stranger.pk}/reveal-email/", REASON, **HTMX)
    body = response.content.decode()
    assert (response.status_code, response[REFUSED_FRAGMENT_HEADER]) == (404, "1")
    assert stranger.email not in body and "<html" not in body and _reveals() == 0


def test_a_burst_of_address_reveals_is_a_429_in_place(client, agent, settings, monkeypatch):
    settings.PII_REVEAL_RATE_LIMIT_PER_MINUTE = 1
    monkeypatch.setattr(ratelimit, "time", SimpleNamespace(time=lambda: 1_800_000_030.0))
    url = f"/admin/users/{agent.pk}/reveal-email/"
    assert agent.email in client.post(url, REASON, **HTMX).content.decode()
    refused = client.post(url, REASON, **HTMX)
    assert (refused.status_code, refused["Retry-After"]) == (429, "30")
    assert refused[REFUSED_FRAGMENT_HEADER] == "1"
    assert agent.email not in refused.content.decode() and _reveals() == 1
