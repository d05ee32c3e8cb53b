"""Adapters for the payment gateways, in their real API shapes (``midtrans.py``,
``xendit.py``; what they share in ``base.py``), and ``gateway_for(provider)``: the configured
adapter.

Every adapter answers the same four questions: ``create_charge`` (a VA or QRIS charge),
``verify`` (a callback's signature or token: ``BadSignature``), ``parse`` (the verified
callback in our terms, a ``Notification``: ``Malformed``) and ``confirm`` (what its status API
says about one payment now: a ``Confirmation``; ``GatewayError`` when it cannot be asked). A
notification only says what to ask: a payment moves on what ``confirm`` answered
(``payments.confirmation``, docs/payments.md "How a payment is confirmed").
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

from amanah.payments.gateways.base import (
    CURRENCY,
    MAX_BODY,
    BadSignature,
    Charge,
    Confirmation,
    Gateway,
    GatewayError,
    Malformed,
    Notification,
    kept_headers,
    parse_json,
)
from amanah.payments.gateways.midtrans import MidtransGateway, midtrans_signature
from amanah.payments.gateways.xendit import XenditGateway
from amanah.payments.models import Provider

__all__ = [
    "CURRENCY",
    "GATEWAY_CLASSES",
    "MAX_BODY",
    "BadSignature",
    "Charge",
    "Confirmation",
    "Gateway",
    "GatewayError",
    "Malformed",
    "MidtransGateway",
    "Notification",
    "XenditGateway",
    "default_expiry",
    "gateway_for",
    "kept_headers",
    "midtrans_signature",
    "parse_json",
]

GATEWAY_CLASSES = {Provider.MIDTRANS: MidtransGateway, Provider.XENDIT: XenditGateway}


def gateway_for(provider: str) -> Gateway:
    """The configured adapter of ``provider`` (``settings.PAYMENT_GATEWAYS[provider]``)."""
    config = dict(getattr(settings, "PAYMENT_GATEWAYS", {}).get(provider) or {})
    if not config or provider not in GATEWAY_CLASSES:
        raise ImproperlyConfigured(f"payment gateway {provider} is not configured")
    return GATEWAY_CLASSES[provider](**config)


def default_expiry() -> datetime:
    return timezone.now() + timedelta(hours=getattr(settings, "PAYMENT_EXPIRY_HOURS", 24))
