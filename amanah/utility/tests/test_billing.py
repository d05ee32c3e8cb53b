"""The monthly billing run: usage from readings, block arithmetic in SQL, idempotent re-runs,
one journal entry per bill through the ledger's posting rules."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from amanah.conftest import sign_in
from amanah.core.roles import RoleKey as R
from amanah.ledger.models import JournalEntry, JournalLine
from amanah.utility import billing, tariffs, testing
from amanah.utility.models import Bill, BillingRun

JAN, FEB = dt.date(2026, 1, 1), dt.date(2026, 2, 1)


@pytest.fixture
def billed(db, branch_a, branch_b):
    a = testing.connection(branch_a)
    b = testing.connection(branch_b)
    replaced = testing.connection(branch_a)
    first = testing.connection(branch_a)  # its first reading: usage from 0
    idle = testing.connection(branch_a)  # no reading for FEB: no bill
    suspended = testing.connection(branch_a)
    for conn, jan, feb in ((a, 100, 125), (b, 50, 55), (replaced, 900, None), (suspended, 1, 9)):
        testing.read(conn, JAN, jan)
        if feb is not None:
            testing.read(conn, FEB, feb)
    testing.read(replaced, FEB, 7, replacement=True)
    testing.read(first, FEB, 12)
    testing.read(idle, JAN, 5)
    from amanah.utility import services

    services.connection_status_set(
        actor=testing.SYSTEM, connection_id=suspended.pk, status="SUSPENDED"
    )
    run = billing.billing_run(actor=testing.SYSTEM, period=FEB)
    return {"run": run, "a": a, "b": b, "replaced": replaced, "first": first, "idle": idle}


def test_one_bill_per_active_connection_with_the_block_arithmetic(billed):
    run = billed["run"]
    assert run.status == "DONE", run.failure
    assert (run.bills_created, run.skipped_no_reading) == (4, 1)
    blocks = tariffs.check_blocks(testing.R1_BLOCKS)
    expected = {"a": 25, "b": 5, "replaced": 7, "first": 12}
    for key, usage in expected.items():
        bill = Bill.objects.get(connection=billed[key], period=FEB)
        assert bill.usage_m3 == usage
        assert bill.water_amount == tariffs.water_amount(blocks, usage)
        assert bill.total == bill.water_amount + 10_000
        assert bill.due_on == dt.date(2026, 3, 20)
    assert run.amount == sum(Bill.objects.values_list("total", flat=True))


def test_each_bill_is_journalled_and_a_rerun_creates_nothing(billed):
    entries = JournalEntry.objects.filter(source_type="utility.bill")
    assert entries.count() == 4
    lines = JournalLine.objects.filter(entry__in=entries)
    assert sum(lines.values_list("debit", flat=True)) == billed["run"].amount
    assert set(lines.values_list("account__code", flat=True)) == {"1131", "4101"}
    # one audit event for the slice's entries (the run has its own), not one per bill
    from amanah.audit.models import AuditLog

    posted = AuditLog.objects.filter(action="POST_JOURNAL")
    assert posted.count() == 1 and posted.get().meta["entries"] == 4
    again = billing.billing_run(actor=testing.SYSTEM, period=FEB)
    assert again.status == "DONE" and again.bills_created == 0
    assert Bill.objects.count() == 4 and entries.count() == 4


def test_credit_is_used_by_the_next_bill(db, branch_a):
    from amanah.utility import accounts

    conn = testing.connection(branch_a)
    testing.read(conn, JAN, 0)
    accounts.payment_apply(
        actor=testing.SYSTEM, connection_id=conn.pk, amount=50_000, reference="P1"
    )
    testing.read(conn, FEB, 10)  # 25,000 + 10,000
    billing.billing_run(actor=testing.SYSTEM, period=FEB)
    bill = Bill.objects.get(connection=conn, period=FEB)
    conn.refresh_from_db()
    assert (bill.status, bill.paid, conn.credit) == ("PAID", 35_000, 15_000)


def test_billing_page_queues_a_run_and_refuses_a_bad_period(
    db, make_user, django_capture_on_commit_callbacks
):
    client = sign_in(__import__("django.test", fromlist=["Client"]).Client(), make_user(R.ADMIN))
    from unittest import mock

    with mock.patch("amanah.utility.tasks.billing_run_job.defer") as defer:
        done = client.post(reverse("utility:billing"), {"period": "2026-02"})
    assert done.status_code == 303 and defer.called
    run = BillingRun.objects.get()
    assert run.status == "RUNNING" and run.period == FEB
    assert billing.billing_execute(run.pk) == "DONE"
    assert client.post(reverse("utility:billing"), {"period": "2026-13"}).status_code == 400
    assert client.post(reverse("utility:billing"), {"period": "2999-01"}).status_code == 400
    assert client.get(reverse("utility:billing")).status_code == 200


def test_row_by_row_gives_the_same_bill_as_the_run(billed, branch_a):
    conn = testing.connection(branch_a)
    testing.read(conn, JAN, 40)
    testing.read(conn, FEB, 77)
    bill_id = billing.bill_connection(actor=testing.SYSTEM, connection_id=conn.pk, period=FEB)
    one = Bill.objects.get(pk=bill_id)
    same = Bill.objects.get(connection=billed["a"], period=FEB)
    blocks = tariffs.check_blocks(testing.R1_BLOCKS)
    assert one.total == tariffs.water_amount(blocks, 37) + 10_000
    assert (same.usage_m3, same.total) == (25, tariffs.water_amount(blocks, 25) + 10_000)
    assert billing.bill_connection(actor=testing.SYSTEM, connection_id=conn.pk, period=FEB) is None
    assert JournalEntry.objects.filter(source_key=f"utility.bill:{bill_id}").exists()
