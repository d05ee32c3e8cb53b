"""The outbox and consent's rule, wired: STOP replies withdraw that channel, and the
frequency caps count what the outbox handed to providers (a capped offer waits)."""

import uuid
from datetime import timedelta

from amanah.audit.models import AuditLog
from amanah.consent.contract import Reason, contactability
from amanah.consent.models import ConsentRecord
from amanah.messaging import dispatch
from amanah.messaging.contract import Rendered, inbound_receive, message_queue
from amanah.messaging.models import MessageStatus
from amanah.messaging.providers.base import InboundMessage
from amanah.messaging.tests.conftest import TUESDAY_10

OFFER = Rendered(subject="Promo", text="Buka tabungan, dapat hadiah.")


def _with_phone(customer, number="+6281234567890"):
    customer.phone_e164 = number
    customer.save(update_fields=["phone_e164"])
    return customer


def _reply(text: str, number="6281234567890", message_id: str = "") -> bool:
    return inbound_receive(
        InboundMessage(
            provider="whatsapp-cloud",
            channel="WHATSAPP",
            from_address=number,
            text=text,
            at=TUESDAY_10,
            provider_message_id=message_id or f"wamid.{uuid.uuid4().hex}",
        )
    )


def test_a_stop_reply_withdraws_offers_on_that_channel_only(make_customers):
    (customer,) = make_customers(1, granted=True)
    _with_phone(customer)
    assert contactability(customer, "OFFER", "WHATSAPP").allowed

    _reply("  Stop ")

    assert contactability(customer, "OFFER", "WHATSAPP").reason == Reason.CHANNEL_WITHDRAWN
    assert contactability(customer, "OFFER", "EMAIL").allowed
    log = AuditLog.objects.filter(action="RECEIVE_MESSAGE").order_by("-id").first()
    assert log.meta["stop"] is True and log.meta["withdrawn"] == 1
    assert "6281234567890" not in str(log.meta)


def test_the_same_stop_delivered_again_changes_nothing(make_customers):
    """A retried or replayed webhook (WhatsApp's signature has no timestamp) carries the same
    message id: taken in once, so a STOP replayed after the customer agreed again withdraws
    nothing and audits nothing."""
    (customer,) = make_customers(1, granted=True)
    _with_phone(customer)
    assert _reply("STOP", message_id="wamid.sekali") is True
    records, audits = ConsentRecord.objects.count(), AuditLog.objects.count()

    assert _reply("STOP", message_id="wamid.sekali") is False
    assert (ConsentRecord.objects.count(), AuditLog.objects.count()) == (records, audits)
    assert _reply("STOP", message_id="wamid.lagi") is True  # a new message is a new STOP


def test_an_ordinary_reply_withdraws_nothing(make_customers):
    (customer,) = make_customers(1, granted=True)
    _with_phone(customer)
    _reply("jangan stop kartu saya, mau tanya saldo")
    assert contactability(customer, "OFFER", "WHATSAPP").allowed
    log = AuditLog.objects.filter(action="RECEIVE_MESSAGE").order_by("-id").first()
    assert log.meta["stop"] is False and log.meta["withdrawn"] == 0


def _offer(system, customer, source_id, at):
    return message_queue(
        actor=system,
        channel="EMAIL",
        purpose="OFFER",
        rendered=OFFER,
        source="CAMPAIGN",
        source_id=source_id,
        customer=customer,
        at=at,
    )


def test_a_second_offer_the_same_day_waits_for_the_next_day(
    system, make_customers, smtp_server, settings
):
    settings.CONTACT_CAPS = {"OFFER": {"EMAIL": {"day": 1, "week": 3}}}
    (customer,) = make_customers(1, granted=True)
    first = _offer(system, customer, "kampanye-1", TUESDAY_10)
    assert dispatch.dispatch_batch("EMAIL", at=TUESDAY_10) == {"claimed": 1, "sent": 1}

    second = _offer(system, customer, "kampanye-2", TUESDAY_10 + timedelta(minutes=5))

    first.refresh_from_db()
    assert first.status == MessageStatus.SENT
    assert second.status == MessageStatus.QUEUED
    # Wednesday 08.00 WIB, when the offer window opens on the next calendar day.
    assert second.next_attempt_at == TUESDAY_10.replace(day=25, hour=8)
    assert dispatch.dispatch_batch("EMAIL", at=TUESDAY_10 + timedelta(minutes=6)) == {"claimed": 0}
    assert smtp_server.submissions == 1


