"""PUSH to staff browsers: Web Push with VAPID and aes128gcm against a loopback push service that
verifies the JWT and decrypts the payload; subscriptions through the service and the pages."""

from __future__ import annotations

import json
import time

import httpx
import pytest
from django.test import Client

from amanah.audit.models import AuditLog
from amanah.conftest import sign_in
from amanah.core.errors import ServiceError
from amanah.core.roles import RoleKey as R
from amanah.messaging import dispatch
from amanah.messaging.contract import Rendered, message_queue
from amanah.messaging.fakeprovider.push import FakePushService
from amanah.messaging.models import Message, MessageStatus, PushSubscription
from amanah.messaging.providers.base import OutgoingMessage, ProviderError, ProviderUnavailable
from amanah.messaging.providers.webpush import (
    WebPushProvider,
    generate_vapid_private_key,
    push_payload,
    vapid_public_key,
)
from amanah.messaging.push_services import push_subscription_delete, push_subscription_save

VAPID = generate_vapid_private_key()
SUBJECT = "mailto:it@bank.example"
NOTICE = Rendered(subject="SLA hampir habis", text="Kasus PGD-2026-000123: sisa 30 menit. 🙏")


@pytest.fixture
def push_service():
    with FakePushService(vapid_public_key=vapid_public_key(VAPID)) as service:
        yield service


@pytest.fixture
def push_settings(settings):
    settings.MESSAGING_VAPID_PRIVATE_KEY = VAPID
    settings.MESSAGING_PROVIDERS = {
        **settings.MESSAGING_PROVIDERS,
        "PUSH": {
            "class": "amanah.messaging.providers.webpush.WebPushProvider",
            "vapid_private_key": VAPID,
            "subject": SUBJECT,
            "timeout": 5.0,
        },
    }
    return settings


@pytest.fixture
def staff(make_user, branch_a):
    return make_user(R.AGENT, branches=[branch_a])


def subscribe(user, service: FakePushService) -> dict:
    browser = service.subscribe()
    push_subscription_save(actor=user, endpoint=browser["endpoint"], **browser["keys"])
    return browser


def queue_notice(system, user, step="sla-1") -> Message:
    return message_queue(
        actor=system,
        channel="PUSH",
        purpose="STAFF",
        rendered=NOTICE,
        source="SLA",
        source_id="PGD-2026-000123",
        step=step,
        staff_user=user,
    )


# --- sending ----------------------------------------------------------------------------------


def test_a_push_arrives_encrypted_and_vapid_signed_and_decrypts_to_the_notice(
    system, staff, push_service, push_settings
):
    subscribe(staff, push_service)
    message = queue_notice(system, staff)

    assert dispatch.dispatch_batch("PUSH") == {"claimed": 1, "sent": 1}

    [push] = push_service.received
    assert push.payload == {
        "title": NOTICE.subject,
        "body": NOTICE.text,
        "url": "",
        "tag": str(message.pk),
    }
    assert push.claims["aud"] == push_service.url and push.claims["sub"] == SUBJECT
    assert push.topic == message.pk.hex and push.ttl.isdigit() and push.urgency == "normal"
    message.refresh_from_db()
    assert message.status == MessageStatus.SENT
    assert PushSubscription.objects.get(user=staff).last_sent_at is not None


def test_every_browser_gets_it_and_an_expired_one_is_forgotten(
    system, staff, push_service, push_settings
):
    kept = subscribe(staff, push_service)
    expired = subscribe(staff, push_service)
    push_service.expire(expired["endpoint"])
    queue_notice(system, staff)

    assert dispatch.dispatch_batch("PUSH") == {"claimed": 1, "sent": 1}

    assert len(push_service.received) == 1
    assert list(PushSubscription.objects.values_list("endpoint", flat=True)) == [kept["endpoint"]]


def test_no_browser_left_fails_the_message_for_good(system, staff, push_service, push_settings):
    gone = subscribe(staff, push_service)
    push_service.expire(gone["endpoint"])
    first = queue_notice(system, staff, step="1")
    dispatch.dispatch_batch("PUSH")
    second = queue_notice(system, staff, step="2")
    dispatch.dispatch_batch("PUSH")

    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, first.last_error_code) == ("FAILED", "push_subscription_gone")
    assert (second.status, second.last_error_code) == ("FAILED", "push_no_subscription")
    assert not PushSubscription.objects.exists()


def provider(**overrides) -> WebPushProvider:
    return WebPushProvider(**({"vapid_private_key": VAPID, "subject": SUBJECT} | overrides))


def notice_for(user) -> OutgoingMessage:
    return OutgoingMessage(
        "0d1c7e0e-8f61-4d0a-9f54-6a1b7f1d2c3e", "PUSH", str(user.pk), subject="S", text="T"
    )


def test_the_browser_gets_exactly_the_payload_the_service_worker_is_tested_with(
    staff, push_service
):
    # amanah/e2e/tests/test_push_in_browser.py hands push_payload() to a real service worker.
    subscribe(staff, push_service)
    message = OutgoingMessage(
        "0d1c7e0e-8f61-4d0a-9f54-6a1b7f1d2c3e", "PUSH", str(staff.pk), subject="Judul 🙏",
        text="Isi", media_url="/notifications/",
    )  # fmt: skip
    provider().send(message)
    [push] = push_service.received
    assert push.payload == json.loads(push_payload(message))


