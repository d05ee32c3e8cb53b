"""The fake provider's signed webhooks reach a live Django server (real HTTP both ways), and its
controls (delay, duplicate, reorder, fail, inbound) do what they say."""

from __future__ import annotations

import logging

import pytest

from amanah.core.models import RateCounter
from amanah.core.testing import on_own_connection
from amanah.messaging.fakeprovider import FakeProvider
from amanah.messaging.fakeprovider import server as fake
from amanah.messaging.fakeprovider.testing import (  # noqa: F401 — fixtures
    django_server,
    providers_config,
    recorder,
)
from amanah.messaging.providers import provider_for
from amanah.messaging.providers.base import DeliveryStatus, OutgoingMessage

NUMBER = "+6281234567890"
S, D, R, F = (
    DeliveryStatus.SENT,
    DeliveryStatus.DELIVERED,
    DeliveryStatus.READ,
    DeliveryStatus.FAILED,
)


@pytest.fixture
def live(django_server, settings):  # noqa: F811
    """The fake provider posting to this project's webhooks, and the adapters configured
    against the fake."""
    with FakeProvider(
        whatsapp_webhook_url=f"{django_server}/webhooks/whatsapp",
        sms_webhook_url=f"{django_server}/webhooks/sms",
    ) as fake:
        settings.MESSAGING_PROVIDERS = providers_config(fake.url)
        yield fake


def send_whatsapp(message_id: str = "msg-1", to: str = NUMBER) -> str:
    message = OutgoingMessage(
        message_id, "WHATSAPP", to, template="promo_tabungan", parameters=("Siti",)
    )
    return provider_for("WHATSAPP").send(message).provider_message_id


def statuses_of(recorder, wamid: str) -> list[str]:  # noqa: F811
    return [u.status for u in recorder.statuses if u.provider_message_id == wamid]


def test_an_accepted_message_is_followed_by_signed_sent_delivered_read(live, recorder):  # noqa: F811
    wamid = send_whatsapp()
    live.wait_for_webhooks()

    assert statuses_of(recorder, wamid) == [S, D, R]
    assert [p.response_status for p in live.posted] == [200, 200, 200]  # signature accepted
    assert {u.message_id for u in recorder.statuses} == {"msg-1"}  # our id comes back too
    times = [u.at for u in recorder.statuses]
    assert times == sorted(times) and len(set(times)) == 3  # the provider's clock orders them


def test_a_resent_message_gets_no_second_round_of_webhooks(live, recorder):  # noqa: F811
    first = send_whatsapp("msg-2")
    assert send_whatsapp("msg-2") == first
    live.wait_for_webhooks()
    assert statuses_of(recorder, first) == [S, D, R]


def test_delay_holds_the_webhooks_back(live, recorder):  # noqa: F811
    live.delay = 0.5
    wamid = send_whatsapp()
    assert recorder.statuses == []  # nothing posted yet: the first post waits at least 0.5 s
    live.wait_for_webhooks()
    assert statuses_of(recorder, wamid) == [S, D, R]


def test_duplicate_posts_every_webhook_twice(live, recorder):  # noqa: F811
    live.duplicate = True
    wamid = send_whatsapp()
    live.wait_for_webhooks()

    assert statuses_of(recorder, wamid) == [S, S, D, D, R, R]
    assert len({u.event_id for u in recorder.statuses}) == 3  # the copies are the same events


def test_reorder_posts_newest_first_with_the_original_timestamps(live, recorder):  # noqa: F811
    live.reorder = True
    wamid = send_whatsapp()
    live.wait_for_webhooks()

    assert statuses_of(recorder, wamid) == [R, D, S]
    by_status = {u.status: u.at for u in recorder.statuses}
    assert by_status[S] < by_status[D] < by_status[R]  # merged by provider time, READ wins


def test_a_failing_number_is_reported_failed_by_webhook(live, recorder):  # noqa: F811
    live.fail_number(NUMBER, via_webhook=True)
    wamid = send_whatsapp()
    live.wait_for_webhooks()

    assert statuses_of(recorder, wamid) == [S, F]
    assert recorder.statuses[-1].error_code == "131026"


def test_a_customer_reply_arrives_as_an_inbound_message(live, recorder):  # noqa: F811
    live.send_inbound_whatsapp(NUMBER, "STOP 🙏 jangan kirim lagi")
    live.wait_for_webhooks()

    [message] = recorder.inbound
    assert (message.channel, message.from_address) == ("WHATSAPP", NUMBER)
    assert message.text == "STOP 🙏 jangan kirim lagi"


def test_sms_delivery_reports_and_stop_reach_the_server(live, recorder):  # noqa: F811
    live.duplicate = True
    accepted = provider_for("SMS").send(OutgoingMessage("sms-1", "SMS", NUMBER, text="Halo"))
    gateway_id = accepted.provider_message_id
    live.send_inbound_sms(NUMBER, "STOP")
    live.wait_for_webhooks()

    assert statuses_of(recorder, gateway_id) == [S, S, D, D]
    assert {u.message_id for u in recorder.statuses} == {"sms-1"}
    assert [(m.channel, m.text) for m in recorder.inbound] == [("SMS", "STOP"), ("SMS", "STOP")]


@pytest.fixture
def rate_counts_cleaned(db):
    """The server thread commits its rate-limit count of refused signatures: remove it."""
    yield
    on_own_connection(
        lambda: RateCounter.objects.filter(key__startswith="webhook-signature:").delete()
    )


@pytest.mark.usefixtures("rate_counts_cleaned")
def test_a_webhook_signed_with_another_secret_is_refused_by_the_server(
    django_server,  # noqa: F811
    recorder,  # noqa: F811
    settings,
):
    with FakeProvider(
        app_secret="bukan-rahasia-kita", whatsapp_webhook_url=f"{django_server}/webhooks/whatsapp"
    ) as impostor:
        settings.MESSAGING_PROVIDERS = providers_config(impostor.url)
        impostor.send_inbound_whatsapp(NUMBER, "halo")
        impostor.wait_for_webhooks()
        assert [p.response_status for p in impostor.posted] == [401]
    assert recorder.inbound == []


def test_neither_side_logs_numbers_or_bodies(live, recorder, caplog):  # noqa: F811
    caplog.set_level(logging.DEBUG)
    send_whatsapp()
    live.send_inbound_whatsapp(NUMBER, "Saldo saya Rp 12.345.678")
    live.wait_for_webhooks()

    assert len(recorder.statuses) == 3 and recorder.inbound
    logged = caplog.text + " ".join(str(r.args) for r in caplog.records)
    for secret in ("6281234567890", "12.345.678", "Siti", live.app_secret, live.access_token):
        assert secret not in logged


def test_it_runs_standalone_for_the_demo():
    import socket
    import subprocess
    import sys
    import time

    from amanah.messaging.providers.whatsapp import WhatsAppCloudProvider

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen(
        [sys.executable, "-m", "amanah.messaging.fakeprovider", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while True:  # until it listens (the interpreter starts on busy cores)
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert process.poll() is None and time.monotonic() < deadline
                time.sleep(0.2)
        adapter = WhatsAppCloudProvider(
            f"http://127.0.0.1:{port}", fake.PHONE_NUMBER_ID, fake.ACCESS_TOKEN
        )
        message = OutgoingMessage("m", "WHATSAPP", NUMBER, template="promo_tabungan")
        assert adapter.send(message).provider_message_id.startswith("wamid.")
    finally:
        process.terminate()
        assert process.wait(timeout=30) == 0  # SIGTERM is a clean stop
