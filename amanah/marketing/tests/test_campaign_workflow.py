"""Campaign status changes go through the workflow engine (``marketing.campaign``)."""

import pytest
from django.test import Client

from amanah.audit.models import AuditLog
from amanah.conftest import sign_in
from amanah.core.actors import SYSTEM
from amanah.core.errors import ServiceError
from amanah.core.roles import RoleKey as R
from amanah.marketing import sending
from amanah.marketing import services as mkt
from amanah.marketing.models import Campaign
from amanah.marketing.testing import OFFER_KEY
from amanah.marketing.tests.test_marketing import (  # noqa: F401  (fixtures)
    SEGMENT,
    approved,
    execute_and_send,
    marketer,
    offers,
    people,
)
from amanah.workflow.contract import available_transitions, history_for


def _draft(marketer) -> Campaign:  # noqa: F811  (the fixture's user)
    segment = mkt.segment_create(actor=marketer, name="Penabung", rules=SEGMENT)
    return mkt.campaign_create(
        actor=marketer,
        name="Promo",
        segment=segment,
        channel="EMAIL",
        template_key=OFFER_KEY,
    )


def _snapshot(campaign: Campaign):
    campaign.refresh_from_db()
    return (
        campaign.status,
        campaign.approved_by_id,
        campaign.decision_note,
        len(history_for(SYSTEM, campaign)),
        AuditLog.objects.filter(object_id=str(campaign.pk)).count(),
    )


def test_a_refused_move_changes_nothing(people, marketer, make_user):  # noqa: F811
    campaign = _draft(marketer)
    mkt.campaign_submit(actor=marketer, campaign=campaign)
    before = _snapshot(campaign)
    with pytest.raises(ServiceError) as refused:  # four eyes
        mkt.campaign_approve(actor=marketer, campaign=campaign, note="sendiri saja")
    assert refused.value.code == "guard_failed"
    with pytest.raises(ServiceError) as refused:  # not a move from SUBMITTED
        sending.campaign_execute(actor=marketer, campaign=campaign, confirmed=True)
    assert refused.value.code == "transition_not_allowed"
    assert _snapshot(campaign) == before


def test_each_step_writes_a_history_line_and_its_own_audit_action(
    approved,  # noqa: F811
    marketer,  # noqa: F811
):
    mkt.campaign_evaluate(actor=marketer, campaign=approved)
    execute_and_send(marketer, approved)
    lines = list(reversed(history_for(marketer, approved)))
    assert [(h.from_status, h.to_status) for h in lines] == [
        ("DRAFT", "SUBMITTED"),
        ("SUBMITTED", "APPROVED"),
        ("APPROVED", "RUNNING"),
        ("RUNNING", "DONE"),
    ]
    assert lines[-1].actor_label == "integration:campaign-send"  # the worker, not a person
    audits = {
        log.meta["history"]: log
        for log in AuditLog.objects.filter(object_id=str(approved.pk))
        if "history" in log.meta
    }
    assert [audits[h.pk].action for h in lines] == [
        "SUBMIT_CAMPAIGN",
        "APPROVE_CAMPAIGN",
        "EXECUTE_CAMPAIGN",
        "EXECUTE_CAMPAIGN",
    ]
    approved.refresh_from_db()
    assert approved.status == "DONE" and approved.executed_at


def test_a_rejected_campaign_keeps_its_note_and_may_be_resubmitted(
    people,  # noqa: F811
    marketer,  # noqa: F811
    make_user,
):
    campaign = _draft(marketer)
    mkt.campaign_submit(actor=marketer, campaign=campaign)
    with pytest.raises(ServiceError) as refused:
        mkt.campaign_reject(actor=make_user(R.COMPLIANCE), campaign=campaign, note="pendek")
    assert refused.value.code == "reason_required"
    campaign = mkt.campaign_reject(
        actor=make_user(R.COMPLIANCE), campaign=campaign, note="Pesan terlalu agresif."
    )
    assert (campaign.status, campaign.decision_note) == ("REJECTED", "Pesan terlalu agresif.")
    assert [m.to_status for m in available_transitions(marketer, campaign)] == ["SUBMITTED"]
    assert mkt.campaign_submit(actor=marketer, campaign=campaign).status == "SUBMITTED"


def test_the_page_offers_the_moves_the_engine_allows(
    people,  # noqa: F811
    marketer,  # noqa: F811
    make_user,
):
    campaign = _draft(marketer)
    mkt.campaign_submit(actor=marketer, campaign=campaign)
    approver = make_user(R.COMPLIANCE)
    for user, sees_approve in ((marketer, False), (approver, True)):
        client = Client()
        sign_in(client, user)
        page = client.get(f"/marketing/campaigns/{campaign.pk}/").content.decode()
        assert ('data-testid="approve"' in page) is sees_approve
        assert 'data-testid="submit"' not in page


def test_a_submission_tells_the_approvers_and_each_decision_the_author(
    people,  # noqa: F811
    marketer,  # noqa: F811
    make_user,
):
    from amanah.messaging.models import Message

    approver = make_user(R.COMPLIANCE)
    campaign = _draft(marketer)
    mkt.campaign_submit(actor=marketer, campaign=campaign)
    notices = Message.objects.filter(source="APPROVAL", source_id=f"campaign:{campaign.pk}")
    pending = notices.filter(step="SUBMITTED:1")
    assert approver.pk in set(pending.values_list("staff_user_id", flat=True))
    assert marketer.pk not in set(pending.values_list("staff_user_id", flat=True))
    assert {(m.channel, m.purpose) for m in pending} == {("IN_APP", "STAFF")}
    mkt.campaign_reject(actor=approver, campaign=campaign, note="Segmen terlalu luas.")
    mkt.campaign_submit(actor=marketer, campaign=campaign)  # again: a new notice, numbered 2
    mkt.campaign_approve(actor=approver, campaign=campaign)
    told = notices.filter(staff_user=marketer).order_by("step")
    assert [(m.step, "ditolak" in m.subject) for m in told] == [
        ("APPROVED:1", False),
        ("REJECTED:1", True),
    ]
    assert notices.filter(step="SUBMITTED:2", staff_user=approver).count() == 1


def test_the_approver_sees_the_audience_size_while_the_campaign_awaits_a_decision(
    people,  # noqa: F811
    marketer,  # noqa: F811
    make_user,
):
    campaign = _draft(marketer)
    approver = sign_in(Client(), make_user(R.COMPLIANCE))
    url = f"/marketing/campaigns/{campaign.pk}/"
    assert 'data-testid="audience-size"' not in approver.get(url).content.decode()  # a draft
    mkt.campaign_submit(actor=marketer, campaign=campaign)
    page = approver.get(url).content.decode()
    # The segment (MDN01 savers) matches four customers; only Siti may get an offer now:
    # Ahmad withdrew consent, Budi has an open fraud case, the fourth never consented; the
    # customer of another branch is not counted at all.
    assert "4 nasabah cocok dengan segmen v1 saat ini." in page
    assert '<strong data-testid="audience-eligible">1 di antaranya' in page
    mkt.campaign_approve(actor=make_user(R.COMPLIANCE), campaign=campaign)
    assert 'data-testid="audience-size"' not in approver.get(url).content.decode()
