from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.utils.html import escape

from amanah.audit.models import AuditLog
from amanah.cases import services as cases
from amanah.conftest import sign_in
from amanah.consent.services import consent_change, suppression_add
from amanah.core.errors import NotFound, ServiceError
from amanah.core.roles import RoleKey as R
from amanah.customer360.selectors import customer_360
from amanah.customers.services import CustomerInput, customer_create
from amanah.marketing import sending
from amanah.marketing import services as mkt
from amanah.marketing.models import (
    CampaignBatch,
    CampaignEligibility,
    CampaignEvent,
    eligibility_reason_label,
)
from amanah.marketing.testing import OFFER_KEY, offer_template

# A Tuesday morning in Medan: inside the offer window, so the tests do not depend on the clock.
SEND_AT = datetime(2026, 11, 24, 10, 0, tzinfo=ZoneInfo("Asia/Jakarta"))


def execute_and_send(actor, campaign) -> dict:
    """Confirm the send, then run every queued batch as the worker would."""
    queued = sending.campaign_execute(actor=actor, campaign=campaign, confirmed=True)
    totals = {"sent": 0, "skipped": 0}
    for number in CampaignBatch.objects.filter(campaign=campaign).values_list("number", flat=True):
        counts = sending.campaign_send_batch(campaign_id=campaign.pk, number=number, at=SEND_AT)
        totals["sent"] += counts["sent"]
        totals["skipped"] += counts["skipped"]
    return {**queued, **totals}


SEGMENT = {
    "all": [
        {"field": "branch", "op": "in", "value": ["MDN01"]},
        {"field": "has_savings", "op": "eq", "value": True},
    ]
}


@pytest.fixture
def offers(db):
    """An approved OFFER template ``OFFER_KEY`` for each channel a campaign sends on."""
    return {channel: offer_template(channel) for channel in ("EMAIL", "WHATSAPP", "SMS")}


@pytest.fixture
def people(db, system, branch_a, branch_b, make_user, offers):
    agent = make_user(R.AGENT, branches=[branch_a])
    numbers = iter(range(1, 100))

    def person(name, branch=branch_a, consent="GRANTED", savings=True):
        n = next(numbers)
        customer = customer_create(
            actor=system,
            data=CustomerInput(
                full_name=name,
                home_branch=branch,
                products={"has_savings": savings},
                phone=f"0812600{n:05d}",
                email=f"nasabah{n}@contoh.co.id",
            ),
        )
        if consent:
            consent_change(
                actor=system,
                customer=customer,
                consent_type="MARKETING",
                new_status="GRANTED",
                channel="BRANCH",
                verification_method="IN_PERSON",
            )
            if consent == "WITHDRAWN":
                consent_change(
                    actor=system,
                    customer=customer,
                    consent_type="MARKETING",
                    new_status="WITHDRAWN",
                    channel="BRANCH",
                    verification_method="IN_PERSON",
                )
        return customer

    a, b, c = (
        person("Ahmad Fauzi Lubis", consent="WITHDRAWN"),
        person("Siti Aminah"),
        person("Budi Sitorus"),
    )
    cases.case_create(
        actor=agent,
        data=cases.CaseInput(
            customer=c,
            channel="CALL_CENTER",
            category_code="FRAUD_SCAM",
            priority="HIGH",
            description="Penipuan lewat telepon OTP.",
        ),
    )
    outside, no_consent = (
        person("Orang Siantar", branch=branch_b),
        person("Tanpa Persetujuan", consent=None),
    )
    return {"A": a, "B": b, "C": c, "outside": outside, "none": no_consent, "agent": agent}


@pytest.fixture
def marketer(make_user):
    return make_user(R.MARKETING)


@pytest.fixture
def approved(people, marketer, make_user):
    segment = mkt.segment_create(actor=marketer, name="Penabung Medan", rules=SEGMENT)
    campaign = mkt.campaign_create(
        actor=marketer,
        name="Edukasi mobile banking",
        segment=segment,
        channel="WHATSAPP",
        template_key=OFFER_KEY,
    )
    mkt.campaign_submit(actor=marketer, campaign=campaign)
    mkt.campaign_approve(actor=make_user(R.COMPLIANCE), campaign=campaign)
    campaign.refresh_from_db()
    return campaign


def reasons(campaign):
    return {
        e.customer.full_name: e.reason or "ELIGIBLE"
        for e in CampaignEligibility.objects.filter(campaign=campaign).select_related("customer")
    }


