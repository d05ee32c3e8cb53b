"""Money written the Indonesian way reaches insight as meant (issue 50, item 5): the
transaction import stores "1.500.000,00" as 1,500,000 (not 150,000,000), a core banking
"1500000.00" alike; a recovery trigger's value typed "Rp 1.500.000" is Rp 1.500.000 and "1.5"
is asked again (not stored as 15); the trigger page shows the value with dots."""

from __future__ import annotations

from django.test import Client

from amanah.conftest import sign_in
from amanah.core.roles import RoleKey as R
from amanah.customers.services import CustomerInput, customer_create
from amanah.insight.models import Transaction
from amanah.insight.recovery.models import RecoveryTrigger
from amanah.integrations.models import ImportRowError, ImportStatus
from amanah.integrations.tests.test_import_targets import import_text

HEADER = "Referensi transaksi;CIF;Tanggal transaksi;Nominal (rupiah);Kanal\n"


def test_the_transaction_import_reads_amounts_as_written(system, branch_a):
    customer_create(
        actor=system,
        data=CustomerInput(full_name="Siti Aminah", home_branch=branch_a, cif="C0001"),
    )
    rows = {"TX-1": "1.500.000,00", "TX-2": "1500000.00", "TX-3": "Rp 250.000", "TX-4": "75.000"}
    text = HEADER + "".join(f"{ref};C0001;2026-01-05;{v};ATM\n" for ref, v in rows.items())
    batch = import_text(system, "insight.transactions", text)
    assert batch.status == ImportStatus.DONE, batch.failure
    assert dict(Transaction.objects.values_list("reference", "amount")) == {
        "TX-1": 1_500_000,
        "TX-2": 1_500_000,
        "TX-3": 250_000,
        "TX-4": 75_000,
    }
    unclear = HEADER + "TX-8;C0001;2026-01-05;1,500;ATM\nTX-9;C0001;2026-01-05;1.500.000,50;ATM\n"
    batch = import_text(system, "insight.transactions", unclear)
    assert batch.status == ImportStatus.INVALID
    errors = ImportRowError.objects.filter(batch=batch).order_by("line")
    assert [(e.line, e.column) for e in errors] == [
        (2, "Nominal (rupiah)"),
        (3, "Nominal (rupiah)"),
    ]
    assert "Koma memisahkan sen" in errors[0].message and "tanpa sen" in errors[1].message
    assert Transaction.objects.count() == 4


def test_a_recovery_triggers_value_typed_with_dots(make_user):
    client = sign_in(Client(), make_user(R.ADMIN))
    url = "/insight/recovery/triggers/FRAUD_SCAM_CLOSE/"
    typed = {"action": "VOUCHER_50K", "estimated_value": "Rp 1.500.000", "active": "on"}
    assert client.post(url, typed).status_code == 303
    assert RecoveryTrigger.objects.get(pk="FRAUD_SCAM_CLOSE").estimated_value == 1_500_000
    page = client.get("/insight/recovery/triggers/").content.decode()
    assert 'name="estimated_value" value="1.500.000"' in page
    answer = client.post(url, {**typed, "estimated_value": "1.5"}, follow=True)
    assert "Titik memisahkan ribuan" in answer.content.decode()
    assert RecoveryTrigger.objects.get(pk="FRAUD_SCAM_CLOSE").estimated_value == 1_500_000
