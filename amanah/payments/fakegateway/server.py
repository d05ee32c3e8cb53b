"""A loopback fake of the Midtrans Core API and the Xendit VA / QR code APIs.

It answers the real request shapes (see ``payments/gateways/``; the answers in ``apis.py``,
the HTTP side in ``handler.py``), checks credentials the way they do (HTTP Basic with the
server key / secret key as user name; Xendit's QR API wants ``api-version``), makes VA
numbers and QRIS strings (EMVCo, CRC-checked, built like an acquirer would with
``payments.qris``), keeps each order's state for the status APIs — Midtrans
``GET /v2/<order>/status``, Xendit ``GET /callback_virtual_account_payments/payment_id=<id>``
and ``GET /qr_codes/<id>/payments``, which the app asks before a payment moves — and sends
callbacks signed as the real ones are (Midtrans ``signature_key`` = SHA512(order_id +
status_code + gross_amount + server key); Xendit ``x-callback-token``).

Callbacks go out from one background thread, in order, each retried (``retries`` times,
``retry_delay`` apart) while the receiver does not answer 2xx — as the gateways retry. The
test controls:

- ``duplicate``: post every callback twice;
- ``burst``: post every callback that many times *at once* (threads released together);
- ``hold()`` / ``release(reorder=True)``: keep callbacks back, then send them (newest first);
- ``tamper``: sign with the wrong key (Midtrans) or send the wrong token (Xendit);
- ``pay(order_id, amount=None)``: the customer pays (another amount when given) → callback;
- ``pay_silently(order_id)``: the payment happens but no callback is sent (for the poll);
- ``expire(order_id)`` / ``cancel(order_id)``: Midtrans expire/cancel notifications;
- ``replay(n)``: post the n-th callback sent so far again, byte for byte;
- ``notification(order_id)``: the signed callback of the order's status now, for a test to
  edit and deliver itself; ``paid_order(...)``: an order made elsewhere, already paid (bench).

``posted`` records every callback (provider, order id, status word, the receiver's HTTP
status; 0 when it could not connect). Nothing is logged.
"""

from __future__ import annotations

import functools
import json
import queue
import secrets
import threading
import time
from dataclasses import dataclass

import httpx

from amanah.core.loopback import LoopbackServer
from amanah.payments.fakegateway.apis import GatewayApis
from amanah.payments.fakegateway.handler import Handler
from amanah.payments.fakegateway.orders import (
    MERCHANT,
    MIDTRANS_SERVER_KEY,
    MIDTRANS_STATUS_CODES,
    XENDIT_CALLBACK_TOKEN,
    XENDIT_SECRET_KEY,
    Order,
)
from amanah.payments.gateways import midtrans_signature

__all__ = [
    "MERCHANT",
    "MIDTRANS_SERVER_KEY",
    "MIDTRANS_STATUS_CODES",
    "XENDIT_CALLBACK_TOKEN",
    "XENDIT_SECRET_KEY",
    "FakeGateway",
    "Order",
    "Posted",
]


@dataclass(frozen=True)
class Posted:
    provider: str
    order_id: str
    word: str
    status: int  # the receiver's answer, 0 when unreachable
    body: bytes = b""


@dataclass(frozen=True)
class _Callback:
    provider: str
    order_id: str
    word: str
    body: bytes
    headers: dict


@functools.cache
def _tls_context():
    """One verifying TLS context for every fake's client: building one loads the CA bundle
    (~40 ms), and tests start a fake each."""
    return httpx.create_ssl_context()


