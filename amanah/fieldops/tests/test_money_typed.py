"""Money typed the Indonesian way in field ops is read as meant (issue 50, item 5): the visit
page's and the offline app's promise and paid amounts, the work-order rule's minimum arrears,
the loan-arrears import's outstanding; an ambiguous amount is refused with its reason."""

from __future__ import annotations

import uuid
from datetime import timedelta
from decimal import Decimal

from django.test import Client
from django.urls import reverse
from django.utils import timezone

from amanah.conftest import sign_in
from amanah.core.roles import RoleKey as R
from amanah.fieldops import generate
from amanah.fieldops.models import LoanArrears, Outcome, ResultStatus, VisitResult, WorkOrder
from amanah.fieldops.testing import customer_in, work_order
from amanah.fieldops.tests.test_generation import SOURCE, arrears
from amanah.fieldops.tests.test_sync import item, sync
from amanah.integrations.models import ImportRowError, ImportStatus
from amanah.integrations.tests.test_import_targets import import_text


def _visit(client, wo, **fields):
    url = reverse("fieldops:visit", kwargs={"work_order_id": wo.pk})
    return client.post(url, {"idempotency_key": uuid.uuid4().hex, **fields}, follow=True)


def test_the_visit_page_reads_a_promise_and_a_payment_typed_with_dots(agent_a1, branch_a):
    client = sign_in(Client(), agent_a1)
    promise, paid, unclear = (work_order(customer_in(branch_a), agent_a1) for _ in range(3))
    day = (timezone.localdate() + timedelta(days=3)).isoformat()
    _visit(
        client, promise, outcome=Outcome.PROMISE, promise_date=day, promise_amount="Rp 1.500.000"
    )
    _visit(client, paid, outcome=Outcome.MET_PAID, paid_amount="500.000")
    promise.refresh_from_db()
    assert promise.promise_amount == Decimal("1500000.00")
    assert VisitResult.objects.get(work_order=paid).paid_amount == Decimal("500000.00")
    answer = _visit(client, unclear, outcome=Outcome.MET_PAID, paid_amount="1,500")
    assert "Koma memisahkan sen" in answer.content.decode()
    assert not VisitResult.objects.filter(work_order=unclear).exists()


def test_the_offline_app_sends_what_was_typed_and_it_is_read_the_same_way(agent_a1, branch_a):
    orders = [work_order(customer_in(branch_a), agent_a1) for _ in range(4)]
    typed = ["Rp 1.500.000", "500.000", "1.500.000,00", "1.5"]
    answers = sync(
        agent_a1,
        [
            item(wo, outcome=Outcome.PROMISE, promise_date="2026-11-28", promise_amount=amount)
            for wo, amount in zip(orders, typed, strict=True)
        ],
    )
    assert [a["status"] for a in answers] == [ResultStatus.APPLIED] * 3 + ["REFUSED"]
    assert "Titik memisahkan ribuan" in answers[3]["message"]
    amounts = [WorkOrder.objects.get(pk=wo.pk).promise_amount for wo in orders]
    assert amounts == [Decimal("1500000.00"), Decimal("500000.00"), Decimal("1500000.00"), None]
    paid = sync(agent_a1, [item(orders[3], outcome=Outcome.MET_PAID, paid_amount="Rp 750.000")])
    assert paid[0]["status"] == ResultStatus.APPLIED
    assert VisitResult.objects.get(work_order=orders[3]).paid_amount == Decimal("750000.00")


def test_the_apps_amount_inputs_keep_what_the_agent_types(agent_a1, branch_a):
    """A number input drops "1.500.000" (not a number to the browser) before the app sees it;
    a text input with the numeric keypad sends it as typed."""
    client = sign_in(Client(), agent_a1)
    wo = work_order(customer_in(branch_a), agent_a1)
    pages = [
        client.get(reverse("fieldops:app")).content.decode(),
        client.get(reverse("fieldops:detail", kwargs={"work_order_id": wo.pk})).content.decode(),
    ]
    for page in pages:
        for name in ("promise_amount", "paid_amount"):
            assert f'<input type="text" name="{name}" inputmode="numeric"' in page, name


def test_the_rules_minimum_arrears_typed_with_dots(system, branch_a, make_user):
    below, above = customer_in(branch_a, "Di bawah"), customer_in(branch_a, "Di atas")
    arrears(below, 60, 400_000)
    arrears(above, 60, 600_000)
    supervisor = sign_in(Client(), make_user(R.SUPERVISOR, branches=[branch_a]))
    form = {"source": SOURCE, "min_days": "30", "min_amount": "500.000", "segment": ""}
    assert supervisor.post(reverse("fieldops:generate"), form).status_code == 303
    assert list(WorkOrder.objects.values_list("customer_id", flat=True)) == [above.pk]
    refused = supervisor.post(
        reverse("fieldops:generate"), {**form, "min_amount": "500.00"}, follow=True
    )
    assert "Titik memisahkan ribuan" in refused.content.decode()


HEADER = "CIF;Nomor rekening pinjaman;Per tanggal;Hari tunggakan (DPD);Tunggakan (rupiah)\n"


def test_the_loan_arrears_import_reads_outstanding_as_written(system, branch_a):
    cif = customer_in(branch_a).identifiers.get(id_type="CIF").id_value
    day = (timezone.localdate() - timedelta(days=1)).isoformat()
    rows = ["500.000", "1.500.000,50", "1500000.50", "Rp 2.000.000"]
    text = HEADER + "".join(f"{cif};KR-{n};{day};45;{v}\n" for n, v in enumerate(rows))
    batch = import_text(system, SOURCE, text)
    assert batch.status == ImportStatus.DONE, batch.failure
    stored = dict(LoanArrears.objects.values_list("account_no", "outstanding"))
    assert stored == {
        "KR-0": Decimal("500000.00"),
        "KR-1": Decimal("1500000.50"),
        "KR-2": Decimal("1500000.50"),
        "KR-3": Decimal("2000000.00"),
    }
    bad = import_text(system, SOURCE, HEADER + f"{cif};KR-9;{day};45;1,500\n")
    assert bad.status == ImportStatus.INVALID
    error = ImportRowError.objects.get(batch=bad)
    assert (error.line, error.column) == (2, "Tunggakan (rupiah)")
    assert "Koma memisahkan sen" in error.message


def test_the_daily_rules_minimum_set_with_dots_is_that_amount():
    """``FIELDOPS_RULE_MIN_AMOUNT=500.000`` is Rp 500.000, not Rp 500."""
    assert generate.rule_clean(30, "500.000").min_amount == Decimal("500000")
    assert generate.rule_clean(30, "1500000.00").min_amount == Decimal("1500000")
