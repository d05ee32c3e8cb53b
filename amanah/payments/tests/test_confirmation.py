"""Payments move only on the gateway's confirmation (issue 51): the gateway's own signed
notification, with any unsigned field edited, is applied only as far as the status API
confirms it; a disagreement is kept and refused, the confirmed truth counts; a gateway that
cannot be asked leaves the callback waiting, never applied unconfirmed and never lost."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from amanah.payments.models import CallbackSource, Payment, PaymentStatus, RawCallback, Verdict
from amanah.payments.testing import (
    apply_received,
    deliver,
    gateway_systems,
    notification_from,
    request_payment,
)

MIDTRANS_URL = "/webhooks/payments/midtrans"
XENDIT_URL = "/webhooks/payments/xendit"
AMOUNT = 125_000


@pytest.fixture
def systems(db):
    gateway_systems()


def _rows(payment) -> list[tuple[str, str, str]]:
    return list(
        RawCallback.objects.filter(order_id=payment.order_id)
        .order_by("id")
        .values_list("source", "verdict", "reason")
    )


def _edited(body: bytes, **changes) -> bytes:
    document = json.loads(body)
    for key, value in changes.items():
        if value is _GONE:
            document.pop(key, None)
        else:
            document[key] = value
    return json.dumps(document).encode()


_GONE = object()


def _xendit(client, body: bytes, headers: dict):
    return deliver(client, XENDIT_URL, body, HTTP_X_CALLBACK_TOKEN=headers["x-callback-token"])


# ------------------------------------------------------------------------- the attack itself


@pytest.mark.parametrize(
    "changes",
    [
        {"transaction_status": "settlement"},
        {"transaction_status": "capture", "fraud_status": "accept"},
    ],
    ids=["settlement", "capture-accept"],
)
def test_a_signed_pending_notification_edited_to_paid_is_refused(
    client, fake_gateway, systems, seen_events, changes
):
    payment = request_payment(fake_gateway)
    body, _headers = notification_from(fake_gateway, payment, "pending")
    answer = deliver(client, MIDTRANS_URL, _edited(body, **changes))
    assert answer.status_code == 200  # stored; the gateway need not retry
    forged, confirm = _rows(payment)
    assert forged[:2] == (CallbackSource.CALLBACK, Verdict.DISAGREED)
    assert "signed" in forged[2] and "status" in forged[2]  # 201 is no settlement
    assert confirm == (CallbackSource.CONFIRM, Verdict.DUPLICATE, "already:pending")
    payment.refresh_from_db()
    assert (payment.status, payment.paid_amount, payment.settled_at) == ("PENDING", None, None)
    assert seen_events == []


def test_the_same_attack_on_a_cancel_notification_is_refused_by_the_status_api(
    client, fake_gateway, systems, seen_events
):
    """A cancel is signed with status_code 200, as a settlement is: the signed fields agree,
    only the status API tells them apart."""
    payment = request_payment(fake_gateway)
    body, _headers = notification_from(fake_gateway, payment, "cancel")
    deliver(client, MIDTRANS_URL, _edited(body, transaction_status="settlement"))
    forged, confirm = _rows(payment)
    assert forged == ("CALLBACK", "DISAGREED", "disagreed:status")
    assert confirm[:2] == ("CONFIRM", "ACCEPTED")  # the truth: cancelled
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.CANCELLED and seen_events == [
        ("ended", payment.order_id)
    ]


# --------------------------------------------------- every unsigned field, edited at random

MIDTRANS_EDITS = {
    "transaction_status": st.sampled_from(
        ["settlement", "capture", "pending", "expire", "cancel", "deny", "failure", "refund", "x"]
    ),
    "fraud_status": st.sampled_from(["accept", "challenge", "deny", _GONE]),
    "payment_type": st.sampled_from(["bank_transfer", "qris", "credit_card", "gopay", _GONE]),
    "currency": st.sampled_from(["IDR", "USD", "", _GONE]),
    "settlement_time": st.sampled_from(["2020-01-01 00:00:00", "", _GONE]),
    "transaction_time": st.sampled_from(["2020-01-01 00:00:00", _GONE]),
    "va_numbers": st.sampled_from([[], [{"bank": "bni", "va_number": "8800000000000001"}], _GONE]),
    "transaction_id": st.sampled_from(["t-lain", "", _GONE]),
    "status_message": st.text(max_size=20),
    "merchant_id": st.sampled_from(["G999999999", _GONE]),
}


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    paid=st.booleans(),
    base=st.sampled_from(["pending", "settlement"]),
    edits=st.dictionaries(
        st.sampled_from(sorted(MIDTRANS_EDITS)), st.none(), min_size=1, max_size=3
    ).flatmap(lambda keys: st.fixed_dictionaries({key: MIDTRANS_EDITS[key] for key in keys})),
)
def test_no_edit_of_an_unsigned_midtrans_field_moves_money_the_gateway_did_not(
    client, fake_gateway, systems, paid, base, edits
):
    """Whatever is edited, a payment is settled only if the gateway says so, with the
    gateway's amount; when the gateway says paid and the edited notification claims any
    final status, the confirmed truth (settled) is applied."""
    payment = request_payment(fake_gateway)
    if base == "settlement" and not paid:
        # A notification of another (real) settlement: what an attacker may hold.
        body = _settlement_of_another(fake_gateway, payment)
    else:
        body, _headers = notification_from(fake_gateway, payment, base)
    if paid and base == "pending":
        fake_gateway.pay_silently(payment.order_id)
    edited = _edited(body, **edits)
    deliver(client, MIDTRANS_URL, edited)
    payment.refresh_from_db()
    if not paid:
        assert payment.status != PaymentStatus.SETTLED
        assert payment.paid_amount is None
        return
    if _claims_a_final_status(edited):  # asked, and the truth counted
        assert (payment.status, payment.paid_amount) == (PaymentStatus.SETTLED, AMOUNT)
    else:  # not a move: nothing asked, nothing changed
        assert payment.status == PaymentStatus.PENDING
    verdicts = [verdict for _s, verdict, _r in _rows(payment)]
    assert verdicts.count("ACCEPTED") <= 1


def _claims_a_final_status(body: bytes) -> bool:
    from amanah.payments.gateways import Malformed, gateway_for

    try:
        status = gateway_for("MIDTRANS").parse(json.loads(body)).status
    except Malformed:
        return False
    return status not in (None, PaymentStatus.PENDING)


def _settlement_of_another(fake, payment) -> bytes:
    """A real signed settlement of ``payment``'s order id as the gateway would sign it — for a
    payment the gateway still holds unpaid (signed with its key: an insider's replay)."""
    fake.pay_silently(payment.order_id)
    body, _headers = fake.notification(payment.order_id)
    order = fake.orders[payment.order_id]
    order.status, order.paid_amount = "pending", None  # … and the payment was reversed
    return body


# ------------------------------------------------------------------------------- Xendit


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"amount": AMOUNT * 2}, "disagreed:amount"),
        ({"payment_id": "tidak-ada"}, "disagreed:unknown"),
        ({"currency": "USD"}, "disagreed:currency"),
        ({"account_number": "8860800000000001"}, "disagreed:va"),
        ({"callback_virtual_account_id": "cva-lain"}, "disagreed:ref"),
    ],
    ids=["amount", "payment-id", "currency", "va-number", "va-id"],
)
def test_an_edited_xendit_va_callback_is_refused_and_only_the_truth_counts(
    client, fake_gateway, systems, seen_events, changes, reason
):
    """Xendit's token signs nothing. The customer paid less than asked; whatever the callback
    is edited to say, the payment records what the gateway holds: a mismatch, never a
    settlement (nor, for an id the gateway does not know, anything at all)."""
    payment = request_payment(fake_gateway, provider="XENDIT")
    body, headers = notification_from(fake_gateway, payment, amount=AMOUNT - 25_000)
    _xendit(client, _edited(body, **changes), headers)
    forged = _rows(payment)[0]
    assert forged == ("CALLBACK", "DISAGREED", reason)
    payment.refresh_from_db()
    if reason == "disagreed:unknown":
        assert payment.status == PaymentStatus.PENDING and seen_events == []
    else:
        assert (payment.status, payment.paid_amount, payment.amount_mismatch) == (
            "SETTLED",
            AMOUNT - 25_000,
            True,
        )
        assert seen_events == [("mismatch", payment.order_id)]


