"""The arithmetic of a RAB's payment plan and of late fees (denda), pure and DB-free so that it
can be property-tested (``tests/test_installment_math.py``). Money is whole rupiah (int).

Schedule (Rincian Angsuran): ``n`` monthly installments from ``first_due``; the total is
divided evenly in whole rupiah and the remainder (``total mod n``, at most ``n − 1`` rupiah)
is put on the **first** installment (the down payment), so the amounts always sum exactly to
the RAB total. Due dates are the same day of each following month, clamped to the month's
last day (31 Jan → 28/29 Feb → 31 Mar is anchored on the first date, not drifting).

Late fees: an installment is one month late the day after its due date, two months late the
day after the same date a month later, and so on. Each month late charges
``round_half_up(outstanding × percent / 100) + flat``, and the denda of one installment never
exceeds ``round_half_up(amount × cap_percent / 100)`` in total (the last month's charge is cut
to the cap).
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

MAX_INSTALLMENTS = 36


def add_months(day: dt.date, months: int) -> dt.date:
    """``day`` moved ``months`` calendar months on, clamped to the month's last day."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def split_evenly(total: int, count: int) -> list[int]:
    """``count`` whole-rupiah amounts summing to ``total``; the remainder on the first."""
    if count < 1 or total < count:
        raise ValueError("need 1 ≤ count ≤ total")
    base = total // count
    return [base + total - base * count] + [base] * (count - 1)


def plan(total: int, count: int, first_due: dt.date) -> list[tuple[int, dt.date, int]]:
    """(seq, due date, amount) of an even monthly plan."""
    return [
        (seq, add_months(first_due, seq - 1), amount)
        for seq, amount in enumerate(split_evenly(total, count), start=1)
    ]


def schedule_problem(total: int, rows: list[tuple[dt.date, int]]) -> str | None:
    """Why a hand-made schedule cannot stand (a code), or None: at least one and at most
    ``MAX_INSTALLMENTS`` rows, whole positive rupiah, strictly later due dates, and a sum
    equal to ``total`` exactly."""
    if not rows or len(rows) > MAX_INSTALLMENTS:
        return "schedule_size"
    if any(isinstance(a, bool) or not isinstance(a, int) or a <= 0 for _d, a in rows):
        return "installment_amount"
    if any(later <= earlier for (earlier, _a), (later, _b) in zip(rows, rows[1:], strict=False)):
        return "schedule_order"
    if sum(a for _d, a in rows) != total:
        return "schedule_sum"
    return None


def months_late(due_on: dt.date, as_of: dt.date) -> int:
    """How many months late an unpaid installment is on ``as_of`` (0: not late)."""
    if as_of <= due_on:
        return 0
    months = (as_of.year - due_on.year) * 12 + as_of.month - due_on.month
    # month k (1-based) starts the day after add_months(due_on, k - 1)
    while months > 0 and as_of <= add_months(due_on, months):
        months -= 1
    return months + 1


def _round(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


@dataclass(frozen=True)
class LateFeeRule:
    percent: Decimal = Decimal("2")  # of the outstanding principal, per month late
    flat: int = 0  # rupiah per month late
    cap_percent: Decimal = Decimal("10")  # of the installment's amount, in total

    def cap(self, amount: int) -> int:
        return _round(Decimal(amount) * self.cap_percent / 100)

    def monthly(self, outstanding: int) -> int:
        return _round(Decimal(outstanding) * self.percent / 100) + self.flat


def fees_due(
    rule: LateFeeRule, *, amount: int, outstanding: int, months: int, charged: dict[int, int]
) -> list[tuple[int, int]]:
    """The (month late, fee) still to charge on an installment of ``amount`` with
    ``outstanding`` principal, ``months`` late, given what was ``charged`` per month so far:
    each missing month once, never beyond the cap; zero fees are left out."""
    if outstanding <= 0:
        return []
    room = rule.cap(amount) - sum(charged.values())
    due = []
    for month in range(1, months + 1):
        if month in charged:
            continue
        fee = min(rule.monthly(outstanding), room)
        if fee <= 0:
            break
        due.append((month, fee))
        room -= fee
    return due