def test_four_eyes_the_author_cannot_approve(people, marketer, make_user):
    segment = mkt.segment_create(actor=marketer, name="Penabung", rules=SEGMENT)
    campaign = mkt.campaign_create(
        actor=marketer,
        name="Promo",
        segment=segment,
        channel="EMAIL",
        template_key=OFFER_KEY,
    )
    with pytest.raises(ServiceError):  # not submitted yet
        mkt.campaign_approve(actor=make_user(R.COMPLIANCE), campaign=campaign)
    mkt.campaign_submit(actor=marketer, campaign=campaign)
    with pytest.raises(ServiceError) as refused:
        mkt.campaign_approve(actor=marketer, campaign=campaign)
    # The workflow engine's four-eyes guard (marketing.campaign.four_eyes) refuses.
    assert refused.value.code == "guard_failed"
    with pytest.raises(NotFound):  # an agent may not even see campaigns
        mkt.campaign_approve(actor=make_user(R.AGENT), campaign=campaign)
    approver = make_user(R.MARKETING)
    campaign = mkt.campaign_approve(actor=approver, campaign=campaign)
    assert campaign.approved_by == approver and campaign.approved_at
    actions = list(
        AuditLog.objects.filter(object_id=str(campaign.pk))
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions == ["CREATE_CAMPAIGN", "SUBMIT_CAMPAIGN", "APPROVE_CAMPAIGN"]


def test_eligibility_reasons_per_customer(approved, marketer):
    counts = mkt.campaign_evaluate(actor=marketer, campaign=approved)
    assert reasons(approved) == {
        "Ahmad Fauzi Lubis": "NO_CONSENT",
        "Siti Aminah": "ELIGIBLE",
        "Budi Sitorus": "SENSITIVE_CASE",
        "Orang Siantar": "NOT_IN_SEGMENT_RULE",
        "Tanpa Persetujuan": "NO_CONSENT",
    }
    assert counts == {
        "eligible": 1,
        "ineligible": {"NO_CONSENT": 2, "SENSITIVE_CASE": 1},
        "outside_segment": 1,  # never a candidate: not counted as ineligible
    }
    row = CampaignEligibility.objects.get(campaign=approved, customer__full_name="Budi Sitorus")
    assert (row.in_segment, row.consent_granted, row.open_sensitive_case) == (True, True, True)


def test_execution_sends_to_eligible_only_and_rechecks_consent(approved, marketer, people):
    mkt.campaign_evaluate(actor=marketer, campaign=approved)
    consent_change(
        actor=people["agent"],
        customer=people["B"],
        consent_type="MARKETING",
        new_status="WITHDRAWN",
        channel="CALL_CENTER",
        verification_method="PHONE_OTP",
    )  # after the check, before sending
    result = execute_and_send(marketer, approved)
    assert result["sent"] == 0 and result["skipped"] == 1
    assert not CampaignEvent.objects.filter(event_type="SENT").exists()
    skipped = CampaignEvent.objects.get(event_type="SKIPPED")
    assert skipped.meta == {"reason": "NO_CONSENT"}
    approved.refresh_from_db()
    assert approved.status == "DONE"


def test_execution_produces_events_on_the_timeline(approved, marketer, people):
    mkt.campaign_evaluate(actor=marketer, campaign=approved)
    result = execute_and_send(marketer, approved)
    assert result["sent"] == 1
    sent = CampaignEvent.objects.get(event_type="SENT")
    assert sent.customer == people["B"]
    view = customer_360(actor=people["agent"], customer_id=people["B"].pk)
    assert any(e.kind == "MARKETING" and "Diserahkan ke hub pesan" in e.title for e in view.events)
    assert view.facts["eligibility"][0].is_eligible
    with pytest.raises(ServiceError):  # done is done
        sending.campaign_execute(actor=marketer, campaign=approved, confirmed=True)


def test_cannot_execute_before_evaluating(approved, marketer):
    with pytest.raises(ServiceError) as refused:
        sending.campaign_execute(actor=marketer, campaign=approved, confirmed=True)
    assert refused.value.code == "guard_failed"  # marketing.campaign.evaluated
    approved.refresh_from_db()
    assert approved.status == "APPROVED"


def test_sending_needs_a_confirmation(approved, marketer):
    mkt.campaign_evaluate(actor=marketer, campaign=approved)
    with pytest.raises(ServiceError) as refused:
        sending.campaign_execute(actor=marketer, campaign=approved)
    assert refused.value.code == "confirm_required"
    assert not CampaignBatch.objects.filter(campaign=approved).exists()


def test_a_batch_run_twice_sends_nothing_twice(approved, marketer):
    mkt.campaign_evaluate(actor=marketer, campaign=approved)
    execute_and_send(marketer, approved)
    again = sending.campaign_send_batch(campaign_id=approved.pk, number=0, at=SEND_AT)
    assert again == {"done": True}
    CampaignBatch.objects.filter(campaign=approved).update(status="PENDING")  # a lost "done"
    rerun = sending.campaign_send_batch(campaign_id=approved.pk, number=0, at=SEND_AT)
    assert (rerun["sent"], rerun["skipped"]) == (0, 0)
    assert CampaignEvent.objects.filter(event_type="SENT").count() == 1


def test_outside_the_offer_window_the_batch_waits(approved, marketer):
    mkt.campaign_evaluate(actor=marketer, campaign=approved)
    sending.campaign_execute(actor=marketer, campaign=approved, confirmed=True)
    sunday = datetime(2026, 11, 22, 10, 0, tzinfo=ZoneInfo("Asia/Jakarta"))
    counts = sending.campaign_send_batch(campaign_id=approved.pk, number=0, at=sunday)
    assert counts["waiting"] == 1 and counts["sent"] == counts["skipped"] == 0
    assert CampaignBatch.objects.get(campaign=approved).status == "PENDING"
    approved.refresh_from_db()
    assert approved.status == "RUNNING"
    assert sending.campaign_progress(approved)["remaining"] == 1


def test_suppression_makes_ineligible(approved, marketer, people):
    suppression_add(actor=people["agent"], customer=people["B"], reason="minta tidak dihubungi")
    mkt.campaign_evaluate(actor=marketer, campaign=approved)
    assert reasons(approved)["Siti Aminah"] == "DO_NOT_CONTACT"
    with pytest.raises(PermissionDenied):
        suppression_add(actor=marketer, customer=people["A"], reason="marketing tidak boleh")


@pytest.mark.parametrize(
    "rules",
    [
        {"any": []},
        {"all": [{"field": "salary", "op": "eq", "value": 1}]},
        {"all": [{"field": "is_vip", "op": "eq", "value": "yes"}]},
        {"all": [{"field": "branch", "op": "eq", "value": "MDN01"}]},
        {"all": [{"field": "marketing_consent", "op": "eq", "value": "MAYBE"}]},
        {"all": ["not an object"]},
    ],
)
def test_bad_rules_are_refused_clearly(marketer, rules, db):
    with pytest.raises(ServiceError) as refused:
        mkt.segment_create(actor=marketer, name="Salah", rules=rules)
    assert refused.value.code == "rule_invalid"


def test_segment_versions_and_frozen_campaign_version(approved, marketer):
    segment = approved.segment
    mkt.segment_update(actor=marketer, segment=segment, rules={"all": []})
    assert segment.current.version == 2 and approved.segment_version.version == 1
    mkt.campaign_evaluate(actor=marketer, campaign=approved)
    assert reasons(approved)["Orang Siantar"] == "NOT_IN_SEGMENT_RULE"  # v1 rules still apply


def test_preview_counts(people, marketer):
    assert mkt.segment_preview(actor=marketer, rules=SEGMENT) == {"matching": 4, "eligible": 1}


def test_report_and_360_why(approved, marketer, people):
    mkt.campaign_evaluate(actor=marketer, campaign=approved)
    client = sign_in(Client(), marketer)
    url = f"/marketing/campaigns/{approved.pk}/"
    asked = client.post(f"{url}execute/")
    assert asked.status_code == 200 and 'data-testid="confirm-send"' in asked.content.decode()
    assert not CampaignBatch.objects.filter(campaign=approved).exists()  # asked, not sent
    assert client.post(f"{url}execute/", {"confirm": "yes"}).status_code == 303
    running = client.get(url).content.decode()
    assert 'data-testid="progress-remaining">1<' in running and "hx-get" in running
    sending.campaign_send_batch(campaign_id=approved.pk, number=0, at=SEND_AT)
    page = client.get(url).content.decode()
    assert 'data-reason="NO_CONSENT"' in page
    # each reason by its label, not its code (issue 16)
    assert f'data-reason="NO_CONSENT">{escape(eligibility_reason_label("NO_CONSENT"))}: ' in page
    assert "NOT_IN_SEGMENT_RULE:" not in page
    # customers outside the segment are counted apart, never as a reason of ineligibility
    assert 'data-reason="NOT_IN_SEGMENT_RULE"' not in page
    outside = 'data-testid="outside-segment">Di luar segmen (bukan kandidat, tidak dihitung): 1<'
    assert outside in page
    assert 'data-metric="handed">Diserahkan ke hub pesan: 1<' in page
    assert 'data-metric="waiting">Menunggu dikirim: 1<' in page
    assert 'data-testid="progress-sent">1<' in page
    assert 'data-testid="progress-remaining">0<' in page
    progress = client.get(f"{url}progress/").content.decode()
    assert 'data-testid="progress-sent">1<' in progress and "hx-get" not in progress
    agent_client = sign_in(Client(), people["agent"])
    why = agent_client.get(f"/customers/{people['A'].pk}/?tab=marketing").content.decode()
    assert "Kenapa saya melihat ini?" in why and 'data-reason="NO_CONSENT"' in why


def test_campaign_flow_through_pages(people, marketer, make_user):
    client = sign_in(Client(), marketer)
    created = client.post(
        "/marketing/segments/new/",
        {"name": "Penabung Medan", "branches": "MDN01", "has_savings": "yes"},
    )
    assert created.status_code == 303
    preview = client.post(
        "/marketing/segments/preview/", {"name": "x", "branches": "MDN01", "has_savings": "yes"}
    )
    assert "4 nasabah cocok" in preview.content.decode()