def test_a_push_service_that_refuses_our_key_pauses_push(staff, push_service):
    subscribe(staff, push_service)
    with pytest.raises(ProviderUnavailable) as refused:
        provider(vapid_private_key=generate_vapid_private_key()).send(notice_for(staff))
    assert refused.value.code == "http_403"
    assert push_service.refusals == [(403, "unexpected application server key")]


@pytest.mark.parametrize(("status", "retry_after"), [(429, 1.0), (503, None)])
def test_throttling_and_outages_of_the_push_service_are_retryable(
    staff, push_service, status, retry_after
):
    subscribe(staff, push_service)
    push_service.fail_next(1, status=status)
    with pytest.raises(ProviderError) as refused:
        provider().send(notice_for(staff))
    assert refused.value.retryable is True and refused.value.retry_after == retry_after
    assert not isinstance(refused.value, ProviderUnavailable)
    assert provider().send(notice_for(staff)).provider_message_id


def test_the_fake_push_service_is_strict(staff, push_service):
    """It refuses what a real push service refuses: no VAPID, a forged JWT, plain bytes."""
    browser = push_service.subscribe()
    endpoint = browser["endpoint"]
    assert httpx.post(endpoint, content=b"x", headers={"TTL": "60"}).status_code == 401
    signed = provider().vapid.sign(
        {"aud": push_service.url, "exp": 4_000_000_000, "sub": SUBJECT}
    )  # exp more than 24 h ahead
    assert httpx.post(endpoint, content=b"x", headers=signed).status_code == 403
    token = provider().vapid.sign({"aud": push_service.url, "exp": 1, "sub": SUBJECT})
    assert httpx.post(endpoint, content=b"x", headers=token).status_code == 403  # expired
    headers = {
        **provider().vapid.sign(
            {"aud": push_service.url, "exp": int(time.time()) + 3600, "sub": SUBJECT}
        ),
        "TTL": "60",
        "Content-Encoding": "aes128gcm",
    }
    assert httpx.post(endpoint, content=b"not encrypted", headers=headers).status_code == 400
    assert httpx.post(push_service.url + "/push/nobody", headers=headers).status_code == 404
    assert push_service.received == []


def test_nothing_of_the_endpoint_or_payload_is_logged(
    system, staff, push_service, push_settings, caplog
):
    browser = subscribe(staff, push_service)
    push_service.expire(browser["endpoint"])
    queue_notice(system, staff)
    dispatch.dispatch_batch("PUSH")
    token = browser["endpoint"].rsplit("/", 1)[-1]
    for secret in (token, "PGD-2026-000123", browser["keys"]["auth"]):
        assert secret not in caplog.text


# --- subscriptions ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"endpoint": "ftp://push.example/x"}, "push_endpoint_invalid"),
        ({"endpoint": "http://push.example/x"}, "push_endpoint_invalid"),  # http off loopback
        ({"endpoint": "https://user:pw@push.example/x"}, "push_endpoint_invalid"),
        ({"endpoint": "https://push.example/a b"}, "push_endpoint_invalid"),
        ({"p256dh": "AAAA"}, "push_key_invalid"),
        ({"p256dh": "B" + "A" * 86}, "push_key_invalid"),  # 65 bytes, not on the curve
        ({"auth": "c2hvcnQ"}, "push_key_invalid"),
    ],
)
def test_bad_subscriptions_are_refused_and_nothing_is_written(staff, push_service, change, code):
    browser = push_service.subscribe()
    fields = {"endpoint": browser["endpoint"], **browser["keys"], **change}
    with pytest.raises(ServiceError) as refused:
        push_subscription_save(actor=staff, **fields)
    assert refused.value.code == code
    assert not PushSubscription.objects.exists()


def test_http_endpoints_only_on_loopback_and_only_where_allowed(staff, push_service, settings):
    settings.MESSAGING_PUSH_ALLOW_HTTP = False
    browser = push_service.subscribe()
    with pytest.raises(ServiceError):
        push_subscription_save(actor=staff, endpoint=browser["endpoint"], **browser["keys"])


def test_a_browser_moves_to_its_new_user_and_only_the_owner_removes_it(
    staff, make_user, branch_a, push_service
):
    other = make_user(R.AGENT, branches=[branch_a])
    browser = subscribe(staff, push_service)
    subscribe(other, push_service)
    push_subscription_save(actor=other, endpoint=browser["endpoint"], **browser["keys"])
    assert PushSubscription.objects.get(endpoint=browser["endpoint"]).user == other

    assert push_subscription_delete(actor=staff, endpoint=browser["endpoint"]) == 0
    assert push_subscription_delete(actor=other, endpoint=browser["endpoint"]) == 1
    rows = AuditLog.objects.filter(action__in=["PUSH_SUBSCRIBE", "PUSH_UNSUBSCRIBE"])
    assert rows.count() == 4
    token = browser["endpoint"].rsplit("/", 1)[-1]
    assert all(token not in json.dumps(r.meta) for r in rows)


