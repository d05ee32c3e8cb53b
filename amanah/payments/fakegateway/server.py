"""A loopback fake of the Midtrans Core API and the Xendit VA / QR code APIs.

It answers the real request shapes (see ``payments/gateways.py``), checks credentials the
way they do (HTTP Basic with the server key / secret key as user name; Xendit's QR API wants
``api-version``), makes VA numbers and QRIS strings (EMVCo, CRC-checked, built like an
acquirer would with ``payments.qris``), keeps each order's state for the status APIs, and
sends callbacks signed as the real ones are (Midtrans ``signature_key`` = SHA512(order_id +
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
- ``replay(n)``: post the n-th callback sent so far again, byte for byte.

``posted`` records every callback (provider, order id, status word, the receiver's HTTP
status; 0 when it could not connect). Nothing is logged.
"""

from __future__ import annotations

import base64
import functools
import hmac
import json
import queue
import re
import secrets
import threading
import time
from dataclasses import dataclass, field
from html import escape
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qs

import httpx

from amanah.core.loopback import LoopbackServer
from amanah.payments import qris
from amanah.payments.gateways import midtrans_signature

MIDTRANS_SERVER_KEY = "fake-midtrans-server-key"  # noqa: S105 — loopback only
XENDIT_SECRET_KEY = "fake-xendit-secret-key"  # noqa: S105
XENDIT_CALLBACK_TOKEN = "fake-xendit-callback-token"  # noqa: S105
MERCHANT = qris.Merchant(name="PDAM TIRTA UJI", city="MEDAN", nmid="ID1020000000001")
MIDTRANS_STATUS_CODES = {
    "pending": "201",
    "settlement": "200",
    "expire": "407",
    "cancel": "200",
    "deny": "202",
}


@dataclass
class Order:
    provider: str  # "MIDTRANS" | "XENDIT"
    method: str  # "VA" | "QRIS"
    order_id: str
    amount: int
    status: str = "pending"  # midtrans words; xendit: pending/paid
    transaction_id: str = field(default_factory=lambda: secrets.token_hex(16))
    va_bank: str = ""
    va_number: str = ""
    va_id: str = ""
    qr_id: str = ""
    qr_string: str = ""
    paid_amount: int | None = None
    answer: dict = field(default_factory=dict)


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


