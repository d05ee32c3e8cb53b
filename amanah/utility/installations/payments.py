"""Payments of a billed RAB (oldest installment first, denda before principal) and the
late fees (denda) of overdue installments, with their journal rules."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from amanah.audit import services as audit
from amanah.audit.models import AuditAction
from amanah.core import events
from amanah.core.errors import NotFound, ServiceError
from amanah.core.inputs import required_text
from amanah.iam import authz
from amanah.ledger.contract import PostingRule, chart, post_for, simple_rule
from amanah.utility import installments as math
from amanah.utility.accounts import AMOUNT_MAX, CASH_ACCOUNTS, receipt_create, receipt_replayed
from amanah.utility.installations.common import (
    INSTALLATION_PAYABLE,
    LATE_FEE_RULE,
    LATE_FEES_ASSESSED,
    RAB_PAYMENT_APPLIED,
    RAB_PAYMENT_RULE,
    installation_for_update,
)
from amanah.utility.models import (
    Connection,
    Installation,
    Installment,
    InstallmentAllocation,
    LateFee,
    Receipt,
)
from amanah.utility.policies import (
    BILLING_RUN,
    PAYMENT_APPLY,
)


def rab_payment_lines(facts: Mapping) -> list[tuple[str, int, int]]:
    lines = [
        (facts["cash_account"], facts["amount"], 0),
        (chart.PIUTANG_SAMBUNGAN, 0, facts["principal"]),
        (chart.PIUTANG_DENDA, 0, facts["late_fee"]),
        (chart.UANG_MUKA_PELANGGAN, 0, facts["to_credit"]),
    ]
    return [line for line in lines if line[1] or line[2]]


RAB_PAYMENT = PostingRule(
    gettext_noop("Pembayaran RAB / angsuran sambungan baru"), PAYMENT_APPLY, rab_payment_lines
)
LATE_FEE = simple_rule(
    gettext_noop("Denda keterlambatan angsuran"),
    BILLING_RUN,
    debit=chart.PIUTANG_DENDA,
    credit=chart.PENDAPATAN_DENDA,
)


# --------------------------------------------------------------------------- payments


@dataclass(frozen=True)
class RabApplied:
    receipt: Receipt
    allocations: list[tuple[int, int, int]]  # (installment id, principal, late fee)
    replay: bool = False


def allocate(installments, available: int) -> list[tuple[object, int, int]]:
    """Oldest installment first (due date, then number); in each its denda before its
    principal. Returns (installment, principal, late fee) for the parts that got money."""
    parts = []
    for row in sorted(installments, key=lambda r: (r.due_on, r.seq)):
        if available <= 0:
            break
        fee = min(available, row.late_fee - row.late_fee_paid)
        available -= fee
        principal = min(available, row.amount - row.paid)
        available -= principal
        if fee or principal:
            parts.append((row, principal, fee))
    return parts


@transaction.atomic
def rab_payment_apply(
    *,
    actor,
    installation_id,
    amount: int,
    reference: str,
    paid_on: dt.date | None = None,
    source: str = "cashier",
    cash_account: str = chart.KAS,
) -> RabApplied:
    """Apply a payment to a billed RAB's installments, oldest first (denda, then principal);
    what is left over becomes the connection's credit (used by its water bills). Idempotent
    by ``reference`` like a water-bill payment (one receipts table)."""
    authz.require(actor, PAYMENT_APPLY)
    if isinstance(amount, bool) or not isinstance(amount, int) or not 0 < amount < AMOUNT_MAX:
        raise ServiceError(
            "amount_invalid", _("Jumlah harus rupiah utuh lebih dari nol."), field="amount"
        )
    reference = required_text(reference, field="reference", label=_("Referensi"), maximum=80)
    if cash_account not in CASH_ACCOUNTS:
        raise ServiceError("cash_account_invalid", _("Akun kas tidak dikenal."))
    installation = installation_for_update(actor, installation_id)
    connection = Connection.objects.select_for_update(of=("self",)).get(
        pk=installation.connection_id
    )
    existing = receipt_replayed(reference, connection=connection, amount=amount)
    if existing is not None:
        rows = existing.installment_allocations.values_list(
            "installment_id", "principal", "late_fee"
        )
        return RabApplied(existing, list(rows), True)
    rows = list(Installment.objects.select_for_update().filter(installation=installation))
    if not rows:
        raise ServiceError("rab_not_billed", _("RAB belum ditagihkan (cara bayar belum ada)."))
    parts = allocate(rows, amount)
    principal = sum(p for _r, p, _f in parts)
    late_fee = sum(f for _r, _p, f in parts)
    to_credit = amount - principal - late_fee
    day = paid_on or timezone.localdate()
    receipt = receipt_create(
        connection=connection,
        reference=reference,
        amount=amount,
        to_credit=to_credit,
        paid_on=day,
        source=f"rab:{source}"[:60],
    )
    for row, part, fee in parts:
        Installment.objects.filter(pk=row.pk).update(
            paid=F("paid") + part, late_fee_paid=F("late_fee_paid") + fee
        )
    InstallmentAllocation.objects.bulk_create(
        InstallmentAllocation(receipt=receipt, installment=row, principal=part, late_fee=fee)
        for row, part, fee in parts
    )
    if to_credit:
        Connection.objects.filter(pk=connection.pk).update(credit=F("credit") + to_credit)
    post_for(
        actor=actor,
        rule=RAB_PAYMENT_RULE,
        source_key=f"utility.receipt:{receipt.pk}",
        date=day,
        description=_("Pembayaran RAB %(number)s") % {"number": installation.number},
        amount=amount,
        principal=principal,
        late_fee=late_fee,
        to_credit=to_credit,
        cash_account=cash_account,
    )
    audit.record(
        actor=actor,
        action=AuditAction.APPLY_RAB_PAYMENT,
        obj=receipt,
        meta={
            "amount": amount,
            "principal": principal,
            "late_fee": late_fee,
            "to_credit": to_credit,
            "installments": len(parts),
            "source": source[:60],
        },
    )
    events.emit(RAB_PAYMENT_APPLIED, actor=actor, receipt=receipt, installation=installation)
    return RabApplied(receipt, [(row.pk, part, fee) for row, part, fee in parts])


def payment_settled(*, actor, payment) -> None:
    """A settled gateway payment for a ``utility.installation`` (key: its id): applied to the
    RAB's installments as the gateway's integrations system narrowed to the utility's payment
    grants (``accounts.gateway_applier``, as water bills)."""
    from amanah.utility.accounts import gateway_applier

    if payment.payable_type != INSTALLATION_PAYABLE:
        return
    applier = gateway_applier(actor)
    try:
        installation_id = int(payment.payable_key)
    except (ValueError, TypeError):
        return
    if not Installation.objects.filter(pk=installation_id).exists():
        return  # nothing of ours: reconciliation shows it
    settled = timezone.localdate(payment.settled_at) if payment.settled_at else None
    rab_payment_apply(
        actor=applier,
        installation_id=installation_id,
        amount=int(payment.paid_amount if payment.paid_amount is not None else payment.amount),
        reference=payment.order_id,
        paid_on=settled,
        source=f"gateway:{payment.provider}"[:50],
        cash_account=chart.DANA_GATEWAY,
    )


def rab_payment_request(
    *, actor, installation_id, method: str = "QRIS", provider: str = "MIDTRANS"
):
    """A gateway payment (QRIS or VA, ``payments.payment_request``) of what is due now on a
    billed RAB: the outstanding of its oldest unsettled installment (denda included). The
    settled callback comes back as ``payment_settled`` below, which applies it. The
    installation is read through the actor's scope (out of scope: 404)."""
    from amanah.payments.contract import payment_request

    try:
        installation = (
            Installation.objects.visible_to(actor)
            .select_related("connection")
            .filter(pk=int(installation_id))
            .first()
        )
    except (ValueError, TypeError, OverflowError):
        installation = None
    if installation is None:
        raise NotFound()
    rows = sorted(
        Installment.objects.filter(installation=installation), key=lambda r: (r.due_on, r.seq)
    )
    if not rows:
        raise ServiceError("rab_not_billed", _("RAB belum ditagihkan (cara bayar belum ada)."))
    due = next((row for row in rows if row.outstanding > 0), None)
    if due is None:
        raise ServiceError("rab_settled", _("RAB sudah lunas; tidak ada yang perlu dibayar."))
    return payment_request(
        actor=actor,
        payable_type=INSTALLATION_PAYABLE,
        payable_key=str(installation.pk),
        amount=int(due.outstanding),
        method=method,
        provider=provider,
        branch=installation.connection.branch,
    )


