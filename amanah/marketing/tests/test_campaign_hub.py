"""Campaigns go through the messaging hub (issue 12, "Consumers moved onto the hub").

A campaign names an approved OFFER template of its channel; a batch puts one outbox row per
contactable customer (rendered for that customer) in the same transaction as its outcomes; the
hub's dispatcher does the real send (here: a real SMTP server on loopback).
"""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.test import Client

from amanah.audit.models import AuditLog
from amanah.conftest import sign_in
from amanah.consent.testing import grant_marketing
from amanah.core.errors import ServiceError
from amanah.core.roles import RoleKey as R
from amanah.customers.services import CustomerInput, customer_create
from amanah.marketing import sending
from amanah.marketing import services as mkt
from amanah.marketing.models import CampaignBatch, CampaignEligibility, CampaignEvent
from amanah.marketing.testing import OFFER_KEY, offer_template
from amanah.messaging import dispatch
from amanah.messaging.models import Message, TemplateVersion
from amanah.messaging.testing import smtp_server  # noqa: F401 (fixture)

SEND_AT = datetime(2026, 11, 24, 10, 0, tzinfo=ZoneInfo("Asia/Jakarta"))  # Tuesday, window open
FIRST_NAMES = ("Rahmat", "Dewi", "Yohanes", "Fitri")


@pytest.fixture(autouse=True)
def _no_rate_limits(settings):
    settings.MESSAGING_RATE_LIMITS_OFF = True


@pytest.fixture
def crowd(db, system, branch_a):
    """Four customers with marketing consent, phone and e-mail, and one with neither address."""
    people = [
        customer_create(
            actor=system,
            data=CustomerInput(
                full_name=f"{first} Siregar",
                home_branch=branch_a,
                phone=f"08126100{n:04d}",
                email=f"{first.lower()}@contoh.co.id",
            ),
        )
        for n, first in enumerate(FIRST_NAMES)
    ]
    nowhere = customer_create(
        actor=system, data=CustomerInput(full_name="Tanpa Alamat Lubis", home_branch=branch_a)
    )
    grant_marketing([*people, nowhere])
    return {"people": people, "nowhere": nowhere}


def _campaign(system, make_user, channel, *, key=OFFER_KEY, promo_code="", submit=True):
    segment = mkt.segment_create(actor=system, name="Semua nasabah", rules={"all": []})
    campaign = mkt.campaign_create(
        actor=system,
        name="Tabungan Emas",
        segment=segment,
        channel=channel,
        template_key=key,
        promo_code=promo_code,
    )
    if submit:
        mkt.campaign_submit(actor=system, campaign=campaign)
        mkt.campaign_approve(actor=make_user(R.COMPLIANCE), campaign=campaign)
        mkt.campaign_evaluate(actor=system, campaign=campaign)
        campaign.refresh_from_db()
    return campaign


def _send_all(system, campaign) -> list[dict]:
    sending.campaign_execute(actor=system, campaign=campaign, confirmed=True)
    numbers = CampaignBatch.objects.filter(campaign=campaign).values_list("number", flat=True)
    return [
        sending.campaign_send_batch(campaign_id=campaign.pk, number=n, at=SEND_AT) for n in numbers
    ]


def _outbox(campaign):
    return Message.objects.filter(source="CAMPAIGN", source_id=str(campaign.pk))


