from __future__ import annotations

import pytest

from amanah.core import registry
from amanah.core.events import EventHandler
from amanah.payments.fakegateway.server import FakeGateway
from amanah.payments.payables import PAYMENT_ENDED, PAYMENT_MISMATCH, PAYMENT_SETTLED
from amanah.payments.testing import test_payable


@pytest.fixture
def fake_gateway(settings):
    """A running fake gateway; the adapters point at it (no callback URL until set)."""
    with FakeGateway() as fake:
        settings.PAYMENT_GATEWAYS = fake.config()
        yield fake


@pytest.fixture(autouse=True)
def _payable():
    with test_payable():
        yield


@pytest.fixture
def seen_events():
    """The payments events emitted during the test: [(event, order id)]."""
    seen: list[tuple[str, str]] = []
    with (
        registry.event_handlers.temporarily(
            f"{PAYMENT_SETTLED}:probe",
            EventHandler(
                PAYMENT_SETTLED,
                lambda *, actor, payment: seen.append(("settled", payment.order_id)),
            ),
        ),
        registry.event_handlers.temporarily(
            f"{PAYMENT_MISMATCH}:probe",
            EventHandler(
                PAYMENT_MISMATCH,
                lambda *, actor, payment: seen.append(("mismatch", payment.order_id)),
            ),
        ),
        registry.event_handlers.temporarily(
            f"{PAYMENT_ENDED}:probe",
            EventHandler(
                PAYMENT_ENDED, lambda *, actor, payment: seen.append(("ended", payment.order_id))
            ),
        ),
    ):
        yield seen
