"""A gateway payment of a water bill or of a RAB installment applied end to end: the customer
pays at the (fake) gateway, its signed notification reaches the endpoint, the callbacks job
confirms it with the gateway's status API and applies it — as the gateway's integrations
system narrowed to the utility's payment grants, never as an actor holding every permission
(issue 51). A forged settlement pays nothing."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.core.exceptions import PermissionDenied

from amanah.audit.models import AuditLog
from amanah.core.actors import IntegrationActor, SystemActor
from amanah.ledger.models import JournalEntry, JournalLine
from amanah.payments.contract import payment_request
from amanah.payments.fakegateway.server import FakeGateway
from amanah.payments.models import PaymentStatus, RawCallback
from amanah.payments.testing import deliver, gateway_systems, notification_from
from amanah.utility import accounts, billing, testing
from amanah.utility import installations as inst
from amanah.utility.models import Bill, BillStatus, Installment, Receipt

MIDTRANS_URL = "/webhooks/payments/midtrans"


@pytest.fixture
def gateway(db, settings):
    """A running fake gateway the adapters point at, and the gateways' systems."""
    with FakeGateway() as fake:
        settings.PAYMENT_GATEWAYS = fake.config()
        gateway_systems()
        yield fake


@pytest.fixture
def without_system_actor(monkeypatch):
    """Inside the block, an actor holding every permission that is asked for its grants
    fails the test: the gateway path must not use one."""

    def refuse(self):
        raise AssertionError(f"{self!r} acted in the gateway payment path")

    def block():
        context = monkeypatch.context()
        patch = context.__enter__()
        patch.setattr(SystemActor, "grants", property(refuse))
        return context

    return block


def _bill_and_its_payment(branch):
    """A water bill and a VA payment asked for it at the gateway."""
    conn = testing.connection(branch)
    testing.read(conn, dt.date(2025, 8, 1), 0)
    testing.read(conn, dt.date(2025, 9, 1), 10)
    billing.billing_run(actor=testing.SYSTEM, period=dt.date(2025, 9, 1))
    bill = Bill.objects.get(connection=conn)
    payment = payment_request(
        actor=testing.SYSTEM,
        payable_type=accounts.BILL_PAYABLE,
        payable_key=str(bill.pk),
        amount=int(bill.total),
        method="VA",
        provider="MIDTRANS",
        branch=branch,
    )
    return bill, payment


def _pay(client, fake, payment, without_system_actor):
    body, _headers = notification_from(fake, payment)  # paid at the gateway
    guard = without_system_actor()
    try:
        return deliver(client, MIDTRANS_URL, body)
    finally:
        guard.__exit__(None, None, None)


def _actors_of(object_type: str, object_ids) -> set[str]:
    return set(
        AuditLog.objects.filter(
            object_type=object_type, object_id__in=[str(i) for i in object_ids]
        ).values_list("actor_username", flat=True)
    )


def test_a_water_bill_is_paid_by_the_gateways_system_with_payment_grants_only(
    client, gateway, branch_a, without_system_actor
):
    bill, payment = _bill_and_its_payment(branch_a)
    answer = _pay(client, gateway, payment, without_system_actor)
    assert answer.json()["verdict"] == "ACCEPTED"
    bill.refresh_from_db()
    assert (bill.status, bill.paid) == (BillStatus.PAID, bill.total)
    receipt = Receipt.objects.get(reference=payment.order_id)
    entry = JournalEntry.objects.get(source_key=f"utility.receipt:{receipt.pk}")
    assert _actors_of("utility.Receipt", [receipt.pk]) == {"integration:midtrans"}
    assert _actors_of("ledger.JournalEntry", [entry.pk]) == {"integration:midtrans"}
    gateway_line = JournalLine.objects.get(entry=entry, account__code="1103")
    assert gateway_line.debit == bill.total


def test_a_rab_installment_is_paid_by_the_gateways_system_with_payment_grants_only(
    client, gateway, branch_a, make_user, without_system_actor
):
    from amanah.core.roles import RoleKey as R

    cs = make_user(R.AGENT, branches=[branch_a])
    finance = make_user(R.SUPERVISOR, branches=[branch_a])
    installation = testing.installation(branch_a, actor=cs)

    def move(actor, to, **data):
        inst.installation_move(actor=actor, installation_id=installation.pk, to=to, **data)

    move(cs, inst.S.SURVEYED, lat="3.6", lon="98.67", note="ok")
    inst.rab_lines_set(
        actor=cs,
        installation_id=installation.pk,
        lines=[inst.RabLineInput("Meter air 1/2 inci", 1, 450_000)],
    )
    move(cs, inst.S.RAB_SUBMITTED)
    move(finance, inst.S.RAB_APPROVED)
    inst.rab_schedule_set(
        actor=cs, installation_id=installation.pk, plan="INSTALLMENT", count=3, first_due=None
    )
    payment = inst.rab_payment_request(
        actor=finance, installation_id=installation.pk, method="VA", provider="MIDTRANS"
    )
    answer = _pay(client, gateway, payment, without_system_actor)
    assert answer.json()["verdict"] == "ACCEPTED"
    first = Installment.objects.filter(installation=installation).order_by("seq").first()
    assert first.paid == first.amount == payment.amount
    receipt = Receipt.objects.get(reference=payment.order_id)
    assert _actors_of("utility.Receipt", [receipt.pk]) == {"integration:midtrans"}


def test_a_forged_settlement_pays_no_bill_and_posts_no_journal(client, gateway, branch_a):
    """The attack of issue 51: the gateway's own signed *pending* notification, its unsigned
    ``transaction_status`` edited to ``settlement``: refused (the status API says pending);
    the bill stays open, no receipt, no journal entry — and the real payment later still
    pays it once."""
    bill, payment = _bill_and_its_payment(branch_a)
    body, _headers = notification_from(gateway, payment, "pending")
    forged = json.loads(body) | {"transaction_status": "settlement"}
    assert deliver(client, MIDTRANS_URL, json.dumps(forged).encode()).status_code == 200
    stored = RawCallback.objects.filter(order_id=payment.order_id).order_by("id")
    assert [(c.source, c.verdict) for c in stored] == [
        ("CALLBACK", "DISAGREED"),  # the forgery, refused
        ("CONFIRM", "DUPLICATE"),  # the status API's answer: still pending
    ]
    payment.refresh_from_db()
    bill.refresh_from_db()
    assert payment.status == PaymentStatus.PENDING
    assert (bill.status, bill.paid) == (BillStatus.OPEN, 0)
    assert not Receipt.objects.filter(reference=payment.order_id).exists()
    assert not JournalLine.objects.filter(account__code="1103").exists()
    real, _headers = notification_from(gateway, payment)
    assert deliver(client, MIDTRANS_URL, real).json()["verdict"] == "ACCEPTED"
    bill.refresh_from_db()
    assert bill.status == BillStatus.PAID
    assert Receipt.objects.filter(reference=payment.order_id).count() == 1


def test_only_a_gateways_actor_is_narrowed_to_apply_payments(db):
    """An owner's applier is made from the payments event's actor: a gateway's system (an
    IntegrationActor holding ``payments.callback.apply``), narrowed; nothing else."""
    applier = accounts.gateway_applier(testing.GATEWAY)
    assert applier.username == "integration:midtrans"
    assert applier.grants.permissions == frozenset(accounts.GATEWAY_GRANTS)
    outsider = IntegrationActor("outsider", permissions=("payments.view",), all_branches=True)
    for actor in (testing.SYSTEM, outsider):
        with pytest.raises(PermissionDenied):
            accounts.gateway_applier(actor)
