"""A campaign whose offer template is approved on several channels sends each customer's offer
on their preferred channel (issue 17) — messaging's one rule (``channel_choices``) with
consent's contactability on every channel: a preferred channel withdrawn gives way to the next
one of the order, nobody reachable is skipped with the reason kept, and the batch stays
set-based (its query count does not grow with its customers)."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from amanah.consent.contract import contact_preference_set
from amanah.consent.testing import grant_marketing, withdraw_offers_on
from amanah.core.roles import RoleKey as R
from amanah.customers.models import Customer as CustomerModel
from amanah.customers.services import CustomerInput, customer_create
from amanah.marketing import selectors, sending
from amanah.marketing import services as mkt
from amanah.marketing.models import CampaignBatch, CampaignEligibility, CampaignEvent
from amanah.marketing.testing import OFFER_KEY, offer_template
from amanah.messaging.models import Message

SEND_AT = datetime(2026, 11, 24, 10, 0, tzinfo=ZoneInfo("Asia/Jakarta"))  # Tuesday, window open


@pytest.fixture(autouse=True)
def _no_rate_limits(settings):
    settings.MESSAGING_RATE_LIMITS_OFF = True


@pytest.fixture
def agent(make_user, branch_a):
    return make_user(R.AGENT, branches=[branch_a])


@pytest.fixture
def person(system, branch_a):
    made = iter(range(1000))

    def make(name, *, email=True, phone=True, consent=True):
        n = next(made)
        customer = customer_create(
            actor=system,
            data=CustomerInput(
                full_name=f"{name} Nasution",
                home_branch=branch_a,
                phone=f"08126200{n:04d}" if phone else "",
                email=f"{name.lower()}{n}@contoh.co.id" if email else "",
            ),
        )
        if consent:
            grant_marketing([customer])
        return customer

    return make


def _prefer(agent, customer, channel):
    contact_preference_set(actor=agent, customer=customer, purpose="OFFER", channel=channel)


def _campaign(system, make_user, channel="EMAIL"):
    segment = mkt.segment_create(actor=system, name="Semua nasabah", rules={"all": []})
    campaign = mkt.campaign_create(
        actor=system, name="Tabungan Emas", segment=segment, channel=channel, template_key=OFFER_KEY
    )
    mkt.campaign_submit(actor=system, campaign=campaign)
    mkt.campaign_approve(actor=make_user(R.COMPLIANCE), campaign=campaign)
    mkt.campaign_evaluate(actor=system, campaign=campaign)
    campaign.refresh_from_db()
    return campaign


def _outcomes(campaign) -> dict:
    return {
        e.customer_id: (e.event_type, e.channel if e.event_type == "SENT" else e.meta["reason"])
        for e in CampaignEvent.objects.filter(campaign=campaign)
    }


def test_each_customer_gets_the_offer_on_their_channel_or_the_next_one_they_consented_to(
    system, make_user, agent, person
):
    offer_template("EMAIL")
    offer_template("WHATSAPP")
    wa_fan, mail_fan, no_pref = person("Wati"), person("Maya"), person("Nora")
    withdrew_wa = person("Rudi")  # prefers WhatsApp, then said STOP there
    phone_only = person("Tono", email=False)  # the campaign's e-mail cannot reach him
    sms_fan = person("Sari")  # prefers SMS: the campaign has no SMS template
    nobody = person("Budi", email=True, phone=False)  # his only channel withdrawn
    no_consent = person("Ani", consent=False)
    nowhere = person("Joko", email=False, phone=False)  # consented, but no address at all
    _prefer(agent, wa_fan, "WHATSAPP")
    _prefer(agent, mail_fan, "EMAIL")
    _prefer(agent, withdrew_wa, "WHATSAPP")
    withdraw_offers_on(agent, withdrew_wa, "WHATSAPP")
    _prefer(agent, sms_fan, "SMS")
    withdraw_offers_on(agent, nobody, "EMAIL")

    campaign = _campaign(system, make_user, "EMAIL")
    # Eligible when any of the campaign's channels may reach them, not only its own.
    eligible = set(
        CampaignEligibility.objects.filter(campaign=campaign, is_eligible=True).values_list(
            "customer_id", flat=True
        )
    )
    assert {wa_fan.pk, mail_fan.pk, no_pref.pk, withdrew_wa.pk, phone_only.pk} <= eligible
    assert not {sms_fan.pk, no_consent.pk, nowhere.pk} & eligible
    # The verdict says why, as the send would: no channel of the campaign reaches Joko.
    reasons = dict(
        CampaignEligibility.objects.filter(campaign=campaign).values_list("customer_id", "reason")
    )
    assert reasons[nowhere.pk] == "NO_ADDRESS"
    assert reasons[sms_fan.pk] == "NOT_PREFERRED"
    assert reasons[phone_only.pk] == ""

    sending.campaign_execute(actor=system, campaign=campaign, confirmed=True)
    campaign.refresh_from_db()
    assert campaign.channel_versions == {"WHATSAPP": 1}  # frozen with the e-mail's version
    for batch in CampaignBatch.objects.filter(campaign=campaign):
        sending.campaign_send_batch(campaign_id=campaign.pk, number=batch.number, at=SEND_AT)

    outcomes = _outcomes(campaign)
    assert outcomes[wa_fan.pk] == ("SENT", "WHATSAPP")
    assert outcomes[mail_fan.pk] == ("SENT", "EMAIL")
    assert outcomes[no_pref.pk] == ("SENT", "EMAIL")  # the campaign's own channel first
    assert outcomes[withdrew_wa.pk] == ("SENT", "EMAIL")  # falls back
    assert outcomes[phone_only.pk] == ("SENT", "WHATSAPP")  # no address on e-mail
    outbox = dict(
        Message.objects.filter(source="CAMPAIGN", source_id=str(campaign.pk)).values_list(
            "customer_id", "channel"
        )
    )
    assert outbox == {
        wa_fan.pk: "WHATSAPP",
        mail_fan.pk: "EMAIL",
        no_pref.pk: "EMAIL",
        withdrew_wa.pk: "EMAIL",
        phone_only.pk: "WHATSAPP",
    }
    # Never on a channel they did not consent to or turned away from.
    assert sms_fan.pk not in outbox and nobody.pk not in outbox and no_consent.pk not in outbox
    assert nowhere.pk not in outcomes  # ineligible: not part of the send


def test_nobody_reachable_is_skipped_with_the_reason_kept(system, make_user, agent, person):
    """At the send (consent changed after the evaluation): the reason of the first channel of
    the customer's order is recorded; no address anywhere is NO_ADDRESS."""
    offer_template("EMAIL")
    offer_template("WHATSAPP")
    withdrawn_both, prefers_sms, no_address = person("Dedi"), person("Eka"), person("Fajar")
    campaign = _campaign(system, make_user, "EMAIL")
    withdraw_offers_on(agent, withdrawn_both, "EMAIL")
    withdraw_offers_on(agent, withdrawn_both, "WHATSAPP")
    _prefer(agent, prefers_sms, "SMS")
    no_address.email = no_address.phone_e164 = ""
    no_address.save(update_fields=["email", "phone_e164"])  # test data: no address left

    sending.campaign_execute(actor=system, campaign=campaign, confirmed=True)
    (counts,) = [
        sending.campaign_send_batch(campaign_id=campaign.pk, number=b.number, at=SEND_AT)
        for b in CampaignBatch.objects.filter(campaign=campaign)
    ]
    outcomes = _outcomes(campaign)
    assert outcomes[withdrawn_both.pk] == ("SKIPPED", "CHANNEL_WITHDRAWN")
    assert outcomes[prefers_sms.pk] == ("SKIPPED", "NOT_PREFERRED")
    assert outcomes[no_address.pk] == ("SKIPPED", "NO_ADDRESS")
    assert counts["sent"] == 0 and counts["skipped"] == 3
    assert counts["skipped_by_reason"] == {
        "CHANNEL_WITHDRAWN": 1,
        "NOT_PREFERRED": 1,
        "NO_ADDRESS": 1,
    }
    assert not Message.objects.filter(source="CAMPAIGN", source_id=str(campaign.pk)).exists()


