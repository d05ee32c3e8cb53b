"""The HTTP SMS gateway adapter against the fake gateway, and the signed SMS webhook."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import pytest

from amanah.messaging.fakeprovider import server as fake
from amanah.messaging.fakeprovider.testing import (  # noqa: F401 — fixtures
    fake_provider,
    raw_json,
    recorder,
    signed_post,
    webhook_settings,
)
from amanah.messaging.providers import callbacks
from amanah.messaging.providers.base import (
    DeliveryStatus,
    OutgoingMessage,
    ProviderError,
    ProviderUnavailable,
)
from amanah.messaging.providers.sms import HttpSmsProvider

NUMBER = "+6281234567890"
URL = "/webhooks/sms"


def adapter_for(fake_: fake.FakeProvider, **overrides) -> HttpSmsProvider:
    options = {
        "base_url": fake_.url + "/sms",
        "api_key": fake_.sms_api_key,
        "sender_id": fake_.sms_sender_id,
        "secret": fake_.sms_secret,
        "timeout": 5.0,
    } | overrides
    return HttpSmsProvider(**options)


def sms(message_id="sms-msg-1", text="Kode promo Anda: TABUNG25", to=NUMBER) -> OutgoingMessage:
    return OutgoingMessage(message_id, "SMS", to, text=text)


# --- sending ---------------------------------------------------------------------------------


def test_the_gateway_receives_sender_id_number_text_and_reference(fake_provider):  # noqa: F811
    accepted = adapter_for(fake_provider).send(sms())

    [request] = fake_provider.received
    assert (request.api, request.path, request.status) == ("sms", "/sms/messages", 202)
    assert request.body == {
        "from": "AMANAH",
        "to": NUMBER,
        "text": "Kode promo Anda: TABUNG25",
        "reference": "sms-msg-1",
    }
    assert accepted.provider_message_id.startswith("sms-")


def test_a_resent_reference_is_not_sent_twice(fake_provider):  # noqa: F811
    adapter = adapter_for(fake_provider)
    assert adapter.send(sms("r-1")) == adapter.send(sms("r-1"))
    assert len(fake_provider.delivered("sms")) == 1


@pytest.mark.parametrize(
    ("overrides", "message", "code"),
    [
        ({"sender_id": "LAIN"}, sms(), "sms_SENDER_NOT_REGISTERED"),
        ({}, sms(to="081234567890"), "sms_INVALID_NUMBER"),
        ({}, sms(text=""), "sms_INVALID_TEXT"),
    ],
)
def test_bad_requests_are_permanent_failures(fake_provider, overrides, message, code):  # noqa: F811
    with pytest.raises(ProviderError) as refused:
        adapter_for(fake_provider, **overrides).send(message)
    assert refused.value.code == code
    assert refused.value.retryable is False


def test_gateway_errors_and_throttling_are_retryable(fake_provider):  # noqa: F811
    fake_provider.fail_next(1, status=502)
    fake_provider.fail_next(1, status=429)
    adapter = adapter_for(fake_provider)
    with pytest.raises(ProviderError) as first:
        adapter.send(sms())
    with pytest.raises(ProviderError) as second:
        adapter.send(sms())
    assert (first.value.code, first.value.retryable) == ("sms_SERVICE_UNAVAILABLE", True)
    assert (second.value.code, second.value.retry_after) == ("sms_RATE_LIMITED", 1.0)
    adapter.send(sms())
    assert len(fake_provider.delivered("sms")) == 1


def test_a_wrong_api_key_or_an_outage_pauses_the_provider(fake_provider):  # noqa: F811
    with pytest.raises(ProviderUnavailable):
        adapter_for(fake_provider, api_key="salah").send(sms())
    fake_provider.outage()
    with pytest.raises(ProviderUnavailable) as refused:
        adapter_for(fake_provider).send(sms())
    assert refused.value.code == "sms_unreachable"
    fake_provider.restore()
    adapter_for(fake_provider).send(sms())
    assert len(fake_provider.delivered("sms")) == 1


# --- the delivery-report webhook -------------------------------------------------------------


def dlr(status="DELIVERED", gateway_id="sms-abc", **extra) -> dict:
    return {
        "type": "dlr",
        "id": gateway_id,
        "reference": "sms-msg-1",
        "status": status,
        "error_code": "",
        "timestamp": "2026-11-23T05:00:00Z",
    } | extra


def mo(text: str, sender="+6281234567890") -> dict:
    return {
        "type": "mo",
        "id": "mo-1",
        "from": sender,
        "to": "AMANAH",
        "text": text,
        "timestamp": "2026-11-23T12:01:00+07:00",
    }


def post(client, document, secret=fake.SMS_SECRET):
    return signed_post(client, URL, raw_json(document), secret=secret, header="X-Signature")


@pytest.mark.django_db
@pytest.mark.usefixtures("webhook_settings")
class TestWebhook:
    def test_delivery_reports_reach_the_outbox_service(self, client, recorder):  # noqa: F811
        document = {
            "events": [dlr("SENT"), dlr("DELIVERED"), dlr("UNDELIVERED", error_code="ABSENT")]
        }
        response = post(client, document)

        assert response.status_code == 200
        assert response.json() == {"statuses": 3, "inbound": 0, "ignored": 0}
        assert [(u.status, u.error_code) for u in recorder.statuses] == [
            (DeliveryStatus.SENT, ""),
            (DeliveryStatus.DELIVERED, ""),
            (DeliveryStatus.FAILED, "ABSENT"),
        ]
        assert recorder.statuses[0].at == datetime(2026, 11, 23, 5, tzinfo=UTC)
        assert recorder.statuses[0].provider == "sms-http"
        assert recorder.statuses[0].message_id == "sms-msg-1"  # the reference we sent
        assert len({u.event_id for u in recorder.statuses}) == 3

    def test_a_stop_reply_arrives_as_an_inbound_sms(self, client, recorder):  # noqa: F811
        response = post(client, {"events": [mo("STOP")]})

        assert response.status_code == 200
        [message] = recorder.inbound
        assert (message.channel, message.text, message.from_address) == ("SMS", "STOP", NUMBER)
        assert message.at == datetime(2026, 11, 23, 5, 1, tzinfo=UTC)  # WIB → UTC

    def test_accents_and_emoji_verify(self, client, recorder):  # noqa: F811
        assert post(client, {"events": [mo("Berhenti 🙅‍♀️ — merci, señor")]}).status_code == 200
        assert recorder.inbound[0].text == "Berhenti 🙅‍♀️ — merci, señor"

    def test_bad_missing_or_tampered_signature_is_401(self, client, recorder):  # noqa: F811
        raw = raw_json({"events": [dlr()]})
        good = callbacks.sign(fake.SMS_SECRET, raw)
        tampered = raw.replace(b"DELIVERED", b"FAILED")
        attempts = [
            client.post(URL, data=raw, content_type="application/json"),
            client.post(URL, data=raw, content_type="application/json", HTTP_X_SIGNATURE="x"),
            client.post(URL, data=tampered, content_type="application/json", HTTP_X_SIGNATURE=good),
            post(client, {"events": [dlr()]}, secret=fake.APP_SECRET),  # WhatsApp's secret
        ]
        assert [a.status_code for a in attempts] == [401, 401, 401, 401]
        assert recorder.statuses == []

    def test_unreadable_events_are_counted_and_bad_documents_are_400(self, client, recorder):  # noqa: F811
        document = {
            "events": [
                dlr("LOST"),  # unknown status
                dlr(timestamp="2026-11-23 05:00"),  # no zone
                dlr(gateway_id=None),
                mo("Halo", sender="bukan nomor"),
                {"type": "ping"},
                dlr(),
            ]
        }
        response = post(client, document)
        assert response.json() == {"statuses": 1, "inbound": 0, "ignored": 5}
        assert post(client, {"event": []}).status_code == 400
        assert client.get(URL).status_code == 404

    def test_nothing_from_the_body_is_logged(self, client, recorder, caplog):  # noqa: F811
        caplog.set_level(logging.DEBUG)
        post(client, {"events": [mo("STOP kirim ke 0812-777")]})
        logged = caplog.text + " ".join(str(r.args) for r in caplog.records)
        assert "0 statuses, 1 inbound" in caplog.text
        for secret in ("6281234567890", "0812-777", "STOP"):
            assert secret not in logged
