"""Payments applied to a pelanggan's bills: oldest bill first, partial payments, and what is
left over kept as the connection's credit (kelebihan bayar / uang muka) — used up by the
next bills. Each application posts one journal entry through the ``utility.payment`` rule:

    D  cash / gateway funds        amount received
    D  uang muka pelanggan         credit used (when the credit pays bills)
    K  piutang rekening air        allocated to bills
    K  uang muka pelanggan         left over (new credit)

(only the non-zero lines; the credit lines net to ``left over − credit used``).

A settled gateway payment (``payments.payment_settled``) for a ``utility.bill`` (key: the
bill's id) or a ``utility.connection`` (key: the no. sambungan) is applied here; its
``order_id`` is the receipt's reference, so a callback replayed applies nothing twice.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

from django.db import connection as db
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from amanah.audit import services as audit
from amanah.audit.models import AuditAction
from amanah.core import events
from amanah.core.errors import NotFound, ServiceError
from amanah.core.inputs import required_text
from amanah.iam import authz
from amanah.ledger.contract import PostingRule, chart, post_for
from amanah.payments.contract import settlement_applier
from amanah.utility.models import Allocation, Bill, BillStatus, Connection, Receipt
from amanah.utility.policies import CONNECTION_VIEW, INSTALLATION_VIEW, PAYMENT_APPLY

PAYMENT_APPLIED = events.declare("utility.payment_applied")
PAYMENT_RULE = "utility.payment"
BILL_PAYABLE = "utility.bill"
CONNECTION_PAYABLE = "utility.connection"
AMOUNT_MAX = 10**13
CASH_ACCOUNTS = (chart.KAS, chart.BANK, chart.DANA_GATEWAY)


def payment_lines(facts: Mapping) -> list[tuple[str, int, int]]:
    amount, used = facts["amount"], facts["credit_used"]
    allocated, kept = facts["allocated"], facts["to_credit"]
    lines = [
        (facts["cash_account"], amount, 0),
        (chart.UANG_MUKA_PELANGGAN, used, 0),
        (chart.PIUTANG_AIR, 0, allocated),
        (chart.UANG_MUKA_PELANGGAN, 0, kept),
    ]
    return [line for line in lines if line[1] or line[2]]


RULE = PostingRule(gettext_noop("Pembayaran rekening air"), PAYMENT_APPLY, payment_lines)


@dataclass(frozen=True)
class Applied:
    receipt: Receipt
    allocations: list[tuple[int, int]]  # (bill id, amount)
    replay: bool = False


def _amount(value) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < AMOUNT_MAX:
        raise ServiceError(
            "amount_invalid", _("Jumlah harus rupiah utuh, tidak negatif."), field="amount"
        )
    return value


def receipt_replayed(reference: str, *, connection, amount: int) -> Receipt | None:
    """The receipt already recorded under ``reference`` (a replay answers it), or None; the
    same reference for another connection or amount is refused. One rule for water-bill and
    RAB payments: they share the receipts table and its references."""
    existing = Receipt.objects.filter(reference=reference).first()
    if existing is not None and (
        existing.connection_id != connection.pk or existing.amount != amount
    ):
        raise ServiceError(
            "reference_taken",
            _("Referensi pembayaran ini sudah dipakai untuk pembayaran lain."),
            field="reference",
        )
    return existing


_RECEIPT_COLUMNS = [f for f in Receipt._meta.concrete_fields if not f.primary_key]


def receipt_create(**fields) -> Receipt:
    """A new receipt; the same reference recorded by a concurrent call is a clear refusal.

    ``INSERT … ON CONFLICT (reference) DO NOTHING``: a reference taken meanwhile inserts
    nothing (after waiting for the other transaction) instead of raising, so no savepoint is
    needed to recover from it (a gateway callback used to pay two round trips for one)."""
    receipt = Receipt(**fields)
    columns = ", ".join(db.ops.quote_name(f.column) for f in _RECEIPT_COLUMNS)
    values = [f.get_db_prep_save(f.pre_save(receipt, True), db) for f in _RECEIPT_COLUMNS]
    with db.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {Receipt._meta.db_table} ({columns}) "  # noqa: S608 (model's own names)
            f"VALUES ({', '.join(['%s'] * len(values))}) "
            "ON CONFLICT (reference) DO NOTHING RETURNING id",
            values,
        )
        row = cursor.fetchone()
    if row is None:
        raise ServiceError(
            "reference_taken", _("Referensi pembayaran ini baru saja dicatat."), field="reference"
        )
    receipt.pk = row[0]
    receipt._state.adding, receipt._state.db = False, db.alias
    return receipt


def payment_apply(
    *,
    actor,
    connection_id,
    amount: int,
    reference: str,
    paid_on: dt.date | None = None,
    source: str = "cashier",
    cash_account: str = chart.KAS,
) -> Applied:
    """Apply ``amount`` (and the connection's credit) to its open bills, oldest first; keep the
    rest as credit; post the journal entry. Idempotent by ``reference``: the same reference
    again answers the first receipt (a different amount under it is refused).

    Inside the caller's transaction (a gateway callback's) no savepoint is opened: nothing
    here is recovered from, so a refusal after the checks ends the caller's transaction too."""
    authz.require(actor, PAYMENT_APPLY)
    amount = _amount(amount)
    reference = required_text(reference, field="reference", label=_("Referensi"), maximum=80)
    if cash_account not in CASH_ACCOUNTS:
        raise ServiceError("cash_account_invalid", _("Akun kas tidak dikenal."))
    with transaction.atomic(savepoint=False):
        return _payment_apply(
            actor,
            connection_id,
            amount=amount,
            reference=reference,
            paid_on=paid_on,
            source=source,
            cash_account=cash_account,
        )


