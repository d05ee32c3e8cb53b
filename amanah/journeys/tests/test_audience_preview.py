"""The audience preview on a version's page before activation: the segment's members now and,
per ACTION, how many the offer could reach — by the engine's own rules, so the engine, run
after activation, sends to exactly that many and exits the rest for the same reasons."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from amanah.conftest import sign_in
from amanah.consent.contract import contact_preference_set
from amanah.consent.testing import withdraw_offers_on
from amanah.core.roles import RoleKey as R
from amanah.customers.models import Customer as CustomerModel
from amanah.journeys import engine, selectors, services, triggers
from amanah.journeys.models import ExitReason, JourneyEnrollment
from amanah.journeys.testing import customer, standard_graph
from amanah.messaging.models import Message

T0 = datetime(2026, 11, 24, 10, 0, tzinfo=ZoneInfo("Asia/Jakarta"))


def test_the_preview_counts_what_the_engine_then_does(
    marketer, director, segment, offers, system, branch_a
):
    for _ in range(2):
        customer(system, branch_a)
    customer(system, branch_a, consent="WITHDRAWN")
    customer(system, branch_a, consent=None)  # never asked: no marketing consent
    customer(system, branch_a, savings=False)  # not in the segment
    journey = services.journey_create(
        actor=marketer, name="Sambut penabung", graph=standard_graph(segment.pk)
    )

    preview = selectors.audience_preview(journey)
    assert preview["members"] == 4
    by_node = {a["node"]: a for a in preview["actions"]}
    assert by_node["a1"]["channel"] == "WHATSAPP" and by_node["a1"]["eligible"] == 2
    assert by_node["a1"]["blocked"] == [(ExitReason.CONSENT_WITHDRAWN, 2)]
    assert by_node["a2"]["eligible"] == 2

    page = sign_in(Client(), marketer).get(
        reverse("journeys:detail", args=[journey.pk]), {"audience": "1"}
    )
    row = page.content.decode().split('data-testid="audience-preview"')[1]
    assert '<td data-count="eligible">2</td>' in row.split('data-node="a1"')[1]

    services.journey_submit(actor=marketer, journey=journey)
    services.journey_approve(actor=director, journey=journey)
    services.journey_move(actor=marketer, journey=journey, to="ACTIVE")
    triggers.segment_entries(now=T0)
    engine.tick(now=T0)
    engine.tick(now=T0 + timedelta(days=1, minutes=1))
    counts = selectors.node_counts(journey)
    assert counts["t"]["entered"] == preview["members"]
    assert counts["a1"]["passed"] == by_node["a1"]["eligible"]
    exited = JourneyEnrollment.objects.filter(journey=journey, exit_reason__gt="")
    assert (
        sorted(exited.values_list("exit_reason", flat=True)) == [ExitReason.CONSENT_WITHDRAWN] * 2
    )
    # Once running, the page offers no preview (the counts on the nodes say what happened).
    journey.refresh_from_db()
    page = sign_in(Client(), marketer).get(
        reverse("journeys:detail", args=[journey.pk]), {"audience": "1"}
    )
    assert b'data-testid="audience-preview"' not in page.content


def test_an_event_triggered_journey_has_no_preview(marketer):
    graph = {
        "nodes": [
            {
                "key": "t",
                "type": "TRIGGER",
                "config": {"type": "EVENT", "event": "cases.case_closed"},
            },
            {"key": "e", "type": "END", "config": {"reason": "FINISHED"}},
        ],
        "edges": [{"source": "t", "target": "e"}],
    }
    journey = services.journey_create(actor=marketer, name="Setelah kasus", graph=graph)
    assert selectors.audience_preview(journey) is None


def _preferring(agent, person, channel):
    contact_preference_set(actor=agent, customer=person, purpose="OFFER", channel=channel)
    return person


def test_the_preview_counts_every_channel_the_step_would_send_on(
    marketer, director, segment, offers, system, branch_a, make_user
):
    """``a1`` is a WhatsApp step whose template is approved on e-mail and SMS too: a customer
    who prefers e-mail, or withdrew WhatsApp only, is reached there and counted (the step's
    own channel alone refuses both); one who withdrew every channel, or never consented, is
    not. The engine then passes exactly as many."""
    agent = make_user(R.AGENT, branches=[branch_a])
    plain = customer(system, branch_a)
    mail_fan = _preferring(agent, customer(system, branch_a), "EMAIL")
    sms_fan = _preferring(agent, customer(system, branch_a), "SMS")
    withdrew_wa = withdraw_offers_on(agent, customer(system, branch_a), "WHATSAPP")
    withdraw_offers_on(agent, customer(system, branch_a), "EMAIL", "WHATSAPP", "SMS")
    customer(system, branch_a, consent=None)
    journey = services.journey_create(
        actor=marketer, name="Sambut penabung", graph=standard_graph(segment.pk)
    )

    a1 = {a["node"]: a for a in selectors.audience_preview(journey)["actions"]}["a1"]
    assert a1["eligible"] == 4
    assert a1["blocked"] == [(ExitReason.CONSENT_WITHDRAWN, 2)]

    services.journey_submit(actor=marketer, journey=journey)
    services.journey_approve(actor=director, journey=journey)
    services.journey_move(actor=marketer, journey=journey, to="ACTIVE")
    triggers.segment_entries(now=T0)
    engine.tick(now=T0)
    engine.tick(now=T0 + timedelta(days=1, minutes=1))
    assert selectors.node_counts(journey)["a1"]["passed"] == a1["eligible"]
    reached = dict(
        Message.objects.filter(source="JOURNEY", source_id=str(journey.pk), step="a1").values_list(
            "customer_id", "channel"
        )
    )
    assert set(reached) == {plain.pk, mail_fan.pk, sms_fan.pk, withdrew_wa.pk}
    assert (reached[plain.pk], reached[mail_fan.pk], reached[sms_fan.pk]) == (
        "WHATSAPP",
        "EMAIL",
        "SMS",
    )
    assert reached[withdrew_wa.pk] != "WHATSAPP"


def _preview_queries(journey, system, branch_a, n: int) -> int:
    for _ in range(n):
        customer(system, branch_a)
    with CaptureQueriesContext(connection) as queries:
        preview = selectors.audience_preview(journey)
    assert preview["members"] == CustomerModel.objects.count()
    return len(queries)


def test_the_previews_query_count_does_not_grow_with_the_audience(
    marketer, segment, offers, system, branch_a
):
    journey = services.journey_create(
        actor=marketer, name="Sambut penabung", graph=standard_graph(segment.pk)
    )
    few = _preview_queries(journey, system, branch_a, 2)
    many = _preview_queries(journey, system, branch_a, 15)
    assert many == few
