"""A batch of settled gateway payments applied to water bills at once (issue 17: 500/s).

``payments.payments_settled`` (``actor``, ``payments``) comes once per batch of the payments
callbacks job; this handler does for all of them what ``accounts.payment_apply`` does for one
— the same rule, the same rows, the same journal and audit — in a constant number of
statements per batch instead of a dozen per payment:

- the payables' connections read (two queries), then locked in id order (``FOR UPDATE`` of
  those rows alone; two batches never deadlock), and their open bills locked with them;
- the replays answered *after* the lock: a reference (the order id) that already has a
  receipt is skipped when it is the same connection and amount, refused otherwise (the whole
  batch then fails and the job applies its callbacks one at a time);
- in Python, payment after payment in the batch's order: the connection's credit and open
  bills (oldest first), as ``accounts._apply`` does;
- then the bills in one UPDATE, the receipts in one INSERT (``ON CONFLICT (reference) DO
  NOTHING``: a reference taken meanwhile fails the batch), the allocations in one INSERT, the
  credits in one UPDATE, the journal through ``ledger.post_many_for`` (set-based, one audit
  row per entry), the receipts' audit rows in one chained write, and
  ``utility.payment_applied`` for each receipt.

The application is done by the gateway's integrations system narrowed to the utility's
payment grants (``accounts.gateway_applier``: record the payment and its journal entry, read
the connections), as ``accounts.payment_settled`` — never an actor holding every permission.
"""

from __future__ import annotations

from collections import defaultdict

from django.db import connection as db
from django.utils import timezone
from django.utils.translation import gettext as _

from amanah.audit import services as audit
from amanah.audit.models import AuditAction
from amanah.core import events
from amanah.core.errors import ServiceError
from amanah.iam import authz
from amanah.ledger.contract import Posting, chart, post_many_for
from amanah.utility.accounts import (
    BILL_PAYABLE,
    CONNECTION_PAYABLE,
    PAYMENT_APPLIED,
    PAYMENT_RULE,
    allocate,
    gateway_applier,
)
from amanah.utility.models import Bill, BillStatus, Connection, Receipt
from amanah.utility.policies import PAYMENT_APPLY


def payments_settled(*, actor, payments) -> None:
    """``payments.payments_settled`` for the batch's payments that are ours."""
    ours = [p for p in payments if p.payable_type in (BILL_PAYABLE, CONNECTION_PAYABLE)]
    if not ours:
        return
    applier = gateway_applier(actor)
    authz.require(applier, PAYMENT_APPLY)
    work = _connections_of(ours)  # [(payment, connection id)]
    if not work:
        return  # nothing of ours under those keys: reconciliation shows the payments
    ids = sorted({cid for _p, cid in work})
    connections = {
        c.pk: c
        for c in Connection.objects.select_for_update(of=("self",))
        .filter(pk__in=ids)
        .order_by("pk")
        .only("id", "number", "credit")
    }
    work = _not_replayed(work)
    if not work:
        return
    open_bills: dict[int, list[Bill]] = defaultdict(list)
    for bill in (
        Bill.objects.select_for_update(of=("self",))
        .filter(connection_id__in=sorted({cid for _p, cid in work}), status=BillStatus.OPEN)
        .order_by("connection_id", "period", "id")
        .only("id", "connection_id", "total", "paid", "status")
    ):
        open_bills[bill.connection_id].append(bill)
    credit = {pk: c.credit for pk, c in connections.items()}
    receipts, touched_bills, credit_changed = [], {}, set()
    for payment, cid in work:
        amount = int(payment.paid_amount if payment.paid_amount is not None else payment.amount)
        paid, credit_used, to_credit = allocate(amount, credit[cid], open_bills[cid])
        touched_bills.update((bill.pk, bill) for bill, _part in paid)
        allocations = [(bill.pk, part) for bill, part in paid]
        if credit_used or to_credit:
            credit[cid] = credit[cid] - credit_used + to_credit
            credit_changed.add(cid)
        open_bills[cid] = [b for b in open_bills[cid] if b.status == BillStatus.OPEN]
        paid_on = timezone.localdate(payment.settled_at) if payment.settled_at else None
        receipts.append(
            Receipt(
                connection_id=cid,
                reference=payment.order_id,
                amount=amount,
                credit_used=credit_used,
                to_credit=to_credit,
                paid_on=paid_on or timezone.localdate(),
                source=f"gateway:{payment.provider}:{getattr(actor, 'username', '')}"[:60],
            )
        )
        receipts[-1].allocations_made = allocations
    _write(receipts, touched_bills, {cid: credit[cid] for cid in credit_changed})
    _post_and_announce(applier, receipts, connections)


def _connections_of(payments) -> list[tuple]:
    bill_keys = {
        int(p.payable_key)
        for p in payments
        if p.payable_type == BILL_PAYABLE and p.payable_key.isdigit() and len(p.payable_key) < 19
    }
    numbers = {p.payable_key for p in payments if p.payable_type == CONNECTION_PAYABLE}
    of_bill = dict(Bill.objects.filter(pk__in=bill_keys).values_list("pk", "connection_id"))
    of_number = dict(Connection.objects.filter(number__in=numbers).values_list("number", "pk"))
    work = []
    for payment in payments:
        if payment.payable_type == BILL_PAYABLE:
            key = payment.payable_key
            cid = of_bill.get(int(key)) if key.isdigit() and len(key) < 19 else None
        else:
            cid = of_number.get(payment.payable_key)
        if cid is not None:
            work.append((payment, cid))
    return work


