from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from amanah.core.actors import IntegrationActor
from amanah.core.errors import NotFound, ServiceError
from amanah.core.roles import RoleKey
from amanah.payments import qris
from amanah.payments.daily import reconcile_day
from amanah.payments.models import ItemKind, Payment, PaymentStatus, ReconciliationRun
from amanah.payments.reconciliation import reconciliation_run
from amanah.payments.testing import SYSTEM, request_payment

DAY = date(2026, 11, 24)


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"amount": 0}, "invalid_amount"),
        ({"amount": -5}, "invalid_amount"),
        ({"amount": 10.5}, "invalid_amount"),
        ({"amount": True}, "invalid_amount"),
        ({"payable_type": "utility.unknown"}, "unknown_payable"),
        ({"payable_key": ""}, "invalid"),
        ({"payable_key": "x" * 81}, "invalid"),
        ({"payable_key": "BILL\x00"}, "invalid"),
        ({"method": "CASH"}, "invalid"),
        ({"provider": "PAYPAL"}, "invalid"),
        ({"va_bank": "ZZZ"}, "invalid"),
    ],
)
def test_bad_requests_are_refused_and_nothing_is_charged(db, fake_gateway, fields, code):
    with pytest.raises(ServiceError) as refused:
        request_payment(fake_gateway, **fields)
    assert refused.value.code == code
    assert fake_gateway.orders == {} and Payment.objects.count() == 0


def test_a_gateway_that_does_not_answer_is_a_clear_refusal(db, settings):
    settings.PAYMENT_GATEWAYS = {
        "MIDTRANS": {"base_url": "http://127.0.0.1:9", "server_key": "k", "timeout": 2}
    }
    from amanah.payments import services
    from amanah.payments.testing import test_payable

    with test_payable(), pytest.raises(ServiceError) as refused:
        services.payment_request(
            actor=SYSTEM,
            payable_type="tests.bill",
            payable_key="B-1",
            amount=1000,
            method="VA",
            provider="MIDTRANS",
        )
    assert refused.value.code == "gateway_unavailable"
    assert Payment.objects.count() == 0


def test_a_qris_payment_keeps_a_valid_payload_with_its_amount(db, fake_gateway):
    payment = request_payment(fake_gateway, method="QRIS", amount=87_500)
    data = qris.parse(payment.qris_payload)
    assert (data.amount, data.bill_number, data.dynamic) == (87_500, payment.order_id, True)


def test_requests_need_the_permission_and_the_branch(
    db, fake_gateway, make_user, branch_a, branch_b
):
    supervisor = make_user(RoleKey.SUPERVISOR, branches=[branch_a])
    assert request_payment(fake_gateway, actor=supervisor, branch=branch_a).branch == branch_a
    with pytest.raises(NotFound):
        request_payment(fake_gateway, actor=supervisor, branch=branch_b)
    with pytest.raises(PermissionDenied):
        request_payment(fake_gateway, actor=make_user(RoleKey.AGENT, branches=[branch_a]))


# ------------------------------------------------------------------------------ reconciliation


def _settled(fake, *, amount=100_000, paid=None, at=None):
    payment = request_payment(fake, amount=amount)
    Payment.objects.filter(pk=payment.pk).update(
        status=PaymentStatus.SETTLED,
        paid_amount=paid or amount,
        amount_mismatch=(paid or amount) != amount,
        settled_at=at or timezone.make_aware(datetime(2026, 11, 24, 10, 0)),
    )
    return payment


def test_the_report_names_every_difference(db, fake_gateway):
    matched = _settled(fake_gateway)
    differs = _settled(fake_gateway, amount=50_000, paid=45_000)
    unpaid = request_payment(fake_gateway, amount=20_000)
    missing = _settled(fake_gateway, amount=30_000)
    other_day = _settled(fake_gateway, at=timezone.make_aware(datetime(2026, 11, 25, 0, 30)))
    content = (
        "order_id,gross_amount,transaction_status,settlement_time\n"
        f"{matched.order_id},100000.00,settlement,2026-11-24 10:00:00\n"
        f"{differs.order_id},45000.00,settlement,2026-11-24 10:00:00\n"
        f"{unpaid.order_id},20000.00,settlement,2026-11-24 11:00:00\n"
        "AMN-ASING,9000.00,settlement,2026-11-24 12:00:00\n"
        f"{other_day.order_id},100000.00,pending,2026-11-24 12:00:00\n"
    ).encode()
    run = reconciliation_run(
        actor=SYSTEM, provider="MIDTRANS", settlement_date=DAY, file_name="m.csv", content=content
    )
    kinds = dict(run.items.values_list("order_id", "kind"))
    assert kinds == {
        matched.order_id: ItemKind.MATCHED,
        differs.order_id: ItemKind.AMOUNT_DIFFERS,
        unpaid.order_id: ItemKind.NOT_SETTLED_HERE,
        "AMN-ASING": ItemKind.UNKNOWN_ORDER,
        missing.order_id: ItemKind.MISSING_IN_FILE,
    }
    assert (run.rows, run.matched, run.mismatched) == (4, 1, 4)
    with pytest.raises(ServiceError) as again:
        reconciliation_run(
            actor=SYSTEM,
            provider="MIDTRANS",
            settlement_date=DAY,
            file_name="m.csv",
            content=content,
        )
    assert again.value.code == "duplicate_file"


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (b"order,amount\nA,1\n", "order_id"),
        (b"order_id,amount\nA,1.5\n", "baris 2"),
        (b"order_id,amount\nA,1\nB,x\nA,2\n", "baris 3"),
        (b"order_id,amount\n,1\n", "baris 2"),
        (b"\xff\xfe\x00", "UTF-8"),
        (b"order_id,amount\nA\x00,1\n", "NUL"),
    ],
)
def test_a_bad_file_is_refused_whole_with_its_rows(db, content, problem):
    with pytest.raises(ServiceError) as refused:
        reconciliation_run(
            actor=SYSTEM, provider="XENDIT", settlement_date=DAY, file_name="x.csv", content=content
        )
    assert problem in refused.value.message
    assert ReconciliationRun.objects.count() == 0


def test_reconciling_needs_the_permission(db):
    poller = IntegrationActor("payments-poll-test", permissions=("payments.view",))
    with pytest.raises(PermissionDenied):
        reconciliation_run(
            actor=poller, provider="XENDIT", settlement_date=DAY, file_name="x.csv", content=b""
        )


def test_the_daily_job_reconciles_yesterdays_files_once(db, fake_gateway, settings, tmp_path):
    payment = _settled(fake_gateway)
    settings.PAYMENT_SETTLEMENT_DIR = str(tmp_path)
    (tmp_path / f"midtrans-{DAY.isoformat()}.csv").write_text(
        f"order_id,gross_amount\n{payment.order_id},100000.00\n"
    )
    assert reconcile_day(DAY) == {"MIDTRANS": "reconciled", "XENDIT": "no_file"}
    assert reconcile_day(DAY) == {"MIDTRANS": "already", "XENDIT": "no_file"}
    run = ReconciliationRun.objects.get()
    assert (run.matched, run.mismatched) == (1, 0)
    assert reconcile_day(DAY + timedelta(days=1))["MIDTRANS"] == "no_file"
