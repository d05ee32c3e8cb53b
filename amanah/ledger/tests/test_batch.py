"""A batch of business facts (a billing run) posted set-based: same validation, idempotency
and audit as one by one; queries do not grow with the batch."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django.utils.translation import gettext_noop

from amanah.audit.models import AuditLog
from amanah.core.actors import SystemActor
from amanah.core.errors import ServiceError
from amanah.core.roles import RoleKey as R
from amanah.ledger import chart, selectors, services
from amanah.ledger.batch import post_many_for
from amanah.ledger.models import JournalEntry
from amanah.ledger.rules import Posting, posting_rules, simple_rule


@pytest.fixture
def bill_rule(db):
    rule = simple_rule(
        gettext_noop("Tagihan rekening air (uji)"),
        "ledger.post",
        debit=chart.PIUTANG_AIR,
        credit=chart.PENDAPATAN_AIR,
    )
    with posting_rules.temporarily("test.bill", rule):
        yield "test.bill"


def _bills(prefix: str, count: int, amount: int = 10_000) -> list[Posting]:
    today = timezone.localdate()
    return [
        Posting(f"{prefix}:{n}", today, f"Tagihan {n}", {"amount": amount + n})
        for n in range(count)
    ]


def _check_now():
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")


def test_a_batch_posts_one_balanced_entry_per_fact_and_replays_are_skipped(bill_rule):
    system = SystemActor("system:test")
    result = post_many_for(actor=system, rule=bill_rule, postings=_bills("b", 30))
    assert len(result.posted) == 30 and result.skipped == []
    _check_now()
    entries = JournalEntry.objects.filter(source_type=bill_rule)
    assert entries.count() == 30
    assert entries.get(source_key="b:7").lines.get(debit__gt=0).debit == 10_007
    assert AuditLog.objects.filter(action="POST_JOURNAL", meta__batch=True).count() == 30
    assert selectors.trial_balance(system, timezone.localdate()).balanced

    again = post_many_for(actor=system, rule=bill_rule, postings=_bills("b", 32))
    assert sorted(again.posted) == ["b:30", "b:31"] and len(again.skipped) == 30
    with pytest.raises(ServiceError) as refused:
        post_many_for(actor=system, rule=bill_rule, postings=_bills("b", 3, amount=1))
    assert refused.value.code == "source_key_conflict"
    # one by one and in a batch are the same fact
    one = services.post_for(
        actor=system,
        rule=bill_rule,
        source_key="b:3",
        date=timezone.localdate(),
        description="Tagihan 3",
        amount=10_003,
    )
    assert not one.was_posted_now


def test_a_batch_is_refused_whole(bill_rule, make_user):
    system = SystemActor("system:test")
    bad = [*_bills("c", 3), Posting("c:x", timezone.localdate(), "Tagihan", {"amount": -5})]
    with pytest.raises(ServiceError) as refused:
        post_many_for(actor=system, rule=bill_rule, postings=bad)
    assert refused.value.code == "amount_out_of_range"
    twice = [*_bills("d", 2), *_bills("d", 1)]
    with pytest.raises(ServiceError) as refused:
        post_many_for(actor=system, rule=bill_rule, postings=twice)
    assert refused.value.code == "source_key_repeated"
    services.period_close(actor=system, month=timezone.localdate())
    with pytest.raises(ServiceError) as refused:
        post_many_for(actor=system, rule=bill_rule, postings=_bills("e", 2))
    assert refused.value.code == "period_closed"
    with pytest.raises(PermissionDenied):
        post_many_for(actor=make_user(R.DIRECTOR), rule=bill_rule, postings=_bills("f", 1))
    assert not JournalEntry.objects.filter(source_type=bill_rule).exists()


def test_the_queries_do_not_grow_with_the_batch(bill_rule):
    system = SystemActor("system:test")
    post_many_for(actor=system, rule=bill_rule, postings=_bills("warm", 1))
    with CaptureQueriesContext(connection) as few:
        post_many_for(actor=system, rule=bill_rule, postings=_bills("few", 3))
    with CaptureQueriesContext(connection) as many:
        post_many_for(actor=system, rule=bill_rule, postings=_bills("many", 300))
    assert len(many.captured_queries) == len(few.captured_queries)


@pytest.mark.parametrize(
    ("amount", "code"),
    [
        (0, "line_one_side"),
        (True, "amount_invalid"),
        (1.5, "amount_invalid"),
        ("100", "amount_invalid"),
        (10**30, "amount_out_of_range"),
    ],
)
def test_a_simple_rule_refuses_what_its_lines_would(bill_rule, amount, code):
    """A one-debit / one-credit rule refuses a bad amount as a general rule with the same
    lines does, and the whole batch with it; a Decimal amount is accepted."""
    from decimal import Decimal

    system = SystemActor("system:test")
    general = posting_rules.get(bill_rule).__class__(
        "uji", "ledger.post", posting_rules.get(bill_rule).lines
    )
    with posting_rules.temporarily("test.general", general):
        for rule in (bill_rule, "test.general"):
            bad = [
                *_bills(f"{rule}:z", 2),
                Posting("z:x", timezone.localdate(), "T", {"amount": amount}),
            ]
            with pytest.raises(ServiceError) as refused:
                post_many_for(actor=system, rule=rule, postings=bad)
            assert refused.value.code == code
        posted = post_many_for(
            actor=system,
            rule=bill_rule,
            postings=[Posting("w:1", timezone.localdate(), "T", {"amount": Decimal("700")})],
        )
    _check_now()
    entry = JournalEntry.objects.get(pk=posted.posted["w:1"])
    assert sorted(entry.lines.values_list("account__code", "debit", "credit")) == sorted(
        [(chart.PIUTANG_AIR, 700, 0), (chart.PENDAPATAN_AIR, 0, 700)]
    )
    assert not JournalEntry.objects.filter(source_key__startswith=f"{bill_rule}:z").exists()
