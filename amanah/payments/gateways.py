"""Adapters for the payment gateways, in their real API shapes.

**Midtrans** (Core API): a charge is ``POST /v2/charge`` (HTTP Basic, the server key as user
name) with ``payment_type`` ``bank_transfer`` (a VA at ``bank_transfer.bank``) or ``qris``; the
answer carries ``va_numbers`` or ``qr_string``. Its HTTP notification is JSON with
``order_id``, ``status_code``, ``gross_amount`` (a string, ``"125000.00"``),
``transaction_status`` (settlement, capture, pending, expire, cancel, deny, failure, refund …),
``transaction_id`` and ``signature_key`` = SHA512(order_id + status_code + gross_amount +
server key), hex. The status API ``GET /v2/<order_id>/status`` answers the same shape, signed.

**Xendit**: callbacks carry the account's verification token in the header
``x-callback-token``. A Fixed VA is ``POST /callback_virtual_accounts`` (Basic, the secret key
as user name); its *paid* callback has ``external_id`` (our order id), ``payment_id``,
``callback_virtual_account_id``, ``amount``, ``account_number``, ``bank_code``. Its
created/updated callbacks (``status`` ACTIVE/INACTIVE) change nothing here: an INACTIVE
single-use VA may equally be paid or expired. A QR code is ``POST /qr_codes`` (header
``api-version: 2022-07-31``), with ``reference_id`` our order id; its callback is
``{"event": "qr.payment", "data": {"reference_id", "qr_id", "amount", "status"}}`` and the
status API ``GET /qr_codes/<qr id>/payments`` lists its payments.

Secrets come from ``settings.PAYMENT_GATEWAYS`` (env in production) and are never logged;
comparisons are constant-time. A request we cannot verify raises ``BadSignature`` before
anything else is read; a verified one we cannot read raises ``Malformed``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import datetime, timedelta

import httpx
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

from amanah.core.money import MACHINE, AmountRefused, read_amount
from amanah.payments.models import Method, PaymentStatus, Provider

MAX_BODY = 64_000
# Headers kept with a raw callback: enough to trace it, never a secret (no token, no auth).
KEPT_HEADERS = ("content-type", "user-agent", "content-length", "webhook-id", "x-request-id")


class GatewayError(Exception):
    """The gateway could not be reached or refused the request (nothing was charged here)."""


class BadSignature(Exception):
    """The callback's signature or token is missing or wrong."""


class Malformed(Exception):
    """A verified callback whose content we cannot read."""


@dataclass(frozen=True)
class Notification:
    """What a callback or status answer says about one order, in our terms.

    ``status`` is None for a provider status we do not track (refund, VA updated …)."""

    order_id: str
    status: str | None
    word: str  # the provider's own status word, for the reason
    amount: int | None
    reference: str = ""
    at: datetime | None = None


@dataclass(frozen=True)
class Charge:
    reference: str
    va_bank: str = ""
    va_number: str = ""
    qr_string: str = ""


def kept_headers(headers) -> dict:
    return {name: str(headers.get(name, ""))[:200] for name in KEPT_HEADERS if headers.get(name)}


def _whole_rupiah(value) -> int:
    """A gateway's amount, its JSON number or its text (``"125000.00"``), read by the house's
    one rule for a machine's amounts (``core.money``); anything else is a malformed message."""
    try:
        amount = read_amount(value, source=MACHINE)
    except AmountRefused:
        raise Malformed("amount") from None
    if amount > 10**13:
        raise Malformed("amount")
    return amount


def _json(body: bytes) -> dict:
    if len(body) > MAX_BODY:
        raise Malformed("too large")
    try:
        document = json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise Malformed("json") from None
    if not isinstance(document, dict):
        raise Malformed("json")
    return document


parse_json = _json  # the processing job reads a stored (already verified) body again


def _text(document: dict, key: str, *, max_length: int = 80) -> str:
    value = document.get(key)
    if not isinstance(value, str) or not value or len(value) > max_length:
        raise Malformed(key)
    if not value.isprintable():
        raise Malformed(key)
    return value


class Gateway:
    provider: str

    def __init__(self, *, base_url: str, timeout: float = 15.0, system: str = "", **_):
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.system = system  # the integrations system whose actor applies the callbacks

    def _request(self, method: str, path: str, *, auth, json_body=None, headers=None) -> dict:
        try:
            response = httpx.request(
                method,
                self.base_url + path,
                auth=auth,
                json=json_body,
                headers=headers,
                timeout=self.timeout,
            )
        except httpx.HTTPError as error:
            raise GatewayError("unreachable") from error
        if response.status_code >= 300:
            raise GatewayError(f"status {response.status_code}")
        try:
            document = response.json()
        except ValueError:
            raise GatewayError("unreadable answer") from None
        if not isinstance(document, dict):
            raise GatewayError("unreadable answer")
        return document


# --------------------------------------------------------------------------------- Midtrans

