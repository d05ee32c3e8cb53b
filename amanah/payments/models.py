"""Payments through the gateways (Midtrans, Xendit) by Virtual Account or QRIS, every raw
callback they send, and the daily reconciliation of their settlement files.

A payment pays something another app owns (a bill, an installment): it names it only by a
generic reference (``payable_type`` + ``payable_key``) and the amount expected. Payments never
imports the owner; the owner reacts to ``payments.payment_settled`` (or ``payment_mismatch``).
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.timezone import now
from django.utils.translation import gettext_lazy as _

from amanah.core import scopes
from amanah.payments.policies import PAYMENT_CALLBACK_VIEW, PAYMENT_RECONCILE, PAYMENT_VIEW


class Provider(models.TextChoices):
    MIDTRANS = "MIDTRANS", _("Midtrans")
    XENDIT = "XENDIT", _("Xendit")


class Method(models.TextChoices):
    VA = "VA", _("Virtual Account")
    QRIS = "QRIS", _("QRIS")


class PaymentStatus(models.TextChoices):
    PENDING = "PENDING", _("Menunggu pembayaran")
    SETTLED = "SETTLED", _("Lunas")
    EXPIRED = "EXPIRED", _("Kedaluwarsa")
    FAILED = "FAILED", _("Gagal")
    CANCELLED = "CANCELLED", _("Dibatalkan")


# A status only moves to a higher rank (monotonic): a late "pending" after "settlement" is
# ignored, and the final states never change into one another.
STATUS_RANK = {
    PaymentStatus.PENDING: 0,
    PaymentStatus.SETTLED: 1,
    PaymentStatus.EXPIRED: 1,
    PaymentStatus.FAILED: 1,
    PaymentStatus.CANCELLED: 1,
}


class Payment(models.Model):
    """One payment request sent to a gateway (order id unique across providers), amount in
    whole rupiah. ``paid_amount`` is what the gateway reported; when it differs from
    ``amount`` the payment is kept as a mismatch (``amount_mismatch``) and never applied.
    ``branch`` scopes it for finance (the payable's branch, given by the owner)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    order_id = models.CharField(max_length=50, unique=True)
    provider = models.CharField(max_length=12, choices=Provider.choices)
    method = models.CharField(max_length=8, choices=Method.choices)
    amount = models.BigIntegerField()
    status = models.CharField(
        max_length=12, choices=PaymentStatus.choices, default=PaymentStatus.PENDING
    )
    payable_type = models.CharField(max_length=60)
    payable_key = models.CharField(max_length=80)
    branch = models.ForeignKey(
        "iam.Branch", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    va_bank = models.CharField(max_length=20, blank=True)
    va_number = models.CharField(max_length=40, blank=True)
    qris_payload = models.TextField(blank=True)
    provider_reference = models.CharField(max_length=80, blank=True)
    paid_amount = models.BigIntegerField(null=True, blank=True)
    amount_mismatch = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=now)
    expires_at = models.DateTimeField()
    settled_at = models.DateTimeField(null=True, blank=True)
    status_changed_at = models.DateTimeField(default=now)
    last_checked_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    objects = scopes.ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["payable_type", "payable_key"]),
            models.Index(
                fields=["created_at"],
                name="payment_pending_idx",
                condition=Q(status="PENDING"),
            ),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="payment_amount_positive"),
            models.CheckConstraint(
                condition=Q(status__in=PaymentStatus.values), name="payment_status_known"
            ),
            models.CheckConstraint(
                condition=Q(provider__in=Provider.values), name="payment_provider_known"
            ),
            models.CheckConstraint(
                condition=Q(method__in=Method.values), name="payment_method_known"
            ),
            models.CheckConstraint(
                condition=Q(status="SETTLED", settled_at__isnull=False, paid_amount__isnull=False)
                | (~Q(status="SETTLED") & Q(settled_at__isnull=True)),
                name="payment_settled_has_time_and_amount",
            ),
            models.CheckConstraint(
                condition=Q(amount_mismatch=False)
                | (Q(paid_amount__isnull=False) & ~Q(paid_amount=models.F("amount"))),
                name="payment_mismatch_means_different_amount",
            ),
        ]

    def __str__(self) -> str:
        return self.order_id

    @property
    def is_final(self) -> bool:
        return self.status != PaymentStatus.PENDING


class Verdict(models.TextChoices):
    RECEIVED = "RECEIVED", _("Diterima, menunggu diproses")
    ACCEPTED = "ACCEPTED", _("Diterima dan diterapkan")
    REJECTED = "REJECTED", _("Ditolak (tanda tangan/token tidak sah)")
    DUPLICATE = "DUPLICATE", _("Duplikat (sudah diterapkan)")
    IGNORED = "IGNORED", _("Diabaikan")
    DISAGREED = "DISAGREED", _("Ditolak: berbeda dengan konfirmasi gateway")


class CallbackSource(models.TextChoices):
    CALLBACK = "CALLBACK", _("Callback gateway")
    POLL = "POLL", _("Cek status (polling)")
    CONFIRM = "CONFIRM", _("Konfirmasi API status gateway")


