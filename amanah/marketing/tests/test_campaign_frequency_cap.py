"""A frequency cap is a wait, not a refusal (issue 51 item 10): a customer whose only obstacle
at send time is the daily message cap gets the campaign when the cap is over — the batch comes
back the next morning — instead of being recorded SKIPPED for good. A withdrawal in the same
batch is still a refusal. The clock is fixed (``at=``): nothing depends on the hour the suite
runs."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from procrastinate.contrib.django.models import ProcrastinateJob

from amanah.consent.services import consent_change
from amanah.consent.testing import grant_marketing
from amanah.core.roles import RoleKey as R
from amanah.customers.services import CustomerInput, customer_create
from amanah.marketing import sending
from amanah.marketing import services as mkt
from amanah.marketing.models import CampaignBatch, CampaignEvent
from amanah.marketing.testing import OFFER_KEY, offer_template
from amanah.messaging.contract import Rendered, message_queue
from amanah.messaging.models import Message

WIB = ZoneInfo("Asia/Jakarta")
TUESDAY_9 = datetime(2026, 11, 24, 9, 0, tzinfo=WIB)
TUESDAY_10 = datetime(2026, 11, 24, 10, 0, tzinfo=WIB)  # the offer window is open
WEDNESDAY_8 = datetime(2026, 11, 25, 8, 0, tzinfo=WIB)  # it opens again after the day's cap
WEDNESDAY_10 = datetime(2026, 11, 25, 10, 0, tzinfo=WIB)


@pytest.fixture(autouse=True)
def _one_offer_email_a_day(settings):
    settings.MESSAGING_RATE_LIMITS_OFF = True
    settings.CONTACT_CAPS = {"OFFER": {"EMAIL": {"day": 1, "week": 3}}}


@pytest.fixture
def person(system, branch_a):
    made = iter(range(100))

    def make(name):
        n = next(made)
        customer = customer_create(
            actor=system,
            data=CustomerInput(
                full_name=f"{name} Simanjuntak",
                home_branch=branch_a,
                email=f"{name.lower()}{n}@contoh.co.id",
            ),
        )
        grant_marketing([customer])
        return customer

    return make


def _had_an_offer_today(system, customer) -> None:
    """An offer e-mail of another sender handed to the provider this morning: the customer is
    at the day's cap of one."""
    message = message_queue(
        actor=system,
        channel="EMAIL",
        purpose="OFFER",
        rendered=Rendered(subject="Promo", text="Promo lain"),
        source="CAMPAIGN",
        source_id="kampanye-pagi",
        customer=customer,
        at=TUESDAY_9,
    )
    Message.objects.filter(pk=message.pk).update(status="SENT", sent_at=TUESDAY_9)


def _outcomes(campaign) -> dict:
    return {
        e.customer_id: (e.event_type, e.meta.get("reason"))
        for e in CampaignEvent.objects.filter(campaign=campaign)
    }


def test_a_customer_at_the_daily_cap_gets_the_campaign_the_next_morning(system, make_user, person):
    offer_template("EMAIL")
    fresh, capped, withdrawing = person("Ani"), person("Budi"), person("Cici")
    _had_an_offer_today(system, capped)
    segment = mkt.segment_create(actor=system, name="Semua", rules={"all": []})
    campaign = mkt.campaign_create(
        actor=system, name="Deposito", segment=segment, channel="EMAIL", template_key=OFFER_KEY
    )
    mkt.campaign_submit(actor=system, campaign=campaign)
    mkt.campaign_approve(actor=make_user(R.COMPLIANCE), campaign=campaign)
    mkt.campaign_evaluate(actor=system, campaign=campaign)
    sending.campaign_execute(actor=system, campaign=campaign, confirmed=True)
    consent_change(  # after the evaluation: a refusal at send time
        actor=system,
        customer=withdrawing,
        consent_type="MARKETING",
        new_status="WITHDRAWN",
        channel="CALL_CENTER",
        verification_method="PHONE_OTP",
    )

    counts = sending.campaign_send_batch(campaign_id=campaign.pk, number=0, at=TUESDAY_10)
    assert (counts["sent"], counts["skipped"], counts["waiting"]) == (1, 1, 1)
    outcomes = _outcomes(campaign)
    assert outcomes[fresh.pk] == ("SENT", None)
    assert outcomes[withdrawing.pk] == ("SKIPPED", "NO_CONSENT")
    assert capped.pk not in outcomes, "a customer who only waits for the cap is not skipped"
    assert CampaignBatch.objects.get(campaign=campaign).status == "PENDING"
    (job,) = ProcrastinateJob.objects.filter(
        task_name__endswith="send_campaign_batch",
        args__campaign_id=str(campaign.pk),
        scheduled_at__isnull=False,
    )
    assert job.scheduled_at == WEDNESDAY_8  # the next window opening after the day's cap

    counts = sending.campaign_send_batch(campaign_id=campaign.pk, number=0, at=WEDNESDAY_10)
    assert (counts["sent"], counts["skipped"], counts["waiting"]) == (1, 0, 0)
    assert _outcomes(campaign)[capped.pk] == ("SENT", None)
    assert Message.objects.filter(source_id=str(campaign.pk), customer=capped).count() == 1
    assert CampaignBatch.objects.get(campaign=campaign).status == "DONE"
    campaign.refresh_from_db()
    assert campaign.status == "DONE"
    assert sending.campaign_progress(campaign)["remaining"] == 0
