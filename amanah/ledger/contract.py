"""What the journal offers the rest of the house (issue 17).

For the apps above (utility, payments), which never touch the journal's tables:

- ``register_posting_rule(key, PostingRule | simple_rule(...))`` — how a business fact
  becomes lines (``rules.py``); ``chart`` names the PDAM accounts;
- ``post_for(actor=, rule=, source_key=, date=, description=, **facts)`` — post one fact,
  idempotent by its key, in the caller's transaction; ``reverse_for(...)`` cancels one;
- ``post_many_for(actor=, rule=, postings=[Posting, …])`` — a batch (a billing run), set-based,
  the same rules and idempotency (``batch.py``);
- ``post_on(event, rule, posting)`` — or let the journal post when the app's event is emitted;
- ``journal_post`` / ``entry_reverse`` for manual entries.

Events: ``ledger.entry_posted`` (entry), ``ledger.entries_posted`` (rule, entry_ids),
``ledger.period_closed`` / ``ledger.period_reopened`` (period), ``ledger.account_saved``
(account). In the menu: the journal (and the chart of accounts in the admin section). The
entries and lines are append-only for the application's database role as well (INSERT and
SELECT only).
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy

from amanah.core import dbroles, registry
from amanah.core.contributions import NavItem
from amanah.ledger import chart
from amanah.ledger.batch import ENTRIES_POSTED, BatchResult, post_many_for
from amanah.ledger.models import JournalEntry, JournalLine
from amanah.ledger.policies import LEDGER_ACCOUNTS, LEDGER_VIEW
from amanah.ledger.rules import Posting, PostingRule, register_posting_rule, simple_rule
from amanah.ledger.selectors import trial_balance
from amanah.ledger.services import (
    ENTRY_POSTED,
    PERIOD_CLOSED,
    PERIOD_REOPENED,
    entry_reverse,
    journal_post,
    post_for,
    post_on,
    reverse_for,
)

__all__ = [
    "ENTRIES_POSTED",
    "ENTRY_POSTED",
    "BatchResult",
    "PERIOD_CLOSED",
    "PERIOD_REOPENED",
    "Posting",
    "PostingRule",
    "chart",
    "entry_reverse",
    "journal_post",
    "post_for",
    "post_many_for",
    "post_on",
    "register_posting_rule",
    "reverse_for",
    "simple_rule",
    "trial_balance",
]

dbroles.declare_append_only(JournalEntry._meta.db_table)
dbroles.declare_append_only(JournalLine._meta.db_table)

registry.navigation.register(
    "ledger.journal",
    NavItem(gettext_lazy("Jurnal"), "ledger:journal", LEDGER_VIEW, "main"),
    order=70,
)
registry.navigation.register(
    "ledger.accounts",
    NavItem(gettext_lazy("Bagan akun"), "ledger:accounts", LEDGER_ACCOUNTS, "admin"),
    order=70,
)
