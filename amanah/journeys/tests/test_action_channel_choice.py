"""An ACTION step whose offer template is approved on several channels sends on each
customer's preferred channel (issue 17): messaging's one rule in its set form
(``channel_choices``) with consent's contactability on every channel — a preferred channel
withdrawn gives way to the next, nobody reachable exits with the reason, and the step's query
count does not grow with its customers."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from amanah.consent.contract import contact_preference_set
from amanah.consent.testing import withdraw_offers_on
from amanah.core.roles import RoleKey as R
from amanah.journeys import engine, triggers
from amanah.journeys.models import JourneyEnrollment, JourneyNode
from amanah.journeys.testing import customer
from amanah.messaging.models import Message

# A Tuesday morning in Medan: inside the offer window.
T0 = datetime(2026, 11, 24, 10, 0, tzinfo=ZoneInfo("Asia/Jakarta"))


@pytest.fixture
def agent(make_user, branch_a):
    return make_user(R.AGENT, branches=[branch_a])


def _prefer(agent, person, channel):
    contact_preference_set(actor=agent, customer=person, purpose="OFFER", channel=channel)


def _a1_channels(journey) -> dict:
    return dict(
        Message.objects.filter(source="JOURNEY", source_id=str(journey.pk), step="a1").values_list(
            "customer_id", "channel"
        )
    )


def test_the_offer_goes_on_each_customers_channel_or_the_next_one_they_consented_to(
    journey, system, agent, branch_a
):
    a1 = JourneyNode.objects.get(journey=journey, key="a1")
    assert a1.config["template_versions"] == {"EMAIL": 1, "SMS": 1}  # frozen at activation
    plain, mail_fan, sms_fan = (
        customer(system, branch_a, name=n) for n in ("Adi Polem", "Butet Ginting", "Citra Sitepu")
    )
    withdrew_mail = customer(
        system, branch_a, name="Dedi Tarigan"
    )  # prefers e-mail, then unsubscribed
    withdrew_everything = customer(system, branch_a, name="Evi Sembiring")
    no_consent = customer(system, branch_a, name="Fikri Bangun", consent=None)
    _prefer(agent, mail_fan, "EMAIL")
    _prefer(agent, sms_fan, "SMS")
    _prefer(agent, withdrew_mail, "EMAIL")
    for channel in ("EMAIL", "WHATSAPP", "SMS"):
        withdraw_offers_on(agent, withdrew_everything, channel)
    triggers.segment_entries(now=T0)
    engine.tick(now=T0)
    withdraw_offers_on(agent, withdrew_mail, "EMAIL")  # after entering: the step asks at its time
    engine.tick(now=T0 + timedelta(days=1))

    assert _a1_channels(journey) == {
        plain.pk: "WHATSAPP",  # the step's own channel
        mail_fan.pk: "EMAIL",
        sms_fan.pk: "SMS",
        withdrew_mail.pk: "WHATSAPP",  # falls back to the step's channel
    }
    exits = dict(
        JourneyEnrollment.objects.filter(journey=journey, status="EXITED").values_list(
            "customer_id", "exit_reason"
        )
    )
    assert exits == {
        withdrew_everything.pk: "CONSENT_WITHDRAWN",
        no_consent.pk: "CONSENT_WITHDRAWN",
    }


def _round(system, agent, branch_a, n: int, start: datetime) -> int:
    """``n`` new customers (half preferring e-mail) enter at ``start``; the queries of the
    tick that takes them through the offer step."""
    people = [customer(system, branch_a, name=f"Nasabah {start:%d}-{i}") for i in range(n)]
    for person in people[: n // 2]:
        _prefer(agent, person, "EMAIL")
    triggers.segment_entries(now=start)
    engine.tick(now=start)
    with CaptureQueriesContext(connection) as queries:
        engine.tick(now=start + timedelta(days=1))
    engine.tick(now=start + timedelta(days=4))  # the rest of their way, before the next round
    return len(queries)


def test_the_offer_steps_query_count_does_not_grow_with_its_customers(
    journey, system, agent, branch_a
):
    _round(system, agent, branch_a, 2, T0)  # the hub's dispatch jobs queued once before
    few = _round(system, agent, branch_a, 3, T0 + timedelta(days=7))
    many = _round(system, agent, branch_a, 12, T0 + timedelta(days=14))
    assert many == few
    assert set(Message.objects.filter(step="a1").values_list("channel", flat=True)) == {
        "EMAIL",
        "WHATSAPP",
    }
