"""Rotation rules (DESIGN §6): 48 hours from assignment, a deposit inside resets it, no deposit
moves the member to the next agent in order with wrap-around, skipping agents away or full;
an agent going away hands members on at once; nobody available → PENDING until someone is."""

from contextlib import ExitStack
from datetime import timedelta
from decimal import Decimal

import pytest

from amanah.audit.models import AuditLog
from amanah.calendars.contract import staff_absence_cancel, staff_absence_record
from amanah.core.errors import ServiceError
from amanah.followup import services
from amanah.followup.models import Desk, Member, RejectedDeposit, Rotation
from amanah.followup.sweep import rotation_sweep
from amanah.followup.tests.conftest import HOURS_48, T0

# Working hours off: the order and the windows, not who is at work (test_working_hours.py).
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("round_the_clock")]


def positions(member) -> list[int]:
    return list(
        member.rotations.filter(to_position__isnull=False)
        .order_by("id")
        .values_list("to_position", flat=True)
    )


def agent_position(member) -> int | None:
    member.refresh_from_db()
    return member.current_agent.position if member.current_agent_id else None


def test_new_members_go_round_the_desk_in_order(make_desk, make_customers, enrol):
    make_desk(3)
    members = [enrol(c) for c in make_customers(4)]
    assert [m.current_agent.position for m in members] == [1, 2, 3, 1]
    assert Desk.objects.get().last_position == 1
    first = members[0]
    assert first.status == "ACTIVE"
    assert first.window_start == T0 and first.window_end == T0 + HOURS_48


def test_without_a_deposit_the_member_moves_on_in_order_and_wraps(make_desk, make_customers, enrol):
    make_desk(3)
    member = enrol(make_customers(1)[0])
    at = T0
    for expected in [2, 3, 1, 2]:
        assert rotation_sweep(now=at + HOURS_48 - timedelta(seconds=1)).no_deposit == 0
        at = at + HOURS_48
        assert rotation_sweep(now=at).no_deposit == 1
        assert agent_position(member) == expected
        assert rotation_sweep(now=at).no_deposit == 0  # idempotent
    assert positions(member) == [1, 2, 3, 1, 2]
    member.refresh_from_db()
    assert member.status == "ROTATED" and member.window_end == at + HOURS_48
    assert set(member.rotations.exclude(reason="NEW_MEMBER").values_list("reason", flat=True)) == {
        "NO_DEPOSIT"
    }


def test_every_rotation_has_one_audit_row(make_desk, make_customers, enrol):
    make_desk(4)
    members = [enrol(c) for c in make_customers(5)]
    before = AuditLog.objects.filter(action="ROTATE_FOLLOWUP_MEMBER").count()
    assert rotation_sweep(now=T0 + HOURS_48).no_deposit == 5
    rows = AuditLog.objects.filter(action="ROTATE_FOLLOWUP_MEMBER").order_by("id")
    assert rows.count() - before == 5
    assert {r.object_id for r in rows[before:]} == {str(m.pk) for m in members}
    assert {r.meta["reason"] for r in rows[before:]} == {"NO_DEPOSIT"}


def test_a_deposit_inside_the_window_resets_it_and_the_member_stays(
    make_desk, make_customers, enrol, system
):
    make_desk(3)
    customer = make_customers(1)[0]
    member = enrol(customer, target="500000")
    paid = T0 + timedelta(hours=40)
    result = services.deposit_record(
        actor=system,
        customer_ref=str(customer.pk),
        amount="100000",
        deposited_at=paid,
        external_ref="TRX-1",
        now=paid + timedelta(minutes=1),
    )
    assert result.status == "ACCEPTED" and result.deposit.reset_window
    assert rotation_sweep(now=T0 + HOURS_48).no_deposit == 0
    member.refresh_from_db()
    assert member.window_end == paid + HOURS_48
    assert member.deposit_status == "PARTIAL" and member.deposit_total == Decimal("100000")
    assert rotation_sweep(now=paid + HOURS_48).no_deposit == 1
    assert agent_position(member) == 2


def test_a_follow_up_alone_does_not_extend_the_window(make_desk, make_customers, enrol):
    agents = make_desk(2)
    member = enrol(make_customers(1)[0])
    agent = agents[0].user
    agent.active_role = "AGENT"
    services.followup_log_add(actor=agent, member=member, kind="CALL", note="Ditelepon")
    member.refresh_from_db()
    assert member.last_contact_at is not None and member.window_end == T0 + HOURS_48
    assert rotation_sweep(now=T0 + HOURS_48).no_deposit == 1


def test_reaching_the_target_ends_the_membership(make_desk, make_customers, enrol, system):
    make_desk(2)
    customer = make_customers(1)[0]
    member = enrol(customer, target="50000")
    services.deposit_record(
        actor=system,
        customer_ref=str(customer.pk),
        amount="50000",
        deposited_at=T0 + timedelta(hours=1),
        external_ref="TRX-2",
        now=T0 + timedelta(hours=1),
    )
    member.refresh_from_db()
    assert member.status == "DONE" and member.current_agent_id is None
    assert member.exit_reason == "TARGET_MET"
    assert member.last_rotation.reason == "MEMBER_DONE"
    assert rotation_sweep(now=T0 + 3 * HOURS_48).no_deposit == 0


