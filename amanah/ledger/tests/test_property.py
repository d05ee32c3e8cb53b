"""The journal is always balanced: a property test over random sequences of business
postings (bills, payments, late fees, overpayments kept as credit), replays of the same fact,
refused unbalanced attempts and reversals.

After each sequence the database's own deferred check runs (``SET CONSTRAINTS ALL
IMMEDIATE``: every entry written in the sequence), every entry is balanced by a grouped query,
the trial balance's totals are equal, and each account's net equals a model kept beside it in
Python. Each example runs in a savepoint that is rolled back.
"""

from __future__ import annotations

from collections import Counter

import pytest
from django.db import connection, transaction
from django.db.models import Count, F, Sum
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from amanah.core.actors import SystemActor
from amanah.core.errors import ServiceError
from amanah.ledger import chart, selectors, services
from amanah.ledger.models import JournalLine

# a business fact → its lines for an amount (the posting rules utility and payments will declare)
FACTS = {
    "bill": lambda a: [(chart.PIUTANG_AIR, a, 0), (chart.PENDAPATAN_AIR, 0, a)],
    "rab": lambda a: [(chart.PIUTANG_SAMBUNGAN, a, 0), (chart.PENDAPATAN_SAMBUNGAN, 0, a)],
    "fee": lambda a: [(chart.PIUTANG_DENDA, a, 0), (chart.PENDAPATAN_DENDA, 0, a)],
    "payment": lambda a: [(chart.DANA_GATEWAY, a, 0), (chart.PIUTANG_AIR, 0, a)],
    # a payment above the bill: the rest kept as the customer's credit
    "overpayment": lambda a: [
        (chart.KAS, a + 1_000, 0),
        (chart.PIUTANG_AIR, 0, a),
        (chart.UANG_MUKA_PELANGGAN, 0, 1_000),
    ],
    "credit_used": lambda a: [(chart.UANG_MUKA_PELANGGAN, a, 0), (chart.PIUTANG_AIR, 0, a)],
}

amounts = st.integers(min_value=1, max_value=50_000_000)
steps = st.one_of(
    st.tuples(st.just("post"), st.sampled_from(sorted(FACTS)), amounts),
    st.tuples(st.just("replay"), st.integers(min_value=0, max_value=50), st.just(0)),
    st.tuples(st.just("reverse"), st.integers(min_value=0, max_value=50), st.just(0)),
    st.tuples(st.just("unbalanced"), st.sampled_from(sorted(FACTS)), amounts),
)


def _net(lines) -> Counter:
    net = Counter()
    for code, debit, credit in lines:
        net[code] += debit - credit
    return net


@pytest.mark.django_db
@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(sequence=st.lists(steps, min_size=1, max_size=12))
def test_the_journal_is_always_balanced(sequence):
    system = SystemActor("system:test")
    today = timezone.localdate()
    with transaction.atomic():
        posted = []  # (entry, lines)
        reversed_ids = set()
        expected = Counter()
        for n, (kind, what, amount) in enumerate(sequence):
            if kind == "post":
                lines = FACTS[what](amount)
                entry = services.journal_post(
                    actor=system, date=today, description=what, source_key=f"p:{n}", lines=lines
                )
                posted.append((entry, lines))
                expected.update(_net(lines))  # update, not +=: keeps negative nets
            elif kind == "replay" and posted:
                entry, lines = posted[what % len(posted)]
                again = services.journal_post(
                    actor=system,
                    date=today,
                    description="ulang",
                    source_key=entry.source_key,
                    lines=lines,
                )
                assert again.pk == entry.pk and not again.was_posted_now
            elif kind == "reverse" and posted:
                entry, lines = posted[what % len(posted)]
                if entry.reverses_id is not None:
                    continue
                reversal = services.entry_reverse(actor=system, entry=entry, reason="koreksi")
                if entry.pk not in reversed_ids:
                    reversed_ids.add(entry.pk)
                    swapped = [(c, cr, d) for c, d, cr in lines]
                    expected.update(_net(swapped))
                    posted.append((reversal, swapped))
            elif kind == "unbalanced":
                lines = FACTS[what](amount)
                code, debit, credit = lines[0]
                lines[0] = (code, debit + 1, credit) if debit else (code, debit, credit + 1)
                with pytest.raises(ServiceError):
                    services.journal_post(
                        actor=system, date=today, description="x", source_key=f"u:{n}", lines=lines
                    )

        with connection.cursor() as cursor:  # the database's own check, now
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        keys = [e.source_key for e, _l in posted]
        unbalanced = (
            JournalLine.objects.filter(entry__source_key__in=keys)
            .values("entry")
            .annotate(d=Sum("debit"), c=Sum("credit"), n=Count("id"))
            .exclude(d=F("c"), n__gte=2)
        )
        assert not unbalanced.exists()
        report = selectors.trial_balance(system, today)
        assert report.balanced
        actual = Counter()
        for code, debit, credit in JournalLine.objects.filter(
            entry__source_key__in=keys
        ).values_list("account__code", "debit", "credit"):
            actual[code] += debit - credit
        assert {k: v for k, v in actual.items() if v} == {k: v for k, v in expected.items() if v}
        assert sum(actual.values()) == 0
        transaction.set_rollback(True)
