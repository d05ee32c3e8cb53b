"""Payments applied to bills: oldest first, partial, overpayment kept as credit, the journal
entry balanced; gateway settlements; arrears ageing."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest
from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st

from amanah.core.errors import NotFound, ServiceError
from amanah.core.roles import RoleKey as R
from amanah.ledger.models import JournalLine
from amanah.utility import accounts, billing, selectors, testing
from amanah.utility.models import Bill, Connection

PERIODS = [dt.date(2025, m, 1) for m in (9, 10, 11, 12)]


def _bills(conn, readings=(0, 10, 20, 30, 40)):
    """Bills for Sep–Dec 2025, 35,000 each (10 m³ + abonemen)."""
    testing.read(conn, dt.date(2025, 8, 1), readings[0])
    for period, reading in zip(PERIODS, readings[1:], strict=True):
        testing.read(conn, period, reading)
        billing.billing_run(actor=testing.SYSTEM, period=period)
    return list(Bill.objects.filter(connection=conn).order_by("period"))


def _balanced():
    lines = JournalLine.objects.all()
    return sum(lines.values_list("debit", flat=True)) == sum(lines.values_list("credit", flat=True))


def test_oldest_first_partial_and_overpayment(db, branch_a):
    conn = testing.connection(branch_a)
    bills = _bills(conn)
    assert [b.total for b in bills] == [35_000] * 4
    done = accounts.payment_apply(
        actor=testing.SYSTEM, connection_id=conn.pk, amount=50_000, reference="KW-1"
    )
    assert done.allocations == [(bills[0].pk, 35_000), (bills[1].pk, 15_000)]
    paid = dict(Bill.objects.filter(connection=conn).values_list("period", "paid"))
    assert paid == {PERIODS[0]: 35_000, PERIODS[1]: 15_000, PERIODS[2]: 0, PERIODS[3]: 0}
    accounts.payment_apply(
        actor=testing.SYSTEM, connection_id=conn.pk, amount=100_000, reference="KW-2"
    )
    conn.refresh_from_db()
    assert conn.credit == 150_000 - 140_000
    assert not Bill.objects.filter(connection=conn, status="OPEN").exists()
    credit_lines = JournalLine.objects.filter(account__code="2131")
    assert sum(credit_lines.values_list("credit", flat=True)) == 10_000
    assert _balanced()


def test_same_reference_is_a_replay_and_another_amount_is_refused(db, branch_a):
    conn = testing.connection(branch_a)
    _bills(conn)
    first = accounts.payment_apply(
        actor=testing.SYSTEM, connection_id=conn.pk, amount=1_000, reference="KW-9"
    )
    again = accounts.payment_apply(
        actor=testing.SYSTEM, connection_id=conn.pk, amount=1_000, reference="KW-9"
    )
    assert again.replay and again.receipt.pk == first.receipt.pk
    with pytest.raises(ServiceError) as refused:
        accounts.payment_apply(
            actor=testing.SYSTEM, connection_id=conn.pk, amount=2_000, reference="KW-9"
        )
    assert refused.value.code == "reference_taken"
    for amount in (-1, 1.5, True, "100"):
        with pytest.raises(ServiceError):
            accounts.payment_apply(
                actor=testing.SYSTEM, connection_id=conn.pk, amount=amount, reference="KW-X"
            )


def test_cashier_of_another_branch_gets_not_found(db, branch_a, branch_b, make_user):
    theirs = testing.connection(branch_b)
    cashier = make_user(R.SUPERVISOR, branches=[branch_a])
    with pytest.raises(NotFound):
        accounts.payment_apply(actor=cashier, connection_id=theirs.pk, amount=1, reference="X")


def test_gateway_settlement_applies_to_the_connection(db, branch_a):
    conn = testing.connection(branch_a)
    bills = _bills(conn)
    payment = SimpleNamespace(
        payable_type="utility.bill",
        payable_key=str(bills[2].pk),
        paid_amount=40_000,
        amount=40_000,
        order_id="ORD-1",
        provider="MIDTRANS",
        settled_at=timezone.now(),
    )
    accounts.payment_settled(actor=testing.GATEWAY, payment=payment)
    accounts.payment_settled(actor=testing.GATEWAY, payment=payment)  # a replay
    paid = list(
        Bill.objects.filter(connection=conn).order_by("period").values_list("paid", flat=True)
    )
    assert paid == [35_000, 5_000, 0, 0]  # oldest first, whichever bill was named
    gateway = JournalLine.objects.filter(account__code="1103")
    assert list(gateway.values_list("debit", flat=True)) == [40_000]
    other = SimpleNamespace(**{**payment.__dict__, "payable_type": "tests.bill", "order_id": "O2"})
    accounts.payment_settled(actor=testing.GATEWAY, payment=other)  # not ours: nothing
    assert gateway.count() == 1


def test_arrears_ageing_buckets(db, branch_a, branch_b, make_user):
    conn = testing.connection(branch_a)
    _bills(conn)  # due 20 Oct, 20 Nov, 20 Dec 2025, 20 Jan 2026
    accounts.payment_apply(
        actor=testing.SYSTEM, connection_id=conn.pk, amount=5_000, reference="KW-A"
    )
    ageing = selectors.arrears_ageing(
        testing.SYSTEM, connection_ids=[conn.pk], as_of=dt.date(2026, 1, 25)
    )[conn.pk]
    # 20 Oct → 97 days; 20 Nov → 66; 20 Dec → 36; 20 Jan → 5
    assert (ageing.d90_plus, ageing.d61_90, ageing.d31_60, ageing.d0_30) == (
        30_000,
        35_000,
        35_000,
        35_000,
    )
    assert ageing.not_due == 0 and ageing.oldest_due == dt.date(2025, 10, 20)
    early = selectors.arrears_ageing(testing.SYSTEM, as_of=dt.date(2025, 10, 1))
    assert early == {}  # nothing overdue yet (min_overdue)
    outsider = make_user(R.AGENT, branches=[branch_b])
    assert selectors.arrears_ageing(outsider, as_of=dt.date(2026, 1, 25)) == {}


@pytest.mark.django_db
@settings(max_examples=4, deadline=None)
@given(st.lists(st.integers(1, 80_000), min_size=1, max_size=5))
def test_any_payments_keep_books_and_bills_consistent(django_db_blocker, amounts):
    """Random payments: bills never over-paid, paid + credit = what came in, journal balanced.
    Each example rolled back to where it began. The marker is what makes pytest-django set up
    the test database: run alone (or first) without it, the test reached an unprepared one."""
    from django.db import transaction

    with django_db_blocker.unblock():
        try:
            with transaction.atomic():
                from amanah.iam import services as iam
                from amanah.iam.models import TimeZoneChoice

                branch = iam.branch_save(
                    actor=testing.SYSTEM, code="HX", name="Uji", timezone_name=TimeZoneChoice.WIB
                )
                conn = testing.connection(branch)
                _bills(conn)
                for n, amount in enumerate(amounts):
                    accounts.payment_apply(
                        actor=testing.SYSTEM,
                        connection_id=conn.pk,
                        amount=amount,
                        reference=f"H{n}",
                    )
                conn = Connection.objects.get(pk=conn.pk)
                paid = sum(Bill.objects.filter(connection=conn).values_list("paid", flat=True))
                assert paid + conn.credit == sum(amounts)
                assert all(b.paid <= b.total for b in Bill.objects.filter(connection=conn))
                assert _balanced()
                raise _Rollback
        except _Rollback:
            pass


class _Rollback(Exception):
    pass


def _settled(order_id, payable_type, payable_key, amount):
    return SimpleNamespace(
        payable_type=payable_type,
        payable_key=payable_key,
        paid_amount=amount,
        amount=amount,
        order_id=order_id,
        provider="MIDTRANS",
        settled_at=timezone.now(),
    )


def _state(conns):
    """What a payment changed, per connection: bills paid, credit, receipts, journal lines."""
    from amanah.utility.models import Receipt

    state = []
    for conn in conns:
        receipts = list(
            Receipt.objects.filter(connection=conn)
            .order_by("id")
            .values_list("amount", "credit_used", "to_credit", "source")
        )
        keys = [
            f"utility.receipt:{pk}"
            for pk in Receipt.objects.filter(connection=conn).values_list("pk", flat=True)
        ]
        lines = sorted(
            JournalLine.objects.filter(entry__source_key__in=keys).values_list(
                "account__code", "debit", "credit"
            )
        )
        state.append(
            (
                list(
                    Bill.objects.filter(connection=conn)
                    .order_by("period")
                    .values_list("paid", "status")
                ),
                Connection.objects.get(pk=conn.pk).credit,
                receipts,
                lines,
            )
        )
    return state


def test_a_batch_of_settlements_applies_as_one_at_a_time_would(db, branch_a):
    """The set-based handler of ``payments.payments_settled`` against ``payment_settled``
    called once per payment, on twin connections: the same bills, credit, receipts and
    journal lines; a replayed batch changes nothing."""
    from amanah.utility.payments_batch import payments_settled

    def plan(a, b, tag):
        bills_a = list(Bill.objects.filter(connection=a).order_by("period"))
        return [
            _settled(f"{tag}-1", "utility.bill", str(bills_a[3].pk), 40_000),  # partial
            _settled(f"{tag}-2", "utility.bill", str(bills_a[0].pk), 110_000),  # rest + credit
            _settled(f"{tag}-3", "utility.connection", b.number, 20_000),
            _settled(f"{tag}-4", "tests.bill", "1", 5_000),  # not ours
            _settled(f"{tag}-5", "utility.bill", "99999999999999999999", 5_000),  # no such bill
        ]

    one = [testing.connection(branch_a) for _ in range(2)]
    batch = [testing.connection(branch_a) for _ in range(2)]
    for conn in one + batch:
        _bills(conn)
    for payment in plan(*one, "ONE"):
        accounts.payment_settled(actor=testing.GATEWAY, payment=payment)
    payments = plan(*batch, "BATCH")
    payments_settled(actor=testing.GATEWAY, payments=payments)
    expected = _state(one)
    assert _state(batch) == expected
    assert expected[0][1] == 10_000 and expected[1][0][0] == (20_000, "OPEN")  # it did work
    payments_settled(actor=testing.GATEWAY, payments=payments)  # the batch replayed
    assert _state(batch) == expected
    assert _balanced()
    taken = [_settled("BATCH-1", "utility.connection", batch[1].number, 40_000)]
    with pytest.raises(ServiceError) as refused:  # a reference used for another payment
        payments_settled(actor=testing.GATEWAY, payments=taken)
    assert refused.value.code == "reference_taken"
