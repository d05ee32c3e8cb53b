"""Insight tables (seed 001 §1): the customer transaction feed, its monthly rollup, and every
RFM run with one scored row per customer, so movement between segments stays visible."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.timezone import now
from django.utils.translation import gettext_lazy as _

from amanah.core import scopes
from amanah.insight.policies import RFM_RUN
from amanah.insight.rules import ClvProxy, Segment

MAX_AMOUNT = 10**15  # IDR; larger than any single booking, far below bigint


class TxChannel(models.TextChoices):
    QRIS = "QRIS", _("QRIS")
    MOBILE = "MOBILE", _("Mobile banking")
    ATM = "ATM", _("ATM")
    TELLER = "TELLER", _("Teller cabang")
    EDC = "EDC", _("Kartu debit (EDC)")
    TRANSFER = "TRANSFER", _("Transfer")
    PAYROLL = "PAYROLL", _("Gaji (payroll)")


class MerchantCategory(models.TextChoices):
    FNB = "FNB", _("Makanan & minuman")
    GROCERY = "GROCERY", _("Belanja harian")
    FUEL = "FUEL", _("Bahan bakar")
    FASHION = "FASHION", _("Pakaian")
    HEALTH = "HEALTH", _("Kesehatan")
    EDUCATION = "EDUCATION", _("Pendidikan")
    UTILITY = "UTILITY", _("Tagihan & utilitas")
    TRAVEL = "TRAVEL", _("Perjalanan")
    OTHER = "OTHER", _("Lainnya")


class Transaction(models.Model):
    """One booked customer transaction (the feed; imports arrive through integrations).

    Amounts are whole rupiah, never negative (the service refuses them and a CHECK holds it
    under any writer). ``reference`` is the source system's key: a feed delivered twice
    stores each transaction once. Not partitioned yet: the RFM run reads the rollup, and the
    per-customer index serves the 360; monthly range partitions are the documented next step
    once the table outgrows one index (docs/benchmarks.md)."""

    id = models.BigAutoField(primary_key=True)
    # Indexed by tx_customer_day (customer first); no separate index of its own.
    customer = models.ForeignKey(
        "customers.Customer",
        on_delete=models.PROTECT,
        related_name="transactions",
        db_index=False,
    )
    booked_on = models.DateField()
    amount = models.BigIntegerField()
    channel = models.CharField(max_length=10, choices=TxChannel.choices)
    merchant_category = models.CharField(
        max_length=10, choices=MerchantCategory.choices, blank=True
    )
    merchant_id = models.CharField(max_length=40, blank=True)
    reference = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=now)

    objects = scopes.ScopedQuerySet.as_manager()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__gte=0) & Q(amount__lt=MAX_AMOUNT), name="tx_amount_range"
            ),
            models.UniqueConstraint(fields=["reference"], name="tx_reference_once"),
        ]
        indexes = [models.Index(fields=["customer", "booked_on"], name="tx_customer_day")]

    def __str__(self) -> str:
        return f"{self.booked_on} {self.channel} {self.amount}"


class MonthlyRollup(models.Model):
    """Per customer and calendar month: how many transactions, their total, the last day.

    Kept current set-based by ``services.transactions_record`` (one INSERT … ON CONFLICT per
    batch, in the batch's transaction); the RFM run reads twelve rows per customer instead of
    every transaction."""

    customer = models.ForeignKey(
        "customers.Customer",
        on_delete=models.CASCADE,
        related_name="monthly_rollups",
        db_index=False,  # rollup_once (customer, month) serves it
    )
    month = models.DateField()  # the first day of the month
    tx_count = models.IntegerField()
    amount_total = models.BigIntegerField()
    last_booked_on = models.DateField()

    objects = scopes.ScopedQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["customer", "month"], name="rollup_once"),
            models.CheckConstraint(
                condition=Q(tx_count__gt=0) & Q(amount_total__gte=0), name="rollup_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.customer_id} {self.month:%Y-%m}"


class RunTrigger(models.TextChoices):
    NIGHTLY = "NIGHTLY", _("Terjadwal (malam)")
    MANUAL = "MANUAL", _("Manual oleh admin")


class RfmRun(models.Model):
    """One RFM computation over every customer: its window, who started it, its counts per
    segment. Runs are kept, so a customer's move from one segment to another can be shown."""

    id = models.BigAutoField(primary_key=True)
    as_of = models.DateField()
    window_start = models.DateField()
    trigger = models.CharField(max_length=10, choices=RunTrigger.choices)
    started_by = models.CharField(max_length=150)
    started_at = models.DateTimeField(default=now)
    seconds = models.FloatField(default=0)
    customers = models.IntegerField(default=0)
    counts = models.JSONField(default=dict)  # segment code -> customers

    objects = scopes.ScopedQuerySet.as_manager()

    class Meta:
        indexes = [models.Index(fields=["-started_at"], name="rfm_run_recent")]

    def __str__(self) -> str:
        return f"RFM {self.as_of} #{self.pk}"


class RfmScore(models.Model):
    """One customer's RFM in one run. Written only by the set-based run (INSERT … SELECT);
    the reason is derived from the stored scores by ``rules.segment_reason`` so it is shown
    in the reader's language."""

    pk = models.CompositePrimaryKey("customer_id", "run_id")
    # No database FK checks: a run writes a million rows whose customers it reads from the
    # customer table in the same statement, and whose run it created in the same transaction;
    # two deferred trigger checks per row would nearly double the run (docs/benchmarks.md).
    # Deletes still cascade through the ORM; the primary key (customer, run) is the index the
    # 360 reads, the run index serves movement and clean-up.
    customer = models.ForeignKey(
        "customers.Customer",
        on_delete=models.CASCADE,
        related_name="rfm_scores",
        db_index=False,
        db_constraint=False,
    )
    run = models.ForeignKey(
        RfmRun, on_delete=models.CASCADE, related_name="scores", db_constraint=False
    )
    recency_days = models.IntegerField(null=True)  # None: no transaction in the window
    frequency_count = models.IntegerField()
    monetary_value = models.BigIntegerField()
    r = models.SmallIntegerField()
    f = models.SmallIntegerField()
    m = models.SmallIntegerField()
    total = models.SmallIntegerField()
    segment = models.CharField(max_length=16, choices=Segment.choices)
    clv_proxy = models.CharField(max_length=10, choices=ClvProxy.choices)

    objects = scopes.ScopedQuerySet.as_manager()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(r__range=(1, 5)) & Q(f__range=(1, 5)) & Q(m__range=(1, 5)),
                name="rfm_scores_1_to_5",
            ),
            models.CheckConstraint(
                condition=Q(total=models.F("r") + models.F("f") + models.F("m")),
                name="rfm_total_is_sum",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.customer_id} {self.segment}"

    @property
    def reason(self) -> str:
        from amanah.insight.rules import segment_reason

        return segment_reason(self.r, self.f, self.m, self.segment)

    @property
    def clv_icon(self) -> str:
        from amanah.insight.rules import CLV_ICON

        return CLV_ICON[ClvProxy(self.clv_proxy)]


scopes.register(Transaction, via="customer")
scopes.register(MonthlyRollup, via="customer")
scopes.register(RfmScore, via="customer")
scopes.register(RfmRun, view=RFM_RUN)


# The NBA tables live with the rest of NBA; imported here so Django finds them.
from amanah.insight.merchants.models import Merchant, MerchantRecommendation  # noqa: E402
from amanah.insight.nba.models import (  # noqa: E402
    NbaDecision,
    NbaRule,
    NbaRuleChange,
)
from amanah.insight.recovery.models import RecoveryTrigger, ServiceRecovery  # noqa: E402

__all__ = [
    "Merchant",
    "MerchantRecommendation",
    "MonthlyRollup",
    "NbaDecision",
    "NbaRule",
    "NbaRuleChange",
    "RecoveryTrigger",
    "RfmRun",
    "RfmScore",
    "ServiceRecovery",
    "Transaction",
]
