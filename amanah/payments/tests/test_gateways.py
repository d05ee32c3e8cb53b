from __future__ import annotations

import hashlib
import json

import pytest

from amanah.payments import gateways
from amanah.payments.models import PaymentStatus

MIDTRANS = dict(base_url="http://127.0.0.1:9", server_key="SB-Mid-server-rahasia")
XENDIT = dict(base_url="http://127.0.0.1:9", secret_key="xnd_rahasia", callback_token="tok-123")


def _midtrans(word="settlement", *, gross="125000.00", key="SB-Mid-server-rahasia", **extra):
    doc = {
        "order_id": "AMN-1",
        "status_code": "200",
        "gross_amount": gross,
        "transaction_status": word,
        "transaction_id": "abc",
        **extra,
    }
    raw = f"{doc['order_id']}{doc['status_code']}{gross}{key}".encode()
    doc["signature_key"] = hashlib.sha512(raw).hexdigest()
    return json.dumps(doc).encode()


def test_midtrans_signature_is_sha512_of_the_four_fields():
    expected = hashlib.sha512(b"AMN-1200125000.00kunci").hexdigest()
    assert gateways.midtrans_signature("AMN-1", "200", "125000.00", "kunci") == expected


@pytest.mark.parametrize(
    ("word", "status"),
    [
        ("settlement", PaymentStatus.SETTLED),
        ("capture", PaymentStatus.SETTLED),
        ("pending", PaymentStatus.PENDING),
        ("expire", PaymentStatus.EXPIRED),
        ("cancel", PaymentStatus.CANCELLED),
        ("deny", PaymentStatus.FAILED),
        ("refund", None),
    ],
)
def test_midtrans_statuses_map_to_ours(word, status):
    gateway = gateways.MidtransGateway(**MIDTRANS)
    notification = gateway.parse(gateway.verify({}, _midtrans(word)))
    assert (notification.order_id, notification.status, notification.amount) == (
        "AMN-1",
        status,
        125_000,
    )


def test_a_challenged_capture_is_not_money_yet():
    gateway = gateways.MidtransGateway(**MIDTRANS)
    body = _midtrans("capture", fraud_status="challenge")
    assert gateway.parse(gateway.verify({}, body)).status == PaymentStatus.PENDING


@pytest.mark.parametrize(
    "body",
    [
        _midtrans(key="kunci-lain"),
        b"{}",
        b"not json",
        json.dumps({"order_id": "AMN-1", "status_code": "200", "gross_amount": "1"}).encode(),
    ],
)
def test_midtrans_wrong_or_missing_signature_is_refused(body):
    with pytest.raises(gateways.BadSignature):
        gateways.MidtransGateway(**MIDTRANS).verify({}, body)


@pytest.mark.parametrize("gross", ["125000.50", "-1.00", "NaN", "1e40"])
def test_midtrans_amounts_must_be_whole_rupiah(gross):
    gateway = gateways.MidtransGateway(**MIDTRANS)
    with pytest.raises(gateways.Malformed):
        gateway.parse(gateway.verify({}, _midtrans(gross=gross)))


def test_xendit_token_is_checked_and_both_callback_shapes_read():
    gateway = gateways.XenditGateway(**XENDIT)
    va_paid = json.dumps(
        {
            "payment_id": "p1",
            "callback_virtual_account_id": "va1",
            "external_id": "AMN-2",
            "amount": 50000,
            "account_number": "8860812345",
            "bank_code": "BNI",
        }
    ).encode()
    with pytest.raises(gateways.BadSignature):
        gateway.verify({"x-callback-token": "salah"}, va_paid)
    with pytest.raises(gateways.BadSignature):
        gateway.verify({}, va_paid)
    paid = gateway.parse(gateway.verify({"x-callback-token": "tok-123"}, va_paid))
    assert (paid.order_id, paid.status, paid.amount) == ("AMN-2", PaymentStatus.SETTLED, 50_000)
    qr = {
        "event": "qr.payment",
        "data": {"reference_id": "AMN-3", "amount": 7000, "status": "SUCCEEDED", "qr_id": "qr_1"},
    }
    paid = gateway.parse(qr)
    assert (paid.order_id, paid.status, paid.amount, paid.reference) == (
        "AMN-3",
        PaymentStatus.SETTLED,
        7000,
        "qr_1",
    )
    inactive = gateway.parse({"external_id": "AMN-2", "status": "INACTIVE"})
    assert inactive.status is None  # an INACTIVE VA may be paid or expired: no change
    with pytest.raises(gateways.Malformed):
        gateway.parse({"event": "qr.payment", "data": "x"})
    with pytest.raises(gateways.Malformed):
        gateway.parse({"something": "else"})


def test_kept_headers_never_hold_the_token():
    kept = gateways.kept_headers(
        {
            "x-callback-token": "tok-123",
            "authorization": "Basic x",
            "content-type": "application/json",
        }
    )
    assert kept == {"content-type": "application/json"}
