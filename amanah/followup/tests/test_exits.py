"""Members leave the desk when the customer withdraws marketing consent or is closed (the desk's
reactions to consent's and customers' events), and a merged customer's membership follows the
survivor (a merge mover) — each time through a rotation record, so the guard on agent
changes holds, with an audit row."""

from datetime import timedelta

import pytest

from amanah.audit.models import AuditLog
from amanah.consent.contract import consent_withdraw_channel
from amanah.consent.services import consent_change
from amanah.core.errors import ServiceError
from amanah.core.roles import RoleKey as R
from amanah.customers import merge
from amanah.customers.services import CustomerInput, customer_update
from amanah.followup import services
from amanah.followup.models import FollowUpLog, Member, Rotation
from amanah.followup.sweep import rotation_sweep
from amanah.followup.tests.conftest import HOURS_48, T0

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("round_the_clock")]
VERIFIED = {"channel": "CALL_CENTER", "verification_method": "PHONE_OTP"}


def _marketing(system, customer, status):
    return consent_change(
        actor=system, customer=customer, consent_type="MARKETING", new_status=status,
        reason="permintaan nasabah", **VERIFIED,
    )  # fmt: skip


def _exit_audits(member):
    return AuditLog.objects.filter(action="EXIT_FOLLOWUP_MEMBER", object_id=str(member.pk))


def test_withdrawing_marketing_consent_lets_the_member_go(make_desk, make_customer, enrol, system):
    agents = make_desk(2)
    customer = make_customer()
    _marketing(system, customer, "GRANTED")
    member = enrol(customer)
    _marketing(system, customer, "WITHDRAWN")
    member.refresh_from_db()
    assert (member.status, member.exit_reason, member.current_agent_id) == (
        "DONE", "CONSENT_WITHDRAWN", None,
    )  # fmt: skip
    assert member.last_rotation.reason == "MEMBER_DONE"
    assert member.last_rotation.from_agent_id == agents[0].pk
    assert _exit_audits(member).get().meta == {
        "reason": "CONSENT_WITHDRAWN", "from_status": "ACTIVE",
    }  # fmt: skip
    # Agent 1 has its place back: the next new member goes to agent 2, then agent 1.
    assert rotation_sweep(now=T0 + HOURS_48).no_deposit == 0  # nothing left to rotate


def test_withdrawing_one_channel_or_another_consent_keeps_the_member(
    make_desk, make_customer, enrol, system
):
    make_desk(2)
    customer = make_customer(phone="081234560001")
    _marketing(system, customer, "GRANTED")
    member = enrol(customer)
    consent_withdraw_channel(
        actor=system, customer=customer, consent_type="MARKETING", channel="WHATSAPP",
        source="CALL_CENTER", verification_method="PHONE_OTP",
    )  # fmt: skip
    consent_change(
        actor=system, customer=customer, consent_type="PROFILING", new_status="WITHDRAWN",
        **VERIFIED,
    )  # fmt: skip
    member.refresh_from_db()
    assert member.status == "ACTIVE" and not _exit_audits(member).exists()


def test_closing_the_customer_lets_the_member_go(make_desk, make_customer, enrol, system):
    make_desk(1)
    customer = make_customer()
    member = enrol(customer)
    waiting = enrol(make_customer("Dewi Sartika Lubis"))
    rotation_sweep(now=T0 + HOURS_48)  # nobody else: both wait
    waiting.refresh_from_db()
    assert waiting.status == "PENDING"
    for who in (customer, waiting.customer):
        data = CustomerInput(full_name=who.full_name, home_branch=who.home_branch, status="CLOSED")
        customer_update(actor=system, customer=who, data=data)
    for m in (member, waiting):
        m.refresh_from_db()
        assert (m.status, m.exit_reason) == ("DONE", "CLOSED")
    # The waiting one had no agent to give it up: no rotation record, only the audit row.
    assert waiting.last_rotation.reason != "MEMBER_DONE"
    assert _exit_audits(waiting).get().meta["from_status"] == "PENDING"


def test_closed_or_withdrawn_customers_are_not_enrolled(make_desk, make_customer, enrol, system):
    make_desk(1)
    withdrawn = make_customer()
    _marketing(system, withdrawn, "GRANTED")
    _marketing(system, withdrawn, "WITHDRAWN")
    closed = make_customer("Dewi Sartika Lubis", status="CLOSED")
    for customer, code in ((withdrawn, "consent_withdrawn"), (closed, "customer_closed")):
        with pytest.raises(ServiceError) as refused:
            enrol(customer)
        assert refused.value.code == code
    assert not Member.objects.exists()


def test_an_exit_is_only_for_its_reasons_and_permission(make_desk, make_customer, enrol, make_user):
    make_desk(1)
    customer = make_customer()
    enrol(customer)
    with pytest.raises(ServiceError):
        services.member_exit(actor=services.exits.EXITS, customer=customer, reason="BORED")
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        services.member_exit(actor=make_user(R.AGENT), customer=customer, reason="CLOSED")
    assert Member.objects.get(customer=customer).status == "ACTIVE"


def _merge(make_user, branch_a, survivor, absorbed):
    proposer, approver = (make_user(R.SUPERVISOR, branches=[branch_a]) for _ in range(2))
    request = merge.merge_propose(
        actor=proposer, survivor=survivor, absorbed=absorbed, reason="nasabah yang sama (KTP)"
    )
    return merge.merge_approve(actor=approver, request=request, note="cek KTP")


def test_a_merged_members_history_follows_the_survivor(
    make_desk, make_customer, enrol, make_user, branch_a
):
    agents = make_desk(3)
    survivor, absorbed = make_customer(), make_customer("Rahmat H. Siregar")
    member = enrol(absorbed)
    agent = agents[0].user
    agent.active_role = "AGENT"
    services.followup_log_add(actor=agent, member=member, kind="CALL", note="Ditelepon")
    rotation_sweep(now=T0 + HOURS_48)  # to agent 2
    _merge(make_user, branch_a, survivor, absorbed)
    member.refresh_from_db()
    assert member.customer_id == survivor.pk and member.status == "ROTATED"
    assert member.current_agent_id == agents[1].pk  # no agent changed in the merge
    assert Rotation.objects.filter(member=member).count() == 2
    assert FollowUpLog.objects.filter(member__customer=survivor).count() == 1
    assert rotation_sweep(now=T0 + 2 * HOURS_48).no_deposit == 1  # and it goes on rotating
    member.refresh_from_db()
    assert member.current_agent_id == agents[2].pk


def test_when_both_were_members_the_survivors_membership_stays(
    make_desk, make_customer, enrol, make_user, branch_a
):
    make_desk(2)
    survivor, absorbed = make_customer(), make_customer("Rahmat H. Siregar")
    kept, ended = enrol(survivor), enrol(absorbed, at=T0 + timedelta(minutes=1))
    _merge(make_user, branch_a, survivor, absorbed)
    kept.refresh_from_db()
    ended.refresh_from_db()
    assert (kept.status, kept.customer_id) == ("ACTIVE", survivor.pk)
    assert (ended.status, ended.exit_reason, ended.customer_id) == ("DONE", "MERGED", survivor.pk)
    assert ended.last_rotation.reason == "MEMBER_DONE"
    assert Member.objects.filter(customer=survivor).exclude(status="DONE").count() == 1
