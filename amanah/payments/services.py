"""Every write of payments: request a payment, store and apply the gateways' callbacks (and
the poll's status answers), and reconcile a settlement file (``reconciliation.py``).

**Callbacks, in two steps.** ``callback_store`` keeps every callback the endpoint gets — a
forged or unreadable one REJECTED in the same INSERT, an authenticated one RECEIVED — and the
processing job (``processing.py``) applies the RECEIVED ones in batches, idempotent and
monotonic, setting each one's final verdict once (a trigger refuses anything else on the row)
in the transaction that applies it, so a crash leaves neither.

**Amount mismatch.** A settlement whose amount differs from the payment's is recorded (the
payment is SETTLED at the gateway, ``paid_amount`` what arrived, ``amount_mismatch``) and
emits ``payments.payment_mismatch`` instead of ``payment_settled``: the owner never applies it;
the reconciliation report lists it.
"""

from __future__ import annotations

import json
import logging
import secrets

from django.core.exceptions import ImproperlyConfigured
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from amanah.audit import services as audit
from amanah.audit.models import AuditAction
from amanah.core.actors import user_or_none
from amanah.core.errors import NotFound, ServiceError
from amanah.core.inputs import problem_in_text
from amanah.core.scopes import grants_of
from amanah.core.sqlparams import bound_cursor
from amanah.iam import authz
from amanah.payments import gateways, qris
from amanah.payments.models import (
    CallbackSource,
    Method,
    Payment,
    Provider,
    RawCallback,
    Verdict,
)
from amanah.payments.payables import (
    payable_types,
)
from amanah.payments.policies import PAYMENT_REQUEST

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
            created_by=user_or_none(actor),
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
    *,
    provider: str,
    headers: dict,
    body: bytes,
    source: str = CallbackSource.CALLBACK,
    verdict: str = "",
    reason: str = "",
    order_id: str = "",
) -> RawCallback:
    """Keep the raw callback as received, with what the endpoint made of it, in one INSERT
    (its own commit, or the caller's): RECEIVED (authenticated; the processing job applies
    it, ``processing.py``), REJECTED with its reason (nothing else happens), or no verdict at
    all (the endpoint failed before it could tell: kept for the record). Bodies that are not
    UTF-8 are kept with replacement characters; NUL bytes are dropped (PostgreSQL text refuses
    them)."""
    if verdict not in ("", Verdict.RECEIVED, Verdict.REJECTED):
        raise ValueError("a stored callback is RECEIVED, REJECTED or not judged yet")
    text = body.decode("utf-8", errors="replace").replace("\x00", "\ufffd")
    now = timezone.now()
    callback = RawCallback(
        provider=provider,
        source=source,
        received_at=now,
        headers=headers,
        body=text[: gateways.MAX_BODY],
        verdict=verdict,
        reason=reason[:60],
        order_id=order_id[:50],
        processed_at=now if verdict == Verdict.REJECTED else None,
    )
    # One hand-written statement: no transaction of its own around it (in autocommit, the
    # endpoint's case, BEGIN and COMMIT would be two more round trips for nothing), no ORM
    # building it (at 500 callbacks/s the ORM's INSERT cost more CPU than the rest of it),
    # planned once per connection.
    with bound_cursor() as cursor:
        cursor.execute(
            _STORE,
            [
                callback.provider,
                callback.source,
                callback.received_at,
                json.dumps(callback.headers),
                callback.body,
                callback.order_id,
                callback.verdict,
                callback.reason,
                callback.processed_at,
            ],
            prepare=True,
        )
        callback.pk = cursor.fetchone()[0]
    callback._state.adding, callback._state.db = False, connection.alias
    return callback


_STORE = """
INSERT INTO payments_rawcallback (provider, source, received_at, headers, body, order_id,
                                  verdict, reason, payment_id, processed_at)
VALUES (%s, %s, %s, %s::jsonb, %s, %s, %s, %s, NULL, %s)
RETURNING id
"""
