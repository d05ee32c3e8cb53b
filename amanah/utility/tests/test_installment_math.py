"""The arithmetic of RAB payment plans and late fees, property-tested without a database:
schedules sum exactly to the RAB total in whole rupiah with ordered due dates; hand-made
schedules that do not are refused; late fees are whole, monthly, once, and never above the
cap."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from amanah.utility import installments as m

TOTALS = st.integers(min_value=1, max_value=10**12)
COUNTS = st.integers(min_value=1, max_value=m.MAX_INSTALLMENTS)
DAYS = st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2090, 12, 31))
RULES = st.builds(
    m.LateFeeRule,
    percent=st.decimals(min_value=0, max_value=10, places=2),
    flat=st.integers(min_value=0, max_value=50_000),
    cap_percent=st.decimals(min_value=0, max_value=100, places=2),
)


@settings(max_examples=50, deadline=None)
@given(TOTALS, COUNTS, DAYS)
def test_a_plan_sums_to_the_total_in_whole_rupiah_with_ordered_dates(total, count, first):
    if count > total:
        count = total
    rows = m.plan(total, count, first)
    amounts = [amount for _s, _d, amount in rows]
    assert sum(amounts) == total
    assert all(isinstance(a, int) and a > 0 for a in amounts)
    # the remainder (< count rupiah) sits on the first installment; the rest are equal
    assert len(set(amounts[1:])) <= 1
    assert 0 <= amounts[0] - amounts[-1] < count
    dates = [due for _s, due, _a in rows]
    assert dates[0] == first and dates == sorted(set(dates))
    assert m.schedule_problem(total, [(d, a) for _s, d, a in rows]) is None


@settings(max_examples=50, deadline=None)
@given(TOTALS, COUNTS, DAYS, st.integers(min_value=-1000, max_value=1000).filter(bool))
def test_a_schedule_off_by_any_amount_is_refused(total, count, first, off):
    count = min(count, total)
    rows = [(d, a) for _s, d, a in m.plan(total, count, first)]
    rows[-1] = (rows[-1][0], rows[-1][1] + off)
    assert m.schedule_problem(total, rows) in {"schedule_sum", "installment_amount"}


def test_schedule_problems_have_their_own_codes():
    day = dt.date(2026, 1, 31)
    assert m.schedule_problem(100, []) == "schedule_size"
    assert m.schedule_problem(100, [(day, 60), (day, 40)]) == "schedule_order"
    assert m.schedule_problem(100, [(day, 100.0)]) == "installment_amount"
    assert m.schedule_problem(100, [(day, 0), (day + dt.timedelta(1), 100)]) == "installment_amount"
    assert m.schedule_problem(100, [(day, 99)]) == "schedule_sum"
    # month ends are clamped, not drifting: 31 Jan → 28 Feb → 31 Mar
    assert [d for _s, d, _a in m.plan(3, 3, day)] == [
        day,
        dt.date(2026, 2, 28),
        dt.date(2026, 3, 31),
    ]
    assert m.split_evenly(100_001, 3) == [33_335, 33_333, 33_333]


@settings(max_examples=50, deadline=None)
@given(DAYS, st.integers(min_value=0, max_value=2000))
def test_months_late_counts_started_months_after_the_due_date(due, days):
    as_of = due + dt.timedelta(days=days)
    months = m.months_late(due, as_of)
    if days == 0:
        assert months == 0
        return
    assert months >= 1
    assert as_of > m.add_months(due, months - 1)  # month ``months`` has started
    assert as_of <= m.add_months(due, months)  # month ``months + 1`` has not
    assert m.months_late(due, as_of + dt.timedelta(days=1)) >= months  # never goes back


@settings(max_examples=50, deadline=None)
@given(
    RULES,
    st.integers(min_value=1, max_value=10**10),
    st.data(),
    st.integers(min_value=0, max_value=40),
)
def test_late_fees_are_whole_once_per_month_and_capped(rule, amount, data, months):
    outstanding = data.draw(st.integers(min_value=0, max_value=amount))
    charged: dict[int, int] = {}
    for upto in range(months + 1):  # the job runs every month: idempotent, cumulative
        for month, fee in m.fees_due(
            rule, amount=amount, outstanding=outstanding, months=upto, charged=charged
        ):
            assert month not in charged and 1 <= month <= upto
            assert isinstance(fee, int) and fee > 0
            charged[month] = fee
        again = m.fees_due(
            rule, amount=amount, outstanding=outstanding, months=upto, charged=charged
        )
        assert again == []
    assert sum(charged.values()) <= rule.cap(amount)
    if outstanding == 0:
        assert charged == {}
    for month, fee in charged.items():
        assert fee <= rule.monthly(outstanding)


def test_a_late_fee_by_example():
    rule = m.LateFeeRule(percent=Decimal("2"), flat=1_000, cap_percent=Decimal("5"))
    # 2 % of 250,001 = 5,000.02 → 5,000 + 1,000 flat; cap 5 % of 250,001 = 12,500
    due = m.fees_due(rule, amount=250_001, outstanding=250_001, months=3, charged={})
    assert due == [(1, 6_000), (2, 6_000), (3, 500)]
    assert m.months_late(dt.date(2026, 1, 31), dt.date(2026, 2, 28)) == 1
    assert m.months_late(dt.date(2026, 1, 31), dt.date(2026, 3, 1)) == 2