def test_an_xendit_callback_naming_another_order_moves_neither(
    client, fake_gateway, systems, seen_events
):
    paid = request_payment(fake_gateway, provider="XENDIT", payable_key="A")
    other = request_payment(fake_gateway, provider="XENDIT", payable_key="B")
    body, headers = notification_from(fake_gateway, paid)
    _xendit(client, _edited(body, external_id=other.order_id), headers)
    assert _rows(other) == [
        ("CALLBACK", "DISAGREED", "disagreed:order,ref,va"),
        ("CONFIRM", "IGNORED", "unusable_answer"),
    ]
    assert Payment.objects.get(pk=other.pk).status == PaymentStatus.PENDING
    assert seen_events == []


def test_an_edited_qris_callback_is_refused(client, fake_gateway, systems, seen_events):
    payment = request_payment(fake_gateway, provider="XENDIT", method="QRIS")
    body, headers = notification_from(fake_gateway, payment)
    document = json.loads(body)
    document["data"]["amount"] = AMOUNT + 1
    _xendit(client, json.dumps(document).encode(), headers)
    assert _rows(payment)[0] == ("CALLBACK", "DISAGREED", "disagreed:amount")
    payment.refresh_from_db()
    assert (payment.status, payment.paid_amount) == ("SETTLED", AMOUNT)  # the truth
    assert seen_events == [("settled", payment.order_id)]


