"""Channel analytics of a journey version: per ACTION node, per A/B variant, per channel and
in total, from the messaging hub's outbox rows of that version; conversion to the goal; the
figures on the version's page."""

from datetime import timedelta

import pytest
from django.test import Client

from amanah.conftest import sign_in
from amanah.journeys import engine, triggers
from amanah.journeys.analytics import journey_channel_report, variants_of
from amanah.journeys.engine import variant_of
from amanah.journeys.tests.test_engine import T0, _messages, people  # noqa: F401
from amanah.messaging.contract import EngagementKind, engagement_record

VARIANTS = [{"name": "A", "percentage": 50}, {"name": "B", "percentage": 50}]


@pytest.fixture
def ran(journey, people):  # noqa: F811 (fixtures)
    """The standard journey run to its end: ten WhatsApp offers at a1 (delivered; four
    clicked, one of them read), email offers at a2 for the clickers in variant A (sent)."""
    triggers.segment_entries(now=T0)
    engine.tick(now=T0)
    engine.tick(now=T0 + timedelta(days=1))
    offers = _messages(journey, "a1")
    offers.update(sent_at=T0 + timedelta(days=1), delivered_at=T0 + timedelta(days=1))
    clickers = people["granted"][:4]
    for person in clickers:
        engagement_record(message_id=str(offers.get(customer=person).pk), kind=EngagementKind.CLICK)
    offers.filter(customer=clickers[0]).update(read_at=T0 + timedelta(days=1, hours=1))
    engine.tick(now=T0 + timedelta(days=3, minutes=1))
    _messages(journey, "a2").update(sent_at=T0 + timedelta(days=3))
    in_a = [p for p in clickers if variant_of(journey.key, "s", p.pk, VARIANTS) == "A"]
    return {"journey": journey, "in_a": len(in_a)}


def test_a_node_belongs_to_the_variant_of_the_nearest_split(journey):  # noqa: F811
    tags = variants_of(journey)
    assert tags["a2"] == "s/A" and tags["e1"] == "s/A" and tags["e2"] == "s/B"
    assert tags["a1"] == "" and tags["u"] == "" and tags["t"] == ""


def test_figures_per_node_variant_channel_and_total(ran):
    report = journey_channel_report(ran["journey"])
    a = ran["in_a"]
    nodes = {row.label: (row.channel, row.variant, dict(row.cells)) for row in report["nodes"]}
    assert nodes == {
        "a1": (
            "WHATSAPP",
            "",
            dict(sent=10, delivered=10, opened=1, clicked=4, converted=0, unsubscribed=0),
        ),
        "a2": (
            "EMAIL",
            "s/A",
            dict(sent=a, delivered=0, opened=0, clicked=0, converted=0, unsubscribed=0),
        ),
    }
    assert [(r.label, r.counts["sent"]) for r in report["variants"]] == [("s/A", a)]
    channels = {r.channel: r.counts["sent"] for r in report["channels"]}
    assert channels == {"EMAIL": a, "WHATSAPP": 10}
    assert report["total"].counts["sent"] == 10 + a
    assert report["total"].counts["clicked"] == 4
    # 11 entered (one left at a1 without consent); the A clickers reached the goal END e1.
    assert report["goal"] == {
        "entered": 11,
        "reached": a,
        "percent": round(100.0 * a / 11, 1),
    }


def test_sms_cannot_measure_opens_or_clicks(journey):  # noqa: F811
    from amanah.journeys.analytics import MetricRow

    row = MetricRow(label="x", channel="SMS")
    assert dict(row.cells)["opened"] is None and dict(row.cells)["sent"] == 0


def test_the_version_page_shows_the_figures(ran, marketer):
    client = Client()
    sign_in(client, marketer)
    page = client.get(f"/journeys/{ran['journey'].pk}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-testid="channel-analytics"' in html
    assert 'data-testid="goal-conversion"' in html
    assert '<tr data-node="a1">' in html