class FakeGateway(LoopbackServer):
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
        self.handler = _Handler
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
        order = self.orders[order_id]
        with self._lock:
            order.status, order.paid_amount = "settlement", amount or order.amount
        self._send(self._settled_callback(order))

    def pay_silently(self, order_id: str, amount: int | None = None) -> None:
        order = self.orders[order_id]
        with self._lock:
            order.status, order.paid_amount = "settlement", amount or order.amount

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
            document = {
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
            }
            return self._xendit_callback(order, document, "va.paid")
        return self._xendit_callback(order, self._qr_payment(order), "qr.succeeded")

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

    # --- the APIs -------------------------------------------------------------------------------

    def _basic_user(self, header: str | None) -> str | None:
        if not header or not header.startswith("Basic "):
            return None
        try:
            user, _, _password = base64.b64decode(header[6:]).decode().partition(":")
        except (ValueError, UnicodeDecodeError):
            return None
        return user

    def midtrans_charge(self, body: dict) -> tuple[int, dict]:
        details = body.get("transaction_details") or {}
        order_id, amount = details.get("order_id"), details.get("gross_amount")
        if not isinstance(order_id, str) or not isinstance(amount, int) or amount <= 0:
            return 400, {
                "status_code": "400",
                "status_message": "One or more parameters in the payload is invalid.",
            }
        payment_type = body.get("payment_type")
        with self._lock:
            if order_id in self.orders:  # the same order again: the first answer again
                return 200, self.orders[order_id].answer
            if payment_type == "bank_transfer":
                bank = str((body.get("bank_transfer") or {}).get("bank") or "bni")
                order = Order("MIDTRANS", "VA", order_id, amount, va_bank=bank.upper())
                order.va_number = "8" + str(int(order.transaction_id[:12], 16))[:15].zfill(15)
            elif payment_type == "qris":
                order = Order("MIDTRANS", "QRIS", order_id, amount)
                order.qr_string = qris.build(MERCHANT, amount=amount, bill_number=order_id)
            else:
                return 400, {
                    "status_code": "400",
                    "status_message": "payment_type is not supported",
                }
            answer = {
                "status_code": "201",
                "status_message": "Success, transaction is created",
                "transaction_id": order.transaction_id,
                "order_id": order_id,
                "merchant_id": "G000000000",
                "gross_amount": f"{amount}.00",
                "currency": "IDR",
                "payment_type": payment_type,
                "transaction_time": time.strftime("%Y-%m-%d %H:%M:%S"),
                "transaction_status": "pending",
                "fraud_status": "accept",
            }
            if order.method == "VA":
                answer["va_numbers"] = [
                    {"bank": order.va_bank.lower(), "va_number": order.va_number}
                ]
            else:
                answer["qr_string"] = order.qr_string
                answer["actions"] = [{"name": "generate-qr-code", "method": "GET", "url": ""}]
            order.answer = answer
            self.orders[order_id] = order
        self._send(self._midtrans_callback(order, "pending"))
        return 201, answer

    def midtrans_status(self, order_id: str) -> tuple[int, dict]:
        order = self.orders.get(order_id)
        if order is None or order.provider != "MIDTRANS":
            return 404, {"status_code": "404", "status_message": "Transaction doesn't exist."}
        return 200, self._midtrans_document(order, order.status)

    def xendit_va(self, body: dict) -> tuple[int, dict]:
        external_id, amount = body.get("external_id"), body.get("expected_amount")
        if not isinstance(external_id, str) or not isinstance(amount, int) or amount <= 0:
            return 400, {"error_code": "API_VALIDATION_ERROR", "message": "invalid"}
        with self._lock:
            if external_id in self.orders:
                return 200, self.orders[external_id].answer
            order = Order(
                "XENDIT", "VA", external_id, amount, va_bank=str(body.get("bank_code") or "BNI")
            )
            order.va_id = secrets.token_hex(12)
            order.va_number = "88608" + str(int(order.transaction_id[:10], 16))[:11].zfill(11)
            order.answer = {
                "id": order.va_id,
                "owner_id": "5f0e0c0a0b0c0d0e0f101112",
                "external_id": external_id,
                "merchant_code": "88608",
                "account_number": order.va_number,
                "bank_code": order.va_bank,
                "name": body.get("name", ""),
                "is_closed": True,
                "expected_amount": amount,
                "is_single_use": True,
                "status": "PENDING",
                "currency": "IDR",
            }
            self.orders[external_id] = order
        return 200, order.answer

    def xendit_qr(self, body: dict) -> tuple[int, dict]:
        reference, amount = body.get("reference_id"), body.get("amount")
        if not isinstance(reference, str) or not isinstance(amount, int) or amount <= 0:
            return 400, {"error_code": "API_VALIDATION_ERROR", "message": "invalid"}
        with self._lock:
            if reference in self.orders:
                return 200, self.orders[reference].answer
            order = Order("XENDIT", "QRIS", reference, amount)
            order.qr_id = "qr_" + order.transaction_id
            order.qr_string = qris.build(MERCHANT, amount=amount, bill_number=reference)
            order.answer = {
                "id": order.qr_id,
                "reference_id": reference,
                "business_id": "5f0e0c0a0b0c0d0e0f101112",
                "type": "DYNAMIC",
                "currency": "IDR",
                "amount": amount,
                "channel_code": "ID_DANA",
                "status": "ACTIVE",
                "qr_string": order.qr_string,
            }
            self.orders[reference] = order
        return 201, order.answer

    def xendit_qr_payments(self, qr_id: str) -> tuple[int, dict]:
        order = next((o for o in self.orders.values() if o.qr_id == qr_id), None)
        if order is None:
            return 404, {"error_code": "DATA_NOT_FOUND", "message": "QR code not found"}
        items = [self._qr_payment(order)["data"]] if order.status == "settlement" else []
        return 200, {"data": items, "has_more": False}


