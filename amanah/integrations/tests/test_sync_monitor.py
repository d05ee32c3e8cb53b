"""The sync monitor: real API calls with a system key counted per system (success, failure
with its code, latency) — a failed call even though its work rolled back —, the silence alert
sent once per silence, the ADMIN page with its figures, the retry of a dead webhook delivery,
and hostile input on the schedule form."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.test import Client
from django.utils import timezone

from amanah.audit.models import AuditLog
from amanah.conftest import sign_in
from amanah.core.errors import ServiceError
from amanah.integrations import intake, monitor, webhooks
from amanah.integrations.models import ExternalSystem, SyncCounter, WebhookDelivery
from amanah.integrations.testing import SYSTEM, make_system
from amanah.messaging.models import Message

pytestmark = pytest.mark.django_db

URL = "/api/v1/intake/cases"
INTAKE_GRANTS = [
    "case.create",
    "case.update",
    "case.view",
    "case.view.branch",
    "customer.view",
    "customer.view.branch",
]


def call(raw, key="tiket-1", client=None, **extra):
    body = {
        "idempotency_key": key,
        "phone": "0812 6000 1111",
        "text": "Kartu ATM saya tertelan.",
        "channel": "CALL_CENTER",
    } | extra
    return (client or Client()).post(
        URL, json.dumps(body), content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {raw}"
    )


def totals(system):
    rows = SyncCounter.objects.filter(system=system)
    return (sum(r.calls for r in rows), sum(r.failures for r in rows))


@pytest.fixture
def call_centre():
    system, _key, raw = make_system("call-centre", permissions=INTAKE_GRANTS, all_branches=True)
    return system, raw


def test_calls_are_counted_per_system_with_failures_and_their_code(call_centre, customer):
    system, raw = call_centre
    other, _k, other_raw = make_system("mobile-banking", permissions=["case.view"])
    assert call(raw).status_code == 201
    assert call(raw).status_code == 200  # a replay is a success too
    assert call(raw, key="t-2", channel="MERPATI").status_code == 400  # service refusal
    assert call(other_raw).status_code == 403  # lacks case.create: still its call
    assert Client().get("/api/v1/intake/cases").status_code in (401, 405)  # no key: nobody

    assert totals(system) == (3, 1)
    assert totals(other) == (1, 1)
    (row,) = SyncCounter.objects.filter(system=system)
    assert row.bucket == row.bucket.replace(minute=0, second=0, microsecond=0)
    assert row.last_success_at is not None and row.last_failure_at is not None
    assert row.last_failure_reason != "" and row.total_ms >= row.max_ms >= 0
    assert SyncCounter.objects.get(system=other).last_failure_reason == "forbidden"


def test_a_failed_call_counts_although_its_work_rolled_back(call_centre, monkeypatch):
    system, raw = call_centre

    def half_done(**kwargs):
        with transaction.atomic():
            make_system("ghost")  # work that the failure rolls back
            raise ServiceError("invalid", "Tidak valid.")

    monkeypatch.setattr("amanah.integrations.api.intake_from_api", half_done)
    assert call(raw).status_code == 400
    assert not ExternalSystem.objects.filter(name="ghost").exists()

    def crash(**kwargs):
        with transaction.atomic():
            make_system("ghost")
            raise RuntimeError("boom")

    monkeypatch.setattr("amanah.integrations.api.intake_from_api", crash)
    assert call(raw, client=Client(raise_request_exception=False)).status_code == 500
    assert not ExternalSystem.objects.filter(name="ghost").exists()
    row = SyncCounter.objects.get(system=system)
    assert (row.calls, row.failures, row.last_success_at) == (2, 2, None)
    assert row.last_failure_reason == "server_error"  # the house 500 body's code


def test_latency_and_the_24_hour_window(call_centre, admin):
    system, _raw = call_centre
    now = timezone.now()
    monitor.record_call(system_name=system.name, ok=True, duration_ms=100, at=now)
    monitor.record_call(system_name=system.name, ok=False, duration_ms=300, reason="x", at=now)
    old = now - timedelta(hours=30)
    monitor.record_call(system_name=system.name, ok=True, duration_ms=9000, at=old)
    monitor.record_call(system_name="no-such-system", ok=True, duration_ms=1)  # nothing
    (line,) = monitor.health(actor=admin)
    assert (line.calls, line.failures, line.mean_ms, line.max_ms) == (2, 1, 200, 300)
    assert line.last_success_at == now and line.last_failure_reason == "x"
    assert SyncCounter.objects.count() == 2


def test_a_silent_system_is_announced_to_admin_once_per_silence(call_centre, admin):
    system, _raw = call_centre
    make_system("quiet-no-schedule")
    now = timezone.now()
    monitor.record_call(
        system_name=system.name, ok=True, duration_ms=5, at=now - timedelta(hours=2)
    )
    assert monitor.silence_alerts(now=now) == 0  # no schedule yet
    monitor.system_schedule_set(actor=admin, system_id=system.pk, silent_after_minutes=60)
    notices = Message.objects.filter(source="SYSTEM", channel="IN_APP", staff_user=admin)

    assert monitor.silence_alerts(now=now) == 1
    assert monitor.silence_alerts(now=now + timedelta(minutes=5)) == 1  # still silent …
    (notice,) = notices  # … but announced once
    assert "Call Centre" in notice.subject and notice.source_id == f"sync-silent:{system.pk}"

    monitor.record_call(system_name=system.name, ok=True, duration_ms=5, at=now)
    assert monitor.silence_alerts(now=now + timedelta(minutes=30)) == 0  # heard again
    assert monitor.silence_alerts(now=now + timedelta(minutes=90)) == 1  # a new silence
    assert notices.all().count() == 2  # (a fresh query: the unpacking above cached one)


def test_schedule_changes_are_admin_only_audited_and_validated(call_centre, admin, agent):
    system, _raw = call_centre
    with pytest.raises(PermissionDenied):
        monitor.system_schedule_set(actor=agent, system_id=system.pk, silent_after_minutes=5)
    for bad in (0, -1, monitor.MAX_SILENT_MINUTES + 1, "10", True, 1.5):
        with pytest.raises(ServiceError):
            monitor.system_schedule_set(actor=admin, system_id=system.pk, silent_after_minutes=bad)
    monitor.system_schedule_set(actor=admin, system_id=system.pk, silent_after_minutes=15)
    monitor.system_schedule_set(actor=admin, system_id=system.pk, silent_after_minutes=15)
    assert AuditLog.objects.filter(action="SET_SYNC_SCHEDULE").count() == 1
    system.refresh_from_db()
    assert system.silent_after_minutes == 15


@pytest.mark.parametrize(
    "value", ["-5", "0", "abc", "1e3", "99999999999999999999", "<script>", "1" * 5000, "\x00"]
)
def test_hostile_schedule_input_changes_nothing(call_centre, admin, value):
    system, _raw = call_centre
    client = sign_in(Client(), admin)
    response = client.post(
        f"/integrasi/sistem/{system.pk}/jadwal/", {"silent_after_minutes": value}
    )
    assert response.status_code in (303, 400)
    system.refresh_from_db()
    assert system.silent_after_minutes is None
    assert not AuditLog.objects.filter(action="SET_SYNC_SCHEDULE").exists()


def test_the_schedule_form_sets_and_clears(call_centre, admin):
    system, _raw = call_centre
    client = sign_in(Client(), admin)
    url = f"/integrasi/sistem/{system.pk}/jadwal/"
    assert client.post(url, {"silent_after_minutes": "45"}).status_code == 303
    system.refresh_from_db()
    assert system.silent_after_minutes == 45
    assert client.post(url, {"silent_after_minutes": ""}).status_code == 303
    system.refresh_from_db()
    assert system.silent_after_minutes is None


def dead_delivery(customer_system_name="core-banking", *, active=True):
    system = make_system(
        customer_system_name, permissions=["case.view", "case.view.branch"], all_branches=True
    )[0]
    subscription, _secret = webhooks.webhook_subscription_create(
        actor=SYSTEM,
        system_id=system.pk,
        url="https://example.test/hooks",
        events=["cases.case_created"],
    )
    caller = make_system("caller", permissions=INTAKE_GRANTS, all_branches=True)[0]
    from amanah.integrations.services import actor_for

    intake.intake_from_api(
        actor=actor_for(caller),
        idempotency_key="k-1",
        phone="081260001111",
        text="Kartu ATM saya tertelan.",
        channel="CALL_CENTER",
    )
    delivery = WebhookDelivery.objects.get(subscription=subscription)
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        status="DEAD",
        attempts=8,
        last_error="http_503",
        last_status_code=503,
        last_attempt_at=timezone.now(),
    )
    if not active:
        webhooks.webhook_subscription_disable(actor=SYSTEM, subscription_id=subscription.pk)
    return system, delivery


def test_the_page_shows_each_system_and_its_backlog(customer, admin, agent):
    system, dead = dead_delivery()
    monitor.record_call(system_name=system.name, ok=True, duration_ms=40)
    monitor.record_call(system_name=system.name, ok=False, duration_ms=80, reason="forbidden")
    ExternalSystem.objects.filter(pk=system.pk).update(silent_after_minutes=1)
    ExternalSystem.objects.filter(pk=system.pk).update(
        created_at=timezone.now() - timedelta(days=1)
    )
    (line,) = [x for x in monitor.health(actor=admin) if x.system.pk == system.pk]
    assert (line.calls, line.failures, line.mean_ms, line.max_ms) == (2, 1, 60, 80)
    assert (line.pending, line.dead, line.silent) == (0, 1, False)

    page = sign_in(Client(), admin).get("/integrasi/monitor/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Monitor sinkronisasi" in html and "Core Banking" in html
    assert "60 / 80" in html and "http_503" in html and "forbidden" in html
    assert f"/integrasi/pengiriman/{dead.pk}/coba-lagi/" in html
    assert 'data-testid="desk-refused"' in html  # the desk's refused deposits: a link
    assert sign_in(Client(), agent).get("/integrasi/monitor/").status_code == 403


def test_an_unmatched_api_message_is_backlog_of_its_system(call_centre, admin):
    system, raw = call_centre
    assert call(raw).json()["status"] == "UNMATCHED"  # no such customer
    (line,) = monitor.health(actor=admin)
    assert line.unmatched == 1


def test_the_retry_button_requeues_a_dead_delivery_once_audited(customer, admin, agent):
    _system, dead = dead_delivery()
    client = sign_in(Client(), admin)
    url = f"/integrasi/pengiriman/{dead.pk}/coba-lagi/"
    assert sign_in(Client(), agent).post(url).status_code == 403
    assert client.post(url).status_code == 303
    dead.refresh_from_db()
    assert (dead.status, dead.attempts) == ("PENDING", 0)
    assert dead.next_attempt_at <= timezone.now()
    assert client.post(url).status_code == 303  # refused: not dead any more
    (row,) = AuditLog.objects.filter(action="RETRY_WEBHOOK_DELIVERY")
    assert row.meta["last_error"] == "http_503"
    assert client.post("/integrasi/pengiriman/not-a-uuid/coba-lagi/").status_code == 404
    missing = "/integrasi/pengiriman/00000000-0000-0000-0000-000000000000/coba-lagi/"
    assert client.post(missing).status_code == 404
    assert client.get(url).status_code == 405


def test_a_dead_delivery_of_a_disabled_subscription_is_not_retried(customer, admin):
    _system, dead = dead_delivery(active=False)
    with pytest.raises(ServiceError):
        monitor.webhook_delivery_retry(actor=admin, delivery_id=dead.pk)
    dead.refresh_from_db()
    assert dead.status == "DEAD"
    assert not AuditLog.objects.filter(action="RETRY_WEBHOOK_DELIVERY").exists()


def test_concurrent_calls_of_one_system_are_all_counted():
    """Committed, on connections of their own: eight callers at once, five calls each, on the
    same hour's row — the UPSERT loses none (a swallowed error would show as a shortfall)."""
    from amanah.core.testing import on_own_connection, run_in_threads

    name = f"race-{timezone.now():%H%M%S%f}"
    system = on_own_connection(lambda: ExternalSystem.objects.create(name=name, label="Race"))
    at = timezone.now()
    try:

        def calls(n):
            for i in range(5):
                monitor.record_call(
                    system_name=name, ok=i % 2 == 0, duration_ms=n * 10 + i, reason="x", at=at
                )

        assert run_in_threads(calls, 8) == []
        row = on_own_connection(lambda: SyncCounter.objects.get(system_id=system.pk))
        assert (row.calls, row.failures, row.max_ms) == (40, 16, 74)
        assert row.total_ms == sum(n * 10 + i for n in range(8) for i in range(5))
    finally:
        on_own_connection(lambda: ExternalSystem.objects.filter(pk=system.pk).delete())
