"""System API keys: created once and stored hashed, narrow grants, rotation with an overlap,
revocation, expiry and the IP allow-list — every refusal a 401 that is audited."""

from __future__ import annotations

import json
import logging
from datetime import timedelta
from types import SimpleNamespace
from unittest import mock

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.utils import timezone

from amanah.audit.models import AuditLog
from amanah.conftest import sign_in
from amanah.core import ratelimit
from amanah.core.errors import ServiceError
from amanah.integrations import services
from amanah.integrations.models import ExternalSystem, SystemKey
from amanah.integrations.testing import make_system

URL = "/api/v1/intake/cases"
pytestmark = pytest.mark.django_db


def call(raw: str, *, remote_addr: str = "127.0.0.1", key: str = "k-1", **body):
    headers = {k: body.pop(k) for k in list(body) if k.startswith("HTTP_")}
    payload = {
        "idempotency_key": key,
        "phone": "+6281399990001",
        "text": "Transfer gagal, saldo terpotong.",
    } | body
    return Client(REMOTE_ADDR=remote_addr).post(
        URL,
        json.dumps(payload),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {raw}",
        **headers,
    )


def refusals(reason: str):
    return AuditLog.objects.filter(action="SYSTEM_KEY_REFUSED", meta__reason=reason)


def test_the_key_is_shown_once_and_only_its_keyed_hash_is_stored():
    system, key, raw = make_system()
    assert raw.startswith("ams_") and len(raw) > 40
    stored = SystemKey.objects.get(pk=key.pk)
    assert stored.key_hash == services.key_digest(raw) != raw
    assert raw not in json.dumps(list(SystemKey.objects.values_list("key_hash", "prefix")))
    assert stored.prefix == raw[:12]
    logs = AuditLog.objects.filter(object_id__in=[str(system.pk), str(key.pk)])
    assert {log.action for log in logs} == {"CREATE_EXTERNAL_SYSTEM", "CREATE_SYSTEM_KEY"}
    assert all(raw not in json.dumps(log.meta) for log in logs)


def test_a_call_runs_as_the_system_and_is_audited_with_its_name(customer):
    _system, key, raw = make_system(
        permissions=["case.create", "customer.view", "customer.view.branch"], all_branches=True
    )
    response = call(raw, phone="0812-6000-1111")
    assert response.status_code == 201, response.content
    assert response.json()["status"] == "CASE_CREATED"
    created = AuditLog.objects.get(action="CREATE_CASE")
    assert created.actor_username == "integration:core-banking"
    assert SystemKey.objects.get(pk=key.pk).last_used_at is not None


def test_grants_are_narrow_and_only_from_the_catalogue():
    _system, _key, raw = make_system(permissions=["customer.view"])
    assert call(raw).status_code == 403  # no case.create
    with pytest.raises(ServiceError) as refused:
        make_system("other", permissions=["case.create", "everything.please"])
    assert refused.value.code == "permissions_invalid"
    assert not ExternalSystem.objects.filter(name="other").exists()


@pytest.mark.parametrize("networks", [["10.0.0.0/33"], ["bukan-ip"], ["10.0.0.1\x00"]])
def test_a_bad_network_is_refused_and_nothing_is_written(networks):
    with pytest.raises(ServiceError) as refused:
        make_system(allowed_networks=networks)
    assert refused.value.code == "network_invalid"
    assert not ExternalSystem.objects.exists() and not SystemKey.objects.exists()


def test_a_name_taken_meanwhile_is_a_clear_error(admin):
    """Two submissions of the same new system at once: the second's check ran before the
    first committed, so the unique constraint answers — as ``name_taken``, not a 500."""
    make_system("core-banking")
    unchecked = mock.patch("django.db.models.query.QuerySet.exists", return_value=False)
    with unchecked, pytest.raises(ServiceError) as refused:
        services.external_system_create(
            actor=admin, name="core-banking", label="Core", permissions=["case.create"]
        )
    assert refused.value.code == "name_taken"
    assert ExternalSystem.objects.count() == 1


def test_unknown_or_malformed_keys_are_401_without_audit():
    make_system()
    for raw in ("ams_" + "x" * 43, "ams_", "ams_" + "y" * 500, "amk_bukan"):
        assert call(raw).status_code == 401
    assert not AuditLog.objects.filter(action="SYSTEM_KEY_REFUSED").exists()


def test_a_revoked_key_is_401_and_audited_without_the_key(caplog, admin):
    _system, key, raw = make_system()
    services.system_key_revoke(actor=admin, key_id=key.pk)
    services.system_key_revoke(actor=admin, key_id=key.pk)  # idempotent
    assert AuditLog.objects.filter(action="REVOKE_SYSTEM_KEY").count() == 1
    with caplog.at_level(logging.DEBUG):
        response = call(raw)
    assert response.status_code == 401
    assert response.json()["code"] == "unauthorized"
    refusal = refusals("revoked").get()
    assert refusal.actor_username == "integration:core-banking"
    assert raw not in json.dumps(refusal.meta) and raw not in caplog.text
    assert "core-banking" not in caplog.text


