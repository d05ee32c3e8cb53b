"""Xendit: Fixed Virtual Accounts and QR codes (QRIS).

Callbacks carry the account's verification token in the header ``x-callback-token``: a
static secret, not a signature — **no field of the body is signed**, so every one of them is
compared with the status API before a payment moves (``payments.confirmation``).

- A Fixed VA is ``POST /callback_virtual_accounts`` (Basic, the secret key as user name); its
  *paid* callback has ``external_id`` (our order id), ``payment_id``,
  ``callback_virtual_account_id``, ``amount``, ``account_number``, ``bank_code``, and is
  confirmed at ``GET /callback_virtual_account_payments/payment_id=<payment_id>`` (the
  answer must name our order, our VA and its number). Its created/updated callbacks
  (``status`` ACTIVE/INACTIVE) change nothing here: an INACTIVE single-use VA may equally be
  paid or expired.
- A QR code is ``POST /qr_codes`` (header ``api-version: 2022-07-31``), with ``reference_id``
  our order id; its callback is ``{"event": "qr.payment", "data": {"id", "reference_id",
  "qr_id", "amount", "currency", "status"}}``, confirmed by the QR code's payments,
  ``GET /qr_codes/<our qr id>/payments`` (the poll asks the same).
"""

from __future__ import annotations

import hmac
import json
import re

from django.core.exceptions import ImproperlyConfigured

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

XENDIT_QR_STATUS = {"SUCCEEDED": PaymentStatus.SETTLED, "COMPLETED": PaymentStatus.SETTLED}
XENDIT_QR_API_VERSION = "2022-07-31"
_ID = re.compile(r"^[A-Za-z0-9_\-]{1,80}$")  # an id we may put in a path