def _queries_of_a_batch(system, make_user, agent, person, n: int) -> int:
    """Adds ``n`` customers (half preferring WhatsApp) and sends a campaign to everyone."""
    people = [person(f"Orang{i}") for i in range(n)]
    for customer in people[: n // 2]:
        _prefer(agent, customer, "WHATSAPP")
    total = CustomerModel.objects.count()
    campaign = _campaign(system, make_user, "EMAIL")
    sending.campaign_execute(actor=system, campaign=campaign, confirmed=True)
    (batch,) = CampaignBatch.objects.filter(campaign=campaign)
    with CaptureQueriesContext(connection) as queries:
        counts = sending.campaign_send_batch(
            campaign_id=campaign.pk, number=batch.number, at=SEND_AT
        )
    assert counts["sent"] == total
    channels = set(
        CampaignEvent.objects.filter(campaign=campaign).values_list("channel", flat=True)
    )
    assert channels == {"EMAIL", "WHATSAPP"}
    CampaignEvent.objects.filter(campaign=campaign).delete()
    Message.objects.filter(source="CAMPAIGN").delete()
    return len(queries)


def test_the_batch_query_count_does_not_grow_with_its_customers(system, make_user, agent, person):
    offer_template("EMAIL")
    offer_template("WHATSAPP")
    # A first send leaves the hub's dispatch jobs queued (their queueing lock makes a later
    # defer a no-op): both measured sends then start from the same state.
    _queries_of_a_batch(system, make_user, agent, person, 2)
    few = _queries_of_a_batch(system, make_user, agent, person, 4)  # 6 customers
    many = _queries_of_a_batch(system, make_user, agent, person, 20)  # 26 customers
    assert many == few


def _submitted(system, channel="EMAIL"):
    segment = mkt.segment_create(actor=system, name="Semua nasabah", rules={"all": []})
    campaign = mkt.campaign_create(
        actor=system, name="Tabungan Emas", segment=segment, channel=channel, template_key=OFFER_KEY
    )
    return mkt.campaign_submit(actor=system, campaign=campaign)


def test_the_audience_size_is_what_the_send_then_reaches(system, make_user, agent, person):
    """The approver's count asks the send's rule: a customer who prefers another channel the
    template is approved on is counted (the campaign's own channel refuses them), one who
    prefers a channel without a template, or has no consent anywhere, is not — and the send
    then reaches exactly as many."""
    offer_template("EMAIL")
    offer_template("WHATSAPP")
    _prefer(agent, person("Wati"), "WHATSAPP")  # counted: WhatsApp
    person("Nora")  # counted: the campaign's e-mail
    withdraw_offers_on(agent, person("Rudi"), "EMAIL")  # counted: falls back to WhatsApp
    person("Tono", email=False)  # counted: no e-mail address, WhatsApp
    _prefer(agent, person("Sari"), "SMS")  # not: no SMS template
    person("Ani", consent=False)  # not: no consent anywhere
    withdraw_offers_on(
        agent, person("Budi", phone=False), "EMAIL"
    )  # not: his only channel withdrawn

    campaign = _submitted(system)
    audience = selectors.audience_size(campaign)
    assert audience["channels"] == ["Email", "WhatsApp"]
    assert audience["matching"] == CustomerModel.objects.count()
    # The customers the fixtures make besides (if any) have no consent: not counted.
    assert audience["eligible"] == 4

    mkt.campaign_approve(actor=make_user(R.COMPLIANCE), campaign=campaign)
    mkt.campaign_evaluate(actor=system, campaign=campaign)
    sending.campaign_execute(actor=system, campaign=campaign, confirmed=True)
    for batch in CampaignBatch.objects.filter(campaign=campaign):
        sending.campaign_send_batch(campaign_id=campaign.pk, number=batch.number, at=SEND_AT)
    sent = CampaignEvent.objects.filter(campaign=campaign, event_type="SENT")
    assert sent.count() == audience["eligible"]
    # The segment builder has no campaign yet: any channel the hub sends (Sari's SMS too).
    assert mkt.segment_preview(actor=system, rules={"all": []})["eligible"] == 5


def _audience_queries(system, person, n: int) -> int:
    for i in range(n):
        person(f"Orang{i}")
    campaign = _submitted(system)
    with CaptureQueriesContext(connection) as queries:
        audience = selectors.audience_size(campaign)
    assert audience["matching"] == CustomerModel.objects.count()
    return len(queries)


def test_the_audience_sizes_query_count_does_not_grow_with_the_audience(system, agent, person):
    offer_template("EMAIL")
    offer_template("WHATSAPP")
    _prefer(agent, person("Wati"), "WHATSAPP")
    few = _audience_queries(system, person, 2)
    many = _audience_queries(system, person, 20)
    assert many == few


def test_without_a_preference_the_fallback_follows_the_hubs_channel_order(
    system, make_user, person
):
    """The other channels' versions are frozen in a JSON column, which does not keep their
    order (jsonb: shortest key first, SMS before WHATSAPP): the send orders them again, so a
    customer the campaign's e-mail cannot reach gets WhatsApp, the next channel of the hub."""
    offer_template("EMAIL")
    offer_template("SMS")
    offer_template("WHATSAPP")
    phone_only = person("Tono", email=False)
    campaign = _campaign(system, make_user, "EMAIL")
    sending.campaign_execute(actor=system, campaign=campaign, confirmed=True)
    campaign.refresh_from_db()
    assert list(campaign.channel_versions) == ["SMS", "WHATSAPP"]  # the order the column keeps
    for batch in CampaignBatch.objects.filter(campaign=campaign):
        sending.campaign_send_batch(campaign_id=campaign.pk, number=batch.number, at=SEND_AT)
    assert _outcomes(campaign)[phone_only.pk] == ("SENT", "WHATSAPP")
