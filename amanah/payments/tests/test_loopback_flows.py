"""The whole loop over real HTTP: payment_request → the loopback fake gateway (Midtrans /
Xendit API shapes) → its signed callbacks (retried, duplicated, reordered, replayed, forged)
→ this project served on loopback → the payment; and the status poll against the fake's
status APIs. The data commits (``committed``): the server thread has its own connection."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from amanah.audit.models import AuditLog
from amanah.consent.testing import committed  # noqa: F401 (fixture)
from amanah.messaging.fakeprovider.testing import django_on_loopback
from amanah.payments.fakegateway.server import FakeGateway
from amanah.payments.models import CallbackSource, Payment, PaymentStatus, RawCallback
from amanah.payments.poll import pending_poll
from amanah.payments.testing import (
    apply_received,
    gateway_systems,
    remove_gateway_systems,
    remove_payment_rows,
    request_payment,
)


@pytest.fixture
def loop(committed, settings):  # noqa: F811
    with (
        django_on_loopback() as base,
        FakeGateway(
            midtrans_callback_url=f"{base}/webhooks/payments/midtrans",
            xendit_callback_url=f"{base}/webhooks/payments/xendit",
        ) as fake,
    ):
        settings.PAYMENT_GATEWAYS = fake.config()
        committed.on_cleanup(remove_gateway_systems)
        committed.on_cleanup(remove_payment_rows)
        committed.run(gateway_systems)
        yield fake, committed


def _request(loop, **fields) -> Payment:
    """A committed payment. The charge's own "pending" notification goes out once our row is
    committed, as a real gateway's comes a moment later; on two busy cores the fake's could
    outrun the commit and be ignored as an unknown order (test_callbacks covers that case)."""
    fake, world = loop
    if fake.holding:  # the test holds every callback back itself
        return world.run(lambda: request_payment(fake, branch=world.branch, **fields))
    fake.hold()
    payment = world.run(lambda: request_payment(fake, branch=world.branch, **fields))
    fake.release()
    return payment


def _idle(loop) -> None:
    """The fake has posted everything, and the callbacks job has applied what was stored (the
    worker's part, run here in-process)."""
    fake, world = loop
    fake.wait_idle()
    world.run(apply_received)


def _verdicts(payment) -> list[str]:
    return list(
        RawCallback.objects.filter(order_id=payment.order_id)
        .order_by("id")
        .values_list("verdict", flat=True)
    )


def _fresh(payment) -> Payment:
    return Payment.objects.get(pk=payment.pk)


@pytest.mark.parametrize(
    ("provider", "method"),
    [("MIDTRANS", "VA"), ("MIDTRANS", "QRIS"), ("XENDIT", "VA"), ("XENDIT", "QRIS")],
)
def test_a_payment_settles_through_the_gateways_signed_callback(
    loop, seen_events, provider, method
):
    fake, _world = loop
    payment = _request(loop, provider=provider, method=method)
    if method == "VA":
        assert payment.va_number
    else:
        assert payment.qris_payload.startswith("000201010212")
    fake.pay(payment.order_id)
    _idle(loop)
    assert {p.status for p in fake.posted} == {200}
    settled = _fresh(payment)
    assert (settled.status, settled.paid_amount) == (PaymentStatus.SETTLED, payment.amount)
    assert seen_events == [("settled", payment.order_id)]
    # Midtrans also notifies "pending" at the charge: stored, a no-op.
    expected = ["DUPLICATE", "ACCEPTED"] if provider == "MIDTRANS" else ["ACCEPTED"]
    assert _verdicts(payment) == expected


def test_duplicated_and_replayed_callbacks_settle_once(loop, seen_events):
    fake, _world = loop
    fake.duplicate = True
    payment = _request(loop)
    fake.pay(payment.order_id)
    _idle(loop)
    fake.replay(-1)  # the settlement again, byte for byte, later
    _idle(loop)
    assert _fresh(payment).status == PaymentStatus.SETTLED
    assert seen_events == [("settled", payment.order_id)]
    assert _verdicts(payment).count("ACCEPTED") == 1
    assert (
        AuditLog.objects.filter(action="APPLY_PAYMENT_STATUS", object_id=str(payment.pk)).count()
        == 1
    )


def test_identical_callbacks_at_the_same_moment_settle_once(loop, seen_events):
    fake, _world = loop
    fake.burst = 4  # four identical posts released together
    payment = _request(loop)
    fake.pay(payment.order_id)
    _idle(loop)
    assert seen_events == [("settled", payment.order_id)]
    verdicts = _verdicts(payment)
    assert verdicts.count("ACCEPTED") == 1 and verdicts.count("DUPLICATE") == 7  # 4 pending too


def test_a_pending_that_arrives_after_the_settlement_is_ignored(loop, seen_events):
    fake, _world = loop
    fake.hold()
    payment = _request(loop)  # "pending" held back
    fake.pay(payment.order_id)  # "settlement" held back
    fake.release(reorder=True)  # settlement first, then the stale pending
    _idle(loop)
    assert _fresh(payment).status == PaymentStatus.SETTLED
    callbacks = RawCallback.objects.filter(order_id=payment.order_id).order_by("id")
    assert [(c.verdict, c.reason) for c in callbacks] == [
        ("ACCEPTED", "to:settled"),
        ("IGNORED", "out_of_order:settled"),
    ]


def test_a_forged_callback_is_refused_and_changes_nothing(loop, seen_events):
    fake, _world = loop
    payment = _request(loop, provider="XENDIT")
    fake.tamper = True
    fake.pay(payment.order_id)
    _idle(loop)
    assert [p.status for p in fake.posted] == [401]  # a refusal is not retried
    assert _fresh(payment).status == PaymentStatus.PENDING
    assert _verdicts(payment) == [] and seen_events == []
    assert RawCallback.objects.filter(verdict="REJECTED", reason="bad_signature").count() == 1


def test_another_amount_is_kept_as_a_mismatch(loop, seen_events):
    fake, _world = loop
    payment = _request(loop, provider="XENDIT", method="QRIS")
    fake.pay(payment.order_id, amount=payment.amount - 1000)
    _idle(loop)
    fresh = _fresh(payment)
    assert (fresh.status, fresh.amount_mismatch, fresh.paid_amount) == (
        PaymentStatus.SETTLED,
        True,
        payment.amount - 1000,
    )
    assert seen_events == [("mismatch", payment.order_id)]


def test_an_expired_va_ends_the_payment(loop, seen_events):
    fake, _world = loop
    payment = _request(loop)
    fake.expire(payment.order_id)
    _idle(loop)
    assert _fresh(payment).status == PaymentStatus.EXPIRED
    assert seen_events == [("ended", payment.order_id)]


@pytest.mark.parametrize(("provider", "method"), [("MIDTRANS", "VA"), ("XENDIT", "QRIS")])
def test_the_poll_settles_a_payment_whose_callback_never_came(loop, seen_events, provider, method):
    fake, world = loop
    payment = _request(loop, provider=provider, method=method)
    _idle(loop)
    fake.pay_silently(payment.order_id)
    now = timezone.now()
    # Not yet pending long enough: not asked.
    assert world.run(lambda: pending_poll(now=now).asked) == 0
    later = now + timedelta(hours=1)
    result = world.run(lambda: pending_poll(now=later))
    assert (result.asked, result.changed) == (1, 1)
    fresh = _fresh(payment)
    assert fresh.status == PaymentStatus.SETTLED and fresh.last_checked_at == later
    poll_row = RawCallback.objects.get(order_id=payment.order_id, source=CallbackSource.POLL)
    assert poll_row.verdict == "ACCEPTED"
    assert seen_events == [("settled", payment.order_id)]
    # Settled payments are not asked again.
    assert world.run(lambda: pending_poll(now=later + timedelta(hours=1)).asked) == 0


def test_the_poll_asks_a_still_pending_payment_at_most_every_interval(loop):
    fake, world = loop
    payment = _request(loop)
    _idle(loop)
    later = timezone.now() + timedelta(hours=1)
    first = world.run(lambda: pending_poll(now=later))
    assert (first.asked, first.changed, first.unchanged) == (1, 0, 1)
    assert world.run(lambda: pending_poll(now=later + timedelta(minutes=1)).asked) == 0
    assert world.run(lambda: pending_poll(now=later + timedelta(minutes=20)).asked) == 1
    assert _fresh(payment).status == PaymentStatus.PENDING