def _payment_apply(
    actor, connection_id, *, amount, reference, paid_on, source, cash_account
) -> Applied:
    try:
        connection = (
            Connection.objects.visible_to(actor)
            .select_for_update(of=("self",))
            .filter(pk=int(connection_id))
            .first()
        )
    except (ValueError, TypeError, OverflowError):
        connection = None
    if connection is None:
        raise NotFound()
    # Asked after the lock (a statement of its own, so its snapshot sees a concurrent call's
    # receipt once that call has committed and released the connection).
    existing = receipt_replayed(reference, connection=connection, amount=amount)
    if existing is not None:
        return Applied(existing, list(existing.allocations.values_list("bill_id", "amount")), True)
    if amount == 0 and connection.credit == 0:
        raise ServiceError("amount_invalid", _("Jumlah pembayaran harus lebih dari nol."))
    return _apply(
        actor,
        connection,
        amount=amount,
        reference=reference,
        paid_on=paid_on or timezone.localdate(),
        source=source,
        cash_account=cash_account,
    )


def allocate(amount: int, credit: int, open_bills) -> tuple[list, int, int]:
    """The one rule of where a payment goes: ``amount`` plus the connection's ``credit`` pays
    its ``open_bills`` oldest first (the caller orders them by period), each bill's ``paid``
    and ``status`` set on the object; the rest goes to credit. Returns the allocations
    ``[(bill, part)]``, the credit used and the amount put to credit. Used by one payment
    (:func:`payment_apply`) and by a batch of gateway payments (``utility.payments_batch``)."""
    available = amount + credit
    allocations = []
    for bill in open_bills:
        if available <= 0:
            break
        part = min(available, bill.total - bill.paid)
        if part <= 0:
            continue
        bill.paid += part
        bill.status = BillStatus.PAID if bill.paid == bill.total else BillStatus.OPEN
        allocations.append((bill, part))
        available -= part
    allocated = sum(part for _b, part in allocations)
    credit_used = min(credit, max(0, allocated - amount))
    to_credit = max(0, amount - allocated)
    return allocations, credit_used, to_credit


