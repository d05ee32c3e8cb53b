"""The PDAM chart of accounts (ledger/chart.py), written once; ADMIN edits it afterwards.
A frozen copy: a data migration must not follow later edits of the app's constants."""

from django.db import migrations

CHART = (
    ("1101", "Kas", "ASSET"),
    ("1102", "Bank", "ASSET"),
    ("1103", "Dana dalam penyelesaian (VA/QRIS)", "ASSET"),
    ("1131", "Piutang rekening air", "ASSET"),
    ("1132", "Piutang sambungan baru (RAB)", "ASSET"),
    ("1133", "Piutang denda keterlambatan", "ASSET"),
    ("1139", "Penyisihan piutang tak tertagih", "ASSET"),
    ("2131", "Uang muka / kelebihan bayar pelanggan", "LIABILITY"),
    ("2132", "Titipan pelanggan", "LIABILITY"),
    ("2141", "Pendapatan diterima di muka", "LIABILITY"),
    ("3101", "Penyertaan modal pemerintah daerah", "EQUITY"),
    ("3201", "Saldo laba", "EQUITY"),
    ("4101", "Pendapatan penjualan air", "INCOME"),
    ("4201", "Pendapatan sambungan baru", "INCOME"),
    ("4301", "Pendapatan denda", "INCOME"),
    ("4302", "Pendapatan administrasi", "INCOME"),
    ("5301", "Beban administrasi bank dan gateway", "EXPENSE"),
    ("5302", "Beban penyisihan piutang", "EXPENSE"),
)


def seed(apps, schema_editor):
    Account = apps.get_model("ledger", "Account")
    for code, name, kind in CHART:
        Account.objects.get_or_create(code=code, defaults={"name": name, "type": kind})


class Migration(migrations.Migration):
    dependencies = [("ledger", "0002_journal_kept_by_the_database")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