MIDTRANS_STATUS = {
    "settlement": PaymentStatus.SETTLED,
    "capture": PaymentStatus.SETTLED,  # only with fraud_status accept (see parse)
    "pending": PaymentStatus.PENDING,
    "expire": PaymentStatus.EXPIRED,
    "cancel": PaymentStatus.CANCELLED,
    "deny": PaymentStatus.FAILED,
    "failure": PaymentStatus.FAILED,
}


def midtrans_signature(order_id: str, status_code: str, gross_amount: str, server_key: str) -> str:
    raw = f"{order_id}{status_code}{gross_amount}{server_key}".encode()
    return hashlib.sha512(raw).hexdigest()


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
            document = _json(body)
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
        order_id = _text(document, "order_id", max_length=50)
        word = _text(document, "transaction_status", max_length=30)
        status = MIDTRANS_STATUS.get(word)
        if word == "capture" and document.get("fraud_status") not in (None, "accept"):
            status = PaymentStatus.PENDING  # a challenged card capture is not money yet
        return Notification(
            order_id=order_id,
            status=status,
            word=word,
            amount=_whole_rupiah(document.get("gross_amount")),
            reference=str(document.get("transaction_id") or "")[:80],
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
        if str(answer.get("status_code")) not in ("200", "201"):
            raise GatewayError(f"charge refused {answer.get('status_code')}")
        va = (answer.get("va_numbers") or [{}])[0] if method == Method.VA else {}
        return Charge(
            reference=str(answer.get("transaction_id") or "")[:80],
            va_bank=str(va.get("bank") or "").upper()[:20],
            va_number=str(va.get("va_number") or "")[:40],
            qr_string=str(answer.get("qr_string") or ""),
        )

    def status(self, payment) -> tuple[bytes, Notification] | None:
        """The order's status from the status API, verified like a notification."""
        answer = self._request("GET", f"/v2/{payment.order_id}/status", auth=self._auth)
        raw = json.dumps(answer).encode()
        if str(answer.get("status_code")) == "404":
            return None
        return raw, self.parse(self.verify({}, raw))


# ----------------------------------------------------------------------------------- Xendit

XENDIT_QR_STATUS = {"SUCCEEDED": PaymentStatus.SETTLED, "COMPLETED": PaymentStatus.SETTLED}
XENDIT_QR_API_VERSION = "2022-07-31"


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
        return _json(body)

    def parse(self, document: dict) -> Notification:
        if document.get("event") == "qr.payment":
            data = document.get("data")
            if not isinstance(data, dict):
                raise Malformed("data")
            word = _text(data, "status", max_length=30)
            status = XENDIT_QR_STATUS.get(word)
            if word in ("FAILED", "VOIDED"):
                status = PaymentStatus.FAILED
            return Notification(
                order_id=_text(data, "reference_id", max_length=50),
                status=status,
                word=f"qr.{word.lower()}",
                amount=_whole_rupiah(data.get("amount")),
                reference=str(data.get("qr_id") or "")[:80],
            )
        if "payment_id" in document and "callback_virtual_account_id" in document:
            return Notification(
                order_id=_text(document, "external_id", max_length=50),
                status=PaymentStatus.SETTLED,
                word="va.paid",
                amount=_whole_rupiah(document.get("amount")),
                reference=_text(document, "callback_virtual_account_id"),
            )
        if "external_id" in document and "status" in document:  # FVA created/updated
            return Notification(
                order_id=_text(document, "external_id", max_length=50),
                status=None,
                word=f"va.{str(document.get('status'))[:20].lower()}",
                amount=None,
            )
        raise Malformed("unknown callback")

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
        return Charge(
            reference=str(answer.get("id") or "")[:80], qr_string=str(answer.get("qr_string") or "")
        )

    def status(self, payment) -> tuple[bytes, Notification] | None:
        """QR codes: their payments list. A Fixed VA has no status API by our order id alone
        (its payments are found by payment id, which only the paid callback carries)."""
        if payment.method != Method.QRIS or not payment.provider_reference:
            return None
        answer = self._request(
            "GET",
            f"/qr_codes/{payment.provider_reference}/payments",
            auth=self._auth,
            headers={"api-version": XENDIT_QR_API_VERSION},
        )
        for item in answer.get("data") or []:
            if isinstance(item, dict) and item.get("status") == "SUCCEEDED":
                document = {"event": "qr.payment", "data": item}
                return json.dumps(document).encode(), self.parse(document)
        return None


GATEWAY_CLASSES = {Provider.MIDTRANS: MidtransGateway, Provider.XENDIT: XenditGateway}


def gateway_for(provider: str) -> Gateway:
    """The configured adapter of ``provider`` (``settings.PAYMENT_GATEWAYS[provider]``)."""
    config = dict(getattr(settings, "PAYMENT_GATEWAYS", {}).get(provider) or {})
    if not config or provider not in GATEWAY_CLASSES:
        raise ImproperlyConfigured(f"payment gateway {provider} is not configured")
    return GATEWAY_CLASSES[provider](**config)


def default_expiry() -> datetime:
    return timezone.now() + timedelta(hours=getattr(settings, "PAYMENT_EXPIRY_HOURS", 24))
