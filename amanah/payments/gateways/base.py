"""What every gateway adapter shares: the errors, a notification in our terms, the status
API's confirmation of one, and the HTTP call.

Secrets come from ``settings.PAYMENT_GATEWAYS`` (env in production) and are never logged;
comparisons are constant-time. A request we cannot verify raises ``BadSignature`` before
anything else is read; a verified one we cannot read raises ``Malformed``; a gateway we cannot
ask (or whose answer we cannot trust) raises ``GatewayError``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

import httpx

from amanah.core.money import MACHINE, AmountRefused, read_amount

MAX_BODY = 64_000
# Headers kept with a raw callback: enough to trace it, never a secret (no token, no auth).
KEPT_HEADERS = ("content-type", "user-agent", "content-length", "webhook-id", "x-request-id")
CURRENCY = "IDR"


class GatewayError(Exception):
    """The gateway could not be reached or refused the request (nothing was charged here)."""


class BadSignature(Exception):
    """The callback's signature or token is missing or wrong."""


class Malformed(Exception):
    """A verified callback whose content we cannot read."""


@dataclass(frozen=True)
class Notification:
    """What a callback or status answer says about one order, in our terms.

    ``status`` is None for a provider status we do not track (refund, VA updated …).
    ``method`` (VA/QRIS, or the provider's own word when it is neither), ``currency``,
    ``reference`` (the gateway's id of the transaction) and ``account`` (the VA number) are
    compared with the status API's answer before the notification moves a payment;
    ``lookup`` is the id the status API is asked by when the order id is not enough (a
    Xendit VA payment, a QR payment); ``signed_mismatch`` names the signed fields the unsigned
    ones contradict (a Midtrans ``transaction_status`` against the signed ``status_code``)."""

    order_id: str
    status: str | None
    word: str  # the provider's own status word, for the reason
    amount: int | None
    reference: str = ""
    at: datetime | None = None
    currency: str = CURRENCY
    method: str = ""
    account: str = ""
    lookup: str = ""
    signed_mismatch: tuple[str, ...] = ()


@dataclass(frozen=True)
class Confirmation:
    """The status API's answer about one payment: ``raw`` as received (kept when it disagrees
    with a callback), ``truth`` what it says (None: the gateway knows no such payment)."""

    raw: bytes
    truth: Notification | None


@dataclass(frozen=True)
class Charge:
    reference: str
    va_bank: str = ""
    va_number: str = ""
    qr_string: str = ""


def kept_headers(headers) -> dict:
    return {name: str(headers.get(name, ""))[:200] for name in KEPT_HEADERS if headers.get(name)}


def whole_rupiah(value) -> int:
    """A gateway's amount, its JSON number or its text (``"125000.00"``), read by the house's
    one rule for a machine's amounts (``core.money``); anything else is a malformed message."""
    try:
        amount = read_amount(value, source=MACHINE)
    except AmountRefused:
        raise Malformed("amount") from None
    if amount > 10**13:
        raise Malformed("amount")
    return amount


def parse_json(body: bytes) -> dict:
    if len(body) > MAX_BODY:
        raise Malformed("too large")
    try:
        document = json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise Malformed("json") from None
    if not isinstance(document, dict):
        raise Malformed("json")
    return document


def text(document: dict, key: str, *, max_length: int = 80) -> str:
    value = document.get(key)
    if not isinstance(value, str) or not value or len(value) > max_length:
        raise Malformed(key)
    if not value.isprintable():
        raise Malformed(key)
    return value


def optional_text(document: dict, key: str, *, max_length: int = 80) -> str:
    """A field that may be absent (""); present, it is read as the gateway sent it (cut to
    ``max_length``) — for comparing with the status API, never for trusting it."""
    value = document.get(key)
    if value is None:
        return ""
    return str(value)[:max_length]


def currency_of(document: dict) -> str:
    """The currency a document names (rupiah when it names none, as both gateways' IDR
    accounts do); anything else as sent, so that it never equals IDR by accident."""
    value = document.get("currency", CURRENCY)
    return value[:8] if isinstance(value, str) else "?"


class Gateway:
    provider: str

    def __init__(self, *, base_url: str, timeout: float = 15.0, system: str = "", **_):
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.system = system  # the integrations system whose actor applies the callbacks

    def _request(
        self, method: str, path: str, *, auth, json_body=None, headers=None, client=None
    ) -> dict | None:
        """The answer's JSON; None for a 404 (the gateway knows no such thing); GatewayError
        when it cannot be reached or answers anything else. ``client``: a pooled
        ``httpx.Client`` (the callbacks job asks many times in a row), else one request."""
        send = client.request if client is not None else httpx.request
        try:
            response = send(
                method,
                self.base_url + path,
                auth=auth,
                json=json_body,
                headers=headers,
                timeout=self.timeout,
            )
        except httpx.HTTPError as error:
            raise GatewayError("unreachable") from error
        if response.status_code == 404:
            return None
        if response.status_code >= 300:
            raise GatewayError(f"status {response.status_code}")
        try:
            document = response.json()
        except ValueError:
            raise GatewayError("unreadable answer") from None
        if not isinstance(document, dict):
            raise GatewayError("unreadable answer")
        return document

    def confirm(self, payment, notification=None, *, client=None) -> Confirmation:
        """What the gateway's status API says about ``payment`` now (the ids asked by are
        ours — the order id, the charge's reference — or the notification's ``lookup``,
        whose answer must then name our order). GatewayError when it cannot be asked."""
        raise NotImplementedError

    def status(self, payment) -> tuple[bytes, Notification] | None:
        """The poll's question: the status API's answer, or None when it knows nothing that
        could change the payment."""
        confirmation = self.confirm(payment)
        if confirmation.truth is None:
            return None
        return confirmation.raw, confirmation.truth
