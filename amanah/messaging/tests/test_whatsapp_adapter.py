"""The WhatsApp Cloud API adapter against the loopback fake provider, over real HTTP."""

from __future__ import annotations

import logging
import socket

import pytest

from amanah.messaging.fakeprovider import FakeProvider
from amanah.messaging.fakeprovider.testing import fake_provider  # noqa: F401 — fixture
from amanah.messaging.providers.base import (
    Attachment,
    OutgoingMessage,
    ProviderError,
    ProviderUnavailable,
)
from amanah.messaging.providers.whatsapp import WhatsAppCloudProvider

NUMBER = "+6281234567890"


def adapter_for(fake: FakeProvider, **overrides) -> WhatsAppCloudProvider:
    options = {
        "base_url": fake.url,
        "phone_number_id": fake.phone_number_id,
        "access_token": fake.access_token,
        "app_secret": fake.app_secret,
        "verify_token": "verifikasi",
        "timeout": 5.0,
    } | overrides
    return WhatsAppCloudProvider(**options)


def template_message(message_id="msg-1", **fields) -> OutgoingMessage:
    values = {
        "message_id": message_id,
        "channel": "WHATSAPP",
        "to": NUMBER,
        "template": "promo_tabungan",
        "language": "id",
        "parameters": ("Siti", "TABUNG25"),
        "category": "MARKETING",
        "media_url": "https://bank.example/promo.jpg",
    } | fields
    return OutgoingMessage(**values)


def test_template_message_reaches_the_provider_in_the_cloud_api_shape(fake_provider):  # noqa: F811
    accepted = adapter_for(fake_provider).send(template_message())

    [request] = fake_provider.received
    assert request.api == "whatsapp" and request.status == 200
    assert request.path == f"/v21.0/{fake_provider.phone_number_id}/messages"
    assert request.body == {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": "6281234567890",
        "biz_opaque_callback_data": "msg-1",
        "type": "template",
        "template": {
            "name": "promo_tabungan",
            "language": {"code": "id"},
            "components": [
                {
                    "type": "header",
                    "parameters": [
                        {"type": "image", "image": {"link": "https://bank.example/promo.jpg"}}
                    ],
                },
                {
                    "type": "body",
                    "parameters": [
                        {"type": "text", "text": "Siti"},
                        {"type": "text", "text": "TABUNG25"},
                    ],
                },
            ],
        },
    }
    assert accepted.provider_message_id.startswith("wamid.")


def test_a_pdf_goes_as_a_document_header(fake_provider):  # noqa: F811
    message = template_message(media_url="https://bank.example/tanda-terima.pdf", parameters=())
    adapter_for(fake_provider).send(message)

    [request] = fake_provider.received
    assert request.body["template"]["components"] == [
        {
            "type": "header",
            "parameters": [
                {
                    "type": "document",
                    "document": {
                        "link": "https://bank.example/tanda-terima.pdf",
                        "filename": "tanda-terima.pdf",
                    },
                }
            ],
        }
    ]


def test_without_a_template_it_is_free_text_for_the_service_window(fake_provider):  # noqa: F811
    message = OutgoingMessage("msg-2", "WHATSAPP", NUMBER, text="Baik Bu, kami cek 🙏")
    adapter_for(fake_provider).send(message)

    [request] = fake_provider.received
    assert request.body["type"] == "text"
    assert request.body["text"] == {"preview_url": False, "body": "Baik Bu, kami cek 🙏"}
    assert "template" not in request.body


def test_a_resent_message_is_delivered_once(fake_provider):  # noqa: F811
    adapter = adapter_for(fake_provider)
    first = adapter.send(template_message("msg-3"))
    again = adapter.send(template_message("msg-3"))
    other = adapter.send(template_message("msg-4"))

    assert first == again
    assert other != first
    assert len(fake_provider.received) == 3
    assert [r.body["biz_opaque_callback_data"] for r in fake_provider.delivered("whatsapp")] == [
        "msg-3",
        "msg-4",
    ]


def test_unknown_template_is_a_permanent_failure():
    with FakeProvider(templates={"promo_tabungan": 2}) as fake:
        with pytest.raises(ProviderError) as refused:
            adapter_for(fake).send(template_message(template="tidak_ada"))
        assert refused.value.code == "whatsapp_132001"
        assert refused.value.retryable is False

        with pytest.raises(ProviderError) as wrong_count:
            adapter_for(fake).send(template_message(parameters=("Siti",)))
        assert wrong_count.value.code == "whatsapp_132000"
        assert wrong_count.value.retryable is False

        adapter_for(fake).send(template_message())  # the right name and count pass
        assert [r.status for r in fake.received] == [404, 400, 200]


def test_an_undeliverable_number_is_a_permanent_failure(fake_provider):  # noqa: F811
    fake_provider.fail_number(NUMBER)
    with pytest.raises(ProviderError) as refused:
        adapter_for(fake_provider).send(template_message())
    assert refused.value.code == "whatsapp_131026"
    assert refused.value.retryable is False
    assert not isinstance(refused.value, ProviderUnavailable)


