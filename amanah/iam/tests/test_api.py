"""Bearer tokens for the REST API: the token's role decides, scope applies, 404 for both."""

from __future__ import annotations

import uuid
from datetime import timedelta

from django.test import Client
from django.utils import timezone

from amanah.core.roles import RoleKey as R
from amanah.iam import services as iam
from amanah.iam.models import ApiToken


def bearer(raw: str) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


def test_token_is_stored_only_as_a_hash(make_user):
    admin = make_user(R.ADMIN)
    token, raw = iam.api_token_create(actor=admin, user=make_user(R.AGENT), role="AGENT", name="x")
    assert raw.startswith("amk_") and raw not in (token.token_hash, token.prefix)
    assert ApiToken.objects.get(pk=token.pk).token_hash == iam.token_digest(raw)


def test_me_without_or_with_a_bad_token_is_401(db):
    client = Client()
    assert client.get("/api/v1/me").status_code == 401
    assert client.get("/api/v1/me", **bearer("amk_nonsense")).status_code == 401


def test_me_reports_role_permissions_and_scope(make_user, branch_a):
    supervisor = make_user(R.SUPERVISOR, branches=[branch_a])
    _t, raw = iam.api_token_create(
        actor=make_user(R.ADMIN), user=supervisor, role="SUPERVISOR", name="x"
    )
    body = Client().get("/api/v1/me", **bearer(raw)).json()
    assert body["active_role"] == "SUPERVISOR"
    assert "iam.branch.view" in body["permissions"] and "audit.view" not in body["permissions"]
    assert body["branch_ids"] == [str(branch_a.pk)] and body["all_branches"] is False


def test_branch_api_scope_and_not_found(make_user, branch_a, branch_b):
    supervisor = make_user(R.SUPERVISOR, branches=[branch_a])
    _t, raw = iam.api_token_create(
        actor=make_user(R.ADMIN), user=supervisor, role="SUPERVISOR", name="x"
    )
    client = Client()
    assert [b["code"] for b in client.get("/api/v1/branches", **bearer(raw)).json()] == ["MDN01"]
    assert client.get(f"/api/v1/branches/{branch_a.pk}", **bearer(raw)).status_code == 200
    out = client.get(f"/api/v1/branches/{branch_b.pk}", **bearer(raw))
    missing = client.get(f"/api/v1/branches/{uuid.uuid4()}", **bearer(raw))
    assert out.status_code == missing.status_code == 404
    assert out.json() == missing.json()


def test_permission_follows_the_tokens_role(make_user, branch_a):
    agent = make_user(R.AGENT, branches=[branch_a])
    _t, raw = iam.api_token_create(actor=make_user(R.ADMIN), user=agent, role="AGENT", name="x")
    response = Client().get("/api/v1/branches", **bearer(raw))
    assert response.status_code == 403 and response.json()["code"] == "forbidden"


def test_token_must_be_for_a_role_the_user_holds(make_user):
    import pytest

    from amanah.core.errors import ServiceError

    with pytest.raises(ServiceError):
        iam.api_token_create(
            actor=make_user(R.ADMIN), user=make_user(R.AGENT), role="ADMIN", name="x"
        )


def test_expired_and_revoked_tokens_are_refused(make_user):
    admin = make_user(R.ADMIN)
    agent = make_user(R.AGENT)
    token, raw = iam.api_token_create(actor=admin, user=agent, role="AGENT", name="x")
    assert Client().get("/api/v1/me", **bearer(raw)).status_code == 200
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert Client().get("/api/v1/me", **bearer(raw)).status_code == 401
    token2, raw2 = iam.api_token_create(actor=admin, user=agent, role="AGENT", name="y")
    iam.api_token_revoke(actor=admin, token=token2)
    assert Client().get("/api/v1/me", **bearer(raw2)).status_code == 401


def test_openapi_documents_bearer_auth_and_permissions(signed_in):
    client, _ = signed_in(R.AGENT)
    schema = client.get("/api/v1/openapi.json").json()
    op = schema["paths"]["/api/v1/branches"]["get"]
    assert op["x-permission"] == "iam.branch.view"
    assert op["security"]
