"""Money typed the Indonesian way at the PDAM's counter and on its tariff pages is read as
meant (issue 50, item 5): the cashier's "500.000" pays Rp 500.000 (receipt and journal entry
alike), a tariff's abonemen and block prices "500.000" are Rp 500.000, a RAB's unit price
"35.000" is Rp 35.000; an edit page shows amounts with dots and sends them back unchanged."""

from __future__ import annotations

import datetime as dt

from django.test import Client
from django.urls import reverse

from amanah.conftest import sign_in
from amanah.core.roles import RoleKey as R
from amanah.ledger.models import JournalEntry, JournalLine
from amanah.utility import billing, testing
from amanah.utility.forms import RabForm
from amanah.utility.models import Bill, Receipt, TariffGroup


def _open_bills(conn) -> list[Bill]:
    """Two months' bills of 35,000 (10 m³ + abonemen)."""
    testing.read(conn, dt.date(2025, 8, 1), 0)
    for period, reading in ((dt.date(2025, 9, 1), 10), (dt.date(2025, 10, 1), 20)):
        testing.read(conn, period, reading)
        billing.billing_run(actor=testing.SYSTEM, period=period)
    return list(Bill.objects.filter(connection=conn).order_by("period"))


def test_the_cashier_types_500_000_and_the_books_say_rp_500_000(db, branch_a, make_user):
    conn = testing.connection(branch_a)
    bills = _open_bills(conn)
    cashier = sign_in(Client(), make_user(R.SUPERVISOR, branches=[branch_a]))
    url = reverse("utility:payment_record", args=[conn.pk])
    answer = cashier.post(url, {"amount": "500.000", "reference": "KW-500"})
    assert answer.status_code == 303
    receipt = Receipt.objects.get(reference="KW-500")
    assert receipt.amount == 500_000
    assert receipt.to_credit == 500_000 - sum(b.total for b in bills)
    assert all(b.status == "PAID" for b in Bill.objects.filter(connection=conn))
    entry = JournalEntry.objects.get(source_key=f"utility.receipt:{receipt.pk}")
    lines = JournalLine.objects.filter(entry=entry)
    assert sum(lines.values_list("debit", flat=True)) == 500_000
    # "Rp 1.500.000" and "1.500.000,00" too; an ambiguous amount is asked again, nothing paid
    for typed, reference in (("Rp 1.500.000", "KW-1500"), ("1.500.000,00", "KW-1500B")):
        assert cashier.post(url, {"amount": typed, "reference": reference}).status_code == 303
        assert Receipt.objects.get(reference=reference).amount == 1_500_000
    for typed in ("1,500", "1500.00", "1.5"):
        refused = cashier.post(url, {"amount": typed, "reference": f"KW-{typed}"}, follow=True)
        assert "memisahkan" in refused.content.decode()  # "Titik/Koma memisahkan …"
    assert Receipt.objects.count() == 3


def test_a_tariffs_abonemen_and_block_prices_typed_with_dots(db, make_user):
    admin = sign_in(Client(), make_user(R.ADMIN))
    form = {
        "code": "N1",
        "name": "Niaga",
        "fixed_charge": "500.000",
        "blocks": "0-10: 2.500\n10-: Rp 7.500",
        "active": "on",
    }
    assert admin.post(reverse("utility:tariff_new"), form).status_code == 303
    group = TariffGroup.objects.get(code="N1")
    assert group.fixed_charge == 500_000
    assert list(group.blocks.values_list("price", flat=True)) == [2_500, 7_500]
    # the edit page shows them with dots, and sending it back unchanged changes nothing
    page = admin.get(reverse("utility:tariff_edit", args=["N1"])).content.decode()
    assert 'value="500.000"' in page and "0-10: 2.500\n10-: 7.500" in page
    again = {**form, "fixed_charge": "500.000", "blocks": "0-10: 2.500\n10-: 7.500"}
    assert admin.post(reverse("utility:tariff_edit", args=["N1"]), again).status_code == 303
    group.refresh_from_db()
    assert group.fixed_charge == 500_000
    refused = admin.post(
        reverse("utility:tariff_edit", args=["N1"]), {**form, "blocks": "0-: 2,500"}
    )
    assert refused.status_code == 400 and "Baris 1" in refused.content.decode()


def test_a_rab_unit_price_typed_with_dots():
    form = RabForm({"lines": "Pipa PE 1/2 inci; 12; 15.250\nMeter air; 1; Rp 450.000,00"})
    assert form.is_valid(), form.errors
    assert form.cleaned_data["lines"] == [
        ["Pipa PE 1/2 inci", "12", 15_250],
        ["Meter air", "1", 450_000],
    ]
    refused = RabForm({"lines": "Pipa; 12; 15,250"})
    assert not refused.is_valid() and "Baris 1" in refused.errors["lines"][0]