@pytest.mark.parametrize("status", [500, 503])
def test_server_errors_are_retryable(fake_provider, status):  # noqa: F811
    fake_provider.fail_next(1, status=status)
    adapter = adapter_for(fake_provider)
    with pytest.raises(ProviderError) as refused:
        adapter.send(template_message())
    assert refused.value.retryable is True
    assert not isinstance(refused.value, ProviderUnavailable)

    assert adapter.send(template_message()).provider_message_id  # the next call goes through
    assert len(fake_provider.delivered("whatsapp")) == 1


def test_throttling_is_retryable_after_the_given_delay(fake_provider):  # noqa: F811
    fake_provider.fail_next(1, status=429)
    with pytest.raises(ProviderError) as refused:
        adapter_for(fake_provider).send(template_message())
    assert refused.value.code == "whatsapp_130429"
    assert refused.value.retryable is True
    assert refused.value.retry_after == 1.0


def test_a_rejected_token_pauses_the_provider(fake_provider):  # noqa: F811
    with pytest.raises(ProviderUnavailable) as refused:
        adapter_for(fake_provider, access_token="kedaluwarsa").send(template_message())
    assert refused.value.code == "whatsapp_190"
    assert fake_provider.delivered("whatsapp") == []


def test_an_outage_pauses_the_provider_and_it_resumes(fake_provider):  # noqa: F811
    adapter = adapter_for(fake_provider)
    adapter.send(template_message("msg-5"))  # a pooled keep-alive connection now exists

    fake_provider.outage()
    with pytest.raises(ProviderUnavailable) as refused:
        adapter.send(template_message("msg-6"))
    assert refused.value.retryable is True

    fake_provider.restore()
    adapter.send(template_message("msg-6"))
    assert [r.body["biz_opaque_callback_data"] for r in fake_provider.delivered("whatsapp")] == [
        "msg-5",
        "msg-6",
    ]


def test_a_provider_that_does_not_answer_times_out_as_retryable():
    # A socket that accepts connections (the kernel's backlog) but never answers.
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(1)
    try:
        adapter = WhatsAppCloudProvider(
            base_url=f"http://127.0.0.1:{silent.getsockname()[1]}",
            phone_number_id="1",
            access_token="t",
            timeout=0.5,
        )
        with pytest.raises(ProviderError) as refused:
            adapter.send(template_message())
        assert refused.value.code == "timeout"
        assert refused.value.retryable is True
        assert not isinstance(refused.value, ProviderUnavailable)
    finally:
        silent.close()


def test_nothing_personal_is_logged(fake_provider, caplog):  # noqa: F811
    caplog.set_level(logging.DEBUG)
    adapter = adapter_for(fake_provider)
    adapter.send(template_message(parameters=("Siti Rahmawati", "TABUNG25")))
    fake_provider.fail_number(NUMBER)
    with pytest.raises(ProviderError):
        adapter.send(template_message("msg-7", parameters=("Siti Rahmawati", "TABUNG25")))

    assert caplog.records  # the refusal was logged …
    logged = caplog.text + " ".join(str(r.args) for r in caplog.records)
    for secret in ("6281234567890", "Siti Rahmawati", "TABUNG25", fake_provider.access_token):
        assert secret not in logged  # … without the number, the content or the token


def test_a_long_run_keeps_only_the_newest_requests():
    with FakeProvider(max_recorded=2) as fake:
        adapter = adapter_for(fake)
        for n in range(3):
            adapter.send(template_message(f"msg-{n}"))
        assert [r.body["biz_opaque_callback_data"] for r in fake.received] == ["msg-1", "msg-2"]


def test_an_attached_pdf_is_uploaded_and_named_in_the_template_header(fake_provider):  # noqa: F811
    receipt = Attachment("tanda-terima-K-0042.pdf", b"%PDF-1.7 \x00\xff receipt", "application/pdf")
    message = template_message(media_url="", parameters=("K-0042",), attachments=(receipt,))
    adapter_for(fake_provider).send(message)

    upload, sent = fake_provider.received
    assert upload.path.endswith("/media") and upload.status == 200
    assert upload.body == {
        "type": "application/pdf",
        "filename": "tanda-terima-K-0042.pdf",
        "size": len(receipt.content),
    }
    [header] = [c for c in sent.body["template"]["components"] if c["type"] == "header"]
    document = header["parameters"][0]["document"]
    assert document["filename"] == "tanda-terima-K-0042.pdf"
    assert document["id"]  # the id the upload returned; the fake refuses ids it never issued
    assert sent.status == 200


def test_a_header_naming_unknown_media_is_refused(fake_provider):  # noqa: F811
    from amanah.messaging.providers.whatsapp import request_body

    body = request_body(
        template_message(media_url="", attachments=(Attachment("x.pdf", b"x", "application/pdf"),)),
        media_id="tidak-pernah-diunggah",
    )
    response = adapter_for(fake_provider)._http._client.post(
        f"{fake_provider.url}/v21.0/{fake_provider.phone_number_id}/messages", json=body
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == 131053