# --------------------------------------------------------------------------- late fees


def late_fee_rule() -> math.LateFeeRule:
    conf = settings.UTILITY_LATE_FEE
    return math.LateFeeRule(
        percent=Decimal(str(conf.get("percent", "2"))),
        flat=int(conf.get("flat", 0)),
        cap_percent=Decimal(str(conf.get("cap_percent", "10"))),
    )


@dataclass(frozen=True)
class Assessed:
    fees: int
    amount: int


@transaction.atomic
def late_fees_assess(*, actor, as_of: dt.date | None = None) -> Assessed:
    """Charge the denda of every overdue, unpaid installment up to ``as_of``: each month late
    once (a unique key), capped by the rule; one journal entry per fee. Idempotent: running
    it again the same day charges nothing."""
    authz.require(actor, BILLING_RUN)
    as_of = as_of or timezone.localdate()
    rule = late_fee_rule()
    overdue = (
        Installment.objects.select_for_update(of=("self",))
        .filter(due_on__lt=as_of, paid__lt=F("amount"))
        .select_related("installation")
        .order_by("id")
    )
    made = []
    for row in overdue:
        charged = dict(row.late_fees.values_list("months_late", "amount"))
        due = math.fees_due(
            rule,
            amount=row.amount,
            outstanding=row.amount - row.paid,
            months=math.months_late(row.due_on, as_of),
            charged=charged,
        )
        if not due:
            continue
        fees = LateFee.objects.bulk_create(
            LateFee(installment=row, months_late=month, amount=fee, assessed_on=as_of)
            for month, fee in due
        )
        Installment.objects.filter(pk=row.pk).update(
            late_fee=F("late_fee") + sum(fee for _m, fee in due)
        )
        for fee in fees:
            post_for(
                actor=actor,
                rule=LATE_FEE_RULE,
                source_key=f"utility.late_fee:{fee.pk}",
                date=as_of,
                description=_("Denda angsuran %(number)s ke-%(seq)d, bulan ke-%(month)d")
                % {"number": row.installation.number, "seq": row.seq, "month": fee.months_late},
                amount=fee.amount,
            )
        made += fees
    total = sum(fee.amount for fee in made)
    if made:
        audit.record(
            actor=actor,
            action=AuditAction.ASSESS_LATE_FEES,
            object_type="LATE_FEES",
            object_id=as_of.isoformat(),
            meta={"fees": len(made), "amount": total},
        )
        events.emit(LATE_FEES_ASSESSED, actor=actor, fee_ids=[fee.pk for fee in made])
    return Assessed(len(made), total)
