"""WhatsApp's 24-hour customer service window: free-form messages only to a customer who wrote
in the last 24 hours — kept by the outbox (``service_window``), enforced by the fake provider
like the Cloud API (131047), and the two mapped to one permanent code."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from amanah.audit.models import AuditLog
from amanah.consent.testing import committed  # noqa: F401 (fixture)
from amanah.customers.models import Customer
from amanah.messaging import dispatch, service_window, services
from amanah.messaging.contract import Rendered, message_queue
from amanah.messaging.fakeprovider import server as fake
from amanah.messaging.fakeprovider.server import FakeProvider
from amanah.messaging.fakeprovider.testing import (  # noqa: F401 (fixtures)
    django_on_loopback,
    fake_provider,
    providers_config,
)
from amanah.messaging.models import LastInbound, Message, MessageEvent, MessageStatus
from amanah.messaging.providers.base import InboundMessage, OutgoingMessage, ProviderError
from amanah.messaging.providers.whatsapp import WhatsAppCloudProvider, parse_webhook

NUMBER = "+6281370001001"
REPLY = Rendered(text="Baik Bu, pengaduan Anda sedang kami periksa 🙏")
TEMPLATE = Rendered(
    provider_template="status_pengaduan",
    parameters=("PGD-2026-000123", "diproses"),
    category="UTILITY",
)


@pytest.fixture
def always_open(settings):
    """No contact hours for SERVICE: the tests run at the real 'now' (the window is 24 h back
    from now), whatever the hour."""
    settings.CONTACT_WINDOWS = {}


@pytest.fixture
def wa_customer(branch_a) -> Customer:
    return Customer.objects.create(
        full_name="Siti Aminah", name_search="siti aminah", home_branch=branch_a, phone_e164=NUMBER
    )


@pytest.fixture
def configured(fake_provider, settings):  # noqa: F811
    settings.MESSAGING_PROVIDERS = {
        **settings.MESSAGING_PROVIDERS,
        **providers_config(fake_provider.url),
    }
    return fake_provider


def queue(system, customer, rendered=REPLY, step="reply-1", at=None):
    return message_queue(
        actor=system,
        channel="WHATSAPP",
        purpose="SERVICE",
        rendered=rendered,
        source="CASE",
        source_id="PGD-2026-000123",
        step=step,
        customer=customer,
        at=at or timezone.now(),
    )


def customer_wrote(hours_ago: float, number: str = NUMBER) -> None:
    services.inbound_receive(
        InboundMessage(
            provider="whatsapp-cloud",
            channel="WHATSAPP",
            from_address=number,
            text="Halo, pengaduan saya bagaimana?",
            at=timezone.now() - timedelta(hours=hours_ago),
            provider_message_id=f"wamid.in-{hours_ago}",
        )
    )


# --- the outbox keeps the window ----------------------------------------------------------------


def test_free_text_outside_the_window_fails_without_calling_the_provider(
    system, wa_customer, configured, always_open
):
    message = queue(system, wa_customer)

    counts = dispatch.dispatch_batch("WHATSAPP")

    assert counts == {"claimed": 1, "failed": 1}
    assert configured.received == []  # never handed over
    message.refresh_from_db()
    assert (message.status, message.last_error_code) == ("FAILED", "outside_service_window")
    assert message.provider_message_id == ""
    audit = AuditLog.objects.filter(action="DISPATCH_MESSAGES").latest("id")
    assert audit.meta["failed"] == 1


@pytest.mark.parametrize(("hours_ago", "sent"), [(0.5, True), (23.5, True), (24.5, False)])
def test_free_text_goes_only_within_24_hours_of_the_customers_last_message(
    system, wa_customer, configured, always_open, hours_ago, sent
):
    customer_wrote(hours_ago)
    configured.customer_wrote(NUMBER, at=time.time() - hours_ago * 3600)  # the provider agrees
    message = queue(system, wa_customer)

    dispatch.dispatch_batch("WHATSAPP")

    message.refresh_from_db()
    if sent:
        assert message.status == MessageStatus.SENT
        [request] = configured.received
        assert request.body["type"] == "text" and request.status == 200
    else:
        assert (message.status, message.last_error_code) == ("FAILED", "outside_service_window")
        assert configured.received == []


def test_a_template_message_goes_whatever_the_window(system, wa_customer, configured, always_open):
    message = queue(system, wa_customer, rendered=TEMPLATE)
    assert dispatch.dispatch_batch("WHATSAPP") == {"claimed": 1, "sent": 1}
    message.refresh_from_db()
    assert message.status == MessageStatus.SENT
    assert configured.received[0].body["type"] == "template"


def test_a_customer_writing_reopens_the_window_and_the_admin_retry_sends_it(
    system, wa_customer, configured, always_open, make_user, branch_a
):
    from amanah.core.roles import RoleKey as R

    customer_wrote(30)  # an old conversation: closed by now
    message = queue(system, wa_customer)
    dispatch.dispatch_batch("WHATSAPP")
    message.refresh_from_db()
    assert message.last_error_code == "outside_service_window"

    customer_wrote(0.1)  # the customer writes again
    configured.customer_wrote(NUMBER)
    assert LastInbound.objects.get(customer=wa_customer, channel="WHATSAPP").at > (
        timezone.now() - timedelta(hours=1)
    )
    admin = make_user(R.ADMIN, branches=[branch_a])
    services.message_retry(actor=admin, message_id=message.pk)
    assert dispatch.dispatch_batch("WHATSAPP") == {"claimed": 1, "sent": 1}
    message.refresh_from_db()
    assert message.status == MessageStatus.SENT


def test_the_window_only_moves_forward_and_covers_every_customer_with_the_number(
    system, wa_customer, branch_a
):
    sharer = Customer.objects.create(
        full_name="Budi", name_search="budi", home_branch=branch_a, phone_e164=NUMBER
    )
    other = Customer.objects.create(
        full_name="Lain", name_search="lain", home_branch=branch_a, phone_e164="+6281370009999"
    )
    customer_wrote(1)
    customer_wrote(5)  # a late, older webhook does not close it again
    rows = dict(LastInbound.objects.values_list("customer_id", "at"))
    assert set(rows) == {wa_customer.pk, sharer.pk}
    assert other.pk not in rows
    assert all(at > timezone.now() - timedelta(hours=2) for at in rows.values())
    # unreadable number, and a timestamp from the future (clamped to now)
    assert (
        service_window.record_inbound(channel="WHATSAPP", from_address="x", at=timezone.now()) == 0
    )
    service_window.record_inbound(
        channel="WHATSAPP", from_address=NUMBER, at=timezone.now() + timedelta(days=365)
    )
    assert LastInbound.objects.get(customer=wa_customer).at <= timezone.now()


def test_the_inbound_audit_row_has_no_number_or_text(system, wa_customer):
    customer_wrote(1)
    row = AuditLog.objects.filter(action="RECEIVE_MESSAGE").latest("id")
    assert row.meta["customers"] == 1
    assert "81370001001" not in str(row.meta) and "pengaduan" not in str(row.meta)


def test_a_merge_keeps_the_later_window(wa_customer, branch_a):
    absorbed = Customer.objects.create(
        full_name="Siti A.", name_search="siti a.", home_branch=branch_a
    )
    now = timezone.now()
    LastInbound.objects.create(
        customer=wa_customer, channel="WHATSAPP", at=now - timedelta(hours=30)
    )
    LastInbound.objects.create(customer=absorbed, channel="WHATSAPP", at=now - timedelta(hours=2))
    LastInbound.objects.create(customer=absorbed, channel="SMS", at=now - timedelta(hours=3))

    service_window.move_to_survivor(absorbed, wa_customer)

    assert dict(LastInbound.objects.filter(customer=wa_customer).values_list("channel", "at")) == {
        "WHATSAPP": now - timedelta(hours=2),
        "SMS": now - timedelta(hours=3),
    }


def test_the_code_shows_on_the_komunikasi_tab(
    system, wa_customer, configured, always_open, signed_in, branch_a
):
    from amanah.core.roles import RoleKey as R

    queue(system, wa_customer)
    dispatch.dispatch_batch("WHATSAPP")
    client, _user = signed_in(R.SUPERVISOR, branches=[branch_a])
    page = client.get(f"/messaging/customers/{wa_customer.pk}/").content.decode()
    assert "outside_service_window" in page
    assert "Di luar jendela layanan 24 jam WhatsApp" in page


# --- the fake provider enforces it like the Cloud API, and the adapter maps it ----------------


def adapter(fake_: FakeProvider) -> WhatsAppCloudProvider:
    return WhatsAppCloudProvider(
        base_url=fake_.url,
        phone_number_id=fake.PHONE_NUMBER_ID,
        access_token=fake.ACCESS_TOKEN,
        timeout=5.0,
    )


def free_text(message_id="msg-window") -> OutgoingMessage:
    return OutgoingMessage(message_id, "WHATSAPP", NUMBER, text="Baik Bu, kami cek")


def test_the_fake_refuses_free_text_outside_the_window_in_its_answer(fake_provider):  # noqa: F811
    fake_provider.service_window_refusal = "answer"
    with pytest.raises(ProviderError) as refused:
        adapter(fake_provider).send(free_text())
    assert refused.value.code == "outside_service_window"
    assert refused.value.retryable is False
    assert fake_provider.received[0].status == 400

    fake_provider.customer_wrote(NUMBER, at=time.time() - 25 * 3600)  # too long ago
    with pytest.raises(ProviderError):
        adapter(fake_provider).send(free_text())

    fake_provider.customer_wrote(NUMBER)  # now: open
    assert adapter(fake_provider).send(free_text()).provider_message_id
    assert len(fake_provider.delivered("whatsapp")) == 1


def test_the_fake_reports_free_text_outside_the_window_failed_131047_by_webhook():
    received = []
    with django_on_loopback() as _base, FakeProvider() as provider:
        provider._post = lambda api, pid, word, document: received.append((word, document))
        adapter(provider).send(free_text())
        adapter(provider).send(
            OutgoingMessage("msg-tpl", "WHATSAPP", NUMBER, template="status_pengaduan")
        )
        provider.wait_for_webhooks()
    words = [word for word, _doc in received]
    assert words == ["sent", "failed", "sent", "delivered", "read"]  # the template goes through
    failed = received[1][1]
    error = failed["entry"][0]["changes"][0]["value"]["statuses"][0]["errors"][0]
    assert error == {"code": 131047, "title": "Re-engagement message"}
    [update] = parse_webhook(failed).statuses
    assert (update.status, update.error_code) == ("FAILED", "outside_service_window")


def test_the_fake_rule_can_be_switched_off(fake_provider):  # noqa: F811
    fake_provider.service_window, fake_provider.service_window_refusal = False, "answer"
    assert adapter(fake_provider).send(free_text()).provider_message_id


# --- the whole loop: the customer's message arrives by signed webhook and opens the window ----


def test_an_inbound_webhook_opens_the_window_end_to_end(committed, settings):  # noqa: F811
    settings.CONTACT_WINDOWS = {}
    # About the window only: the case intake (its own tests) would commit a case to clean up.
    settings.INTEGRATIONS_WHATSAPP_INTAKE = False
    (customer,) = committed.customers(1)
    customer.phone_e164 = NUMBER
    committed.run(lambda: customer.save(update_fields=["phone_e164"]))

    def remove():
        MessageEvent.objects.filter(message__customer=customer).delete()
        Message.objects.filter(customer=customer).delete()
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM procrastinate_jobs WHERE queue_name = 'messaging'")

    committed.on_cleanup(remove)
    with django_on_loopback() as base:
        provider = FakeProvider(whatsapp_webhook_url=f"{base}/webhooks/whatsapp")
        with provider:
            settings.MESSAGING_PROVIDERS = {
                **settings.MESSAGING_PROVIDERS,
                **providers_config(provider.url),
            }
            first = committed.run(lambda: queue(committed.system, customer, step="before"))
            committed.run(lambda: dispatch.dispatch_batch("WHATSAPP"))
            first.refresh_from_db()
            assert first.last_error_code == "outside_service_window"
            assert provider.received == []

            provider.send_inbound_whatsapp(NUMBER, "Halo, ada kabar?")
            provider.wait_for_webhooks()
            assert LastInbound.objects.filter(customer=customer, channel="WHATSAPP").exists()

            second = committed.run(lambda: queue(committed.system, customer, step="after"))
            counts = committed.run(lambda: dispatch.dispatch_batch("WHATSAPP"))
            assert (counts["claimed"], counts["sent"]) == (1, 1)
            provider.wait_for_webhooks()
    second.refresh_from_db()
    assert second.status == MessageStatus.READ  # the fake agreed: sent, delivered, read
    assert [r.body["type"] for r in provider.delivered("whatsapp")] == ["text"]
