"""One transport, one meaning per fault: both HTTP adapters (WhatsApp Cloud API, SMS gateway)
against a loopback server that misbehaves on purpose, over real HTTP."""

from __future__ import annotations

from dataclasses import dataclass

import httpx
import pytest

from amanah.messaging.fakeprovider import server as fake
from amanah.messaging.fakeprovider.testing import (  # noqa: F401 — fixture
    closed_port,
    fake_provider,
    unanswered_port,
)
from amanah.messaging.providers.base import OutgoingMessage, ProviderError, ProviderUnavailable
from amanah.messaging.providers.http import HttpTransport, classify, transport_error
from amanah.messaging.providers.sms import HttpSmsProvider
from amanah.messaging.providers.whatsapp import WhatsAppCloudProvider

NUMBER = "+6281234567890"


@dataclass(frozen=True)
class Adapter:
    name: str  # the transport's name: the prefix of its codes
    api: str  # the fake's name for it

    def build(self, base_url: str, **overrides):
        if self.api == "whatsapp":
            options = {
                "base_url": base_url,
                "phone_number_id": fake.PHONE_NUMBER_ID,
                "access_token": fake.ACCESS_TOKEN,
                "timeout": 5.0,
            }
            return WhatsAppCloudProvider(**(options | overrides))
        options = {
            "base_url": base_url + "/sms",
            "api_key": fake.SMS_API_KEY,
            "sender_id": fake.SMS_SENDER_ID,
            "timeout": 5.0,
        }
        return HttpSmsProvider(**(options | overrides))

    def message(self, message_id: str = "msg-1", **fields) -> OutgoingMessage:
        if self.api == "whatsapp":
            values = {"template": "info_saldo", "parameters": ("Siti",)}
        else:
            values = {"text": "Kode promo Anda: TABUNG25"}
        return OutgoingMessage(message_id, self.api.upper(), NUMBER, **(values | fields))


ADAPTERS = [Adapter("whatsapp", "whatsapp"), Adapter("sms", "sms")]
both = pytest.mark.parametrize("adapter", ADAPTERS, ids=lambda a: a.name)


@both
def test_connection_refused_pauses_the_provider(adapter):
    with closed_port() as port, pytest.raises(ProviderUnavailable) as refused:
        adapter.build(f"http://127.0.0.1:{port}").send(adapter.message())
    assert refused.value.code == f"{adapter.name}_unreachable"
    assert refused.value.retryable is True


@both
def test_a_connect_timeout_pauses_the_provider_like_a_refusal(adapter):
    """The two adapters used to disagree here; nothing was sent, so it is "unreachable"."""
    with unanswered_port() as port:
        sender = adapter.build(f"http://127.0.0.1:{port}", timeout=0.5)
        with pytest.raises(ProviderUnavailable) as refused:
            sender.send(adapter.message())
    assert refused.value.code == f"{adapter.name}_unreachable"
    assert isinstance(refused.value.__cause__, httpx.ConnectTimeout)


@both
def test_a_read_timeout_is_retryable_and_the_retry_is_delivered_once(adapter, fake_provider):  # noqa: F811
    fake_provider.delay_next(2.0)  # handled (accepted), answered after the client gave up
    sender = adapter.build(fake_provider.url, timeout=0.5)
    with pytest.raises(ProviderError) as refused:
        sender.send(adapter.message())
    assert (refused.value.code, refused.value.retryable) == ("timeout", True)
    assert not isinstance(refused.value, ProviderUnavailable)

    sender.send(adapter.message())  # the retry: same idempotency key
    assert [r.duplicate for r in fake_provider.received] == [False, True]
    assert len(fake_provider.delivered(adapter.api)) == 1


@both
def test_a_reset_connection_is_retryable_not_a_pause(adapter, fake_provider):  # noqa: F811
    fake_provider.reset_next()
    sender = adapter.build(fake_provider.url)
    with pytest.raises(ProviderError) as refused:
        sender.send(adapter.message())
    assert (refused.value.code, refused.value.retryable) == ("transport_error", True)
    assert not isinstance(refused.value, ProviderUnavailable)

    assert sender.send(adapter.message()).provider_message_id
    assert len(fake_provider.delivered(adapter.api)) == 1


