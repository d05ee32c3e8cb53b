"""Unsubscribes counted for the channel analytics: the e-mail link (page and RFC 8058 one-click)
against the message that carried it, a STOP reply against the last offer sent on that channel;
the analytics' "unsubscribed" column counts them."""

import re
from datetime import timedelta

from django.test import Client
from django.utils import timezone

from amanah.conftest import sign_in
from amanah.core.roles import RoleKey as R
from amanah.messaging import dispatch
from amanah.messaging.contract import Rendered, inbound_receive, message_queue
from amanah.messaging.models import Engagement, EngagementKind
from amanah.messaging.providers.base import InboundMessage
from amanah.messaging.selectors import channel_analytics
from amanah.messaging.tests.conftest import TUESDAY_10

OFFER = Rendered(subject="Promo", text="Buka tabungan, dapat hadiah.", html="<p>Promo</p>")


def _offer(system, customer, campaign, step="1"):
    return message_queue(
        actor=system,
        channel="EMAIL",
        purpose="OFFER",
        rendered=OFFER,
        source="CAMPAIGN",
        source_id=campaign,
        step=step,
        customer=customer,
        at=TUESDAY_10,
    )


def _unsubscribed(make_user, branch) -> dict:
    supervisor = make_user(R.SUPERVISOR, branches=[branch])
    return {
        (r.campaign_id, r.channel): r.counts["unsubscribed"]
        for r in channel_analytics(actor=supervisor)
    }


def analytics_cell(user, campaign: str, channel: str, metric: str) -> str:
    """One cell of the analytics page as the user sees it (``/messaging/analytics/``)."""
    page = sign_in(Client(), user).get("/messaging/analytics/", {"campaign": campaign})
    assert page.status_code == 200
    row = re.search(
        rf'<tr data-campaign="{re.escape(campaign)}" data-channel="{channel}".*?</tr>',
        page.content.decode(),
        re.DOTALL,
    )
    assert row, f"no row for {campaign}/{channel}"
    return re.search(rf'data-metric="{metric}">([^<]*)<', row.group(0)).group(1).strip()


def _links(mail) -> tuple[str, str]:
    """The footer link of the HTML part and the List-Unsubscribe one, as local paths."""
    html = next(p for p in mail.walk() if p.get_content_type() == "text/html").get_content()
    footer = html.split('href="')[-1].split('"', 1)[0]
    header = str(mail["List-Unsubscribe"]).strip().strip("<>")
    return tuple("/" + u.split("://", 1)[1].split("/", 1)[1] for u in (footer, header))


def test_the_link_in_an_older_mail_counts_against_that_mail(
    system, make_customers, smtp_server, client, make_user, branch_a
):
    (customer,) = make_customers(1, granted=True)
    older = _offer(system, customer, "kampanye-lama")
    newer = _offer(system, customer, "kampanye-baru")
    assert dispatch.dispatch_batch("EMAIL", at=TUESDAY_10)["sent"] == 2
    mails = {m["Message-ID"]: m for m in smtp_server.mailbox.values()}
    older.refresh_from_db()
    page_link, _header_link = _links(mails[older.provider_message_id])

    assert client.get(page_link).status_code == 200  # the confirmation page counts nothing
    assert not Engagement.objects.exists()
    assert client.post(page_link).status_code == 200
    assert client.post(page_link).status_code == 200  # a replay changes nothing

    rows = Engagement.objects.values_list("message_id", "kind")
    assert list(rows) == [(older.pk, EngagementKind.UNSUBSCRIBE)]
    assert not Engagement.objects.filter(message=newer).exists()
    counts = _unsubscribed(make_user, branch_a)
    assert counts[("kampanye-lama", "EMAIL")] == 1 and counts[("kampanye-baru", "EMAIL")] == 0
    supervisor = make_user(R.SUPERVISOR, branches=[branch_a])
    assert analytics_cell(supervisor, "kampanye-lama", "EMAIL", "unsubscribed") == "1"
    assert analytics_cell(supervisor, "kampanye-baru", "EMAIL", "unsubscribed") == "0"