class XenditGateway(Gateway):
    provider = Provider.XENDIT

    def __init__(self, *, secret_key: str, callback_token: str, **kwargs):
        super().__init__(**kwargs)
        if not secret_key or not callback_token:
            raise ImproperlyConfigured("Xendit needs a secret_key and a callback_token")
        self.secret_key = secret_key
        self.callback_token = callback_token

    @property
    def _auth(self):
        return (self.secret_key, "")

    def verify(self, headers, body: bytes) -> dict:
        token = headers.get("x-callback-token") or ""
        if not hmac.compare_digest(token.encode(), self.callback_token.encode()):
            raise BadSignature("wrong token")
        return parse_json(body)

    def parse(self, document: dict) -> Notification:
        if document.get("event") == "qr.payment":
            return self._qr_payment(document.get("data"))
        if "payment_id" in document and "callback_virtual_account_id" in document:
            return Notification(
                order_id=text(document, "external_id", max_length=50),
                status=PaymentStatus.SETTLED,
                word="va.paid",
                amount=whole_rupiah(document.get("amount")),
                reference=text(document, "callback_virtual_account_id"),
                currency=currency_of(document),
                method=Method.VA,
                account=optional_text(document, "account_number", max_length=40),
                lookup=optional_text(document, "payment_id"),
            )
        if "external_id" in document and "status" in document:  # FVA created/updated
            return Notification(
                order_id=text(document, "external_id", max_length=50),
                status=None,
                word=f"va.{str(document.get('status'))[:20].lower()}",
                amount=None,
                method=Method.VA,
            )
        raise Malformed("unknown callback")

    def _qr_payment(self, data) -> Notification:
        if not isinstance(data, dict):
            raise Malformed("data")
        word = text(data, "status", max_length=30)
        status = XENDIT_QR_STATUS.get(word)
        if word in ("FAILED", "VOIDED"):
            status = PaymentStatus.FAILED
        return Notification(
            order_id=text(data, "reference_id", max_length=50),
            status=status,
            word=f"qr.{word.lower()}",
            amount=whole_rupiah(data.get("amount")),
            reference=optional_text(data, "qr_id"),
            currency=currency_of(data),
            method=Method.QRIS,
            lookup=optional_text(data, "id"),
        )

    def create_charge(self, *, order_id: str, method: str, amount: int, expires_at, va_bank: str):
        if method == Method.VA:
            answer = self._request(
                "POST",
                "/callback_virtual_accounts",
                auth=self._auth,
                json_body={
                    "external_id": order_id,
                    "bank_code": va_bank.upper(),
                    "name": "PELANGGAN",
                    "expected_amount": amount,
                    "is_closed": True,
                    "is_single_use": True,
                    "expiration_date": expires_at.isoformat(),
                },
            )
            if answer is None:
                raise GatewayError("not found")
            return Charge(
                reference=str(answer.get("id") or "")[:80],
                va_bank=str(answer.get("bank_code") or "")[:20],
                va_number=str(answer.get("account_number") or "")[:40],
            )
        answer = self._request(
            "POST",
            "/qr_codes",
            auth=self._auth,
            headers={"api-version": XENDIT_QR_API_VERSION},
            json_body={
                "reference_id": order_id,
                "type": "DYNAMIC",
                "currency": "IDR",
                "amount": amount,
                "expires_at": expires_at.isoformat(),
            },
        )
        if answer is None:
            raise GatewayError("not found")
        return Charge(
            reference=str(answer.get("id") or "")[:80], qr_string=str(answer.get("qr_string") or "")
        )

    def confirm(self, payment, notification=None, *, client=None) -> Confirmation:
        if payment.method == Method.QRIS:
            return self._confirm_qr(payment, notification, client)
        lookup = notification.lookup if notification is not None else ""
        if not _ID.match(lookup or ""):
            # No paid callback to ask by (a Fixed VA has no status API by our order id), or
            # an id that is no id: the gateway cannot confirm anything.
            return Confirmation(b"", None)
        answer = self._request(
            "GET",
            f"/callback_virtual_account_payments/payment_id={lookup}",
            auth=self._auth,
            client=client,
        )
        if answer is None:
            return Confirmation(b"null", None)
        raw = json.dumps(answer).encode()
        try:
            return Confirmation(raw, self.parse(answer))
        except Malformed:
            raise GatewayError("unusable status answer") from None

    def _confirm_qr(self, payment, notification, client) -> Confirmation:
        """The QR code's payments: a succeeded one (the notification's own first) is the
        truth; else the notification's own payment as the gateway has it; else none is paid
        yet (pending)."""
        if not _ID.match(payment.provider_reference or ""):
            return Confirmation(b"", None)
        answer = self._request(
            "GET",
            f"/qr_codes/{payment.provider_reference}/payments",
            auth=self._auth,
            headers={"api-version": XENDIT_QR_API_VERSION},
            client=client,
        )
        if answer is None:
            return Confirmation(b"null", None)
        items = [item for item in answer.get("data") or [] if isinstance(item, dict)]
        lookup = notification.lookup if notification is not None else None
        items.sort(key=lambda item: (item.get("status") != "SUCCEEDED", item.get("id") != lookup))
        chosen = next(
            (i for i in items if i.get("status") == "SUCCEEDED" or i.get("id") == lookup), None
        )
        if chosen is None:
            pending = Notification(payment.order_id, PaymentStatus.PENDING, "qr.none", None)
            return Confirmation(json.dumps(answer).encode(), pending)
        document = {"event": "qr.payment", "data": chosen}
        try:
            return Confirmation(json.dumps(document).encode(), self.parse(document))
        except Malformed:
            raise GatewayError("unusable status answer") from None

    def status(self, payment) -> tuple[bytes, Notification] | None:
        """The poll: a QR code's succeeded payment (a Fixed VA has no status API by our order
        id alone: its payments arrive by callback, and the reconciliation catches a lost one)."""
        if payment.method != Method.QRIS:
            return None
        confirmation = self.confirm(payment)
        truth = confirmation.truth
        if truth is None or truth.status in (None, PaymentStatus.PENDING):
            return None
        return confirmation.raw, truth
