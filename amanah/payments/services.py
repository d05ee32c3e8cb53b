"""Every write of payments: request a payment, store and apply the gateways' callbacks (and
the poll's status answers), and reconcile a settlement file (``reconciliation.py``).

**Callbacks, in two steps.** ``callback_store`` writes the raw callback *before* anything is
checked, so even a forged or unreadable one is kept. ``callback_reject`` / ``callback_apply``
then set its verdict exactly once (a trigger refuses anything else on the row). Called on
their own, each commits by itself; the webhook runs the three in one transaction (one commit)
with the processing in a savepoint of its own, so a processing failure rolls back to it and
still commits the raw callback (without a verdict); a failure at the commit itself is
followed by ``callback_keep``, which stores the raw callback on its own.

**Idempotent and monotonic.** ``callback_apply`` locks the payment row (``SELECT … FOR
UPDATE`` of that row alone) and compares the reported status with the stored one by rank
(``models.STATUS_RANK``): the same status again is a DUPLICATE, a lower or equal rank (a
late "pending" after "settlement", an "expire" after "settlement") is IGNORED, only a higher
one is applied. Two identical callbacks at once queue on the row lock; the second sees the
first's result and is a DUPLICATE: one settlement, one event, one audit row. The verdict is
written in the same transaction as the change, so a crash leaves neither.

**Amount mismatch.** A settlement whose amount differs from the payment's is recorded (the
payment is SETTLED at the gateway, ``paid_amount`` what arrived, ``amount_mismatch``) and
emits ``payments.payment_mismatch`` instead of ``payment_settled``: the owner never applies it;
the reconciliation report lists it.
"""

from __future__ import annotations

import logging
import secrets

from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from amanah.audit import services as audit
from amanah.audit.models import AuditAction
from amanah.core import events
from amanah.core.errors import NotFound, ServiceError
from amanah.core.inputs import problem_in_text
from amanah.core.scopes import grants_of
from amanah.iam import authz
from amanah.payments import gateways, qris
from amanah.payments.models import (
    STATUS_RANK,
    CallbackSource,
    Method,
    Payment,
    PaymentStatus,
    Provider,
    RawCallback,
    Verdict,
)
from amanah.payments.payables import (
    PAYMENT_ENDED,
    PAYMENT_MISMATCH,
    PAYMENT_SETTLED,
    payable_types,
)
from amanah.payments.policies import PAYMENT_CALLBACK_APPLY, PAYMENT_REQUEST

logger = logging.getLogger(__name__)

MAX_AMOUNT = 1_000_000_000_000  # Rp 1 triliun: far above any bill, far below the column
VA_BANKS = ("BNI", "BRI", "MANDIRI", "PERMATA", "BCA")


def new_order_id() -> str:
    """``AMN`` + date + 12 random hex digits: unique, unguessable, ≤ 50 characters (Midtrans'
    limit), only letters, digits and ``-`` (both gateways accept it)."""
    return f"AMN-{timezone.now():%y%m%d}-{secrets.token_hex(6).upper()}"


def _merchant() -> qris.Merchant:
    from django.conf import settings

    config = getattr(settings, "PAYMENT_QRIS_MERCHANT", {}) or {}
    return qris.Merchant(
        name=config.get("name", "AMANAH"),
        city=config.get("city", "MEDAN"),
        nmid=config.get("nmid", "ID1020000000001"),
        postal_code=config.get("postal_code", ""),
    )


