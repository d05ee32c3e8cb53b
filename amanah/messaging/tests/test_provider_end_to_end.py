"""The whole loop over real HTTP: outbox → dispatch → the loopback fake WhatsApp/SMS provider →
its signed status webhooks → this project served on loopback → the outbox's status merge.

The data commits (``committed``): the project's server thread reads on a connection of its
own. The fake is told to duplicate and reorder its callbacks, as the real ones may arrive.
"""

from __future__ import annotations

import contextlib

import pytest
from django.db import connection

from amanah.consent.testing import committed  # noqa: F401 (fixture)
from amanah.customers.models import Customer
from amanah.messaging import dispatch
from amanah.messaging.contract import Rendered, message_queue
from amanah.messaging.fakeprovider.server import FakeProvider
from amanah.messaging.fakeprovider.testing import django_on_loopback, providers_config
from amanah.messaging.models import Message, MessageEvent, MessageStatus, ProviderBucket
from amanah.messaging.tests.conftest import TUESDAY_10

RECEIPT_WA = Rendered(
    provider_template="tanda_terima_pengaduan",
    language="id",
    parameters=("Budi", "PGD-2026-000123"),
    category="UTILITY",
)
RECEIPT_SMS = Rendered(text="Pengaduan PGD-2026-000123 kami terima. Bank Sumut")


@contextlib.contextmanager
def _loop(settings, *, duplicate: bool, reorder: bool):
    with django_on_loopback() as base:
        fake = FakeProvider(
            whatsapp_webhook_url=f"{base}/webhooks/whatsapp",
            sms_webhook_url=f"{base}/webhooks/sms",
        )
        with fake:
            fake.duplicate, fake.reorder = duplicate, reorder
            settings.MESSAGING_PROVIDERS = {
                **settings.MESSAGING_PROVIDERS,
                **providers_config(fake.url),
            }
            yield fake


def _customer_with_phone(world) -> Customer:
    (customer,) = world.customers(1)
    customer.phone_e164 = "+6281234500" + str(customer.pk.int % 1000).zfill(3)
    world.run(lambda: customer.save(update_fields=["phone_e164"]))
    return customer


def _remove_messages(branch) -> None:
    MessageEvent.objects.filter(message__customer__home_branch=branch).delete()
    Message.objects.filter(customer__home_branch=branch).delete()
    ProviderBucket.objects.filter(provider__in=["whatsapp-cloud", "sms-http"]).delete()
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM procrastinate_jobs WHERE queue_name = 'messaging'")


@pytest.mark.parametrize(
    ("channel", "rendered", "api", "final"),
    [
        ("WHATSAPP", RECEIPT_WA, "whatsapp", MessageStatus.READ),
        ("SMS", RECEIPT_SMS, "sms", MessageStatus.DELIVERED),
    ],
)
@pytest.mark.parametrize("disorder", [False, True], ids=["in-order", "duplicated+reordered"])
def test_a_message_goes_out_once_and_its_signed_callbacks_move_it_on(
    committed,  # noqa: F811
    settings,
    channel,
    rendered,
    api,
    final,
    disorder,
):
    customer = _customer_with_phone(committed)
    committed.on_cleanup(lambda: _remove_messages(committed.branch))
    with _loop(settings, duplicate=disorder, reorder=disorder) as fake:
        message = committed.run(
            lambda: message_queue(
                actor=committed.system,
                channel=channel,
                purpose="SERVICE",
                rendered=rendered,
                source="CASE",
                source_id="PGD-2026-000123",
                step="receipt",
                customer=customer,
                at=TUESDAY_10,
            )
        )
        counts = committed.run(lambda: dispatch.dispatch_batch(channel, at=TUESDAY_10))
        # A callback may overtake the send's commit under load: it is parked, then adopted by
        # this batch (``early_callbacks``); either way the message went out once.
        assert (counts["claimed"], counts["sent"]) == (1, 1)
        assert set(counts) <= {"claimed", "sent", "early_callbacks"}
        fake.wait_for_webhooks()

        (request,) = fake.delivered(api)
        if channel == "WHATSAPP":
            template = request.body["template"]
            assert request.body["to"] == customer.phone_e164.lstrip("+")
            assert template["name"] == RECEIPT_WA.provider_template
            (body,) = [c for c in template["components"] if c["type"] == "body"]
            assert [p["text"] for p in body["parameters"]] == list(RECEIPT_WA.parameters)
        else:
            assert request.body["text"] == RECEIPT_SMS.text
            assert request.body["reference"] == str(message.pk)

    message.refresh_from_db()
    assert message.status == final
    statuses = list(MessageEvent.objects.filter(message=message).values_list("status", flat=True))
    # Each provider event once, however often it was posted.
    assert sorted(statuses) == sorted(set(statuses))
    assert MessageStatus.DELIVERED in statuses