def _apply(actor, connection, *, amount, reference, paid_on, source, cash_account) -> Applied:
    bills = (
        Bill.objects.select_for_update()
        .filter(connection=connection, status=BillStatus.OPEN)
        .order_by("period", "id")
    )
    paid, credit_used, to_credit = allocate(amount, connection.credit, bills)
    for bill, _part in paid:
        bill.save(update_fields=["paid", "status"])
    allocations = [(bill.pk, part) for bill, part in paid]
    allocated = sum(part for _b, part in allocations)
    if amount == 0 and not allocations:
        return Applied(Receipt(connection=connection, amount=0), [])
    receipt = receipt_create(
        connection=connection,
        reference=reference,
        amount=amount,
        credit_used=credit_used,
        to_credit=to_credit,
        paid_on=paid_on,
        source=source[:60],
    )
    Allocation.objects.bulk_create(
        Allocation(receipt=receipt, bill_id=bill_id, amount=part) for bill_id, part in allocations
    )
    if credit_used or to_credit:  # most payments pay exactly their bills: nothing to write
        connection.credit = connection.credit - credit_used + to_credit
        connection.save(update_fields=["credit"])
    post_for(
        actor=actor,
        rule=PAYMENT_RULE,
        source_key=f"utility.receipt:{receipt.pk}",
        date=paid_on,
        description=_("Pembayaran rekening air %(number)s") % {"number": connection.number},
        amount=amount,
        credit_used=credit_used,
        allocated=allocated,
        to_credit=to_credit,
        cash_account=cash_account,
    )
    events.emit(PAYMENT_APPLIED, actor=actor, receipt=receipt)
    audit.record(
        actor=actor,
        action=AuditAction.APPLY_WATER_PAYMENT,
        obj=receipt,
        meta={
            "amount": amount,
            "allocated": allocated,
            "bills": len(allocations),
            "credit_used": credit_used,
            "to_credit": to_credit,
            "source": source[:60],
        },
    )
    return Applied(receipt, allocations)


def credit_apply(*, actor, connection_id, on: dt.date | None = None) -> Applied | None:
    """Use a connection's credit for its open bills (after a billing run), as a receipt of 0
    with the credit moved to the bills. None when there is nothing to do."""
    connection = Connection.objects.filter(pk=connection_id).only("credit").first()
    if connection is None or connection.credit == 0:
        return None
    if not Bill.objects.filter(connection_id=connection_id, status=BillStatus.OPEN).exists():
        return None
    day = on or timezone.localdate()
    done = Receipt.objects.filter(connection_id=connection_id, source="credit").count()
    return payment_apply(
        actor=actor,
        connection_id=connection_id,
        amount=0,
        reference=f"credit:{connection_id}:{day:%Y%m%d}:{done + 1}",
        paid_on=day,
        source="credit",
    )


# --------------------------------------------------------------------------- gateway payments

# What applying a settled gateway payment needs, and nothing more: record it (and its journal
# entry, whose rule asks PAYMENT_APPLY), and read the connection or the new connection it pays
# in any branch.
GATEWAY_GRANTS = (PAYMENT_APPLY, CONNECTION_VIEW, INSTALLATION_VIEW)


def gateway_applier(actor):
    """The actor that applies a gateway's settled payments here: that gateway's
    integrations system (``actor``, the payments event's), holding ``GATEWAY_GRANTS`` alone."""
    return settlement_applier(actor, GATEWAY_GRANTS)


def _connection_of_payable(payable_type: str, payable_key: str) -> int | None:
    if payable_type == BILL_PAYABLE:
        try:
            return (
                Bill.objects.filter(pk=int(payable_key))
                .values_list("connection_id", flat=True)
                .first()
            )
        except (ValueError, OverflowError):
            return None
    if payable_type == CONNECTION_PAYABLE:
        return Connection.objects.filter(number=payable_key).values_list("pk", flat=True).first()
    return None


def payment_settled(*, actor, payment) -> None:
    """``payments.payment_settled`` for one of ours: apply what arrived to the connection's
    bills (oldest first), as the gateway's integrations system narrowed to
    ``GATEWAY_GRANTS`` (``gateway_applier``), the gateway named in the receipt's source and
    the audit trail. (The callbacks job applies water bills a batch at a time,
    ``payments_batch``; this is the same rule for one.)"""
    if payment.payable_type not in (BILL_PAYABLE, CONNECTION_PAYABLE):
        return
    applier = gateway_applier(actor)
    connection_id = _connection_of_payable(payment.payable_type, payment.payable_key)
    if connection_id is None:
        return  # nothing of ours under that key: reconciliation shows the payment
    settled = timezone.localdate(payment.settled_at) if payment.settled_at else None
    payment_apply(
        actor=applier,
        connection_id=connection_id,
        amount=int(payment.paid_amount if payment.paid_amount is not None else payment.amount),
        reference=payment.order_id,
        paid_on=settled,
        source=f"gateway:{payment.provider}:{getattr(actor, 'username', '')}"[:60],
        cash_account=chart.DANA_GATEWAY,
    )
