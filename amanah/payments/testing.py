"""Factories (through the services, against a running fake gateway), the committed-world
helpers for the loopback tests, and the rows of the project-wide view permission table."""

from __future__ import annotations

import contextlib
import json
from datetime import date

from django.db import connection, transaction
from django.test import override_settings

from amanah.core.actors import SystemActor
from amanah.core.testing import ViewCase
from amanah.integrations import services as integrations
from amanah.integrations.models import ExternalSystem, SystemKey
from amanah.payments import services
from amanah.payments.fakegateway.server import FakeGateway
from amanah.payments.gateways import midtrans_signature
from amanah.payments.models import Payment, RawCallback, ReconciliationItem, ReconciliationRun
from amanah.payments.payables import payable_types
from amanah.payments.policies import (
    PAYMENT_CALLBACK_VIEW,
    PAYMENT_RECONCILE,
    PAYMENT_VIEW,
)
from amanah.payments.webhooks import GATEWAY_GRANTS

SYSTEM = SystemActor("system:test")
BILL = "tests.bill"


@contextlib.contextmanager
def test_payable():
    """The test's kind of payable (an owner app registers its own in its contract)."""
    if BILL in payable_types:
        yield
        return
    with payable_types.temporarily(BILL, "Tagihan uji"):
        yield


def gateway_systems(permissions=GATEWAY_GRANTS, **kwargs):
    """The two gateways' integrations systems (with a key each), payment grants only."""
    return [
        integrations.external_system_create(
            actor=SYSTEM,
            name=name,
            label=name.title(),
            permissions=permissions,
            all_branches=True,
            **kwargs,
        )[0]
        for name in ("midtrans", "xendit")
    ]


def request_payment(fake: FakeGateway | None = None, *, actor=SYSTEM, **fields) -> Payment:
    """A payment through ``payment_request``, against ``fake`` (or a fake started for it)."""
    fields = {
        "payable_type": BILL,
        "payable_key": "BILL-001",
        "amount": 125_000,
        "method": "VA",
        "provider": "MIDTRANS",
        **fields,
    }
    with contextlib.ExitStack() as stack:
        if fake is None:
            fake = stack.enter_context(FakeGateway())
        stack.enter_context(override_settings(PAYMENT_GATEWAYS=fake.config()))
        stack.enter_context(test_payable())
        return services.payment_request(actor=actor, **fields)


def notification_from(
    fake: FakeGateway, payment: Payment, word: str = "settlement", *, amount=None
):
    """What happened at the (fake) gateway — ``settlement`` (of ``amount``, by default the
    amount asked), ``expire``, ``cancel`` or nothing (``pending``) — and its real signed
    notification about it (body, headers), for the test to deliver, or edit, itself."""
    if word == "settlement":
        fake.pay_silently(payment.order_id, amount)
    elif word in ("expire", "cancel"):
        getattr(fake, word)(payment.order_id)  # its callback goes nowhere: no URL is set
    return fake.notification(payment.order_id)


def midtrans_body(payment: Payment, word: str, *, amount=None, key=None) -> bytes:
    """A Midtrans notification about ``payment`` made by hand (not by the gateway: what an
    attacker holding a key could send), signed with ``key`` (the fake's by default)."""
    from amanah.payments.fakegateway.server import MIDTRANS_SERVER_KEY, MIDTRANS_STATUS_CODES

    status_code = MIDTRANS_STATUS_CODES.get(word, "200")
    gross = f"{amount if amount is not None else payment.amount}.00"
    return json.dumps(
        {
            "transaction_status": word,
            "status_code": status_code,
            "order_id": payment.order_id,
            "gross_amount": gross,
            "transaction_id": "t-" + payment.order_id,
            "fraud_status": "accept",
            "signature_key": midtrans_signature(
                payment.order_id, status_code, gross, key or MIDTRANS_SERVER_KEY
            ),
        }
    ).encode()


class Delivered:
    """A callback posted to the endpoint and the processing job run after it (in-process, as
    the worker would): ``status_code`` is the endpoint's, ``json()`` the endpoint's answer
    with the stored callback's final verdict and reason in place of RECEIVED."""

    def __init__(self, response, callback: RawCallback | None):
        self.response, self.callback = response, callback
        self.status_code = response.status_code

    def json(self) -> dict:
        answer = self.response.json()
        if answer.get("verdict") == "RECEIVED" and self.callback is not None:
            answer = {"verdict": self.callback.verdict, "reason": self.callback.reason}
        return answer


def apply_received():
    """Run the callbacks job in-process: every RECEIVED callback applied."""
    from amanah.payments.processing import callbacks_process

    return callbacks_process(seconds=600)


def deliver(client, url: str, body: bytes, **headers) -> Delivered:
    """POST a callback as a gateway would, then run the job (sequential tests only: the
    answer's callback is the newest stored one)."""
    response = client.post(url, data=body, content_type="application/json", **headers)
    apply_received()
    return Delivered(response, RawCallback.objects.order_by("-id").first())


def remove_payment_rows(order_ids=None) -> None:
    """Delete committed payment rows (raw callbacks are append-only: the trigger is bypassed
    for this cleanup alone, as the audit trail's tests do). Without ``order_ids``: every
    payment and every raw callback — forged, unreadable and unknown-order callbacks name no
    payment of ours, and one left behind would be counted by the next test."""
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL session_replication_role = replica")
        payments = Payment.objects.all()
        if order_ids is not None:
            payments = payments.filter(order_id__in=list(order_ids))
        ReconciliationItem.objects.filter(payment__in=payments).delete()
        ReconciliationRun.objects.filter(items__isnull=True).delete()
        if order_ids is None:
            RawCallback.objects.all().delete()
        RawCallback.objects.filter(payment__in=payments).delete()
        RawCallback.objects.filter(
            payment__isnull=True, order_id__in=[p.order_id for p in payments]
        ).delete()
        payments.delete()


def remove_gateway_systems() -> None:
    SystemKey.objects.filter(system__name__in=["midtrans", "xendit"]).delete()
    ExternalSystem.objects.filter(name__in=["midtrans", "xendit"]).delete()


# ----------------------------------------------------------------------- view permission rows


def _payment(world: dict, which: str):
    key = f"payment_{which}"
    if key not in world:
        world[key] = request_payment(branch=world[f"branch_{which}"])
    return world[key]


def payment_kwargs(which: str = "a"):
    return lambda world: {"payment_id": _payment(world, which).pk}


def _run(world: dict):
    if "payment_run" not in world:
        from amanah.payments.reconciliation import reconciliation_run

        world["payment_run"] = reconciliation_run(
            actor=SYSTEM,
            provider="MIDTRANS",
            settlement_date=date(2026, 11, 24),
            file_name="midtrans.csv",
            content=b"order_id,gross_amount\nAMN-X,1000\n",
        )
    return world["payment_run"]


VIEW_CASES = [
    ViewCase("payments:list", PAYMENT_VIEW),
    ViewCase(
        "payments:detail",
        PAYMENT_VIEW,
        kwargs=payment_kwargs("a"),
        out_of_scope=payment_kwargs("b"),
    ),
    ViewCase("payments:callbacks", PAYMENT_CALLBACK_VIEW),
    ViewCase("payments:reconciliations", PAYMENT_RECONCILE),
    ViewCase(
        "payments:reconciliation_detail",
        PAYMENT_RECONCILE,
        kwargs=lambda world: {"run_id": _run(world).pk},
    ),
]