def test_the_settings_page_and_its_json_endpoints(staff, push_service, push_settings):
    client = sign_in(Client(), staff)
    page = client.get("/messaging/push/").content.decode()
    assert f'data-public-key="{vapid_public_key(VAPID)}"' in page
    assert "js/push.js" in page
    assert 'data-worker="/messaging/push/sw.js"' in page and 'data-scope="/messaging/push/"' in page

    browser = push_service.subscribe()
    answer = client.post(
        "/messaging/push/subscribe/", {"endpoint": browser["endpoint"], **browser["keys"]}
    )
    assert answer.status_code == 200 and answer.json()["subscriptions"] == 1
    bad = client.post("/messaging/push/subscribe/", {**browser["keys"], "endpoint": "ftp://x"})
    assert bad.status_code == 400 and bad.json()["code"] == "push_endpoint_invalid"
    assert client.get("/messaging/push/subscribe/").status_code == 405
    gone = client.post("/messaging/push/unsubscribe/", {"endpoint": browser["endpoint"]})
    assert gone.json() == {"unsubscribed": True, "subscriptions": 0}

    assert Client().get("/messaging/push/").status_code == 302  # anonymous → sign in


def test_the_service_worker_is_served_beside_the_page_it_scopes(client):
    # Public (the browser re-fetches it to check for updates, signed in or not), never cached,
    # and under the same CSP as the pages (its own CSP binds the worker).
    response = client.get("/messaging/push/sw.js")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    assert response["Cache-Control"] == "no-cache"
    assert "script-src 'self'" in response["Content-Security-Policy"]
    assert "worker-src 'self'" in response["Content-Security-Policy"]
    body = response.content.decode()
    assert 'addEventListener("push"' in body and 'addEventListener("notificationclick"' in body
    assert client.post("/messaging/push/sw.js").status_code == 405


@pytest.mark.parametrize("role", list(R))
def test_every_member_of_staff_finds_push_in_the_menu(make_user, branch_a, role):
    client = sign_in(Client(), make_user(role, branches=[branch_a]))
    home = client.get("/").content.decode()
    assert 'href="/messaging/push/"' in home and "Notifikasi push" in home
    inbox = client.get("/notifications/").content.decode()
    assert 'href="/messaging/push/" data-testid="push-settings-link"' in inbox


def test_the_push_page_and_its_messages_in_english(staff, push_settings):
    from django.utils import translation

    client = sign_in(Client(), staff)
    client.cookies["django_language"] = "en"
    with translation.override(translation.get_language()):
        page = client.get("/messaging/push/").content.decode()
        inbox = client.get("/notifications/").content.decode()
    assert ">Push notifications</a>" in page  # the menu entry
    assert "push service cannot be reached" in page and "Contacting the browser" in page
    assert "Also receive notifications in this browser (push)" in inbox


def test_signed_out_there_is_no_menu(client, db):
    assert 'href="/messaging/push/"' not in client.get("/login/").content.decode()


def test_without_a_vapid_key_the_page_says_push_is_off(staff, settings):
    settings.MESSAGING_VAPID_PRIVATE_KEY = ""
    page = sign_in(Client(), staff).get("/messaging/push/").content.decode()
    assert 'data-testid="push-off"' in page


# --- staff notices by push -------------------------------------------------------------------


def test_a_notice_to_staff_also_goes_by_push_to_whoever_turned_it_on(
    system, staff, make_user, branch_a, push_service, push_settings
):
    from amanah.messaging.notices import approval_notify

    quiet = make_user(R.AGENT, branches=[branch_a])
    subscribe(staff, push_service)

    approval_notify(
        actor=system,
        users=[staff, quiet],
        title="Kampanye menunggu persetujuan",
        url="/marketing/campaigns/",
        source="CAMPAIGN",
        source_id="c-1",
        step="pending:1",
    )
    assert dispatch.dispatch_batch("PUSH") == {"claimed": 1, "sent": 1}

    [push] = push_service.received
    assert push.payload["title"] == "Kampanye menunggu persetujuan"
    assert push.payload["url"] == "/marketing/campaigns/"
    in_app = set(Message.objects.filter(channel="IN_APP").values_list("staff_user_id", flat=True))
    assert in_app == {staff.pk, quiet.pk}


def test_without_a_vapid_key_staff_notices_stay_in_app(system, staff, push_service, settings):
    from amanah.messaging.notices import approval_notify

    subscribe(staff, push_service)  # a browser from when push was configured
    settings.MESSAGING_PROVIDERS = {
        k: v for k, v in settings.MESSAGING_PROVIDERS.items() if k != "PUSH"
    }

    approval_notify(
        actor=system, users=[staff], title="x", url="/", source="CAMPAIGN", source_id="c-2",
        step="pending:1",
    )  # fmt: skip

    assert list(Message.objects.values_list("channel", flat=True)) == ["IN_APP"]
