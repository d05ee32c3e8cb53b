"""A journey's offer held by a frequency cap waits for the next allowed moment and the
enrollment goes on (issue 51 item 10: a cap is a wait everywhere); an RFM branch never takes
a customer who objected to profiling, whatever an earlier run computed (issue 50 item 8). The
engine's clock is fixed: nothing depends on the hour the suite runs."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from amanah.consent.testing import object_to_profiling
from amanah.customers.models import Customer
from amanah.insight.services import rfm_run_compute
from amanah.insight.testing import book
from amanah.journeys import engine, triggers
from amanah.journeys.conditions import matching
from amanah.journeys.models import JourneyEnrollment
from amanah.journeys.testing import customer
from amanah.messaging.contract import Rendered, message_queue
from amanah.messaging.models import Message

WIB = ZoneInfo("Asia/Jakarta")
T0 = datetime(2026, 11, 24, 10, 0, tzinfo=WIB)  # Tuesday: enrolled; the offer goes a day later
WEDNESDAY_9 = datetime(2026, 11, 25, 9, 0, tzinfo=WIB)
THURSDAY_8 = datetime(2026, 11, 26, 8, 0, tzinfo=WIB)


def test_an_offer_held_by_the_cap_waits_and_the_enrollment_goes_on(
    system, branch_a, journey, settings
):
    settings.MESSAGING_RATE_LIMITS_OFF = True
    settings.CONTACT_CAPS = {"OFFER": {"WHATSAPP": {"day": 1, "week": 2}}}
    fresh = customer(system, branch_a, name="Ani Ginting")
    capped = customer(system, branch_a, name="Budi Ginting")
    triggers.segment_entries(now=T0)
    engine.tick(now=T0)
    # Wednesday 09.00: another sender's WhatsApp offer reached Budi, his one for the day.
    earlier = message_queue(
        actor=system,
        channel="WHATSAPP",
        purpose="OFFER",
        rendered=Rendered(text="Promo lain"),
        source="CAMPAIGN",
        source_id="kampanye-pagi",
        customer=capped,
        at=WEDNESDAY_9,
    )
    Message.objects.filter(pk=earlier.pk).update(status="SENT", sent_at=WEDNESDAY_9)

    engine.tick(now=T0 + timedelta(days=1))  # Wednesday 10.00: the WhatsApp offer (a1)
    offers = {
        m.customer_id: m
        for m in Message.objects.filter(source="JOURNEY", source_id=str(journey.pk), step="a1")
    }
    assert set(offers) == {fresh.pk, capped.pk}
    assert offers[fresh.pk].next_attempt_at == T0 + timedelta(days=1)
    held = offers[capped.pk]
    assert (held.status, held.cancel_reason) == ("QUEUED", "")
    assert held.next_attempt_at == THURSDAY_8  # the next window opening after the day's cap
    for person in (fresh, capped):
        enrollment = JourneyEnrollment.objects.get(journey=journey, customer=person)
        assert (enrollment.status, enrollment.exit_reason) == ("ACTIVE", "")
        assert enrollment.current_node.key == "w2"


def test_an_rfm_branch_never_takes_an_objector(system, branch_a):
    champions = [customer(system, branch_a, name=f"Juara {n}") for n in range(2)]
    for person in champions:
        book(system, person, days_ago=2, amount=3_000_000, count=55)
    rfm_run_compute(actor=system)
    kept, objector = champions
    object_to_profiling(system, objector)  # after the run that made them a champion
    condition = {"kind": "rfm", "segments": ["CHAMPION"]}
    matched = matching(condition, Customer.objects.filter(pk__in=[c.pk for c in champions]), None)
    assert list(matched.values_list("pk", flat=True)) == [kept.pk]