def _not_replayed(work) -> list[tuple]:
    """Asked after the connections' lock (its snapshot sees a concurrent batch's receipts once
    that batch has committed and released them): a reference with a receipt is a replay."""
    existing = {
        reference: (cid, amount)
        for reference, cid, amount in Receipt.objects.filter(
            reference__in=[p.order_id for p, _c in work]
        ).values_list("reference", "connection_id", "amount")
    }
    fresh = []
    for payment, cid in work:
        if payment.order_id not in existing:
            fresh.append((payment, cid))
            continue
        amount = int(payment.paid_amount if payment.paid_amount is not None else payment.amount)
        if existing[payment.order_id] != (cid, amount):
            raise ServiceError(
                "reference_taken",
                _("Referensi pembayaran ini sudah dipakai untuk pembayaran lain."),
                field="reference",
            )
    return fresh


_BILLS = """
UPDATE utility_bill AS b SET paid = v.paid, status = v.status
  FROM unnest(%s::bigint[], %s::bigint[], %s::text[]) AS v(id, paid, status)
 WHERE b.id = v.id
"""
_RECEIPTS = """
INSERT INTO utility_receipt
       (connection_id, reference, amount, credit_used, to_credit, paid_on, source, created_at)
SELECT c, r, a, u, t, d, s, %s
  FROM unnest(%s::bigint[], %s::text[], %s::bigint[], %s::bigint[], %s::bigint[], %s::date[],
              %s::text[]) AS v(c, r, a, u, t, d, s)
ON CONFLICT (reference) DO NOTHING
RETURNING id, reference
"""
_ALLOCATIONS = """
INSERT INTO utility_allocation (receipt_id, bill_id, amount)
SELECT * FROM unnest(%s::bigint[], %s::bigint[], %s::bigint[])
"""
_CREDITS = """
UPDATE utility_connection AS c SET credit = v.credit
  FROM unnest(%s::bigint[], %s::bigint[]) AS v(id, credit)
 WHERE c.id = v.id
"""


def _write(receipts: list[Receipt], bills: dict, credits: dict) -> None:
    moment = timezone.now()
    with db.cursor() as cursor:
        if bills:
            rows = sorted(bills.values(), key=lambda b: b.pk)
            cursor.execute(
                _BILLS, [[b.pk for b in rows], [b.paid for b in rows], [b.status for b in rows]]
            )
        cursor.execute(
            _RECEIPTS,
            [
                moment,
                [r.connection_id for r in receipts],
                [r.reference for r in receipts],
                [r.amount for r in receipts],
                [r.credit_used for r in receipts],
                [r.to_credit for r in receipts],
                [r.paid_on for r in receipts],
                [r.source for r in receipts],
            ],
        )
        inserted = dict((reference, pk) for pk, reference in cursor.fetchall())
        if len(inserted) != len(receipts):  # taken by a concurrent writer since the check
            raise ServiceError(
                "reference_taken",
                _("Referensi pembayaran ini baru saja dicatat."),
                field="reference",
            )
        allocations = []
        for receipt in receipts:
            receipt.pk, receipt.created_at = inserted[receipt.reference], moment
            receipt._state.adding, receipt._state.db = False, db.alias
            allocations += [(receipt.pk, bill, part) for bill, part in receipt.allocations_made]
        if allocations:
            cursor.execute(
                _ALLOCATIONS, [list(column) for column in zip(*allocations, strict=True)]
            )
        if credits:
            ids = sorted(credits)
            cursor.execute(_CREDITS, [ids, [credits[i] for i in ids]])


def _post_and_announce(applier, receipts: list[Receipt], connections: dict) -> None:
    description = _("Pembayaran rekening air %(number)s")
    postings = []
    for receipt in receipts:
        allocated = sum(part for _b, part in receipt.allocations_made)
        postings.append(
            Posting(
                source_key=f"utility.receipt:{receipt.pk}",
                date=receipt.paid_on,
                description=description % {"number": connections[receipt.connection_id].number},
                facts={
                    "amount": receipt.amount,
                    "credit_used": receipt.credit_used,
                    "allocated": allocated,
                    "to_credit": receipt.to_credit,
                    "cash_account": chart.DANA_GATEWAY,
                },
            )
        )
    post_many_for(actor=applier, rule=PAYMENT_RULE, postings=postings)
    for receipt in receipts:
        events.emit(PAYMENT_APPLIED, actor=applier, receipt=receipt)
    audit.record_many(
        actor=applier,
        action=AuditAction.APPLY_WATER_PAYMENT,
        objects=receipts,
        meta_for=lambda receipt: {
            "amount": receipt.amount,
            "allocated": sum(part for _b, part in receipt.allocations_made),
            "bills": len(receipt.allocations_made),
            "credit_used": receipt.credit_used,
            "to_credit": receipt.to_credit,
            "source": receipt.source,
        },
    )