def test_a_batch_queues_one_outbox_row_per_eligible_customer_and_no_more_on_a_rerun(
    system, make_user, crowd
):
    offer_template("WHATSAPP")
    campaign = _campaign(system, make_user, "WHATSAPP")
    (counts,) = _send_all(system, campaign)

    people = crowd["people"]
    # Nobody skipped: the evaluation already left out the customer with no address (its
    # reason NO_ADDRESS); a send-time skip is test_campaign_channel_choice's to show.
    assert (counts["sent"], counts["skipped"]) == (4, 0)
    rows = list(_outbox(campaign).values_list("customer_id", "status", "purpose", "channel"))
    assert sorted(r[0] for r in rows) == sorted(c.pk for c in people)
    assert {r[1:] for r in rows} == {("QUEUED", "OFFER", "WHATSAPP")}
    verdict = CampaignEligibility.objects.get(campaign=campaign, customer=crowd["nowhere"])
    assert (verdict.is_eligible, verdict.reason) == (False, "NO_ADDRESS")
    sent = set(
        CampaignEvent.objects.filter(campaign=campaign, event_type="SENT").values_list(
            "customer_id", flat=True
        )
    )
    assert sent == {c.pk for c in people}

    # Per customer: the first name and the campaign's name, as WhatsApp's positional parameters.
    by_customer = dict(_outbox(campaign).values_list("customer_id", "parameters"))
    for customer, first in zip(people, FIRST_NAMES, strict=True):
        assert by_customer[customer.pk] == [first, "Tabungan Emas"]
    assert set(_outbox(campaign).values_list("template_key", "template_version")) == {
        (OFFER_KEY, 1)
    }

    # A duplicate job finds the batch done; a lost "done" re-runs it: no new row either way.
    assert sending.campaign_send_batch(campaign_id=campaign.pk, number=0, at=SEND_AT) == {
        "done": True
    }
    CampaignBatch.objects.filter(campaign=campaign).update(status="PENDING")
    rerun = sending.campaign_send_batch(campaign_id=campaign.pk, number=0, at=SEND_AT)
    assert (rerun["sent"], rerun["skipped"]) == (0, 0)
    assert _outbox(campaign).count() == 4
    queue_audits = AuditLog.objects.filter(
        action="QUEUE_MESSAGES", object_id=f"CAMPAIGN:{campaign.pk}"
    )
    assert [a.meta["queued"] for a in queue_audits.order_by("id")] == [4]  # nobody left to queue
    assert all("Siregar" not in str(a.meta) for a in queue_audits)


def test_a_template_without_customer_placeholders_takes_the_same_content_path(
    system, make_user, crowd
):
    offer_template("SMS", text="{{campaign.name}} hadir: kode {{promo.code}} di cabang.")
    campaign = _campaign(system, make_user, "SMS", promo_code="EMAS26")
    _send_all(system, campaign)
    texts = set(_outbox(campaign).values_list("text", flat=True))
    assert texts == {"Tabungan Emas hadir: kode EMAS26 di cabang."}
    audit = AuditLog.objects.get(action="QUEUE_MESSAGES", object_id=f"CAMPAIGN:{campaign.pk}")
    assert audit.meta["queued"] == 4 and audit.meta["personalised"] is False


def test_a_campaign_without_an_approved_template_is_refused_at_each_step(system, make_user, crowd):
    with pytest.raises(ServiceError) as refused:  # no template chosen
        _campaign(system, make_user, "EMAIL", key="")
    assert refused.value.code == "template_required"

    draft = _campaign(system, make_user, "EMAIL", submit=False)  # no EMAIL template at all
    with pytest.raises(ServiceError) as refused:
        mkt.campaign_submit(actor=system, campaign=draft)
    assert refused.value.code == "template_not_approved"
    assert "belum punya versi yang disetujui" in refused.value.message
    draft.refresh_from_db()
    assert draft.status == "DRAFT"

    version = offer_template("EMAIL")
    mkt.campaign_submit(actor=system, campaign=draft)
    TemplateVersion.objects.filter(pk=version.pk).update(status="REJECTED")  # withdrawn
    with pytest.raises(ServiceError) as refused:
        mkt.campaign_approve(actor=make_user(R.COMPLIANCE), campaign=draft)
    assert refused.value.code == "template_not_approved"
    draft.refresh_from_db()
    assert draft.status == "SUBMITTED"

    TemplateVersion.objects.filter(pk=version.pk).update(status="APPROVED")
    mkt.campaign_approve(actor=make_user(R.COMPLIANCE), campaign=draft)
    mkt.campaign_evaluate(actor=system, campaign=draft)
    TemplateVersion.objects.filter(pk=version.pk).update(status="REJECTED")
    with pytest.raises(ServiceError) as refused:
        sending.campaign_execute(actor=system, campaign=draft, confirmed=True)
    assert refused.value.code == "template_not_approved"
    draft.refresh_from_db()
    assert draft.status == "APPROVED" and not CampaignBatch.objects.filter(campaign=draft).exists()


def test_push_is_not_offered_and_a_promo_placeholder_needs_a_promo_code(system, make_user, crowd):
    segment = mkt.segment_create(actor=system, name="Semua", rules={"all": []})
    with pytest.raises(ServiceError) as refused:
        mkt.campaign_create(
            actor=system, name="Dorong", segment=segment, channel="PUSH", template_key=OFFER_KEY
        )
    assert refused.value.code == "channel_unavailable"
    offer_template("SMS", text="Kode promo Anda {{promo.code}}.")
    campaign = _campaign(system, make_user, "SMS", submit=False)
    with pytest.raises(ServiceError) as refused:
        mkt.campaign_submit(actor=system, campaign=campaign)
    assert refused.value.code == "promo_code_required"


