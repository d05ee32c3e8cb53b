"""GET /api/v1/audit/events: bearer token with audit.view, newest first, keyset paging."""

from datetime import timedelta

import pytest
from django.utils import timezone

from amanah.audit.models import AuditAction, AuditLog
from amanah.audit.selectors import PAGE_SIZE
from amanah.core.roles import RoleKey
from amanah.iam import services as iam
from amanah.iam.models import ApiToken

URL = "/api/v1/audit/events"


@pytest.fixture
def token_for(make_user, system):
    """token_for(role) -> (ApiToken, raw value) for a fresh user holding that role."""

    def make(role: RoleKey, **user_fields):
        user = make_user(role, **user_fields)
        return iam.api_token_create(actor=system, user=user, role=role.value, name="audit test")

    return make


def call(client, raw: str | None, **query):
    headers = {"authorization": f"Bearer {raw}"} if raw is not None else {}
    return client.get(URL, query, headers=headers)


@pytest.fixture
def events(write_event, marker):
    return [
        write_event(object_type=marker, object_id=str(n), actor_label="api-test")
        for n in range(PAGE_SIZE + 5)
    ]


def test_no_token_is_401(client, events):
    assert call(client, None).status_code == 401


@pytest.mark.parametrize("raw", ["", "amk_not-a-real-token", "not-even-the-prefix"])
def test_unknown_token_is_401(client, events, raw):
    assert call(client, raw).status_code == 401


def test_browser_session_is_not_enough(signed_in, events):
    # The API only takes bearer tokens; a signed-in compliance session without one is refused.
    client, _user = signed_in(RoleKey.COMPLIANCE)
    assert client.get("/audit/").status_code == 200
    assert call(client, None).status_code == 401


def test_agent_token_is_403(client, token_for, branch_a, events):
    _token, raw = token_for(RoleKey.AGENT, branches=[branch_a])
    response = call(client, raw)
    assert response.status_code == 403
    assert response.json()["code"] == "forbidden"
    assert "events" not in response.json()


def test_compliance_token_reads_the_trail_page_by_page(client, token_for, events, marker):
    _token, raw = token_for(RoleKey.COMPLIANCE)
    newest_first = sorted((e.id for e in events), reverse=True)

    first = call(client, raw, object_type=marker)
    assert first.status_code == 200
    body = first.json()
    assert [e["id"] for e in body["events"]] == newest_first[:PAGE_SIZE]
    assert body["next_before"] == newest_first[PAGE_SIZE - 1]
    top = body["events"][0]
    assert top["hash"] == events[-1].hash
    assert (top["object_type"], top["object_id"], top["actor_username"]) == (
        marker,
        str(PAGE_SIZE + 4),
        "api-test",
    )
    assert set(top) == {
        "id",
        "created_at",
        "action",
        "object_type",
        "object_id",
        "actor_username",
        "actor_role",
        "ip",
        "request_id",
        "meta",
        "hash",
    }

    second = call(client, raw, object_type=marker, before=body["next_before"])
    assert second.status_code == 200
    assert [e["id"] for e in second.json()["events"]] == newest_first[PAGE_SIZE:]
    assert second.json()["next_before"] is None


def test_api_filters(client, token_for, write_event, marker):
    _token, raw = token_for(RoleKey.COMPLIANCE)
    seed = write_event(object_type=marker, object_id="1")
    export = write_event(object_type=marker, object_id="2", action=AuditAction.EXPORT_DATA)
    body = call(client, raw, object_type=marker, action="EXPORT_DATA").json()
    assert [e["id"] for e in body["events"]] == [export.id]
    body = call(client, raw, object_type=marker, object_id="1").json()
    assert [e["id"] for e in body["events"]] == [seed.id]
    today = timezone.localdate().isoformat()
    body = call(client, raw, object_type=marker, date_from=today, date_to=today).json()
    assert [e["id"] for e in body["events"]] == [export.id, seed.id]
    body = call(client, raw, object_type=marker, date_to="2000-01-01").json()
    assert body == {"events": [], "next_before": None}


@pytest.mark.parametrize("query", [{"date_from": "notadate"}, {"before": "abc"}])
def test_bad_api_input_is_a_client_error(client, token_for, events, query):
    _token, raw = token_for(RoleKey.COMPLIANCE)
    response = call(client, raw, **query)
    assert 400 <= response.status_code < 500


def test_revoked_token_is_401(client, token_for, system, events):
    token, raw = token_for(RoleKey.COMPLIANCE)
    assert call(client, raw).status_code == 200
    iam.api_token_revoke(actor=system, token=token)
    assert call(client, raw).status_code == 401
    assert AuditLog.objects.filter(
        action=AuditAction.REVOKE_API_TOKEN, object_id=str(token.pk)
    ).exists()


def test_expired_token_is_401(client, token_for, events):
    token, raw = token_for(RoleKey.COMPLIANCE)
    assert call(client, raw).status_code == 200
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert call(client, raw).status_code == 401


def test_token_of_a_disabled_user_is_401(client, token_for, system, events):
    token, raw = token_for(RoleKey.COMPLIANCE)
    iam.user_disable(actor=system, user=token.user, reason="Pindah tugas ke cabang lain")
    assert call(client, raw).status_code == 401