@both
@pytest.mark.parametrize("status", [500, 502, 503])
def test_server_errors_are_retryable(adapter, fake_provider, status):  # noqa: F811
    fake_provider.fail_next(1, status=status)
    with pytest.raises(ProviderError) as refused:
        adapter.build(fake_provider.url).send(adapter.message())
    assert refused.value.retryable is True
    assert not isinstance(refused.value, ProviderUnavailable)


@both
def test_429_is_retryable_after_the_given_delay(adapter, fake_provider):  # noqa: F811
    fake_provider.fail_next(1, status=429)
    with pytest.raises(ProviderError) as refused:
        adapter.build(fake_provider.url).send(adapter.message())
    assert refused.value.retryable is True
    assert refused.value.retry_after == 1.0
    assert not isinstance(refused.value, ProviderUnavailable)


@both
def test_a_rejected_credential_pauses_the_provider(adapter, fake_provider):  # noqa: F811
    key = "access_token" if adapter.api == "whatsapp" else "api_key"
    with pytest.raises(ProviderUnavailable):
        adapter.build(fake_provider.url, **{key: "salah"}).send(adapter.message())
    assert fake_provider.delivered(adapter.api) == []


@both
def test_other_4xx_fail_the_message_for_good(adapter, fake_provider):  # noqa: F811
    fake_provider.fail_number(NUMBER)
    with pytest.raises(ProviderError) as refused:
        adapter.build(fake_provider.url).send(adapter.message())
    assert refused.value.retryable is False
    assert refused.value.code.startswith(f"{adapter.name}_")


# --- the mapping on its own -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "provider_code", "expected"),
    [
        (400, None, ("http_400", False, False)),
        (404, "NOT_FOUND", ("p_NOT_FOUND", False, False)),
        (401, None, ("http_401", True, True)),
        (403, "X", ("p_X", True, True)),
        (400, 190, ("p_190", True, True)),  # a credential code under a 400
        (400, 130429, ("p_130429", True, False)),  # a throttling code under a 400
        (429, None, ("http_429", True, False)),
        (500, None, ("http_500", True, False)),
        (503, 2, ("p_2", True, False)),
        (400, 131047, ("outside_service_window", False, False)),  # ours, permanent
    ],
)
def test_classify(status, provider_code, expected):
    error = classify(
        "p",
        status,
        provider_code,
        retryable_codes={130429},
        credential_codes={190},
        permanent_codes={131047: "outside_service_window"},
    )
    assert (error.code, error.retryable, isinstance(error, ProviderUnavailable)) == expected


@pytest.mark.parametrize(
    ("exc", "expected"),
    [
        (httpx.ConnectError("refused"), ("p_unreachable", True)),
        (httpx.ConnectTimeout("syn"), ("p_unreachable", True)),
        (httpx.ReadTimeout("late"), ("timeout", False)),
        (httpx.WriteTimeout("late"), ("timeout", False)),
        (httpx.PoolTimeout("busy"), ("timeout", False)),
        (httpx.ReadError("reset"), ("transport_error", False)),
        (httpx.RemoteProtocolError("eof"), ("transport_error", False)),
    ],
)
def test_transport_errors(exc, expected):
    error = transport_error("p", exc)
    assert error.retryable is True
    assert (error.code, isinstance(error, ProviderUnavailable)) == expected


def test_the_transport_logs_the_code_and_status_only(fake_provider, caplog):  # noqa: F811
    transport = HttpTransport("sms", headers={"X-Api-Key": "rahasia"})
    with pytest.raises(ProviderError):
        transport.post(fake_provider.url + "/sms/messages", json={"to": NUMBER, "text": "Siti"})
    transport.close()
    assert "sms send refused: http_401 (HTTP 401)" in caplog.text
    for secret in ("6281234567890", "Siti", "rahasia"):
        assert secret not in caplog.text
