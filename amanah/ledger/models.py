"""The automatic journal (issue 17): ordinary double-entry bookkeeping (SAK EP, DESIGN §6)
with a PDAM chart of accounts.

The rules that make it a ledger are kept by PostgreSQL itself (migration 0002), not only by
the services: an entry whose debits differ from its credits, or that has fewer than two lines,
is refused at commit (a deferred constraint trigger); posted entries and lines are never
changed or deleted (a correction is a reversing entry); nothing is posted into a closed period.
Amounts are whole rupiah (integers).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from amanah.core import scopes
from amanah.ledger.policies import LEDGER_VIEW


class AccountType(models.TextChoices):
    ASSET = "ASSET", _("Aset")
    LIABILITY = "LIABILITY", _("Liabilitas")
    EQUITY = "EQUITY", _("Ekuitas")
    INCOME = "INCOME", _("Pendapatan")
    EXPENSE = "EXPENSE", _("Beban")


# The side on which an account of each type normally carries its balance.
DEBIT_NORMAL = frozenset({AccountType.ASSET, AccountType.EXPENSE})


class Account(models.Model):
    """One account of the chart of accounts. ``code`` is ours and never changes once lines
    use it; ``external_code`` is the account's code in the accounting system the journal is
    exported to (the account mapping; empty = same as ``code``). An inactive account takes no
    new postings and keeps its history."""

    code = models.CharField(_("kode akun"), max_length=20, unique=True)
    name = models.CharField(_("nama akun"), max_length=120)
    type = models.CharField(_("jenis"), max_length=16, choices=AccountType.choices)
    external_code = models.CharField(_("kode di sistem akuntansi"), max_length=40, blank=True)
    active = models.BooleanField(_("aktif"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = scopes.ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(type__in=AccountType.values), name="ledger_account_type_known"
            ),
            models.CheckConstraint(condition=~Q(code=""), name="ledger_account_code_not_empty"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    @property
    def mapped_code(self) -> str:
        return self.external_code or self.code

    @property
    def debit_normal(self) -> bool:
        return self.type in DEBIT_NORMAL


class Period(models.Model):
    """An accounting period: one calendar month (``month`` is its first day). A row exists
    once anything was posted into the month or it was closed; ``closed`` refuses postings
    (service and trigger). Closing and reopening are audited; a reopen keeps its reason."""

    month = models.DateField(_("periode"), unique=True)
    closed = models.BooleanField(_("ditutup"), default=False)
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reopen_reason = models.CharField(max_length=500, blank=True)

    objects = scopes.ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-month"]
        constraints = [
            models.CheckConstraint(
                condition=Q(month__day=1), name="ledger_period_is_first_of_month"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m}"


class JournalEntry(models.Model):
    """One posted journal entry. ``source_key`` names the business fact it records (a bill,
    a payment, a late fee, a reversal …) and is unique: posting the same fact twice finds the
    first entry. ``reverses`` points at the entry this one cancels (at most one reversal per
    entry). Append-only: the database refuses UPDATE and DELETE."""

    date = models.DateField(_("tanggal"))
    period = models.DateField(_("periode"))  # first day of the date's month
    description = models.CharField(_("keterangan"), max_length=300)
    source_type = models.CharField(_("jenis sumber"), max_length=64)
    source_key = models.CharField(_("kunci sumber"), max_length=200, unique=True)
    reverses = models.OneToOneField(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reversed_by",
    )
    created_at = models.DateTimeField(_("dicatat pada"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_by_label = models.CharField(max_length=150, blank=True)  # system / integration

    objects = scopes.ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-date", "-id"]
        indexes = [
            models.Index(fields=["period", "date"], name="ledger_entry_period_date"),
            models.Index(fields=["source_type", "-date"], name="ledger_entry_source_date"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(source_key="") & ~Q(source_type=""),
                name="ledger_entry_source_named",
            ),
            models.CheckConstraint(
                condition=~Q(reverses=F("id")), name="ledger_entry_not_own_reversal"
            ),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def number(self) -> str:
        return f"JU-{self.pk:08d}" if self.pk else "JU-?"


class JournalLine(models.Model):
    """One line of an entry: an account and a whole-rupiah amount on exactly one side."""

    entry = models.ForeignKey(JournalEntry, on_delete=models.PROTECT, related_name="lines")
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="lines")
    debit = models.BigIntegerField(_("debit"), default=0)
    credit = models.BigIntegerField(_("kredit"), default=0)

    objects = scopes.ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["account", "entry"], name="ledger_line_account")]
        constraints = [
            models.CheckConstraint(
                condition=(Q(debit__gt=0, credit=0) | Q(debit=0, credit__gt=0)),
                name="ledger_line_one_side",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.account_id} D{self.debit} K{self.credit}"


# The journal is the institution's, not a branch's: whoever may read it reads all of it.
scopes.register(Account, view=LEDGER_VIEW)
scopes.register(Period, view=LEDGER_VIEW)
scopes.register(JournalEntry, view=LEDGER_VIEW)
scopes.register(JournalLine, via="entry")