def test_the_send_keeps_the_version_frozen_when_it_started(system, make_user, crowd):
    first = offer_template("SMS", text="Versi satu untuk {{customer.first_name}}.")
    campaign = _campaign(system, make_user, "SMS")
    sending.campaign_execute(actor=system, campaign=campaign, confirmed=True)
    TemplateVersion.objects.filter(pk=first.pk).update(status="RETIRED")
    offer_template("SMS", text="Versi dua untuk {{customer.first_name}}.", number=2)
    sending.campaign_send_batch(campaign_id=campaign.pk, number=0, at=SEND_AT)
    texts = sorted(_outbox(campaign).values_list("text", flat=True))
    assert texts == sorted(f"Versi satu untuk {first}." for first in FIRST_NAMES)


def test_a_campaign_end_to_end_reaches_the_loopback_smtp_server(
    system,
    make_user,
    crowd,
    smtp_server,  # noqa: F811
):
    offer_template("EMAIL")
    campaign = _campaign(system, make_user, "EMAIL")
    _send_all(system, campaign)

    counts = dispatch.dispatch_batch("EMAIL", at=SEND_AT)  # what the hub's worker runs

    assert counts == {"claimed": 4, "sent": 4}
    by_recipient = {
        smtp_server.recipients[key][0]: mail for key, mail in smtp_server.mailbox.items()
    }
    assert sorted(by_recipient) == sorted(f"{n.lower()}@contoh.co.id" for n in FIRST_NAMES)
    for first in FIRST_NAMES:
        mail = by_recipient[f"{first.lower()}@contoh.co.id"]
        assert mail["Subject"] == f"{first}, penawaran Tabungan Emas"
        text = mail.get_body(preferencelist=("plain",)).get_content()
        assert f"Halo {first}," in text
    assert set(_outbox(campaign).values_list("status", flat=True)) == {"SENT"}

    # The campaign page counts what the hub did; the channel analytics name the campaign.
    page = sign_in(Client(), make_user(R.MARKETING)).get(f"/marketing/campaigns/{campaign.pk}/")
    body = page.content.decode()
    assert 'data-metric="handed">Diserahkan ke hub pesan: 4<' in body
    assert 'data-metric="sent">Terkirim ke penyedia: 4<' in body
    analytics = sign_in(Client(), make_user(R.SUPERVISOR)).get("/messaging/analytics/")
    assert analytics.status_code == 200
    assert "Tabungan Emas" in analytics.content.decode()


def test_the_form_offers_approved_offer_templates_and_no_push(system, make_user, crowd):
    offer_template("EMAIL")
    offer_template("WHATSAPP")
    draft = offer_template("SMS", key="uji.draf")
    TemplateVersion.objects.filter(pk=draft.pk).update(status="DRAFT")
    segment = mkt.segment_create(actor=system, name="Semua nasabah", rules={"all": []})
    client = sign_in(Client(), make_user(R.MARKETING))

    form = client.get("/marketing/campaigns/new/").content.decode()
    assert f'<option value="{OFFER_KEY}">Penawaran uji (EMAIL) (Email, WhatsApp)</option>' in form
    assert "uji.draf" not in form and 'value="PUSH"' not in form

    created = client.post(
        "/marketing/campaigns/new/",
        {
            "name": "Tabungan Emas",
            "segment": str(segment.pk),
            "channel": "WHATSAPP",
            "template_key": OFFER_KEY,
            "promo_code": "emas26",
        },
    )
    assert created.status_code == 303
    page = client.get(created["Location"]).content.decode()
    assert f"<code>{OFFER_KEY}</code>" in page and "<code>EMAS26</code>" in page
    pushed = client.post(
        "/marketing/campaigns/new/",
        {
            "name": "Dorong",
            "segment": str(segment.pk),
            "channel": "PUSH",
            "template_key": OFFER_KEY,
        },
    )
    assert pushed.status_code == 400


def test_a_send_started_before_versions_were_frozen_uses_the_approved_one(system, make_user, crowd):
    offer_template("SMS", text="Versi disetujui untuk {{customer.first_name}}.")
    campaign = _campaign(system, make_user, "SMS")
    sending.campaign_execute(actor=system, campaign=campaign, confirmed=True)
    type(campaign).objects.filter(pk=campaign.pk).update(template_version=None)
    sending.campaign_send_batch(campaign_id=campaign.pk, number=0, at=SEND_AT)
    assert _outbox(campaign).count() == len(FIRST_NAMES)
    assert set(_outbox(campaign).values_list("template_version", flat=True)) == {1}
