"""Test and demo helpers that build insight data through the services."""

from __future__ import annotations

import itertools
from datetime import timedelta

from django.utils import timezone

from amanah.insight.services import TransactionInput, transactions_record

_refs = itertools.count(1)


def book(
    actor,
    customer,
    *,
    days_ago=0,
    amount=100_000,
    channel="QRIS",
    count=1,
    on=None,
    category="FNB",
    merchant_id="",
) -> int:
    """Book ``count`` transactions of ``amount`` for ``customer`` ``days_ago`` days before
    today (or ``on``), through ``transactions_record``."""
    day = on or (timezone.localdate() - timedelta(days=days_ago))
    rows = [
        TransactionInput(
            customer_id=customer.pk,
            booked_on=day,
            amount=amount,
            channel=channel,
            merchant_category=category if channel in ("QRIS", "EDC") else "",
            merchant_id=merchant_id,
            reference=f"T-{customer.pk.hex[:12]}-{next(_refs)}",
        )
        for _ in range(count)
    ]
    return transactions_record(actor=actor, rows=rows)
