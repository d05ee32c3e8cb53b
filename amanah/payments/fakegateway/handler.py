"""The fake gateway's HTTP side: the APIs (``apis.py``) behind the gateways' credentials
(HTTP Basic with the server key / secret key as user name; Xendit's QR API wants
``api-version``), and the demo's payer page (``/simulator``). No request line is logged."""

from __future__ import annotations

import hmac
import json
import re
from html import escape
from urllib.parse import parse_qs

from amanah.core.loopback import KeepAliveHandler


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
_VA_PAYMENT_PATH = re.compile(
    r"^/callback_virtual_account_payments/payment_id=([A-Za-z0-9_\-]{1,80})$"
)


class Handler(KeepAliveHandler):  # kept alive, as the real APIs: the status questions pool
    server_version = "FakeGateway/1"

    def log_message(self, format, *args):  # noqa: A002 — quiet: no request line is logged
        pass

    @property
    def fake(self):  # the FakeGateway serving
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
        match = _VA_PAYMENT_PATH.match(self.path)
        if match:
            if who != "XENDIT":
                return self._answer(
                    401, {"error_code": "INVALID_API_KEY", "message": "invalid key"}
                )
            return self._answer(*self.fake.xendit_va_payment(match.group(1)))
        return self._answer(404, {"message": "not found"})
