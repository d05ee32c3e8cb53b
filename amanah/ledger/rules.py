"""Posting rules: how a business fact becomes journal lines, declared by the app that owns the
fact, so the ledger never imports the apps above it (utility, payments).

An app declares a rule once in its ``contract.py``::

    from amanah.ledger.contract import chart, post_on, register_posting_rule, simple_rule

    register_posting_rule(
        "utility.bill",
        simple_rule(gettext_noop("Tagihan rekening air"), BILL_ISSUE,
                    debit=chart.PIUTANG_AIR, credit=chart.PENDAPATAN_AIR),
    )
    post_on("utility.bill_issued", "utility.bill",
            lambda *, actor, bill: Posting(f"bill:{bill.pk}", bill.issued_on,
                                            f"Tagihan {bill.number}", {"amount": bill.total}))

and then either calls ``post_for(actor=…, rule="utility.bill", source_key=…, …)`` in its own
service, or lets ``post_on`` (services.py) post when its event is emitted (same transaction:
the entry commits exactly when the bill does). A rule's ``lines(facts)`` gives
``(account code, debit, credit)`` triples; ``permission`` is the business action the posting
follows from (who may issue a bill may cause its entry), checked by ``post_for``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from amanah.core.permissions import is_declared
from amanah.core.registry import Registry

Line = tuple[str, int, int]

# PostingRule, keyed "<app>.<fact>" (also the entries' source_type).
posting_rules = Registry("ledger posting rules")


@dataclass(frozen=True)
class PostingRule:
    label: str  # gettext_noop'd Indonesian, shown as the entry's source on the journal pages
    permission: str  # the business action that causes the posting
    lines: Callable[[Mapping], Sequence[Line]]


@dataclass(frozen=True)
class Posting:
    """What an event handler hands ``post_on``: the fact's key, its date and description, and
    the facts the rule's ``lines`` read (``amount`` for a simple rule)."""

    source_key: str
    date: dt.date
    description: str
    facts: dict = field(default_factory=dict)


def register_posting_rule(key: str, rule: PostingRule) -> PostingRule:
    if not is_declared(rule.permission):
        raise ValueError(f"posting rule {key!r}: unknown permission {rule.permission!r}")
    return posting_rules.register(key, rule)


def simple_rule(label: str, permission: str, *, debit: str, credit: str) -> PostingRule:
    """One debit and one credit of ``facts["amount"]`` (e.g. D piutang air / K pendapatan air)."""

    def lines(facts: Mapping) -> list[Line]:
        amount = facts["amount"]
        return [(debit, amount, 0), (credit, 0, amount)]

    return PostingRule(label, permission, lines)
