"""Every user-triggered read of the journal, through ``visible_to(actor)`` (the journal is the
institution's: the permission decides, no branch scope)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Count, Q, QuerySet, Sum
from django.utils.translation import gettext as _

from amanah.audit import services as audit
from amanah.audit.models import AuditAction
from amanah.core.errors import NotFound
from amanah.core.zones import zone_label
from amanah.iam import authz
from amanah.ledger.models import Account, AccountType, JournalEntry, JournalLine, Period
from amanah.ledger.policies import LEDGER_EXPORT, LEDGER_VIEW
from amanah.ledger.rules import posting_rules

PAGE_SIZE = 50
EXPORT_MAX_LINES = 200_000


@dataclass(frozen=True)
class JournalFilter:
    first: dt.date | None = None  # period months, inclusive
    last: dt.date | None = None
    source_type: str = ""
    account: str = ""  # account code
    query: str = ""  # entry number, source key or description


def source_labels() -> dict[str, str]:
    """The source types the journal knows, with their labels (the filter's choices)."""
    labels = {"ledger.manual": _("Jurnal manual"), "ledger.reversal": _("Jurnal pembalik")}
    labels.update({key: _(rule.label) for key, rule in posting_rules.items()})
    return labels


def account_list(actor) -> QuerySet[Account]:
    return Account.objects.visible_to(actor).order_by("code")


def account_get(actor, code: str) -> Account:
    row = Account.objects.visible_to(actor).filter(code=code).first()
    if row is None:
        raise NotFound()
    return row


def period_list(actor) -> QuerySet[Period]:
    return Period.objects.visible_to(actor).select_related("closed_by").order_by("-month")


def _filtered(actor, f: JournalFilter) -> QuerySet[JournalEntry]:
    rows = JournalEntry.objects.visible_to(actor)
    if f.first:
        rows = rows.filter(period__gte=f.first.replace(day=1))
    if f.last:
        rows = rows.filter(period__lte=f.last.replace(day=1))
    if f.source_type:
        rows = rows.filter(source_type=f.source_type)
    if f.account:
        rows = rows.filter(
            pk__in=JournalLine.objects.filter(account__code=f.account).values("entry")
        )
    query = f.query.strip()
    if query:
        match = Q(source_key=query) | Q(description__icontains=query)
        number = query.upper().removeprefix("JU-")
        if number.isdigit() and len(number) <= 12:
            match |= Q(pk=int(number))
        rows = rows.filter(match)
    return rows


def entry_list(actor, f: JournalFilter, *, page: int = 1) -> tuple[list[JournalEntry], bool]:
    """One page of entries, newest first, each with its debit total; and whether more follow."""
    authz.require(actor, LEDGER_VIEW)
    page = max(1, min(page, 10_000))
    start = (page - 1) * PAGE_SIZE
    rows = list(
        _filtered(actor, f)
        .select_related("created_by", "reverses")
        .annotate(total=Sum("lines__debit"), reversal_id=Count("reversed_by"))
        .order_by("-date", "-id")[start : start + PAGE_SIZE + 1]
    )
    return rows[:PAGE_SIZE], len(rows) > PAGE_SIZE


def entry_get(actor, entry_id) -> JournalEntry:
    try:
        row = (
            JournalEntry.objects.visible_to(actor)
            .select_related("created_by", "reverses")
            .filter(pk=entry_id)
            .first()
        )
    except (ValueError, TypeError):
        row = None
    if row is None:
        raise NotFound()
    return row


def entry_lines(actor, entry: JournalEntry) -> list[JournalLine]:
    return list(
        JournalLine.objects.visible_to(actor)
        .filter(entry=entry)
        .select_related("account")
        .order_by("id")
    )


def reversal_of(actor, entry: JournalEntry) -> JournalEntry | None:
    return JournalEntry.objects.visible_to(actor).filter(reverses=entry).first()


@dataclass
class BalanceRow:
    account: Account
    debit: int = 0
    credit: int = 0

    @property
    def balance(self) -> int:
        """On the account's normal side: debit − credit for assets and expenses, credit −
        debit for the others (a negative balance is on the unusual side)."""
        if self.account.debit_normal:
            return self.debit - self.credit
        return self.credit - self.debit


@dataclass
class TrialBalance:
    first: dt.date
    last: dt.date
    rows: list[BalanceRow] = field(default_factory=list)

    @property
    def debit(self) -> int:
        return sum(r.debit for r in self.rows)

    @property
    def credit(self) -> int:
        return sum(r.credit for r in self.rows)

    @property
    def balanced(self) -> bool:
        return self.debit == self.credit

    def by_type(self) -> list[tuple[str, list[BalanceRow]]]:
        return [
            (label, [r for r in self.rows if r.account.type == value])
            for value, label in AccountType.choices
        ]


def trial_balance(actor, first: dt.date, last: dt.date | None = None) -> TrialBalance:
    """Per account the debits and credits posted in the periods ``first``..``last`` (months,
    inclusive) and its balance; every account that moved or is active. One grouped query."""
    authz.require(actor, LEDGER_VIEW)
    first = first.replace(day=1)
    last = (last or first).replace(day=1)
    sums = {
        row["account"]: row
        for row in JournalLine.objects.visible_to(actor)
        .filter(entry__period__gte=first, entry__period__lte=last)
        .values("account")
        .annotate(debit=Sum("debit"), credit=Sum("credit"))
    }
    report = TrialBalance(first, last)
    for account in Account.objects.visible_to(actor).order_by("code"):
        figures = sums.get(account.pk)
        if figures is None and not account.active:
            continue
        report.rows.append(
            BalanceRow(
                account,
                figures["debit"] if figures else 0,
                figures["credit"] if figures else 0,
            )
        )
    return report


# --------------------------------------------------------------------------- export


@dataclass(frozen=True)
class ExportLine:
    entry: JournalEntry
    line: JournalLine


def export_too_large(actor, first: dt.date, last: dt.date) -> bool:
    return (
        JournalLine.objects.visible_to(actor)
        .filter(entry__period__gte=first.replace(day=1), entry__period__lte=last.replace(day=1))
        .count()
        > EXPORT_MAX_LINES
    )


def journal_export(*, actor, first: dt.date, last: dt.date, fmt: str) -> list[JournalLine]:
    """Every line of the periods ``first``..``last`` for the accounting system (oldest first,
    each with its entry and account, whose mapped code the export carries), then recorded as
    EXPORT_DATA. Read outside the audit's transaction."""
    authz.require(actor, LEDGER_EXPORT)
    first, last = first.replace(day=1), last.replace(day=1)
    lines = list(
        JournalLine.objects.visible_to(actor)
        .filter(entry__period__gte=first, entry__period__lte=last)
        .select_related("entry", "account")
        .order_by("entry__date", "entry_id", "id")[: EXPORT_MAX_LINES + 1]
    )
    with transaction.atomic():
        audit.record(
            actor=actor,
            action=AuditAction.EXPORT_DATA,
            object_type="LEDGER_JOURNAL",
            object_id="export",
            meta={
                "first": f"{first:%Y-%m}",
                "last": f"{last:%Y-%m}",
                "format": fmt,
                "lines": len(lines),
                "zone": zone_label(),
            },
        )
    return lines