def test_a_repeated_deposit_is_one_deposit(make_desk, make_customers, enrol, system):
    make_desk(2)
    customer = make_customers(1)[0]
    enrol(customer, target="500000")
    kwargs = dict(
        actor=system,
        customer_ref=str(customer.pk),
        amount="1000",
        deposited_at=T0,
        external_ref="TRX-3",
        now=T0,
    )
    assert services.deposit_record(**kwargs).status == "ACCEPTED"
    assert services.deposit_record(**kwargs).status == "DUPLICATE"
    assert Member.objects.get(customer=customer).deposit_total == Decimal("1000")


@pytest.mark.parametrize(
    ("ref", "at", "reason"),
    [
        ("unknown", T0, "UNKNOWN_MEMBER"),
        ("00000000-0000-0000-0000-000000000000", T0, "UNKNOWN_MEMBER"),
        ("member", T0 + timedelta(hours=1), "FUTURE_TIMESTAMP"),
    ],
)
def test_a_deposit_for_nobody_or_from_the_future_is_refused_and_kept(
    make_desk, make_customers, enrol, system, ref, at, reason
):
    make_desk(1)
    customer = make_customers(1)[0]
    member = enrol(customer)
    result = services.deposit_record(
        actor=system,
        customer_ref=str(customer.pk) if ref == "member" else ref,
        amount="1000",
        deposited_at=at,
        external_ref="TRX-4",
        now=T0,
    )
    assert result.status == "REJECTED" and result.reason == reason
    assert RejectedDeposit.objects.filter(external_ref="TRX-4", reason=reason).exists()
    member.refresh_from_db()
    assert member.deposit_total == 0 and member.window_end == T0 + HOURS_48


@pytest.mark.parametrize(
    ("field", "value"),
    [("amount", "-5"), ("amount", "abc"), ("amount", "NaN"), ("external_ref", "x\x00y"),
     ("external_ref", "x" * 65), ("deposited_at", "2026-01-01")],
)  # fmt: skip
def test_bad_deposit_input_is_refused(make_desk, system, field, value):
    kwargs = dict(
        actor=system, customer_ref="c", amount="1", deposited_at=T0, external_ref="R", now=T0
    )
    kwargs[field] = value
    with pytest.raises(ServiceError):
        services.deposit_record(**kwargs)


def test_agents_away_or_full_are_skipped(make_desk, make_customers, enrol, system):
    agents = make_desk(4, capacity=5)
    services.desk_agent_capacity_set(actor=system, agent=agents[1], capacity=0)  # agent 2 full
    staff_absence_record(
        actor=system,
        user=agents[2].user,
        kind="LEAVE",
        starts_at=T0 - timedelta(days=1),
        ends_at=T0 + timedelta(days=30),
    )
    members = [enrol(c) for c in make_customers(3)]
    assert [m.current_agent.position for m in members] == [1, 4, 1]
    rotation_sweep(now=T0 + HOURS_48)
    assert [agent_position(m) for m in members] == [4, 1, 4]


def test_an_agent_going_on_leave_hands_members_on_at_once(make_desk, make_customers, system):
    from django.utils import timezone

    agents = make_desk(3)
    now = timezone.now()
    members = [
        services.member_enrol(
            actor=system, customer=c, entry_reason="DORMANT", deposit_target="10", now=now
        )
        for c in make_customers(3)
    ]
    absence = staff_absence_record(
        actor=system,
        user=agents[0].user,
        kind="LEAVE",
        starts_at=now - timedelta(minutes=1),
        ends_at=now + timedelta(days=2),
    )
    assert agent_position(members[0]) == 2
    assert members[0].last_rotation.reason == "AGENT_UNAVAILABLE"
    assert [agent_position(m) for m in members[1:]] == [2, 3]
    staff_absence_cancel(actor=system, absence=absence)
    assert agent_position(members[0]) == 2  # no way back by hand either