def payment_request(
    *,
    actor,
    payable_type: str,
    payable_key: str,
    amount: int,
    method: str,
    provider: str,
    branch=None,
    va_bank: str = "BNI",
    expires_at=None,
) -> Payment:
    """Ask ``provider`` for a VA or QRIS charge of ``amount`` rupiah for the payable.

    The gateway is called before our transaction (a network call must not hold row locks); a
    charge without a row is harmless (it expires unpaid and the gateway dedupes the order
    id). The QRIS string the gateway returns is validated (CRC, currency, amount) before it is
    kept; where the gateway returns none, we build one (``qris.build``)."""
    authz.require(actor, PAYMENT_REQUEST)
    if payable_type not in payable_types:
        raise ServiceError(
            "unknown_payable", _("Jenis tagihan tidak dikenal."), field="payable_type"
        )
    payable_key = (payable_key or "").strip()
    if not payable_key or len(payable_key) > 80 or problem_in_text(payable_key):
        raise ServiceError("invalid", _("Referensi tagihan tidak sah."), field="payable_key")
    if isinstance(amount, bool) or not isinstance(amount, int) or not 0 < amount <= MAX_AMOUNT:
        raise ServiceError(
            "invalid_amount", _("Nominal harus rupiah bulat di atas nol."), field="amount"
        )
    if method not in Method.values:
        raise ServiceError("invalid", _("Metode pembayaran tidak dikenal."), field="method")
    if provider not in Provider.values:
        raise ServiceError("invalid", _("Gateway tidak dikenal."), field="provider")
    va_bank = (va_bank or "").upper()
    if method == Method.VA and va_bank not in VA_BANKS:
        raise ServiceError("invalid", _("Bank VA tidak dikenal."), field="va_bank")
    if branch is not None:
        grants = grants_of(actor)
        if not grants.all_branches and branch.pk not in grants.branch_ids:
            raise NotFound()
    expires_at = expires_at or gateways.default_expiry()
    if expires_at <= timezone.now():
        raise ServiceError("invalid", _("Batas waktu pembayaran sudah lewat."), field="expires_at")
    order_id = new_order_id()
    try:
        gateway = gateways.gateway_for(provider)
        charge = gateway.create_charge(
            order_id=order_id, method=method, amount=amount, expires_at=expires_at, va_bank=va_bank
        )
    except (gateways.GatewayError, ImproperlyConfigured):
        logger.warning("payment gateway charge failed (%s)", provider)
        raise ServiceError(
            "gateway_unavailable", _("Gateway pembayaran tidak dapat dihubungi. Coba lagi nanti.")
        ) from None
    payload = ""
    if method == Method.QRIS:
        payload = charge.qr_string or qris.build(_merchant(), amount=amount, bill_number=order_id)
        try:
            data = qris.parse(payload)
        except qris.InvalidQris:
            raise ServiceError("gateway_invalid_qris", _("QRIS dari gateway tidak sah.")) from None
        if data.amount is not None and data.amount != amount:
            raise ServiceError("gateway_invalid_qris", _("Nominal QRIS dari gateway tidak sesuai."))
    elif not charge.va_number:
        raise ServiceError("gateway_unavailable", _("Gateway tidak memberikan nomor VA."))
    with transaction.atomic():
        payment = Payment.objects.create(
            order_id=order_id,
            provider=provider,
            method=method,
            amount=amount,
            payable_type=payable_type,
            payable_key=payable_key,
            branch=branch,
            va_bank=charge.va_bank if method == Method.VA else "",
            va_number=charge.va_number if method == Method.VA else "",
            qris_payload=payload,
            provider_reference=charge.reference,
            expires_at=expires_at,
            created_by=actor if getattr(actor, "pk", None) else None,
        )
        audit.record(
            actor=actor,
            action=AuditAction.REQUEST_PAYMENT,
            obj=payment,
            meta={"provider": provider, "method": method, "amount": amount},
        )
    return payment


# --------------------------------------------------------------------------------- callbacks


def callback_store(
    *, provider: str, headers: dict, body: bytes, source: str = CallbackSource.CALLBACK
) -> RawCallback:
    """Keep the raw callback as received, before any processing: on its own it commits at
    once; inside a transaction (the webhook's) it is that transaction's first write, and the
    processing after it runs in a savepoint, so a failure there still leaves the record.
    Bodies that are not UTF-8 are kept with replacement characters; NUL bytes are dropped
    (PostgreSQL text refuses them)."""
    text = body.decode("utf-8", errors="replace").replace("\x00", "\ufffd")
    with transaction.atomic(savepoint=False):  # one statement: nothing to roll back to
        return RawCallback.objects.create(
            provider=provider, source=source, headers=headers, body=text[: gateways.MAX_BODY]
        )


def _set_verdict(
    callback: RawCallback, verdict: str, reason: str, payment=None, order_id: str | None = None
) -> None:
    """The verdict, once (and the order id the verified callback named, in the same UPDATE)."""
    callback.verdict, callback.reason, callback.payment = verdict, reason[:60], payment
    callback.processed_at = timezone.now()
    fields = {}
    if order_id is not None:
        callback.order_id = fields["order_id"] = order_id[:50]
    updated = RawCallback.objects.filter(pk=callback.pk, verdict="").update(
        verdict=callback.verdict,
        reason=callback.reason,
        payment=payment,
        processed_at=callback.processed_at,
        **fields,
    )
    if updated != 1:
        raise ServiceError("conflict", _("Callback ini sudah diproses."))


