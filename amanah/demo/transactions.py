"""Twelve months of realistic transactions for the demo's customers (seed 001 §1, issue 13).

Each customer gets a profile, drawn from a seeded generator so a demo looks the same every
time it is loaded:

- salaried (payroll on the 25th, or on the 1st for civil servants) with QRIS spending at
  food stalls, groceries and fuel, mobile transfers and the odd ATM withdrawal;
- occasional (a few QRIS or teller visits a month);
- fading (active until a few months ago, then quiet: the win-back case);
- dormant (one or two bookings most of a year ago);
- none (an account that is not used).

The script's customers are fixed: B (VIP, PRIORITY) is a salaried heavy user, A is fading,
C is occasional but recent. Amounts are whole rupiah.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import date, timedelta

from amanah.insight.services import TransactionInput

QRIS_CATEGORIES = [("FNB", 60), ("GROCERY", 20), ("FUEL", 10), ("FASHION", 5), ("HEALTH", 5)]
QRIS_AMOUNTS = {
    "FNB": (15_000, 150_000),
    "GROCERY": (50_000, 600_000),
    "FUEL": (50_000, 400_000),
    "FASHION": (100_000, 1_500_000),
    "HEALTH": (50_000, 750_000),
}
PROFILES = [("salaried", 35), ("occasional", 30), ("fading", 12), ("dormant", 13), ("none", 10)]
MERCHANTS_PER_CITY = 40


def _pick(rng: random.Random, weighted):
    return rng.choices([k for k, _ in weighted], weights=[w for _, w in weighted])[0]


def _round(amount: float, to: int = 1_000) -> int:
    return max(to, int(amount) // to * to)


class _Book:
    def __init__(self, customer, city: str, rng: random.Random, today: date):
        self.customer, self.city, self.rng, self.today = customer, city, rng, today
        self.rows: list[TransactionInput] = []

    def add(self, day: date, amount: int, channel: str, category: str = "") -> None:
        if day > self.today:
            return
        merchant = ""
        if channel in ("QRIS", "EDC"):
            merchant = f"QR-{self.city}-{self.rng.randrange(MERCHANTS_PER_CITY):04d}"
        self.rows.append(
            TransactionInput(
                customer_id=self.customer.pk,
                booked_on=day,
                amount=amount,
                channel=channel,
                merchant_category=category,
                merchant_id=merchant,
                reference=f"DEMO-{self.customer.pk.hex}-{len(self.rows) + 1:05d}",
            )
        )

    def qris(self, day: date) -> None:
        category = _pick(self.rng, QRIS_CATEGORIES)
        low, high = QRIS_AMOUNTS[category]
        self.add(day, _round(self.rng.uniform(low, high), 500), "QRIS", category)


def _months(today: date, count: int = 12) -> Iterator[date]:
    first = today.replace(day=1)
    for back in range(count - 1, -1, -1):
        months = first.year * 12 + first.month - 1 - back
        yield date(months // 12, months % 12 + 1, 1)


def _day(month: date, rng: random.Random) -> date:
    return month + timedelta(days=rng.randrange(28))


def history(customer, *, profile: str, city: str, rng: random.Random, today: date, salary=0):
    """The customer's bookings over the twelve months up to ``today``."""
    book = _Book(customer, city, rng, today)
    months = list(_months(today))
    if profile == "salaried":
        salary = salary or _round(rng.uniform(4_500_000, 18_000_000), 50_000)
        payday = rng.choice([1, 25])
        for month in months:
            book.add(month.replace(day=payday), salary, "PAYROLL")
            for _ in range(rng.randint(4, 12)):
                book.qris(_day(month, rng))
            for _ in range(rng.randint(1, 3)):
                book.add(_day(month, rng), _round(rng.uniform(100_000, 2_000_000)), "MOBILE")
            if rng.random() < 0.5:
                book.add(_day(month, rng), rng.choice([500_000, 1_000_000]), "ATM")
        book.qris(today - timedelta(days=rng.randrange(3)))  # active this week
    elif profile == "occasional":
        for month in months:
            for _ in range(rng.randint(0, 3)):
                if rng.random() < 0.7:
                    book.qris(_day(month, rng))
                else:
                    book.add(_day(month, rng), _round(rng.uniform(200_000, 3_000_000)), "TELLER")
        book.qris(today - timedelta(days=rng.randrange(5, 25)))
    elif profile == "fading":
        quiet_since = today - timedelta(days=rng.randint(100, 170))
        for month in months[:8]:
            for _ in range(rng.randint(1, 4)):
                day = _day(month, rng)
                if day <= quiet_since:
                    book.add(day, _round(rng.uniform(800_000, 5_000_000)), "MOBILE")
        book.add(quiet_since, _round(rng.uniform(1_000_000, 3_000_000)), "TELLER")
    elif profile == "dormant":
        for _ in range(rng.randint(1, 2)):
            book.add(today - timedelta(days=rng.randint(240, 340)), 250_000, "ATM")
    return book.rows


def demo_transactions(customers, *, today: date, seed: int, script: dict):
    """(customer, rows) for each customer; ``script`` maps a customer's pk to a fixed profile
    (and salary) for the script's customers."""
    rng = random.Random(seed)
    for customer in customers:
        profile, salary = script.get(customer.pk, (_pick(rng, PROFILES), 0))
        city = customer.home_branch.code[:3]
        yield (
            customer,
            history(customer, profile=profile, city=city, rng=rng, today=today, salary=salary),
        )