def test_nobody_available_means_pending_until_someone_is(make_desk, make_customers, system):
    agents = make_desk(2, capacity=1)
    customers = make_customers(3)
    members = [
        services.member_enrol(
            actor=system, customer=c, entry_reason="DORMANT", deposit_target="10", now=T0
        )
        for c in customers
    ]
    assert [m.status for m in members] == ["ACTIVE", "ACTIVE", "PENDING"]
    # Windows end. The first member would go to agent 2 (full): it waits, and frees agent 1,
    # so agent 2's member goes round to agent 1 in the same batch.
    result = rotation_sweep(now=T0 + HOURS_48)
    assert result.no_deposit == 2 and result.pending == 1
    assert [agent_position(m) for m in members] == [None, 1, None]
    assert Member.objects.get(pk=members[0].pk).last_position == 1
    assert not Member.objects.filter(status="PENDING", current_agent__isnull=False).exists()
    # The next run: agent 2 has room now; the longest waiting goes first (the new member, to
    # the agent after the desk's cursor). The other may not go back to agent 1, the one it
    # left, and agent 2 is full again: it keeps waiting.
    result = rotation_sweep(now=T0 + HOURS_48 + timedelta(minutes=5))
    assert result.assigned == 1
    assert [agent_position(m) for m in members] == [None, 1, 2]
    services.desk_agent_capacity_set(actor=system, agent=agents[0], capacity=3)
    assert rotation_sweep(now=T0 + HOURS_48 + timedelta(minutes=10)).assigned == 0
    services.desk_agent_capacity_set(actor=system, agent=agents[1], capacity=3)
    assert rotation_sweep(now=T0 + HOURS_48 + timedelta(minutes=15)).assigned == 1
    assert [agent_position(m) for m in members] == [2, 1, 2]
    members[2].refresh_from_db()
    assert members[2].status == "ACTIVE" and members[0].status == "ROTATED"
    assert members[0].last_rotation.reason == "PENDING_ASSIGNED"


def test_an_order_with_gaps_or_duplicates_is_refused(make_desk, system):
    agents = make_desk(3)
    ids = [str(a.pk) for a in agents]
    for bad in (
        {ids[0]: 1, ids[1]: 2, ids[2]: 4},
        {ids[0]: 1, ids[1]: 1, ids[2]: 2},
        {ids[0]: 1, ids[1]: 2},
        {ids[0]: "x", ids[1]: 2, ids[2]: 3},
    ):
        with pytest.raises(ServiceError):
            services.desk_order_set(actor=system, order=bad)
    services.desk_order_set(actor=system, order={ids[0]: 3, ids[1]: 1, ids[2]: 2})
    assert [a.position for a in type(agents[0]).objects.order_by("user__full_name")] == [3, 1, 2]


def test_a_new_order_keeps_the_rotation_going_on_from_the_same_agents(
    make_desk, make_customers, enrol, system
):
    """The desk's cursor and a waiting member's last agent are stored as numbers; after a new
    order they must still name the same agents (before the fix both went on from whoever
    had the old number: here, back to agent A, whom the waiting member had just left)."""
    a, b, c = make_desk(3, capacity=5)
    waiting = enrol(make_customers(1)[0])  # to A; the desk's cursor is A
    for agent in (b, c):
        services.desk_agent_capacity_set(actor=system, agent=agent, capacity=0)
    rotation_sweep(now=T0 + HOURS_48)  # nobody but A, whom it must leave: it waits
    waiting.refresh_from_db()
    assert waiting.status == "PENDING" and waiting.last_position == 1
    services.desk_order_set(actor=system, order={a.pk: 2, b.pk: 3, c.pk: 1})  # C, A, B
    assert Desk.objects.get().last_position == 2  # still A
    for agent in (b, c):
        services.desk_agent_capacity_set(actor=system, agent=agent, capacity=5)
    assert rotation_sweep(now=T0 + HOURS_48 + timedelta(minutes=5)).assigned == 1
    waiting.refresh_from_db()
    assert waiting.current_agent_id == b.pk  # the one after A in the new order
    newcomer = enrol(make_customers(1)[0], at=T0 + HOURS_48 + timedelta(minutes=6))
    assert newcomer.current_agent_id == b.pk  # after the cursor (A): B, not A again


def test_desk_changes_and_follow_ups_emit_their_events(make_desk, make_customers, enrol, system):
    from amanah.core import registry
    from amanah.core.events import EventHandler

    seen = []
    names = (
        services.AGENT_ADDED,
        services.ORDER_SET,
        services.AGENT_CAPACITY_SET,
        services.LOG_ADDED,
    )
    with ExitStack() as stack:
        for name in names:
            probe = EventHandler(name, lambda *, actor, _n=name, **objects: seen.append(_n))
            stack.enter_context(registry.event_handlers.temporarily(f"{name}:probe", probe))
        a, b = make_desk(2)
        services.desk_order_set(actor=system, order={a.pk: 2, b.pk: 1})
        services.desk_agent_capacity_set(actor=system, agent=a, capacity=3)
        member = enrol(make_customers(1)[0])
        user = member.current_agent.user
        user.active_role = "AGENT"
        services.followup_log_add(actor=user, member=member, kind="CALL")
    assert seen == [services.AGENT_ADDED] * 2 + list(names[1:])


def test_no_service_moves_a_member_by_hand():
    names = [n for n in dir(services) if not n.startswith("_")]
    assert not [n for n in names if any(w in n for w in ("move", "reassign", "assign_to"))]


def test_the_history_is_the_sequence_of_agents(make_desk, make_customers, enrol):
    make_desk(2)
    member = enrol(make_customers(1)[0])
    rotation_sweep(now=T0 + HOURS_48)
    rotation_sweep(now=T0 + 2 * HOURS_48)
    assert positions(member) == [1, 2, 1]
    assert Rotation.objects.filter(member=member).count() == 3