def callback_reject(*, callback: RawCallback, reason: str, order_id: str = "") -> None:
    """A callback whose signature/token is wrong, or that cannot be read: REJECTED, nothing
    else changes."""
    with transaction.atomic(savepoint=False):
        _set_verdict(callback, Verdict.REJECTED, reason, order_id=order_id or None)


def callback_apply(
    *, actor, callback: RawCallback, notification: gateways.Notification
) -> tuple[str, str]:
    """Apply a verified notification to its payment; returns (verdict, reason).

    The audit rows of the change (the status, and the owner's: receipt, journal) are chained
    at the end of the transaction (``audit.gathered``): every callback waits on the chain's
    lock, and held from the first row to the commit it made concurrent callbacks queue.

    Called on its own (the poll) it is its own transaction; inside one it opens no savepoint:
    the caller decides what a failure rolls back to (the webhook: a savepoint after the raw
    callback, released before the chain is written so the chain's lock is held for the write
    and the commit alone)."""
    authz.require(actor, PAYMENT_CALLBACK_APPLY)
    with transaction.atomic(savepoint=False), audit.gathered():
        return _callback_apply(actor, callback, notification)


def callback_keep(callback: RawCallback | None, *, provider: str, headers: dict, body: bytes):
    """After a failed webhook transaction: the raw callback stored on its own when its row did
    not survive (the failure came at the commit — a deferred check, the audit chain's write —
    and took the whole transaction with it). Never a second row for one that did."""
    if callback is not None and RawCallback.objects.filter(pk=callback.pk).exists():
        return
    callback_store(provider=provider, headers=headers, body=body)


def _callback_apply(actor, callback: RawCallback, notification) -> tuple[str, str]:
    order_id = notification.order_id  # kept on the raw callback with its verdict
    payment = (
        Payment.objects.visible_to(actor)
        .select_for_update(of=("self",))
        .filter(order_id=notification.order_id, provider=callback.provider)
        .first()
    )
    if payment is None:
        _set_verdict(callback, Verdict.IGNORED, "unknown_order", order_id=order_id)
        return Verdict.IGNORED, "unknown_order"
    new = notification.status
    if new is None:
        reason = f"untracked:{notification.word}"
        _set_verdict(callback, Verdict.IGNORED, reason, payment, order_id=order_id)
        return Verdict.IGNORED, reason
    current = payment.status
    if new == current:
        same_amount = new != PaymentStatus.SETTLED or notification.amount == payment.paid_amount
        verdict = Verdict.DUPLICATE if same_amount else Verdict.IGNORED
        reason = f"already:{current.lower()}" if same_amount else "settled_other_amount"
        _set_verdict(callback, verdict, reason, payment, order_id=order_id)
        return verdict, reason
    if STATUS_RANK[new] <= STATUS_RANK[current]:
        reason = f"out_of_order:{current.lower()}"
        _set_verdict(callback, Verdict.IGNORED, reason, payment, order_id=order_id)
        return Verdict.IGNORED, reason
    moment = timezone.now()
    payment.status, payment.status_changed_at = new, moment
    fields = ["status", "status_changed_at"]
    if notification.reference and not payment.provider_reference:
        payment.provider_reference = notification.reference
        fields.append("provider_reference")
    meta = {"from": current, "to": new, "source": callback.source, "callback": callback.pk}
    if new == PaymentStatus.SETTLED:
        paid = notification.amount if notification.amount is not None else -1
        payment.paid_amount, payment.settled_at = paid, moment
        payment.amount_mismatch = paid != payment.amount
        fields += ["paid_amount", "settled_at", "amount_mismatch"]
        meta |= {"paid_amount": paid, "mismatch": payment.amount_mismatch}
    payment.save(update_fields=fields)
    _set_verdict(callback, Verdict.ACCEPTED, f"to:{new.lower()}", payment, order_id=order_id)
    if new == PaymentStatus.SETTLED:
        event = PAYMENT_MISMATCH if payment.amount_mismatch else PAYMENT_SETTLED
    else:
        event = PAYMENT_ENDED
    events.emit(event, actor=actor, payment=payment)
    audit.record(actor=actor, action=AuditAction.APPLY_PAYMENT_STATUS, obj=payment, meta=meta)
    return Verdict.ACCEPTED, f"to:{new.lower()}"
