"""Click tracking end to end: an offer's links are rewritten through signed redirect links when
the message is sent (``tracking.with_tracked_links``), following one records a CLICK and lands
on the original address; the unsubscribe link and the open pixel are never rewritten."""

import re
from html import unescape

import pytest
from django.test import Client

from amanah.messaging import dispatch, tracking
from amanah.messaging.contract import Rendered, message_queue
from amanah.messaging.models import Engagement, EngagementKind
from amanah.messaging.providers.base import OutgoingMessage
from amanah.messaging.tests.conftest import TUESDAY_10
from amanah.messaging.tests.test_communication_tab import make_customer, make_message

PROMO = "https://bank.contoh.co.id/promo?kode=A1&sumber=email"
OFFER = Rendered(
    subject="Promo deposito",
    text=f"Lihat penawaran di {PROMO}. Syarat: https://bank.contoh.co.id/syarat",
    html=(
        f'<p>Lihat <a class="cta" href="{PROMO.replace("&", "&amp;")}">penawaran</a> dan '
        "<a href='https://bank.contoh.co.id/syarat'>syarat</a>; "
        '<a href="mailto:cs@bank.contoh.co.id">surel</a>.</p>'
    ),
)


def _parts(mail) -> dict[str, str]:
    return {
        part.get_content_type(): part.get_content()
        for part in mail.walk()
        if not part.is_multipart()
    }


def test_the_sent_offer_links_go_through_the_click_link_and_count(
    system, make_customers, smtp_server, settings
):
    settings.PUBLIC_URL = CRM = "https://crm.bank.contoh.co.id"
    (customer,) = make_customers(1, granted=True)
    message = message_queue(
        actor=system,
        channel="EMAIL",
        purpose="OFFER",
        rendered=OFFER,
        source="CAMPAIGN",
        source_id="camp-klik",
        step="1",
        customer=customer,
        at=TUESDAY_10,
    )
    assert dispatch.dispatch_batch("EMAIL", at=TUESDAY_10)["sent"] == 1
    (mail,) = smtp_server.mailbox.values()
    parts = _parts(mail)
    html, text = parts["text/html"], parts["text/plain"]

    hrefs = [unescape(h) for h in re.findall(r"""href=["']([^"']+)["']""", html)]
    tracked = [h for h in hrefs if h.startswith(f"{CRM}/messaging/t/c/")]
    assert len(tracked) == 2  # the two web links of the offer
    assert PROMO not in html and "bank.contoh.co.id/syarat" not in html
    assert "mailto:cs@bank.contoh.co.id" in hrefs  # not http(s): left alone
    assert any(h.startswith(f"{CRM}/berhenti/") for h in hrefs)  # the unsubscribe link
    assert re.search(rf'<img src="{CRM}/messaging/t/o/[^"]+"', html)  # the pixel as it was
    # the text part too, with the sentence's full stop left outside the link
    assert PROMO not in text and re.search(rf"di {CRM}/messaging/t/c/\S+/\. Syarat", text)
    assert f"{CRM}/berhenti/" in text

    client = Client()
    assert Engagement.objects.filter(message=message).count() == 0
    response = client.get(tracked[0].removeprefix(CRM))
    assert response.status_code == 302 and response["Location"] == PROMO
    assert list(Engagement.objects.filter(message=message).values_list("kind", flat=True)) == [
        EngagementKind.CLICK
    ]
    assert (
        client.get(tracked[1].removeprefix(CRM))["Location"] == "https://bank.contoh.co.id/syarat"
    )
    assert Engagement.objects.filter(message=message).count() == 1  # the first click counts


def test_a_tampered_click_link_is_404_and_records_nothing(branch_a, client, settings):
    settings.PUBLIC_URL = ""
    message = make_message(make_customer(branch_a), 1)
    link = tracking.tracked_url(message, PROMO)
    token = link.rstrip("/").rsplit("/", 1)[1]
    for bad in (token[:-1] + ("A" if token[-1] != "A" else "B"), token[:20], "x" + token):
        assert client.get(link.replace(token, bad)).status_code == 404
    assert not Engagement.objects.filter(message=message).exists()


def _outgoing(channel, **parts):
    return OutgoingMessage(message_id="m", channel=channel, to="x", **parts)


@pytest.mark.parametrize(
    "purpose,channel,rewritten",
    [
        ("OFFER", "EMAIL", True),
        ("OFFER", "WHATSAPP", True),
        ("OFFER", "SMS", False),  # segments and cost; seed 001 §6C: no SMS clicks
        ("SERVICE", "EMAIL", False),
        ("COLLECTION", "WHATSAPP", False),
    ],
)
def test_which_messages_get_tracked_links(branch_a, purpose, channel, rewritten, settings):
    settings.PUBLIC_URL = ""
    message = make_message(make_customer(branch_a), 2, channel=channel, purpose=purpose)
    out = tracking.with_tracked_links(
        message,
        _outgoing(channel, text=f"Cek {PROMO}", parameters=("Siti", f"{PROMO}!", 3)),
    )
    assert (PROMO not in out.text) is rewritten
    if channel == "WHATSAPP" and rewritten:
        assert out.parameters[0] == "Siti" and out.parameters[2] == 3
        assert out.parameters[1].startswith("/messaging/t/c/") and out.parameters[1][-1] == "!"


def test_our_own_links_are_never_rewritten(branch_a, settings):
    settings.PUBLIC_URL = "https://crm.bank.contoh.co.id"
    message = make_message(make_customer(branch_a), 3)
    own = [
        "https://crm.bank.contoh.co.id/berhenti/abc/",
        tracking.tracked_url(message, PROMO),
        tracking.open_pixel_url(message),
    ]
    text = " ".join(own)
    html = "".join(f'<a href="{u}">x</a>' for u in own)
    out = tracking.with_tracked_links(message, _outgoing("EMAIL", text=text, html=html))
    assert out.text == text and out.html == html