def test_a_cap_reached_between_queueing_and_sending_holds_the_message_back(
    system, make_customers, smtp_server, settings
):
    settings.CONTACT_CAPS = {"OFFER": {"EMAIL": {"day": 1, "week": 3}}}
    (customer,) = make_customers(1, granted=True)
    offers = [  # both queued before any send, due at the same moment
        _offer(system, customer, "kampanye-1", TUESDAY_10),
        _offer(system, customer, "kampanye-2", TUESDAY_10),
    ]
    settings.MESSAGING_BATCH_SIZE = 1
    assert dispatch.dispatch_batch("EMAIL", at=TUESDAY_10)["sent"] == 1
    assert dispatch.dispatch_batch("EMAIL", at=TUESDAY_10).get("sent", 0) == 0

    for offer in offers:
        offer.refresh_from_db()
    # Either may be claimed first (equally due): the other is the one held back.
    (late,) = [offer for offer in offers if offer.status != MessageStatus.SENT]
    assert late.status == MessageStatus.QUEUED
    assert late.next_attempt_at == TUESDAY_10.replace(day=25, hour=8)
    assert smtp_server.submissions == 1


def test_an_offer_email_carries_a_one_click_unsubscribe_that_withdraws_email_only(
    system, make_customers, smtp_server, client
):
    (customer,) = make_customers(1, granted=True)
    _offer(system, customer, "kampanye-1", TUESDAY_10)
    dispatch.dispatch_batch("EMAIL", at=TUESDAY_10)

    (mail,) = smtp_server.mailbox.values()
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    url = str(mail["List-Unsubscribe"]).strip().strip("<>")
    text = next(p for p in mail.walk() if p.get_content_type() == "text/plain").get_content()
    assert url in text
    path = url.split("://", 1)[1].split("/", 1)[1]
    response = client.post("/" + path, {"List-Unsubscribe": "One-Click"})

    assert response.status_code == 200
    assert contactability(customer, "OFFER", "EMAIL").reason == Reason.CHANNEL_WITHDRAWN
    assert contactability(customer, "OFFER", "WHATSAPP").allowed


def test_a_service_email_has_no_unsubscribe(system, make_customers, smtp_server):
    (customer,) = make_customers(1)
    message_queue(
        actor=system,
        channel="EMAIL",
        purpose="SERVICE",
        rendered=OFFER,
        source="CASE",
        source_id="PGD-1",
        step="receipt",
        customer=customer,
        at=TUESDAY_10,
    )
    dispatch.dispatch_batch("EMAIL", at=TUESDAY_10)
    (mail,) = smtp_server.mailbox.values()
    assert mail["List-Unsubscribe"] is None


def test_an_email_with_html_counts_its_first_open(system, make_customers, smtp_server, client):
    from amanah.messaging.models import Engagement

    (customer,) = make_customers(1)
    message = message_queue(
        actor=system,
        channel="EMAIL",
        purpose="SERVICE",
        rendered=Rendered(subject="Tanda terima", text="Diterima.", html="<p>Diterima.</p>"),
        source="CASE",
        source_id="PGD-2",
        step="receipt",
        customer=customer,
        at=TUESDAY_10,
    )
    dispatch.dispatch_batch("EMAIL", at=TUESDAY_10)
    (mail,) = smtp_server.mailbox.values()
    html = next(p for p in mail.walk() if p.get_content_type() == "text/html").get_content()
    src = html.split('<img src="', 1)[1].split('"', 1)[0]
    path = "/" + src.split("://", 1)[1].split("/", 1)[1]

    assert client.get(path).status_code == 200
    assert client.get(path).status_code == 200
    assert Engagement.objects.filter(message=message, kind="OPEN").count() == 1