def test_agreeing_callbacks_are_applied_and_say_they_were_confirmed(
    client, fake_gateway, systems, seen_events
):
    from amanah.audit.models import AuditLog

    for provider, url in (("MIDTRANS", MIDTRANS_URL), ("XENDIT", XENDIT_URL)):
        payment = request_payment(fake_gateway, provider=provider)
        body, headers = notification_from(fake_gateway, payment)
        token = headers.get("x-callback-token")
        extra = {"HTTP_X_CALLBACK_TOKEN": token} if token else {}
        assert deliver(client, url, body, **extra).json()["verdict"] == "ACCEPTED"
        log = AuditLog.objects.get(action="APPLY_PAYMENT_STATUS", object_id=str(payment.pk))
        assert log.meta["confirmed"] is True
        assert log.actor_username == f"integration:{provider.lower()}"


# ------------------------------------------------------------- a gateway that cannot be asked


def test_a_callback_waits_while_the_status_api_cannot_be_asked(
    client, fake_gateway, systems, settings, seen_events
):
    payment = request_payment(fake_gateway)
    body, _headers = notification_from(fake_gateway, payment)
    working = settings.PAYMENT_GATEWAYS
    settings.PAYMENT_GATEWAYS = {
        name: {**config, "base_url": "http://127.0.0.1:9"} for name, config in working.items()
    }
    answer = deliver(client, MIDTRANS_URL, body)
    assert answer.status_code == 200
    again = apply_received()  # the next run: still unreachable
    assert (again.waiting, again.accepted) == (1, 0)
    assert _rows(payment) == [("CALLBACK", "RECEIVED", "")]
    assert Payment.objects.get(pk=payment.pk).status == PaymentStatus.PENDING
    fake_gateway.tamper = True  # reachable, but its answer's signature is wrong: not trusted
    settings.PAYMENT_GATEWAYS = working
    assert apply_received().waiting == 1
    fake_gateway.tamper = False
    done = apply_received()  # the sweep once the gateway answers
    assert (done.accepted, done.waiting) == (1, 0)
    assert Payment.objects.get(pk=payment.pk).status == PaymentStatus.SETTLED
    assert seen_events == [("settled", payment.order_id)]


def test_a_gateway_that_failed_is_not_asked_again_in_the_same_run(
    client, fake_gateway, systems, settings
):
    from amanah.payments.confirmation import Confirmer
    from amanah.payments.processing import callbacks_apply

    payments = [request_payment(fake_gateway, payable_key=f"K{i}") for i in range(3)]
    for payment in payments:
        client.post(
            MIDTRANS_URL,
            data=notification_from(fake_gateway, payment)[0],
            content_type="application/json",
        )
    settings.PAYMENT_GATEWAYS = {
        name: {**config, "base_url": "http://127.0.0.1:9"}
        for name, config in settings.PAYMENT_GATEWAYS.items()
    }
    confirmer = Confirmer()
    first = callbacks_apply(confirmer=confirmer)
    assert first.waiting == 3 and confirmer.down == {"MIDTRANS"}
    second = callbacks_apply(confirmer=confirmer)  # the same run: not claimed, not asked
    assert (second.claimed, second.waiting) == (0, 0)


XENDIT_VA_FIELDS = [
    "id",
    "payment_id",
    "callback_virtual_account_id",
    "external_id",
    "merchant_code",
    "account_number",
    "bank_code",
    "amount",
    "transaction_timestamp",
    "owner_id",
    "currency",
]
XENDIT_QR_FIELDS = [
    "id",
    "business_id",
    "currency",
    "amount",
    "status",
    "qr_id",
    "reference_id",
    "channel_code",
    "type",
]


def _changed(value):
    if isinstance(value, bool) or value is None:
        return "x"
    if isinstance(value, int):
        return value + 1
    return f"{value}x"


@pytest.mark.parametrize("remove", [False, True], ids=["edited", "removed"])
@pytest.mark.parametrize(
    ("method", "field"),
    [("VA", f) for f in XENDIT_VA_FIELDS] + [("QRIS", f) for f in XENDIT_QR_FIELDS],
)
def test_no_edit_of_an_xendit_field_settles_what_the_gateway_did_not(
    client, fake_gateway, systems, method, field, remove
):
    """Every field of Xendit's callbacks is unsigned: edited or removed, the payment ends
    settled with exactly what the gateway holds (it was paid the amount asked), or not at all
    — never with the callback's word for it."""
    payment = request_payment(fake_gateway, provider="XENDIT", method=method)
    body, headers = notification_from(fake_gateway, payment)
    document = json.loads(body)
    target = document["data"] if method == "QRIS" else document
    if remove:
        target.pop(field)
    else:
        target[field] = _changed(target[field])
    _xendit(client, json.dumps(document).encode(), headers)
    payment.refresh_from_db()
    assert payment.status in (PaymentStatus.PENDING, PaymentStatus.SETTLED)
    if payment.status == PaymentStatus.SETTLED:
        assert (payment.paid_amount, payment.amount_mismatch) == (AMOUNT, False)