def test_the_one_click_post_counts_too(system, make_customers, smtp_server, client):
    (customer,) = make_customers(1, granted=True)
    message = _offer(system, customer, "kampanye-1")
    dispatch.dispatch_batch("EMAIL", at=TUESDAY_10)
    (mail,) = smtp_server.mailbox.values()
    _page, one_click = _links(mail)
    assert client.post(one_click, {"List-Unsubscribe": "One-Click"}).status_code == 200
    assert Engagement.objects.get().message_id == message.pk


def test_a_forged_ref_in_someone_elses_link_counts_nothing_of_theirs(
    system, make_customers, client
):
    """A ref naming another customer's message is not taken; the link's own customer's last
    offer in the window (none here) would be."""
    from amanah.consent.contract import unsubscribe_url

    mine, theirs = make_customers(2, granted=True)
    their_message = _offer(system, theirs, "kampanye-1")
    url = unsubscribe_url(mine, "EMAIL", str(their_message.pk))
    assert client.post("/" + url.split("://", 1)[1].split("/", 1)[1]).status_code == 200
    assert not Engagement.objects.exists()


def _sent_offer(system, customer, channel, campaign, ago: timedelta):
    message = message_queue(
        actor=system,
        channel=channel,
        purpose="OFFER",
        rendered=Rendered(text="Promo", provider_template="promo", parameters=("Siti",)),
        source="CAMPAIGN",
        source_id=campaign,
        step="1",
        customer=customer,
        at=TUESDAY_10,
    )
    message.status, message.sent_at = "SENT", timezone.now() - ago
    message.save(update_fields=["status", "sent_at"])
    return message


def test_a_stop_reply_counts_against_the_last_offer_on_that_channel(
    system, make_customers, make_user, branch_a
):
    (customer,) = make_customers(1, granted=True)
    customer.phone_e164 = "+6281234567890"
    customer.save(update_fields=["phone_e164"])
    _sent_offer(system, customer, "WHATSAPP", "wa-lama", timedelta(days=5))
    last = _sent_offer(system, customer, "WHATSAPP", "wa-baru", timedelta(hours=2))
    _sent_offer(system, customer, "SMS", "sms-baru", timedelta(hours=1))  # another channel
    _sent_offer(system, customer, "WHATSAPP", "wa-kuno", timedelta(days=45))  # outside window

    inbound_receive(
        InboundMessage(
            provider="whatsapp-cloud",
            channel="WHATSAPP",
            from_address="6281234567890",
            text="STOP",
            at=timezone.now(),
            provider_message_id="wamid.stop",
        )
    )

    assert list(Engagement.objects.values_list("message_id", "kind")) == [
        (last.pk, EngagementKind.UNSUBSCRIBE)
    ]
    counts = _unsubscribed(make_user, branch_a)
    assert counts[("wa-baru", "WHATSAPP")] == 1 and counts[("wa-lama", "WHATSAPP")] == 0
    assert counts[("sms-baru", "SMS")] == 0
    supervisor = make_user(R.SUPERVISOR, branches=[branch_a])
    assert analytics_cell(supervisor, "wa-baru", "WHATSAPP", "unsubscribed") == "1"


def test_a_stop_reply_with_no_recent_offer_counts_nothing(system, make_customers):
    (customer,) = make_customers(1, granted=True)
    customer.phone_e164 = "+6281234567891"
    customer.save(update_fields=["phone_e164"])
    _sent_offer(system, customer, "WHATSAPP", "wa-kuno", timedelta(days=45))
    inbound_receive(
        InboundMessage(
            provider="whatsapp-cloud",
            channel="WHATSAPP",
            from_address="6281234567891",
            text="berhenti",
            at=timezone.now(),
            provider_message_id="wamid.stop2",
        )
    )
    assert not Engagement.objects.exists()
