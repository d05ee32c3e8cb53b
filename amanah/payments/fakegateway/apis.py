"""The fake gateway's API answers, in the real shapes: Midtrans ``POST /v2/charge`` and
``GET /v2/<order>/status`` (signed like a notification), Xendit ``POST
/callback_virtual_accounts``, ``GET /callback_virtual_account_payments/payment_id=<id>``,
``POST /qr_codes`` and ``GET /qr_codes/<id>/payments``. Mixed into ``FakeGateway``; the HTTP
side is ``handler.py``."""

from __future__ import annotations

import base64
import secrets
import time

from amanah.payments import qris
from amanah.payments.fakegateway.orders import MERCHANT, Order


class GatewayApis:
    """The answers (HTTP status, JSON) of each API, from the fake's ``orders``."""

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

    def xendit_va_payment(self, payment_id: str) -> tuple[int, dict]:
        order = next(
            (
                o
                for o in self.orders.values()
                if o.va_payment and o.va_payment["payment_id"] == payment_id
            ),
            None,
        )
        if order is None:
            return 404, {
                "error_code": "CALLBACK_VIRTUAL_ACCOUNT_PAYMENT_NOT_FOUND_ERROR",
                "message": "Callback virtual account payment not found",
            }
        return 200, dict(order.va_payment)
