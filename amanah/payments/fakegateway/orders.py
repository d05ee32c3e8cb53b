"""What the fake gateway keeps: its keys (loopback only), the merchant its QRIS strings name,
the signed status codes it sends, and one ``Order`` per charge."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field

from amanah.payments import qris
from amanah.payments.fakegateway.environment import (  # noqa: F401 (the fake's keys)
    MIDTRANS_SERVER_KEY,
    XENDIT_CALLBACK_TOKEN,
    XENDIT_SECRET_KEY,
)

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
    """One charge and what became of it (``status`` in Midtrans' words for both gateways;
    ``va_payment``: a paid Xendit Fixed VA's payment, as its status API answers it)."""

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
    va_payment: dict | None = None
