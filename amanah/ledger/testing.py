"""Factories for ledger tests and the project-wide view permission table
(amanah/core/tests/test_view_permissions). Everything is built through the services."""

from __future__ import annotations

import datetime as dt
import itertools

from django.utils import timezone

from amanah.core.actors import SystemActor
from amanah.core.testing import ViewCase
from amanah.ledger import chart, services
from amanah.ledger.models import JournalEntry
from amanah.ledger.policies import (
    LEDGER_ACCOUNTS,
    LEDGER_EXPORT,
    LEDGER_PERIOD_CLOSE,
    LEDGER_PERIOD_REOPEN,
    LEDGER_POST,
    LEDGER_VIEW,
)

_keys = itertools.count(1)


def post(
    actor,
    amount: int = 150_000,
    *,
    debit: str = chart.PIUTANG_AIR,
    credit: str = chart.PENDAPATAN_AIR,
    date: dt.date | None = None,
    key: str | None = None,
    description: str = "Tagihan rekening air",
) -> JournalEntry:
    """One entry D ``debit`` / K ``credit`` of ``amount``, through ``journal_post``."""
    return services.journal_post(
        actor=actor,
        date=date or timezone.localdate(),
        description=description,
        source_key=key or f"test:{next(_keys)}",
        lines=[(debit, amount, 0), (credit, 0, amount)],
    )


def _ledger(w: dict) -> dict:
    if "ledger" not in w:
        w["ledger"] = {"entry": post(SystemActor("system:test"), key="test:view-cases")}
    return w["ledger"]


VIEW_CASES = [
    ViewCase("ledger:journal", LEDGER_VIEW),
    ViewCase("ledger:entry", LEDGER_VIEW, kwargs=lambda w: {"entry_id": _ledger(w)["entry"].pk}),
    ViewCase(
        "ledger:entry_reverse",
        LEDGER_POST,
        method="post",
        kwargs=lambda w: {"entry_id": _ledger(w)["entry"].pk},
        data=lambda w: {"reason": "salah catat"},
        ok_status=(303,),
    ),
    ViewCase("ledger:trial_balance", LEDGER_VIEW),
    ViewCase("ledger:periods", LEDGER_VIEW),
    ViewCase(
        "ledger:period_close",
        LEDGER_PERIOD_CLOSE,
        method="post",
        data=lambda w: {"month": "2020-01"},
        ok_status=(303,),
    ),
    ViewCase(
        "ledger:period_reopen",
        LEDGER_PERIOD_REOPEN,
        method="post",
        data=lambda w: {"month": "2020-01", "reason": "koreksi audit"},
        ok_status=(303,),
    ),
    ViewCase("ledger:accounts", LEDGER_ACCOUNTS),
    ViewCase("ledger:account_edit", LEDGER_ACCOUNTS, kwargs=lambda w: {"code": chart.KAS}),
    ViewCase("ledger:export", LEDGER_EXPORT),  # without a query: this month, CSV
]