def test_a_revoked_key_replayed_in_a_loop_does_not_audit_every_call(admin, monkeypatch):
    monkeypatch.setattr(services, "REFUSALS_AUDITED_PER_MINUTE", 2, raising=False)
    # one rate-limit window for all four calls, whatever the clock
    monkeypatch.setattr(ratelimit, "time", SimpleNamespace(time=lambda: 1_800_000_030))
    _system, key, raw = make_system()
    services.system_key_revoke(actor=admin, key_id=key.pk)
    assert [services.system_key_authenticate(raw) for _ in range(4)] == [None] * 4
    assert refusals("revoked").count() == 2


def test_an_expired_key_is_401_and_audited():
    _system, key, raw = make_system(valid_days=1)
    later = timezone.now() + timedelta(days=1, seconds=1)
    with mock.patch("django.utils.timezone.now", return_value=later):
        assert call(raw).status_code == 401
    assert refusals("expired").count() == 1


def test_the_allow_list_admits_its_networks_only(customer):
    _system, _key, raw = make_system(allowed_networks=["10.0.0.0/8", "2001:db8::/32"])
    assert call(raw, remote_addr="192.0.2.7").status_code == 401
    assert refusals("address_not_allowed").count() == 1
    assert call(raw, remote_addr="10.20.30.40").status_code == 201
    assert call(raw, remote_addr="2001:db8::5", key="k-2").status_code == 201


def test_behind_the_proxy_a_forged_forwarded_for_does_not_pass_the_allow_list(customer, settings):
    """The proxy appends the address it saw to whatever X-Forwarded-For the client sent: the
    client's own entries come first and must not count."""
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    _system, _key, raw = make_system(allowed_networks=["10.0.0.0/8"])
    forged = call(raw, HTTP_X_FORWARDED_FOR="10.1.2.3, 192.0.2.7")
    assert forged.status_code == 401
    assert call(raw, HTTP_X_FORWARDED_FOR="10.20.30.40").status_code == 201


def test_rotation_keeps_both_keys_for_the_window_then_only_the_new_one(settings, admin):
    settings.INTEGRATIONS_KEY_ROTATION_HOURS = 24
    system, _old_key, old = make_system()
    _new_key, new = services.system_key_rotate(actor=admin, system_id=system.pk, valid_days=30)
    assert call(old, key="a").status_code == 201
    assert call(new, key="b").status_code == 201
    after_window = timezone.now() + timedelta(hours=24, seconds=1)
    with mock.patch("django.utils.timezone.now", return_value=after_window):
        assert call(old, key="c").status_code == 401
        assert call(new, key="d").status_code == 201
    assert refusals("expired").count() == 1
    assert AuditLog.objects.filter(action="ROTATE_SYSTEM_KEY").count() == 1


def test_only_admin_manages_keys(agent):
    system, key, _raw = make_system()
    with pytest.raises(PermissionDenied):
        services.system_key_rotate(actor=agent, system_id=system.pk)
    with pytest.raises(PermissionDenied):
        services.system_key_revoke(actor=agent, key_id=key.pk)
    assert SystemKey.objects.count() == 1 and SystemKey.objects.get().revoked_at is None


def test_admin_pages_create_rotate_and_revoke(admin):
    client = sign_in(Client(), admin)
    response = client.post(
        "/integrasi/sistem/baru/",
        {
            "name": "mobile-banking",
            "label": "Mobile Banking",
            "permissions": ["case.create"],
            "allowed_networks": "10.0.0.0/8\n",
            "valid_days": "90",
        },
    )
    assert response.status_code == 200
    raw = response.context["raw"]
    assert raw.startswith("ams_") and raw in response.content.decode()
    assert response["Cache-Control"] == "no-store"
    system = ExternalSystem.objects.get(name="mobile-banking")
    assert system.allowed_networks == ["10.0.0.0/8"]
    detail = client.get(f"/integrasi/sistem/{system.pk}/").content.decode()
    assert raw not in detail and raw[:12] in detail
    rotated = client.post(f"/integrasi/sistem/{system.pk}/rotasi/", {"valid_days": "30"})
    assert rotated.status_code == 200 and rotated.context["raw"] != raw
    assert rotated["Cache-Control"] == "no-store"
    key = SystemKey.objects.get(prefix=raw[:12])
    assert client.post(f"/integrasi/kunci/{key.pk}/cabut/").status_code == 303
    assert SystemKey.objects.get(pk=key.pk).revoked_at is not None


def test_a_bad_form_is_a_400_with_nothing_written(admin):
    client = sign_in(Client(), admin)
    response = client.post(
        "/integrasi/sistem/baru/",
        {
            "name": "x",
            "label": "X",
            "permissions": ["case.create"],
            "allowed_networks": "999.1.1.1/8",
            "valid_days": "90",
        },
    )
    assert response.status_code == 400
    assert not ExternalSystem.objects.exists()


def test_the_pages_speak_english(admin):
    from django.utils import translation

    client = sign_in(Client(), admin)
    client.cookies["django_language"] = "en"
    make_system()
    with translation.override(translation.get_language()):
        body = client.get("/integrasi/sistem/").content.decode()
    assert "External systems" in body and "Register system" in body
    assert "Sistem eksternal" not in body
