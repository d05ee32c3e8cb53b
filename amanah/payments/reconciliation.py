"""The daily reconciliation of a gateway's settlement file against the payments.

**The file** is CSV with a header row; ``order_id`` and the amount (``gross_amount`` or
``amount``, whole rupiah, ``125000`` or ``125000.00``) are required, a status column
(``transaction_status`` or ``status``) is optional — rows whose status is not a settlement
(``settlement``, ``capture``, ``SETTLED``, ``SUCCEEDED``, ``PAID``, ``COMPLETED``) are skipped.
A file is all-or-nothing: one bad row (missing order id, a non-whole amount, an order id twice)
refuses it with the row numbers, and nothing is recorded.

**The comparison**, per provider and settlement day (in the deployment's zone, WIB): every
file row against the payment with its order id — MATCHED, AMOUNT_DIFFERS (including a payment
already kept as a mismatch), NOT_SETTLED_HERE (the gateway settled it, we did not: a lost
callback the poll has not caught) or UNKNOWN_ORDER; and every payment we settled that day that
the file does not list — MISSING_IN_FILE. The same file (by SHA-256) is reconciled once.
"""

from __future__ import annotations

import csv
import hashlib
import io
from datetime import datetime, time, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from amanah.audit import services as audit
from amanah.audit.models import AuditAction
from amanah.core.actors import user_or_none
from amanah.core.errors import ServiceError
from amanah.core.inputs import problem_in_text
from amanah.core.money import MACHINE, AmountRefused, read_amount
from amanah.iam import authz
from amanah.payments.models import (
    ItemKind,
    Payment,
    PaymentStatus,
    Provider,
    ReconciliationItem,
    ReconciliationRun,
)
from amanah.payments.policies import PAYMENT_RECONCILE

MAX_FILE_BYTES = 20_000_000
MAX_ROWS = 200_000
SETTLED_WORDS = {"settlement", "capture", "settled", "succeeded", "paid", "completed"}


def parse_settlement(content: bytes) -> dict[str, int]:
    """order id → amount of the settled rows; ServiceError listing the bad rows."""
    if len(content) > MAX_FILE_BYTES:
        raise ServiceError("file_too_large", _("File terlalu besar."), field="file")
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ServiceError("invalid_file", _("File bukan teks UTF-8."), field="file") from None
    if "\x00" in text:
        raise ServiceError("invalid_file", _("File berisi karakter NUL."), field="file")
    reader = csv.DictReader(io.StringIO(text))
    columns = {(name or "").strip().lower() for name in reader.fieldnames or []}
    amount_column = "gross_amount" if "gross_amount" in columns else "amount"
    if "order_id" not in columns or amount_column not in columns:
        raise ServiceError(
            "invalid_file", _("Kolom order_id dan gross_amount/amount wajib ada."), field="file"
        )
    status_column = next((c for c in ("transaction_status", "status") if c in columns), None)
    rows: dict[str, int] = {}
    problems: list[str] = []
    for number, raw in enumerate(reader, start=2):
        if number > MAX_ROWS + 1:
            raise ServiceError("invalid_file", _("Terlalu banyak baris."), field="file")
        row = {(k or "").strip().lower(): (v or "").strip() for k, v in raw.items() if k}
        if status_column and row.get(status_column, "").lower() not in SETTLED_WORDS:
            continue
        order_id = row.get("order_id", "")
        if not order_id or len(order_id) > 50 or problem_in_text(order_id):
            problems.append(_("baris %(n)d: order_id tidak sah") % {"n": number})
            continue
        try:  # the gateway's "150000.00", or a re-saved sheet's "150.000" (core.money)
            amount = read_amount(row.get(amount_column, ""), source=MACHINE)
        except AmountRefused as refused:
            problems.append(
                _("baris %(n)d: nominal tidak sah (%(reason)s)")
                % {"n": number, "reason": refused.message}
            )
            continue
        if order_id in rows:
            problems.append(_("baris %(n)d: order_id ganda") % {"n": number})
            continue
        rows[order_id] = amount
    if problems:
        shown = "; ".join(problems[:5])
        more = len(problems) - 5
        if more > 0:
            shown += " " + _("(dan %(n)d lainnya)") % {"n": more}
        raise ServiceError("invalid_file", _("File ditolak: %(p)s") % {"p": shown}, field="file")
    return rows


def _day_range(day):
    zone = timezone.get_default_timezone()
    start = timezone.make_aware(datetime.combine(day, time.min), zone)
    return start, start + timedelta(days=1)


@transaction.atomic
def reconciliation_run(
    *, actor, provider: str, settlement_date, file_name: str, content: bytes
) -> ReconciliationRun:
    authz.require(actor, PAYMENT_RECONCILE)
    if provider not in Provider.values:
        raise ServiceError("invalid", _("Gateway tidak dikenal."), field="provider")
    rows = parse_settlement(content)
    digest = hashlib.sha256(content).hexdigest()
    if ReconciliationRun.objects.filter(provider=provider, file_sha256=digest).exists():
        raise ServiceError("duplicate_file", _("File ini sudah direkonsiliasi."), field="file")
    start, end = _day_range(settlement_date)
    payments = {
        p.order_id: p for p in Payment.objects.filter(provider=provider, order_id__in=list(rows))
    }
    items = []
    for order_id, file_amount in sorted(rows.items()):
        payment = payments.get(order_id)
        if payment is None:
            kind, system_amount = ItemKind.UNKNOWN_ORDER, None
        elif payment.status != PaymentStatus.SETTLED:
            kind, system_amount = ItemKind.NOT_SETTLED_HERE, payment.amount
        elif payment.paid_amount != file_amount or payment.amount != file_amount:
            kind, system_amount = ItemKind.AMOUNT_DIFFERS, payment.amount
        else:
            kind, system_amount = ItemKind.MATCHED, payment.amount
        items.append(
            ReconciliationItem(
                kind=kind,
                order_id=order_id,
                file_amount=file_amount,
                system_amount=system_amount,
                payment=payment,
            )
        )
    missing = (
        Payment.objects.filter(
            provider=provider,
            status=PaymentStatus.SETTLED,
            settled_at__gte=start,
            settled_at__lt=end,
        )
        .exclude(order_id__in=list(rows))
        .order_by("order_id")
    )
    for payment in missing:
        items.append(
            ReconciliationItem(
                kind=ItemKind.MISSING_IN_FILE,
                order_id=payment.order_id,
                system_amount=payment.amount,
                payment=payment,
            )
        )
    matched = sum(1 for item in items if item.kind == ItemKind.MATCHED)
    try:
        with transaction.atomic():
            run = ReconciliationRun.objects.create(
                provider=provider,
                settlement_date=settlement_date,
                file_name=(file_name or "settlement.csv")[:200],
                file_sha256=digest,
                rows=len(rows),
                matched=matched,
                mismatched=len(items) - matched,
                created_by=user_or_none(actor),
            )
    except IntegrityError:  # the same file at the same moment by someone else
        raise ServiceError(
            "duplicate_file", _("File ini sudah direkonsiliasi."), field="file"
        ) from None
    for item in items:
        item.run = run
    ReconciliationItem.objects.bulk_create(items, batch_size=2000)
    audit.record(
        actor=actor,
        action=AuditAction.RECONCILE_PAYMENTS,
        obj=run,
        meta={"provider": provider, "rows": run.rows, "mismatched": run.mismatched},
    )
    return run