def simulator_page(orders) -> str:
    """The payer's side in the demo (like the gateways' sandbox simulators): every order with
    a *Bayar* button for the pending ones. Not a gateway API; loopback only."""
    rows = "".join(
        f"<tr><td>{escape(o.order_id)}</td><td>{o.provider}</td><td>{o.method}</td>"
        f"<td>{o.amount:,}</td><td>{escape(o.status)}</td><td>"
        + (
            f'<form method="post" action="/simulator/pay"><input type="hidden" name="order_id" '
            f'value="{escape(o.order_id)}"><button>Bayar</button></form>'
            if o.status == "pending"
            else ""
        )
        + "</td></tr>"
        for o in reversed(list(orders))
    )
    return (
        '<!doctype html><html lang="id"><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width">'
        "<title>Simulator pembayaran (demo)</title><h1>Simulator pembayaran VA/QRIS (demo)</h1>"
        "<p>Gateway palsu di loopback: <b>Bayar</b> menyelesaikan pembayaran dan mengirim "
        "callback bertanda tangan ke aplikasi, seperti gateway sungguhan.</p>"
        "<table border=1 cellpadding=4><tr><th>Order</th><th>Gateway</th><th>Metode</th>"
        f"<th>Jumlah (Rp)</th><th>Status</th><th></th></tr>{rows}</table>"
    )


_STATUS_PATH = re.compile(r"^/v2/([A-Za-z0-9\-_.~]{1,50})/status$")
_QR_PAYMENTS_PATH = re.compile(r"^/qr_codes/([A-Za-z0-9_\-]{1,80})/payments$")


class _Handler(BaseHTTPRequestHandler):
    server_version = "FakeGateway/1"

    def log_message(self, format, *args):  # noqa: A002 — quiet: no request line is logged
        pass

    @property
    def fake(self) -> FakeGateway:
        return self.server.fake

    def _answer(self, status: int, document: dict) -> None:
        raw = json.dumps(document).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    def _authorised(self) -> str | None:
        user = self.fake._basic_user(self.headers.get("Authorization"))
        if user is not None and hmac.compare_digest(user, self.fake.server_key):
            return "MIDTRANS"
        if user is not None and hmac.compare_digest(user, self.fake.secret_key):
            return "XENDIT"
        return None

    def _body(self) -> dict | None:
        length = int(self.headers.get("Content-Length") or 0)
        try:
            document = json.loads(self.rfile.read(min(length, 1_000_000)) or b"{}")
        except ValueError:
            return None
        return document if isinstance(document, dict) else None

    def _simulator_pay(self) -> None:
        length = min(int(self.headers.get("Content-Length") or 0), 10_000)
        form = parse_qs(self.rfile.read(length).decode("utf-8", "replace"))
        order = self.fake.orders.get((form.get("order_id") or [""])[0])
        if order is None or order.status != "pending":
            return self._answer(404, {"message": "no pending order"})
        self.fake.pay(order.order_id)
        self.send_response(303)
        self.send_header("Location", "/simulator")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_POST(self):  # noqa: N802 — http.server's name
        if self.path == "/simulator/pay":
            return self._simulator_pay()
        who = self._authorised()
        body = self._body()
        if body is None:
            return self._answer(400, {"status_code": "400", "message": "invalid JSON"})
        if self.path == "/v2/charge":
            if who != "MIDTRANS":
                return self._answer(401, {"status_code": "401", "status_message": "Access denied"})
            return self._answer(*self.fake.midtrans_charge(body))
        if who != "XENDIT":
            return self._answer(401, {"error_code": "INVALID_API_KEY", "message": "invalid key"})
        if self.path == "/callback_virtual_accounts":
            return self._answer(*self.fake.xendit_va(body))
        if self.path == "/qr_codes":
            if not self.headers.get("api-version"):
                return self._answer(
                    400, {"error_code": "API_VALIDATION_ERROR", "message": "api-version"}
                )
            return self._answer(*self.fake.xendit_qr(body))
        return self._answer(404, {"message": "not found"})

    def do_GET(self):  # noqa: N802
        if self.path == "/simulator":
            raw = simulator_page(list(self.fake.orders.values())).encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            return self.wfile.write(raw)
        who = self._authorised()
        match = _STATUS_PATH.match(self.path)
        if match:
            if who != "MIDTRANS":
                return self._answer(401, {"status_code": "401", "status_message": "Access denied"})
            return self._answer(*self.fake.midtrans_status(match.group(1)))
        match = _QR_PAYMENTS_PATH.match(self.path)
        if match:
            if who != "XENDIT":
                return self._answer(
                    401, {"error_code": "INVALID_API_KEY", "message": "invalid key"}
                )
            return self._answer(*self.fake.xendit_qr_payments(match.group(1)))
        return self._answer(404, {"message": "not found"})
