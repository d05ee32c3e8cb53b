"""The WhatsApp webhook: endpoint verification, the signature over the raw body, parsing."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

import pytest
from django.urls import reverse

from amanah.messaging.fakeprovider import server as fake
from amanah.messaging.fakeprovider.testing import (  # noqa: F401 — fixtures
    VERIFY_TOKEN,
    raw_json,
    recorder,
    signed_post,
    webhook_settings,
)
from amanah.messaging.providers import callbacks
from amanah.messaging.providers.base import DeliveryStatus
from amanah.messaging.providers.whatsapp import parse_webhook

# The database: refused signatures count towards a rate limit (core.ratelimit).
pytestmark = [pytest.mark.usefixtures("webhook_settings"), pytest.mark.django_db]

URL = "/webhooks/whatsapp"
AT = 1_795_000_000  # 2026-11-18T…Z


def document(*, statuses=(), messages=()) -> dict:
    value = {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "6281100000000", "phone_number_id": "1"},
    }
    if statuses:
        value["statuses"] = list(statuses)
    if messages:
        value["contacts"] = [{"profile": {"name": "Siti"}, "wa_id": "6281234567890"}]
        value["messages"] = list(messages)
    return {
        "object": "whatsapp_business_account",
        "entry": [{"id": "waba", "changes": [{"field": "messages", "value": value}]}],
    }


def status(word="delivered", wamid="wamid.A1", at=AT, **extra) -> dict:
    return {"id": wamid, "status": word, "timestamp": str(at), "recipient_id": "628123"} | extra


def text_message(body: str, wamid="wamid.IN1") -> dict:
    return {
        "from": "6281234567890",
        "id": wamid,
        "timestamp": str(AT),
        "type": "text",
        "text": {"body": body},
    }


def post(client, raw: bytes, secret: str = fake.APP_SECRET):
    return signed_post(client, URL, raw, secret=secret, header="X-Hub-Signature-256")


def test_the_route_is_declared_signed_and_named():
    assert reverse("webhooks:whatsapp") == URL


# --- GET: Meta verifies the endpoint ---------------------------------------------------------


def test_subscription_with_the_verify_token_gets_the_challenge(client):
    response = client.get(
        URL, {"hub.mode": "subscribe", "hub.verify_token": VERIFY_TOKEN, "hub.challenge": "8812"}
    )
    assert response.status_code == 200
    assert response.content == b"8812"


@pytest.mark.parametrize(
    "params",
    [
        {"hub.mode": "subscribe", "hub.verify_token": "salah", "hub.challenge": "1"},
        {"hub.mode": "unsubscribe", "hub.verify_token": VERIFY_TOKEN, "hub.challenge": "1"},
        {"hub.challenge": "1"},
    ],
)
def test_subscription_without_the_right_token_is_forbidden(client, params):
    response = client.get(URL, params)
    assert response.status_code == 403
    assert b"1" not in response.content.replace(b"403", b"")  # the challenge is not echoed


# --- POST: the signature is the permission ---------------------------------------------------


def test_signed_status_reaches_the_outbox_service(client, recorder):  # noqa: F811
    raw = raw_json(document(statuses=[status("read", biz_opaque_callback_data="msg-9")]))
    response = post(client, raw)

    assert response.status_code == 200
    assert response.json() == {"statuses": 1, "inbound": 0, "ignored": 0}
    [update] = recorder.statuses
    assert update.provider == "whatsapp-cloud"
    assert update.provider_message_id == "wamid.A1"
    assert update.status == DeliveryStatus.READ
    assert update.at == datetime.fromtimestamp(AT, tz=UTC)
    assert update.event_id
    assert update.message_id == "msg-9"  # our outbox id, echoed by the Cloud API


def test_emoji_and_accents_in_the_raw_body_verify(client, recorder):  # noqa: F811
    body = "Terima kasih 🙏🏽 — saya sudah transfer ke rekening José, naïve café ✓"
    raw = raw_json(document(messages=[text_message(body)]))
    assert b"\\u" not in raw and "🙏🏽".encode() in raw  # really raw multi-byte UTF-8

    response = post(client, raw)

    assert response.status_code == 200
    [message] = recorder.inbound
    assert message.text == body
    assert message.from_address == "+6281234567890"
    assert message.channel == "WHATSAPP"
    assert message.provider_message_id == "wamid.IN1"


def test_escaped_unicode_verifies_over_the_escaped_bytes(client, recorder):  # noqa: F811
    raw = json.dumps(document(messages=[text_message("Sudah 👍")])).encode()  # \\ud83d\\udc4d
    assert post(client, raw).status_code == 200
    assert recorder.inbound[0].text == "Sudah 👍"


def _signed_for(raw: bytes) -> dict:
    return {"HTTP_X_HUB_SIGNATURE_256": callbacks.sign(fake.APP_SECRET, raw)}


@pytest.mark.parametrize(
    "headers",
    [
        {},  # missing
        {"HTTP_X_HUB_SIGNATURE_256": ""},
        {"HTTP_X_HUB_SIGNATURE_256": "sha256=" + "0" * 64},  # wrong
        {"HTTP_X_HUB_SIGNATURE_256": "sha1=" + "0" * 40},  # another scheme
        {"HTTP_X_HUB_SIGNATURE_256": callbacks.sign("rahasia-lain", b"{}")[:20]},
    ],
    ids=["missing", "empty", "wrong", "sha1", "truncated"],
)
def test_bad_or_missing_signature_is_401_and_changes_nothing(client, recorder, headers):  # noqa: F811
    raw = raw_json(document(statuses=[status()]))
    response = client.post(URL, data=raw, content_type="application/json", **headers)
    assert response.status_code == 401
    assert response.json()["code"] == "unauthorized"
    assert recorder.statuses == [] and recorder.inbound == []


def test_signature_with_another_secret_is_refused(client, recorder):  # noqa: F811
    raw = raw_json(document(statuses=[status()]))
    assert post(client, raw, secret="rahasia-lain").status_code == 401
    assert recorder.statuses == []


def test_a_tampered_body_is_refused(client, recorder):  # noqa: F811
    raw = raw_json(document(statuses=[status("delivered")]))
    tampered = raw.replace(b'"delivered"', b'"read"')
    response = client.post(URL, data=tampered, content_type="application/json", **_signed_for(raw))
    assert response.status_code == 401
    assert recorder.statuses == []


def test_unsigned_garbage_is_401_not_400(client, recorder):  # noqa: F811
    # The signature is checked before anything is parsed, even by the input layer.
    for garbage in (b"{not json\x00", b"[" * 100_000):
        response = client.post(URL, data=garbage, content_type="application/json")
        assert response.status_code == 401


def test_signed_but_malformed_json_is_400(client, recorder):  # noqa: F811
    lone_surrogate = "\udcff".encode(errors="surrogatepass")  # not UTF-8 at all
    too_deep = b"[" * 100_000  # json.loads raises RecursionError, not ValueError
    for raw in (b"{not json", b"[1, 2]", b'{"entry": "x"}', lone_surrogate, too_deep):
        response = post(client, raw)
        assert response.status_code == 400, raw
        assert response.json()["code"] == "invalid_json"
    assert recorder.statuses == []


def test_unknown_statuses_and_unreadable_items_are_counted_not_fatal(client, recorder):  # noqa: F811
    raw = raw_json(
        document(
            statuses=[
                status("delivered"),
                status("deleted"),  # a status we do not know
                status("read", at="kemarin"),  # unreadable timestamp
                status("sent", wamid=""),  # no id
                "bukan objek",
                status("failed", wamid="wamid.B2", errors=[{"code": 131026, "title": "x"}]),
            ],
            messages=[
                {"id": "wamid.X", "timestamp": str(AT), "type": "text"},  # no sender
                text_message("Halo\x00 ada\x07 kontrol", wamid="wamid.IN2"),
            ],
        )
    )
    response = post(client, raw)

    assert response.status_code == 200
    assert response.json() == {"statuses": 2, "inbound": 1, "ignored": 5}
    assert [(u.provider_message_id, u.status, u.error_code) for u in recorder.statuses] == [
        ("wamid.A1", DeliveryStatus.DELIVERED, ""),
        ("wamid.B2", DeliveryStatus.FAILED, "131026"),
    ]
    assert recorder.inbound[0].text == "Halo ada kontrol"  # control characters dropped


def test_each_status_is_handed_over_once_per_callback(client, recorder):  # noqa: F811
    # A duplicate callback is handed over again: the outbox makes the repeat a no-op, and the
    # event id lets it tell (same message, status and time → same event id).
    raw = raw_json(document(statuses=[status("delivered")]))
    post(client, raw)
    post(client, raw)
    first, second = recorder.statuses
    assert first == second and first.event_id == second.event_id


def test_other_methods_are_refused(client):
    assert client.put(URL, data=b"{}").status_code == 405
    assert client.delete(URL).status_code == 405


def test_without_a_configured_whatsapp_provider_there_is_no_webhook(client, settings):
    settings.MESSAGING_PROVIDERS = {}
    assert client.get(URL, {"hub.mode": "subscribe"}).status_code == 404
    raw = raw_json(document(statuses=[status()]))
    assert post(client, raw).status_code == 404


def test_repeated_bad_signatures_are_rate_limited(client, recorder, settings):  # noqa: F811
    settings.MESSAGING_WEBHOOK_BAD_SIGNATURES_PER_MINUTE = 3
    raw = raw_json(document(statuses=[status()]))
    # An address of its own: no other test's refusals count towards this one's limit.
    answers = [
        client.post(
            URL, data=raw, content_type="application/json", REMOTE_ADDR="192.0.2.41"
        ).status_code
        for _ in range(5)
    ]
    assert answers[:3] == [401, 401, 401]
    assert answers[3:] == [429, 429]
    assert post(client, raw).status_code == 200  # the provider's signed calls still pass


def test_nothing_from_the_body_is_logged(client, recorder, caplog):  # noqa: F811
    caplog.set_level(logging.DEBUG)
    raw = raw_json(document(statuses=[status()], messages=[text_message("Nomor saya 0812-555")]))
    post(client, raw)
    client.post(URL, data=raw, content_type="application/json")  # refused, logged as such

    assert "1 statuses, 1 inbound" in caplog.text
    logged = caplog.text + " ".join(str(r.args) for r in caplog.records)
    for secret in ("6281234567890", "0812-555", "wamid.A1", fake.APP_SECRET):
        assert secret not in logged


def test_parse_webhook_refuses_what_is_not_the_cloud_api_shape():
    from amanah.messaging.providers.callbacks import MalformedWebhook

    for document_ in (None, [], {"entry": {}}, {"object": "x"}):
        with pytest.raises(MalformedWebhook):
            parse_webhook(document_)
    assert parse_webhook({"entry": []}).ignored == 0
