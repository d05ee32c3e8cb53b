"""Midtrans (Core API).

A charge is ``POST /v2/charge`` (HTTP Basic, the server key as user name) with
``payment_type`` ``bank_transfer`` (a VA at ``bank_transfer.bank``) or ``qris``; the answer
carries ``va_numbers`` or ``qr_string``. Its HTTP notification is JSON with ``order_id``,
``status_code``, ``gross_amount`` (a string, ``"125000.00"``), ``transaction_status``
(settlement, capture, pending, expire, cancel, deny, failure, refund …), ``transaction_id``
and ``signature_key`` = SHA512(order_id + status_code + gross_amount + server key), hex.

**The signature covers three fields only.** ``transaction_status``, ``fraud_status``,
``payment_type``, ``currency``, ``va_numbers``, ``settlement_time`` … are not signed: a signed
*pending* notification with its status edited to ``settlement`` still verifies. So a
notification is only a reason to ask: ``parse`` notes where the unsigned status contradicts
the signed ``status_code`` (``signed_mismatch``), and nothing moves a payment before the
status API ``GET /v2/<order_id>/status`` (the same shape, signed the same way) confirmed it
(``payments.confirmation``).
"""

from __future__ import annotations

import hashlib
import hmac
import json

from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

from amanah.payments.gateways.base import (
    BadSignature,
    Charge,
    Confirmation,
    Gateway,
    GatewayError,
    Malformed,
    Notification,
    currency_of,
    optional_text,
    parse_json,
    text,
    whole_rupiah,
)
from amanah.payments.models import Method, PaymentStatus, Provider

MIDTRANS_STATUS = {
    "settlement": PaymentStatus.SETTLED,
    "capture": PaymentStatus.SETTLED,  # only with fraud_status accept (see parse)
    "pending": PaymentStatus.PENDING,
    "expire": PaymentStatus.EXPIRED,
    "cancel": PaymentStatus.CANCELLED,
    "deny": PaymentStatus.FAILED,
    "failure": PaymentStatus.FAILED,
}
# The signed status_code each status word comes with (Midtrans' status codes: 200 success —
# capture, settlement, cancel —, 201 pending, 202 denied, 407 expired). A word not listed is
# not checked here (the status API still is asked).
SIGNED_CODES = {
    "settlement": ("200",),
    "capture": ("200",),
    "pending": ("201",),
    "deny": ("202",),
    "expire": ("407",),
    "cancel": ("200", "202"),
}
PAYMENT_TYPES = {"bank_transfer": Method.VA, "echannel": Method.VA, "qris": Method.QRIS}


def midtrans_signature(order_id: str, status_code: str, gross_amount: str, server_key: str) -> str:
    raw = f"{order_id}{status_code}{gross_amount}{server_key}".encode()
    return hashlib.sha512(raw).hexdigest()


def _va_number(document: dict) -> str:
    numbers = document.get("va_numbers")
    if isinstance(numbers, list) and numbers and isinstance(numbers[0], dict):
        return optional_text(numbers[0], "va_number", max_length=40)
    return optional_text(document, "permata_va_number", max_length=40)


class MidtransGateway(Gateway):
    provider = Provider.MIDTRANS

    def __init__(self, *, server_key: str, merchant_id: str = "", **kwargs):
        super().__init__(**kwargs)
        if not server_key:
            raise ImproperlyConfigured("Midtrans needs a server_key")
        self.server_key = server_key
        self.merchant_id = merchant_id

    @property
    def _auth(self):
        return (self.server_key, "")

    def verify(self, headers, body: bytes) -> dict:
        """The notification's JSON if its signature_key is right; else BadSignature."""
        try:
            document = parse_json(body)
        except Malformed:
            raise BadSignature("unreadable") from None
        fields = [document.get(k) for k in ("order_id", "status_code", "gross_amount")]
        signature = document.get("signature_key")
        if not all(isinstance(f, str) for f in fields) or not isinstance(signature, str):
            raise BadSignature("missing")
        expected = midtrans_signature(*fields, self.server_key)
        if not hmac.compare_digest(expected.encode(), signature.lower().encode()):
            raise BadSignature("wrong")
        return document

    def parse(self, document: dict) -> Notification:
        order_id = text(document, "order_id", max_length=50)
        word = text(document, "transaction_status", max_length=30)
        status = MIDTRANS_STATUS.get(word)
        if word == "capture" and document.get("fraud_status") not in (None, "accept"):
            status = PaymentStatus.PENDING  # a challenged card capture is not money yet
        payment_type = optional_text(document, "payment_type", max_length=30)
        codes = SIGNED_CODES.get(word)
        return Notification(
            order_id=order_id,
            status=status,
            word=word,
            amount=whole_rupiah(document.get("gross_amount")),
            reference=optional_text(document, "transaction_id"),
            currency=currency_of(document),
            method=PAYMENT_TYPES.get(payment_type, payment_type),
            account=_va_number(document),
            signed_mismatch=(
                ("signed",) if codes and str(document.get("status_code")) not in codes else ()
            ),
        )

    def create_charge(self, *, order_id: str, method: str, amount: int, expires_at, va_bank: str):
        minutes = max(1, int((expires_at - timezone.now()).total_seconds() // 60))
        body = {
            "transaction_details": {"order_id": order_id, "gross_amount": amount},
            "custom_expiry": {"expiry_duration": minutes, "unit": "minute"},
        }
        if method == Method.VA:
            body |= {"payment_type": "bank_transfer", "bank_transfer": {"bank": va_bank.lower()}}
        else:
            body |= {"payment_type": "qris", "qris": {"acquirer": "gopay"}}
        answer = self._request("POST", "/v2/charge", auth=self._auth, json_body=body)
        if answer is None or str(answer.get("status_code")) not in ("200", "201"):
            code = answer.get("status_code") if answer else "404"
            raise GatewayError(f"charge refused {code}")
        va = (answer.get("va_numbers") or [{}])[0] if method == Method.VA else {}
        return Charge(
            reference=str(answer.get("transaction_id") or "")[:80],
            va_bank=str(va.get("bank") or "").upper()[:20],
            va_number=str(va.get("va_number") or "")[:40],
            qr_string=str(answer.get("qr_string") or ""),
        )

    def confirm(self, payment, notification=None, *, client=None) -> Confirmation:
        """``GET /v2/<our order id>/status``, its signature verified like a notification's (a
        404, or ``status_code`` 404 in the answer: the gateway knows no such order)."""
        answer = self._request(
            "GET", f"/v2/{payment.order_id}/status", auth=self._auth, client=client
        )
        raw = json.dumps(answer).encode()
        if answer is None or str(answer.get("status_code")) == "404":
            return Confirmation(raw, None)
        try:
            truth = self.parse(self.verify({}, raw))
        except (BadSignature, Malformed):
            raise GatewayError("unusable status answer") from None
        return Confirmation(raw, truth)
