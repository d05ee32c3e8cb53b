"""Identical callbacks at the same moment, each on a connection of its own (real threads,
real transactions), stored by the endpoint and then applied by as many job runs at once, one
callback each: one settlement, one event, one audit row; the others DUPLICATE."""

from __future__ import annotations

import pytest
from django.test import Client

from amanah.audit.models import AuditLog
from amanah.consent.testing import committed  # noqa: F401 (fixture)
from amanah.core.testing import run_in_threads
from amanah.payments.fakegateway.server import FakeGateway
from amanah.payments.models import Payment, PaymentStatus, RawCallback
from amanah.payments.processing import callbacks_apply
from amanah.payments.testing import (
    gateway_systems,
    notification_from,
    remove_gateway_systems,
    remove_payment_rows,
    request_payment,
)


@pytest.mark.parametrize("count", [2, 6])
def test_identical_callbacks_at_once_settle_once(committed, settings, seen_events, count):  # noqa: F811
    with FakeGateway() as fake:
        settings.PAYMENT_GATEWAYS = fake.config()
        committed.on_cleanup(remove_gateway_systems)
        committed.on_cleanup(remove_payment_rows)
        committed.run(gateway_systems)
        payment = committed.run(lambda: request_payment(fake, branch=committed.branch))
        body, _headers = notification_from(fake, payment)  # paid at the gateway
        answers: list[str] = []

        def post(_n: int) -> None:
            response = Client().post(
                "/webhooks/payments/midtrans", data=body, content_type="application/json"
            )
            answers.append(response.json()["verdict"])

        assert run_in_threads(post, count) == []
        assert answers == ["RECEIVED"] * count

        def apply(_n: int) -> None:  # concurrent job runs: SKIP LOCKED, then the payment's lock
            callbacks_apply(limit=1)

        assert run_in_threads(apply, count) == []
    verdicts = RawCallback.objects.filter(order_id=payment.order_id).values_list(
        "verdict", flat=True
    )
    assert sorted(verdicts) == ["ACCEPTED"] + ["DUPLICATE"] * (count - 1)
    assert Payment.objects.get(pk=payment.pk).status == PaymentStatus.SETTLED
    assert seen_events == [("settled", payment.order_id)]
    assert RawCallback.objects.filter(order_id=payment.order_id).count() == count
    assert (
        AuditLog.objects.filter(action="APPLY_PAYMENT_STATUS", object_id=str(payment.pk)).count()
        == 1
    )