class FakeGateway(GatewayApis, LoopbackServer):
    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        midtrans_callback_url: str = "",
        xendit_callback_url: str = "",
        server_key: str = MIDTRANS_SERVER_KEY,
        secret_key: str = XENDIT_SECRET_KEY,
        callback_token: str = XENDIT_CALLBACK_TOKEN,
        retries: int = 2,
        retry_delay: float = 0.05,
    ):
        super().__init__(host=host, port=port)
        self.handler = Handler
        self.midtrans_callback_url = midtrans_callback_url
        self.xendit_callback_url = xendit_callback_url
        self.server_key, self.secret_key, self.callback_token = (
            server_key,
            secret_key,
            callback_token,
        )
        self.retries, self.retry_delay = retries, retry_delay
        self.duplicate = False
        self.burst = 1
        self.tamper = False
        self.orders: dict[str, Order] = {}
        self.posted: list[Posted] = []
        self._sent: list[_Callback] = []
        self._held: list[_Callback] | None = None
        self._lock = threading.Lock()
        self._queue: queue.Queue = queue.Queue()
        self._poster: threading.Thread | None = None
        self._client = httpx.Client(timeout=httpx.Timeout(60.0), verify=_tls_context())

    # --- lifecycle (LoopbackServer serves the HTTP side) -------------------------------

    def on_start(self) -> None:
        self._poster = threading.Thread(target=self._post_loop, daemon=True)
        self._poster.start()

    def on_stop(self) -> None:
        if self._poster is not None:
            self._queue.put(None)
            self._poster.join(timeout=30)
            self._poster = None
        self._client.close()

    def config(self) -> dict:
        """``PAYMENT_GATEWAYS`` pointing both adapters at this fake."""
        return {
            "MIDTRANS": {"base_url": self.url, "server_key": self.server_key, "system": "midtrans"},
            "XENDIT": {
                "base_url": self.url,
                "secret_key": self.secret_key,
                "callback_token": self.callback_token,
                "system": "xendit",
            },
        }

    # --- what the customer (or the gateway) does ----------------------------------------------

    def pay(self, order_id: str, amount: int | None = None) -> None:
        self._send(self._settled_callback(self._settle(order_id, amount)))

    def pay_silently(self, order_id: str, amount: int | None = None) -> None:
        self._settle(order_id, amount)

    def _settle(self, order_id: str, amount: int | None) -> Order:
        order = self.orders[order_id]
        with self._lock:
            order.status, order.paid_amount = "settlement", amount or order.amount
            if order.provider == "XENDIT" and order.method == "VA":
                order.va_payment = self._va_payment(order)
        return order

    def notification(self, order_id: str) -> tuple[bytes, dict]:
        """The signed callback (body, headers) the gateway sends about the order's status now,
        exactly as it would post it: what a test edits and delivers itself."""
        order = self.orders[order_id]
        if order.status == "settlement":
            callback = self._settled_callback(order)
        elif order.provider == "MIDTRANS":
            callback = self._midtrans_callback(order, order.status)
        else:
            raise ValueError("a Xendit order says nothing before it is paid")
        return callback.body, dict(callback.headers)

    def paid_order(
        self, order_id: str, *, provider: str, amount: int, va_number: str = "", va_bank: str = ""
    ) -> tuple[bytes, dict]:
        """An order made elsewhere (the callbacks bench makes its payments set-based, without
        a charge), already paid: its status APIs answer it; returns its signed callback."""
        order = Order(provider, "VA", order_id, amount, va_bank=va_bank, va_number=va_number)
        order.va_id = f"cva-{order_id}"
        with self._lock:
            self.orders[order_id] = order
        self._settle(order_id, amount)
        return self.notification(order_id)

    def expire(self, order_id: str) -> None:
        self._end(order_id, "expire")

    def cancel(self, order_id: str) -> None:
        self._end(order_id, "cancel")

    def _end(self, order_id: str, word: str) -> None:
        order = self.orders[order_id]
        with self._lock:
            order.status = word
        if order.provider == "MIDTRANS":
            self._send(self._midtrans_callback(order, word))
        elif order.method == "VA":  # Xendit tells of an inactive VA (no payment)
            body = {
                "id": order.va_id,
                "external_id": order.order_id,
                "account_number": order.va_number,
                "bank_code": order.va_bank,
                "expected_amount": order.amount,
                "status": "INACTIVE",
            }
            self._send(self._xendit_callback(order, body, "va.inactive"))

    def hold(self) -> None:
        with self._lock:
            self._held = []

    @property
    def holding(self) -> bool:
        return self._held is not None

    def release(self, *, reorder: bool = False) -> None:
        with self._lock:
            held, self._held = self._held or [], None
        for callback in reversed(held) if reorder else held:
            self._queue.put(callback)

    def replay(self, index: int = -1) -> None:
        self._queue.put(self._sent[index])

    def wait_idle(self, timeout: float = 60.0) -> None:
        """Until every callback queued so far was posted (and its retries are done)."""
        deadline = time.monotonic() + timeout
        while self._queue.unfinished_tasks:
            if time.monotonic() > deadline:
                raise TimeoutError("the fake gateway's callbacks did not finish")
            time.sleep(0.01)

    # --- callbacks --------------------------------------------------------------------------

    def _gross(self, order: Order, amount: int | None = None) -> str:
        return f"{amount if amount is not None else order.amount}.00"

    def _midtrans_document(self, order: Order, word: str) -> dict:
        status_code = MIDTRANS_STATUS_CODES.get(word, "200")
        gross = self._gross(order, order.paid_amount if word == "settlement" else None)
        key = self.server_key + ("x" if self.tamper else "")
        document = {
            "transaction_time": time.strftime("%Y-%m-%d %H:%M:%S"),
            "transaction_status": word,
            "transaction_id": order.transaction_id,
            "status_message": "midtrans payment notification",
            "status_code": status_code,
            "signature_key": midtrans_signature(order.order_id, status_code, gross, key),
            "payment_type": "bank_transfer" if order.method == "VA" else "qris",
            "order_id": order.order_id,
            "merchant_id": "G000000000",
            "gross_amount": gross,
            "fraud_status": "accept",
            "currency": "IDR",
        }
        if order.method == "VA":
            document["va_numbers"] = [{"va_number": order.va_number, "bank": order.va_bank.lower()}]
        if word == "settlement":
            document["settlement_time"] = document["transaction_time"]
        return document

    def _midtrans_callback(self, order: Order, word: str) -> _Callback:
        body = json.dumps(self._midtrans_document(order, word)).encode()
        headers = {"content-type": "application/json", "user-agent": "Veritrans"}
        return _Callback("MIDTRANS", order.order_id, word, body, headers)

    def _xendit_callback(self, order: Order, document: dict, word: str) -> _Callback:
        token = self.callback_token + ("x" if self.tamper else "")
        headers = {"content-type": "application/json", "x-callback-token": token}
        return _Callback("XENDIT", order.order_id, word, json.dumps(document).encode(), headers)

    def _settled_callback(self, order: Order) -> _Callback:
        if order.provider == "MIDTRANS":
            return self._midtrans_callback(order, "settlement")
        if order.method == "VA":
            return self._xendit_callback(order, dict(order.va_payment), "va.paid")
        return self._xendit_callback(order, self._qr_payment(order), "qr.succeeded")

    def _va_payment(self, order: Order) -> dict:
        """A Fixed VA's payment: its paid callback, and what its status API answers."""
        return {
            "id": secrets.token_hex(12),
            "payment_id": secrets.token_hex(12),
            "callback_virtual_account_id": order.va_id,
            "external_id": order.order_id,
            "merchant_code": "88608",
            "account_number": order.va_number,
            "bank_code": order.va_bank,
            "amount": order.paid_amount,
            "transaction_timestamp": time.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
            "owner_id": "5f0e0c0a0b0c0d0e0f101112",
            "currency": "IDR",
        }

    def _qr_payment(self, order: Order) -> dict:
        return {
            "event": "qr.payment",
            "business_id": "5f0e0c0a0b0c0d0e0f101112",
            "created": time.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
            "data": {
                "id": "qrpy_" + order.transaction_id,
                "business_id": "5f0e0c0a0b0c0d0e0f101112",
                "currency": "IDR",
                "amount": order.paid_amount,
                "status": "SUCCEEDED",
                "qr_id": order.qr_id,
                "reference_id": order.order_id,
                "channel_code": "ID_DANA",
                "type": "DYNAMIC",
            },
        }

    def _send(self, callback: _Callback) -> None:
        with self._lock:
            if self._held is not None:
                self._held.append(callback)
                return
        self._queue.put(callback)

    def _url_for(self, provider: str) -> str:
        return self.midtrans_callback_url if provider == "MIDTRANS" else self.xendit_callback_url

    def _post_once(self, callback: _Callback) -> int:
        url = self._url_for(callback.provider)
        if not url:
            return 0
        for attempt in range(self.retries + 1):
            try:
                status = self._client.post(
                    url, content=callback.body, headers=callback.headers
                ).status_code
            except httpx.HTTPError:
                status = 0
            if 200 <= status < 300 or 400 <= status < 500:
                return status  # a 4xx is an answer: the gateways do not retry a refusal
            if attempt < self.retries:
                time.sleep(self.retry_delay)
        return status

    def _post_loop(self) -> None:
        while True:
            callback = self._queue.get()
            try:
                if callback is None:
                    return
                with self._lock:
                    self._sent.append(callback)
                times = 2 if self.duplicate else 1
                for _ in range(times):
                    for status in self._post_burst(callback):
                        self.posted.append(
                            Posted(
                                callback.provider,
                                callback.order_id,
                                callback.word,
                                status,
                                callback.body,
                            )
                        )
            finally:
                self._queue.task_done()

    def _post_burst(self, callback: _Callback) -> list[int]:
        if self.burst <= 1:
            return [self._post_once(callback)]
        barrier = threading.Barrier(self.burst)
        results: list[int] = []

        def post():
            barrier.wait(timeout=30)
            results.append(self._post_once(callback))

        threads = [threading.Thread(target=post) for _ in range(self.burst)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        return results