class RawCallback(models.Model):
    """Every callback a gateway sent (and every status answer the poll got, and every answer
    of the status API that contradicted a callback: source CONFIRM), stored exactly as
    received *before* it is processed: provider, a subset of headers without secrets, the
    raw body, when. Append-only (a trigger): only the verdict, its reason, the payment and the
    processing time may be set, once, on a row that has none yet — or, on a row the endpoint
    authenticated (RECEIVED: waiting for the processing job), once more to its final verdict;
    no DELETE."""

    id = models.BigAutoField(primary_key=True)
    provider = models.CharField(max_length=12, choices=Provider.choices)
    source = models.CharField(
        max_length=10, choices=CallbackSource.choices, default=CallbackSource.CALLBACK
    )
    received_at = models.DateTimeField(default=now)
    headers = models.JSONField(default=dict)
    body = models.TextField()
    order_id = models.CharField(max_length=50, blank=True)
    verdict = models.CharField(max_length=10, choices=Verdict.choices, blank=True)
    reason = models.CharField(max_length=60, blank=True)
    payment = models.ForeignKey(
        Payment, on_delete=models.PROTECT, null=True, blank=True, related_name="callbacks"
    )
    processed_at = models.DateTimeField(null=True, blank=True)

    objects = scopes.ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-received_at", "-id"]
        indexes = [
            models.Index(fields=["order_id"]),
            # The processing job's queue: authenticated callbacks not applied yet (a handful
            # at any time, so the index stays tiny however large the table grows).
            models.Index(
                fields=["id"], name="rawcallback_received_idx", condition=Q(verdict="RECEIVED")
            ),
            # Disagreements with the status API (the sync monitor counts a day's; a payment's
            # page marks its own): rare rows, a tiny index.
            models.Index(
                fields=["received_at"],
                name="rawcallback_disagreed_idx",
                condition=Q(verdict="DISAGREED"),
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(verdict="") | Q(verdict__in=Verdict.values),
                name="rawcallback_verdict_known",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.provider} #{self.pk}"

    @property
    def reason_label(self):
        return reason_label(self.reason)


class ReconciliationRun(models.Model):
    """One settlement file of one provider compared with the payments (daily, or uploaded).
    The same file (by SHA-256) is reconciled once per provider."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    provider = models.CharField(max_length=12, choices=Provider.choices)
    settlement_date = models.DateField()
    file_name = models.CharField(max_length=200)
    file_sha256 = models.CharField(max_length=64)
    rows = models.PositiveIntegerField(default=0)
    matched = models.PositiveIntegerField(default=0)
    mismatched = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    objects = scopes.ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-settlement_date", "-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "file_sha256"], name="reconciliation_file_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.provider} {self.settlement_date}"


class ItemKind(models.TextChoices):
    MATCHED = "MATCHED", _("Cocok")
    AMOUNT_DIFFERS = "AMOUNT_DIFFERS", _("Nominal berbeda")
    NOT_SETTLED_HERE = "NOT_SETTLED_HERE", _("Lunas di gateway, belum lunas di sistem")
    MISSING_IN_FILE = "MISSING_IN_FILE", _("Lunas di sistem, tidak ada di file")
    UNKNOWN_ORDER = "UNKNOWN_ORDER", _("Order tidak dikenal")


class ReconciliationItem(models.Model):
    """One line of the report: a file row and/or a payment, and how they compare."""

    id = models.BigAutoField(primary_key=True)
    run = models.ForeignKey(ReconciliationRun, on_delete=models.CASCADE, related_name="items")
    kind = models.CharField(max_length=20, choices=ItemKind.choices)
    order_id = models.CharField(max_length=50)
    file_amount = models.BigIntegerField(null=True, blank=True)
    system_amount = models.BigIntegerField(null=True, blank=True)
    payment = models.ForeignKey(
        Payment, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    objects = scopes.ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["kind", "order_id"]

    def __str__(self) -> str:
        return f"{self.order_id}: {self.kind}"


scopes.register(Payment, view=PAYMENT_VIEW, branch="branch")
scopes.register(RawCallback, view=PAYMENT_CALLBACK_VIEW)
scopes.register(ReconciliationRun, view=PAYMENT_RECONCILE)
scopes.register(ReconciliationItem, view=PAYMENT_RECONCILE)


# The fields a disagreement with the status API names (reason ``disagreed:<code>,<code>``;
# ``payments.confirmation``), with their labels.
DIFFERENCES = {
    "unknown": _("gateway tidak mengenal pembayaran ini"),
    "signed": _("status tidak sesuai status_code yang ditandatangani"),
    "status": _("status"),
    "amount": _("nominal"),
    "currency": _("mata uang"),
    "method": _("metode"),
    "ref": _("referensi transaksi"),
    "va": _("nomor VA"),
    "order": _("nomor order"),
}

REASON_LABELS = {
    "unknown_order": _("Order tidak dikenal"),
    "untracked": _("Status gateway yang tidak diikuti"),
    "already": _("Status ini sudah tercatat"),
    "settled_other_amount": _("Sudah lunas dengan nominal lain"),
    "out_of_order": _("Datang terlambat: status sudah lebih maju"),
    "to": _("Status diterapkan"),
    "bad_signature": _("Tanda tangan/token salah"),
    "no_integration": _("Sistem integrasi gateway belum terdaftar"),
    "no_usable_key": _("Sistem integrasi tanpa kunci API aktif"),
    "grants_not_payment_only": _("Izin sistem integrasi bukan khusus pembayaran"),
    "address_not_allowed": _("Alamat pengirim di luar daftar izin"),
    "malformed": _("Isi tidak dapat dibaca"),
    "unknown_at_gateway": _("Gateway tidak mengenal pembayaran ini"),
    "unusable_answer": _("Jawaban gateway untuk order atau mata uang lain: tidak diterapkan"),
}


def reason_label(reason: str):
    """The label of a verdict's reason (``out_of_order:settled`` → its prefix's label; a
    disagreement names the fields that differ)."""
    prefix, _sep, rest = (reason or "").partition(":")
    if prefix == "disagreed":
        fields = ", ".join(str(DIFFERENCES.get(code, code)) for code in rest.split(",") if code)
        return _("Berbeda dengan API status gateway: %(fields)s") % {"fields": fields}
    return REASON_LABELS.get(prefix, reason or "—")
