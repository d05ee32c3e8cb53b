"""A/B tests on campaigns (issue 14, seed 001 §6D): configured through services (refusals
name the field), a stable hash decides each customer's variant, the test audience is sent
through the campaign's own batches and the messaging hub, the decision is taken once at the
horizon from the hub's engagement records, and the winner is rolled out to the rest."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from amanah.audit.models import AuditLog
from amanah.conftest import sign_in
from amanah.consent.testing import grant_marketing
from amanah.core.errors import ServiceError
from amanah.core.roles import RoleKey as R
from amanah.customers.services import CustomerInput, customer_create
from amanah.marketing import ab_services, abtest, sending
from amanah.marketing import services as mkt
from amanah.marketing.models import (
    BatchStatus,
    CampaignAbTest,
    CampaignBatch,
    CampaignStatus,
    CampaignVariant,
)
from amanah.marketing.testing import OFFER_KEY, offer_template
from amanah.messaging import dispatch
from amanah.messaging.contract import EngagementKind, engagement_record
from amanah.messaging.models import Message
from amanah.messaging.testing import smtp_server  # noqa: F401 (fixture)

SEND_AT = datetime(2026, 11, 24, 10, 0, tzinfo=ZoneInfo("Asia/Jakarta"))  # Tuesday, window open
KEY_B = "uji.penawaran.b"
CROWD = 80


@pytest.fixture(autouse=True)
def _no_rate_limits(settings):
    settings.MESSAGING_RATE_LIMITS_OFF = True


@pytest.fixture
def crowd(db, system, branch_a):
    people = [
        customer_create(
            actor=system,
            data=CustomerInput(
                full_name=f"Nasabah {n} Siregar",
                home_branch=branch_a,
                email=f"nasabah{n}@contoh.co.id",
            ),
        )
        for n in range(CROWD)
    ]
    grant_marketing(people)
    return people


@pytest.fixture
def templates(db):
    offer_template("EMAIL")
    offer_template("EMAIL", key=KEY_B, text="Versi B: {{campaign.name}} untuk Anda.")


def _draft(system):
    segment = mkt.segment_create(actor=system, name="Semua nasabah", rules={"all": []})
    return mkt.campaign_create(
        actor=system, name="Tabungan Emas", segment=segment, channel="EMAIL", template_key=OFFER_KEY
    )


def _configure(system, campaign, **overrides):
    args = {
        "metric": "OPEN",
        "test_percent": 60,
        "min_duration_hours": 24,
        # 20 % → 90 %: a handful per variant is enough (planned ≈ 7), so eighty customers do.
        "baseline_percent": "20",
        "mde_percent": "70",
        "rollout": "AUTO",
        "variants": [
            {"label": "Kontrol", "split": 50},
            {"label": "Subjek baru", "split": 50, "template_key": KEY_B},
        ],
    }
    args.update(overrides)
    return ab_services.campaign_abtest_set(actor=system, campaign=campaign, **args)


def _approve_and_start(system, make_user, campaign):
    mkt.campaign_submit(actor=system, campaign=campaign)
    mkt.campaign_approve(actor=make_user(R.COMPLIANCE), campaign=campaign)
    mkt.campaign_evaluate(actor=system, campaign=campaign)
    campaign.refresh_from_db()
    sending.campaign_execute(actor=system, campaign=campaign, confirmed=True)
    campaign.refresh_from_db()
    return campaign


def _run_pending(campaign):
    for number in CampaignBatch.objects.filter(
        campaign=campaign, status=BatchStatus.PENDING
    ).values_list("number", flat=True):
        sending.campaign_send_batch(campaign_id=campaign.pk, number=number, at=SEND_AT)


def _outbox(campaign):
    return Message.objects.filter(source="CAMPAIGN", source_id=str(campaign.pk))


def _expected_variant(campaign, customer_id):
    test = CampaignAbTest.objects.get(campaign=campaign)
    ranges = ab_services.ranges(test, CampaignVariant.objects.filter(campaign=campaign))
    return abtest.assign(abtest.bucket(str(campaign.pk), str(customer_id)), ranges)


# --------------------------------------------------------------------------- configuration


def test_the_plan_is_computed_up_front_and_the_change_audited(system, templates):
    campaign = _draft(system)
    test = _configure(system, campaign, baseline_percent="10", mde_percent="5")
    assert test.planned_per_variant == abtest.sample_size_per_variant(0.10, 0.05) == 686
    assert list(campaign.variants.values_list("key", "split", "template_key")) == [
        ("A", 50, ""),
        ("B", 50, KEY_B),
    ]
    log = AuditLog.objects.filter(action="CONFIGURE_CAMPAIGN_ABTEST", object_id=str(campaign.pk))
    assert log.get().meta["planned_per_variant"] == 686
    # A new setting replaces the old one (three variants: planned at α / 2, so more).
    _configure(
        system,
        campaign,
        baseline_percent="10",
        mde_percent="5",
        variants=[{"split": 40}, {"split": 30, "template_key": KEY_B}, {"split": 30}],
    )
    assert campaign.variants.count() == 3
    assert CampaignAbTest.objects.get(campaign=campaign).planned_per_variant > 686


@pytest.mark.parametrize(
    "overrides,field",
    [
        ({"variants": [{"split": 60}, {"split": 50}]}, "split"),
        ({"variants": [{"split": 100}]}, "variants"),
        ({"min_duration_hours": 23}, "min_duration_hours"),
        ({"min_duration_hours": "sehari"}, "min_duration_hours"),
        (
            {"variants": [{"split": 50}, {"split": 50, "template_key": "tidak.ada"}]},
            "b_template_key",
        ),
        ({"variants": [{"split": 50}, {"split": 50, "channel": "PUSH"}]}, "b_channel"),
        ({"variants": [{"split": 50}, {"split": 50, "send_hour": 24}]}, "b_send_hour"),
        ({"variants": [{"split": 0}, {"split": 100}]}, "a_split"),
        ({"metric": "REPLY"}, "metric"),
        ({"rollout": "LATER"}, "rollout"),
        ({"test_percent": 0}, "test_percent"),
        ({"baseline_percent": "0"}, "baseline_rate"),
        ({"baseline_percent": "95", "mde_percent": "10"}, "min_detectable_effect"),
    ],
)
def test_invalid_settings_are_refused_with_the_field_named_and_nothing_saved(
    system, templates, overrides, field
):
    campaign = _draft(system)
    with pytest.raises(ServiceError) as refused:
        _configure(system, campaign, **overrides)
    assert refused.value.field == field
    assert not CampaignAbTest.objects.filter(campaign=campaign).exists()
    assert not CampaignVariant.objects.filter(campaign=campaign).exists()


def test_the_test_is_fixed_once_the_campaign_is_submitted(system, templates):
    campaign = _draft(system)
    _configure(system, campaign)
    mkt.campaign_submit(actor=system, campaign=campaign)
    with pytest.raises(ServiceError) as refused:
        _configure(system, campaign, test_percent=10)
    assert refused.value.code == "status_invalid"
    with pytest.raises(ServiceError):
        ab_services.campaign_abtest_remove(actor=system, campaign=campaign)
    assert CampaignAbTest.objects.get(campaign=campaign).test_percent == 60


def test_a_variant_without_an_approved_template_stops_the_submission(system, templates):
    from amanah.messaging.models import MessageTemplate

    MessageTemplate.objects.create(key="draf.saja", channel="EMAIL", purpose="OFFER", name="Draf")
    campaign = _draft(system)
    _configure(
        system, campaign, variants=[{"split": 50}, {"split": 50, "template_key": "draf.saja"}]
    )
    with pytest.raises(ServiceError) as refused:
        mkt.campaign_submit(actor=system, campaign=campaign)
    assert refused.value.field == "b_template_key"
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.DRAFT


def test_someone_without_campaign_manage_cannot_set_a_test(make_user, system, templates):
    campaign = _draft(system)
    with pytest.raises(PermissionDenied):
        _configure(make_user(R.COMPLIANCE), campaign)
    assert not CampaignAbTest.objects.exists()


# --------------------------------------------------------------------------- sending


def test_the_test_audience_gets_its_variant_by_a_stable_hash_and_the_rest_waits(
    system, make_user, crowd, templates
):
    campaign = _draft(system)
    _configure(system, campaign)
    campaign = _approve_and_start(system, make_user, campaign)
    test = CampaignAbTest.objects.get(campaign=campaign)
    assert test.started_at is not None
    assert set(campaign.variants.values_list("template_version", flat=True)) == {1}
    _run_pending(campaign)

    rows = list(_outbox(campaign).values_list("customer_id", "step", "template_key"))
    expected = {c.pk: _expected_variant(campaign, c.pk) for c in crowd}
    in_test = {pk for pk, variant in expected.items() if variant}
    assert 0 < len(in_test) < CROWD
    assert {pk for pk, _s, _k in rows} == in_test  # the rest of the audience got nothing yet
    for pk, step, key in rows:
        assert step == ab_services.step_of(expected[pk])
        assert key == (KEY_B if expected[pk] == "B" else OFFER_KEY)

    # A lost "done" re-runs every batch: the same customers, no second message.
    CampaignBatch.objects.filter(campaign=campaign).update(status=BatchStatus.PENDING)
    _run_pending(campaign)
    assert _outbox(campaign).count() == len(rows)
    # The test's batches are done, but the campaign waits for the roll-out.
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.RUNNING


def _deliver_and_open(campaign, variant: str):
    dispatch.dispatch_batch("EMAIL", at=SEND_AT)
    for message_id in (
        _outbox(campaign).filter(step=ab_services.step_of(variant)).values_list("pk", flat=True)
    ):
        assert engagement_record(message_id=str(message_id), kind=EngagementKind.OPEN)


def test_decided_once_at_the_horizon_and_the_winner_rolled_out_automatically(
    system,
    make_user,
    crowd,
    templates,
    smtp_server,  # noqa: F811
):
    campaign = _draft(system)
    _configure(system, campaign)
    campaign = _approve_and_start(system, make_user, campaign)
    _run_pending(campaign)
    _deliver_and_open(campaign, "B")
    started = CampaignAbTest.objects.get(campaign=campaign).started_at

    # B leads by far, but 24 hours have not passed: "belum selesai", nothing written.
    early = ab_services.campaign_abtest_decide(
        actor=system, campaign=campaign, at=started + timedelta(hours=23)
    )
    assert early.state == abtest.State.NOT_FINISHED and early.winner is None
    assert ab_services.decide_due(at=started + timedelta(hours=23)) == 0
    test = CampaignAbTest.objects.get(campaign=campaign)
    assert (test.decision, test.decided_at, test.rolled_out_at) == ("", None, None)
    assert not AuditLog.objects.filter(action="DECIDE_CAMPAIGN_ABTEST").exists()

    # The periodic job at the horizon: decided, audited, rolled out to the rest.
    at = started + timedelta(hours=25)
    assert ab_services.decide_due(at=at) == 1
    test.refresh_from_db()
    assert (test.decision, test.winner, test.rolled_out_variant) == ("PEMENANG", "B", "B")
    assert test.p_values["B"] < 0.05
    audit = AuditLog.objects.get(action="DECIDE_CAMPAIGN_ABTEST", object_id=str(campaign.pk))
    assert audit.meta["winner"] == "B"
    assert AuditLog.objects.get(action="ROLLOUT_CAMPAIGN_ABTEST").meta["automatic"] is True
    # Asked again: the stored decision, nothing new.
    again = ab_services.campaign_abtest_decide(actor=system, campaign=campaign, at=at)
    assert again.winner == "B"
    assert AuditLog.objects.filter(action="DECIDE_CAMPAIGN_ABTEST").count() == 1

    _run_pending(campaign)
    rest = {c.pk for c in crowd if _expected_variant(campaign, c.pk) is None}
    rolled = _outbox(campaign).filter(step=ab_services.rollout_step("B"))
    assert set(rolled.values_list("customer_id", flat=True)) == rest
    assert set(rolled.values_list("template_key", flat=True)) == {KEY_B}
    assert _outbox(campaign).count() == CROWD  # everyone exactly once
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.DONE


def test_no_clear_winner_is_belum_signifikan_and_a_marketer_rolls_out_by_hand(
    system,
    make_user,
    crowd,
    templates,
    smtp_server,  # noqa: F811
):
    campaign = _draft(system)
    _configure(system, campaign, rollout="MANUAL")
    campaign = _approve_and_start(system, make_user, campaign)
    _run_pending(campaign)
    dispatch.dispatch_batch("EMAIL", at=SEND_AT)  # sent, nobody opens
    with pytest.raises(ServiceError) as refused:
        ab_services.campaign_abtest_rollout(actor=system, campaign=campaign, variant="A")
    assert refused.value.code == "abtest_not_decided"

    started = CampaignAbTest.objects.get(campaign=campaign).started_at
    decision = ab_services.campaign_abtest_decide(
        actor=system, campaign=campaign, at=started + timedelta(hours=24)
    )
    assert decision.state == abtest.State.NOT_SIGNIFICANT and decision.winner is None
    test = CampaignAbTest.objects.get(campaign=campaign)
    assert (test.decision, test.rolled_out_at) == ("BELUM_SIGNIFIKAN", None)

    with pytest.raises(ServiceError) as refused:
        ab_services.campaign_abtest_rollout(actor=system, campaign=campaign, variant="Z")
    assert refused.value.field == "variant"
    ab_services.campaign_abtest_rollout(actor=system, campaign=campaign, variant="A")
    with pytest.raises(ServiceError) as refused:
        ab_services.campaign_abtest_rollout(actor=system, campaign=campaign, variant="B")
    assert refused.value.code == "abtest_rolled_out"
    _run_pending(campaign)
    rest = {c.pk for c in crowd if _expected_variant(campaign, c.pk) is None}
    rolled = _outbox(campaign).filter(step=ab_services.rollout_step("A"))
    assert set(rolled.values_list("customer_id", flat=True)) == rest
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.DONE
    log = AuditLog.objects.get(action="ROLLOUT_CAMPAIGN_ABTEST", object_id=str(campaign.pk))
    assert log.meta["automatic"] is False and log.meta["variant"] == "A"


def test_a_send_hour_variant_is_scheduled_for_its_hour(system, make_user, crowd, templates):
    from procrastinate.contrib.django.models import ProcrastinateJob

    campaign = _draft(system)
    _configure(system, campaign, variants=[{"split": 50}, {"split": 50, "send_hour": 19}])
    before = timezone.now()
    campaign = _approve_and_start(system, make_user, campaign)
    jobs = ProcrastinateJob.objects.filter(
        task_name__endswith="send_campaign_batch", args__campaign_id=str(campaign.pk)
    )
    variant_of = dict(
        CampaignBatch.objects.filter(campaign=campaign).values_list("number", "variant")
    )
    scheduled = {variant_of[j.args["number"]]: j.scheduled_at for j in jobs}
    assert scheduled["A"] is None
    local = scheduled["B"].astimezone(ZoneInfo("Asia/Jakarta"))
    assert (local.hour, local.minute) == (19, 0)
    assert before <= scheduled["B"] <= before + timedelta(days=1)


# --------------------------------------------------------------------------- the page


def test_the_campaign_page_shows_the_plan_the_counts_and_no_early_winner(
    system, make_user, crowd, templates
):
    marketer = make_user(R.MARKETING)
    campaign = _draft(system)
    client = sign_in(Client(), marketer)
    url = reverse("marketing:campaign_abtest", args=[campaign.pk])
    form = {
        "metric": "OPEN",
        "test_percent": "60",
        "min_duration_hours": "24",
        "baseline_rate": "20",
        "min_detectable_effect": "70",
        "rollout": "AUTO",
        "a_split": "60",
        "b_split": "50",
        "b_template_key": KEY_B,
    }
    refused = client.post(url, form)
    assert refused.status_code == 400
    assert "berjumlah 100" in refused.content.decode()
    assert not CampaignAbTest.objects.exists()
    short = client.post(url, {**form, "b_split": "40", "min_duration_hours": "12"})
    assert short.status_code == 400 and "minimal 24 jam" in short.content.decode()

    saved = client.post(url, {**form, "b_split": "40"})
    assert saved.status_code == 303
    page = client.get(reverse("marketing:campaign_detail", args=[campaign.pk])).content.decode()
    planned = CampaignAbTest.objects.get(campaign=campaign).planned_per_variant
    assert f"{planned} nasabah terkirim per varian" in page
    assert 'data-state="BELUM_SELESAI"' in page and "belum signifikan" in page

    campaign = _approve_and_start(system, make_user, campaign)
    _run_pending(campaign)
    page = client.get(reverse("marketing:campaign_detail", args=[campaign.pk])).content.decode()
    handed = {key: _outbox(campaign).filter(step=ab_services.step_of(key)).count() for key in "AB"}
    for key, n in handed.items():
        assert f'data-variant="{key}"' in page
        assert f'<td data-metric="handed">{n}</td>' in page
    assert 'data-state="BELUM_SELESAI"' in page
    # Asking for the decision early says "belum selesai" and changes nothing.
    response = client.post(reverse("marketing:campaign_action", args=[campaign.pk, "ab-decide"]))
    assert response.status_code == 303
    assert CampaignAbTest.objects.get(campaign=campaign).decided_at is None


def test_the_send_confirmation_says_only_the_test_audience_goes_now(
    system, make_user, crowd, templates
):
    campaign = _draft(system)
    _configure(system, campaign)
    mkt.campaign_submit(actor=system, campaign=campaign)
    mkt.campaign_approve(actor=make_user(R.COMPLIANCE), campaign=campaign)
    mkt.campaign_evaluate(actor=system, campaign=campaign)
    client = sign_in(Client(), make_user(R.MARKETING))
    page = client.post(reverse("marketing:campaign_action", args=[campaign.pk, "execute"]))
    assert page.status_code == 200
    assert 'data-testid="confirm-abtest"' in page.content.decode()
    assert "60%" in page.content.decode()
