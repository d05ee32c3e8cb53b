"""Channel analytics per campaign and channel on a small fixture (with the cells seed 001 §6C
marks as not available), and the signed click / open-pixel links that feed it."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core import signing
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from amanah.conftest import sign_in
from amanah.consent.testing import committed  # noqa: F401 (fixture)
from amanah.core.roles import RoleKey as R
from amanah.core.testing import run_in_threads
from amanah.messaging import tracking
from amanah.messaging.models import Engagement, EngagementKind, Message
from amanah.messaging.selectors import channel_analytics
from amanah.messaging.tests.test_communication_tab import make_customer, make_message

T1 = datetime(2026, 11, 20, 4, 0, tzinfo=ZoneInfo("UTC"))


def campaign_message(customer, n, campaign, channel, *, sent=True, delivered=False, read=False):
    m = make_message(customer, n, channel=channel, status="SENT" if sent else "QUEUED")
    m.source_id, m.sent_at = campaign, T1 if sent else None
    m.delivered_at = T1 if delivered or read else None
    m.read_at = T1 + timedelta(minutes=5) if read else None
    m.save()
    return m


@pytest.fixture
def fixture(branch_a, branch_b):
    mine, other = make_customer(branch_a), make_customer(branch_b, "Di Cabang Lain")
    e1 = campaign_message(mine, 1, "camp-1", "EMAIL", delivered=True)
    e2 = campaign_message(mine, 2, "camp-1", "EMAIL", delivered=True)
    campaign_message(mine, 3, "camp-1", "EMAIL", sent=False)  # still queued
    s1 = campaign_message(mine, 4, "camp-1", "SMS", delivered=True)
    campaign_message(mine, 5, "camp-1", "WHATSAPP", read=True)
    campaign_message(mine, 6, "camp-2", "EMAIL")
    campaign_message(other, 7, "camp-1", "EMAIL", delivered=True)  # outside branch_a
    Engagement.objects.create(message=e1, kind=EngagementKind.OPEN)
    Engagement.objects.create(message=e1, kind=EngagementKind.CLICK)
    Engagement.objects.create(message=e2, kind=EngagementKind.UNSUBSCRIBE)
    Engagement.objects.create(message=s1, kind=EngagementKind.CONVERT)
    return e1


def test_counts_per_campaign_and_channel_in_scope(fixture, make_user, branch_a):
    supervisor = make_user(R.SUPERVISOR, branches=[branch_a])
    rows = {(r.campaign_id, r.channel): dict(r.cells) for r in channel_analytics(actor=supervisor)}
    assert rows == {
        ("camp-1", "EMAIL"): dict(
            sent=2, delivered=2, opened=1, clicked=1, converted=0, unsubscribed=1
        ),
        ("camp-1", "SMS"): dict(
            sent=1, delivered=1, opened=None, clicked=None, converted=1, unsubscribed=0
        ),
        ("camp-1", "WHATSAPP"): dict(
            sent=1, delivered=1, opened=1, clicked=0, converted=0, unsubscribed=0
        ),
        ("camp-2", "EMAIL"): dict(
            sent=1, delivered=0, opened=0, clicked=0, converted=0, unsubscribed=0
        ),
    }
    whole_bank = make_user(R.SUPERVISOR)
    with CaptureQueriesContext(connection) as queries:
        one_campaign = channel_analytics(actor=whole_bank, campaign_id="camp-1")
    # one GROUP BY over the outbox (the others read the actor's scope)
    outbox = [q for q in queries.captured_queries if "messaging_" in q["sql"]]
    assert len(outbox) == 1 and "GROUP BY" in outbox[0]["sql"]
    sent = {r.channel: r.counts["sent"] for r in one_campaign}
    assert sent == {"EMAIL": 3, "SMS": 1, "WHATSAPP": 1}


def test_the_analytics_page(fixture, make_user, branch_a):
    client = sign_in(Client(), make_user(R.SUPERVISOR, branches=[branch_a]))
    response = client.get("/messaging/analytics/", {"x": "'; DROP TABLE x"})
    page = response.content.decode()
    assert response.status_code == 200 and 'data-testid="channel-analytics"' in page
    assert page.count("tidak tersedia") == 2  # SMS opens and clicks
    one = client.get("/messaging/analytics/", {"campaign": "camp-2"}).content.decode()
    assert 'data-campaign="camp-2"' in one and 'data-campaign="camp-1"' not in one
    overlong = client.get("/messaging/analytics/", {"campaign": "x" * 500})
    assert (
        overlong.status_code == 400
        and 'data-error-code="invalid_filter"' in overlong.content.decode()
    )
    agent = sign_in(Client(), make_user(R.AGENT, branches=[branch_a]))
    assert agent.get("/messaging/analytics/").status_code == 403


def test_a_signed_click_redirects_once_counted_and_a_forged_one_is_404(fixture, client):
    url = tracking.tracked_url(fixture, "https://bank.contoh.co.id/promo?kode=A1")
    for _ in range(3):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"] == "https://bank.contoh.co.id/promo?kode=A1"
    assert Engagement.objects.filter(message=fixture, kind="CLICK").count() == 1
    token = url.rstrip("/").rsplit("/", 1)[1]
    assert client.get(url.replace(token, token[:-2] + "xx")).status_code == 404
    # a token signed without our salt, or for a javascript: target, is refused
    forged = signing.dumps({"m": str(fixture.pk), "u": "https://jahat.example"})
    assert client.get(f"/messaging/t/c/{forged}/").status_code == 404
    evil = signing.dumps({"m": str(fixture.pk), "u": "javascript:alert(1)"}, salt=tracking.SALT)
    assert client.get(f"/messaging/t/c/{evil}/").status_code == 404
    with pytest.raises(ValueError):
        tracking.tracked_url(fixture, "ftp://bank.contoh.co.id/x")


def test_links_are_absolute_with_the_public_address(fixture, settings):
    settings.PUBLIC_URL = "https://crm.bank.contoh.co.id/"
    assert tracking.open_pixel_url(fixture).startswith(
        "https://crm.bank.contoh.co.id/messaging/t/o/"
    )
    assert tracking.tracked_url(fixture, "http://a.id/").startswith(
        "https://crm.bank.contoh.co.id/"
    )


def test_the_open_pixel_counts_the_first_open(fixture, client):
    other = make_message(fixture.customer, 50)
    url = tracking.open_pixel_url(other)
    for _ in range(2):
        response = client.get(url)
        assert response.status_code == 200 and response["Content-Type"] == "image/gif"
    assert Engagement.objects.filter(message=other, kind="OPEN").count() == 1
    assert client.get("/messaging/t/o/bukan-token/").status_code == 404


def test_simultaneous_first_clicks_count_once(committed):  # noqa: F811
    """Eight clicks at once on one message (real threads, committed rows): one engagement."""
    [customer] = committed.customers(1)
    message = committed.run(lambda: make_message(customer, 0))
    committed.on_cleanup(lambda: Message.objects.filter(customer=customer).delete())
    firsts = []
    errors = run_in_threads(
        lambda _n: firsts.append(
            tracking.engagement_record(message_id=str(message.pk), kind=EngagementKind.CLICK)
        ),
        8,
    )
    assert errors == [] and sorted(firsts) == [False] * 7 + [True]
    assert Engagement.objects.filter(message=message).count() == 1
