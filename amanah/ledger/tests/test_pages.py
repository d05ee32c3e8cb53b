"""The journal pages: list with filters, entry and its reversal, trial balance, periods, the
chart of accounts, the CSV/XLSX export (mapping, zone, audit), bad input, the English UI."""

from __future__ import annotations

import csv
import io

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation
from openpyxl import load_workbook

from amanah.audit.models import AuditLog
from amanah.conftest import sign_in
from amanah.core.roles import RoleKey as R
from amanah.ledger import chart, services
from amanah.ledger.models import Account, JournalEntry, Period
from amanah.ledger.testing import post


@pytest.fixture
def admin(make_user):
    return make_user(R.ADMIN)


@pytest.fixture
def client_admin(admin):
    return sign_in(Client(), admin)


def _month() -> str:
    return f"{timezone.localdate():%Y-%m}"


def test_the_journal_lists_and_filters_entries_in_rupiah(admin, client_admin):
    bill = post(admin, 1_250_000, key="bill:1", description="Tagihan air Mei")
    post(
        admin,
        80_000,
        debit=chart.PIUTANG_DENDA,
        credit=chart.PENDAPATAN_DENDA,
        key="fee:1",
        description="Denda air bulan Mei",
    )
    page = client_admin.get(reverse("ledger:journal"))
    assert page.status_code == 200
    text = page.content.decode()
    assert "Rp 1.250.000" in text and bill.number in text and "Denda air bulan Mei" in text
    by_account = client_admin.get(reverse("ledger:journal"), {"akun": chart.PIUTANG_DENDA})
    assert "Denda air bulan Mei" in by_account.content.decode()
    assert "Tagihan air Mei" not in by_account.content.decode()
    by_number = client_admin.get(reverse("ledger:journal"), {"q": bill.number})
    assert "Tagihan air Mei" in by_number.content.decode()
    assert "Denda air bulan Mei" not in by_number.content.decode()
    by_period = client_admin.get(
        reverse("ledger:journal"), {"dari": "2020-01", "sampai": "2020-01"}
    )
    assert "Tagihan air Mei" not in by_period.content.decode()


@pytest.mark.parametrize(
    "query",
    [{"dari": "2026-13"}, {"dari": "9999-01"}, {"dari": "x\x00"}, {"page": "-1"}, {"sumber": "x"}],
)
def test_bad_filters_are_a_400_not_a_500(client_admin, query):
    assert client_admin.get(reverse("ledger:journal"), query).status_code == 400


def test_an_entry_page_and_its_reversal(admin, client_admin):
    entry = post(admin, 300_000, key="bill:2")
    page = client_admin.get(reverse("ledger:entry", args=[entry.pk]))
    text = page.content.decode()
    assert page.status_code == 200 and "Rp 300.000" in text and "Catat jurnal pembalik" in text
    assert client_admin.get(reverse("ledger:entry", args=[999_999_999])).status_code == 404
    refused = client_admin.post(reverse("ledger:entry_reverse", args=[entry.pk]), {"reason": ""})
    assert refused.status_code == 303 and not JournalEntry.objects.filter(reverses=entry).exists()
    done = client_admin.post(
        reverse("ledger:entry_reverse", args=[entry.pk]), {"reason": "salah golongan tarif"}
    )
    assert done.status_code == 303
    reversal = JournalEntry.objects.get(reverses=entry)
    page = client_admin.get(reverse("ledger:entry", args=[entry.pk])).content.decode()
    assert reversal.number in page and "Catat jurnal pembalik" not in page


def test_the_trial_balance_page(admin, client_admin):
    post(admin, 2_000_000)
    post(admin, 500_000, debit=chart.BANK, credit=chart.PIUTANG_AIR)
    page = client_admin.get(reverse("ledger:trial_balance"), {"dari": _month()})
    text = page.content.decode()
    assert page.status_code == 200 and "seimbang" in text and "TIDAK seimbang" not in text
    assert "Rp 2.500.000" in text  # the totals
    assert client_admin.get(reverse("ledger:trial_balance"), {"dari": "2026-00"}).status_code == 400
    swapped = {"dari": "2026-05", "sampai": "2026-01"}
    assert client_admin.get(reverse("ledger:trial_balance"), swapped).status_code == 400


def test_periods_close_and_reopen_from_the_page(make_user, client_admin):
    director = sign_in(Client(), make_user(R.DIRECTOR))
    closed = director.post(reverse("ledger:period_close"), {"month": "2021-03"})
    assert closed.status_code == 303 and Period.objects.get(month="2021-03-01").closed
    page = director.get(reverse("ledger:periods")).content.decode()
    assert "03/2021" in page and "Buka kembali" not in page  # the director may not reopen
    assert (
        director.post(
            reverse("ledger:period_reopen"), {"month": "2021-03", "reason": "x"}
        ).status_code
        == 403
    )
    assert "Buka kembali" in client_admin.get(reverse("ledger:periods")).content.decode()
    client_admin.post(reverse("ledger:period_reopen"), {"month": "2021-03", "reason": ""})
    assert Period.objects.get(month="2021-03-01").closed  # no reason: refused
    client_admin.post(
        reverse("ledger:period_reopen"), {"month": "2021-03", "reason": "koreksi auditor"}
    )
    assert not Period.objects.get(month="2021-03-01").closed
    assert client_admin.post(reverse("ledger:period_close"), {"month": "bulan"}).status_code == 303


def test_the_chart_of_accounts_page(client_admin):
    page = client_admin.get(reverse("ledger:accounts")).content.decode()
    assert "Piutang rekening air" in page and "Pendapatan denda" in page
    created = client_admin.post(
        reverse("ledger:accounts"),
        {"code": "4402", "name": "Pendapatan sewa", "type": "INCOME", "active": "on"},
    )
    assert created.status_code == 303 and Account.objects.get(code="4402").active
    bad = client_admin.post(
        reverse("ledger:accounts"), {"code": "44 02", "name": "x", "type": "INCOME"}
    )
    assert bad.status_code == 400
    edited = client_admin.post(
        reverse("ledger:account_edit", args=[chart.PIUTANG_AIR]),
        {"code": "ignored", "name": "Piutang air", "type": "ASSET", "external_code": "1-1310"},
    )
    assert edited.status_code == 303
    account = Account.objects.get(code=chart.PIUTANG_AIR)
    assert (account.name, account.external_code, account.active) == ("Piutang air", "1-1310", False)
    assert not Account.objects.filter(code="ignored").exists()
    assert client_admin.get(reverse("ledger:account_edit", args=["nope"])).status_code == 404


def test_the_csv_export_carries_the_mapping_and_the_zone_and_is_audited(admin, client_admin):
    services.account_save(
        actor=admin,
        code=chart.PIUTANG_AIR,
        name="Piutang rekening air",
        type="ASSET",
        external_code="1-1310",
    )
    entry = post(admin, 1_000, key="bill:3", description='=HYPERLINK("x")')
    response = client_admin.get(reverse("ledger:export"), {"dari": _month(), "format": "csv"})
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0][12] == "dicatat_pada (WIB)"
    mine = [r for r in rows[1:] if r[2] == entry.number]
    assert sorted((r[6], r[7], r[10], r[11]) for r in mine) == [
        (chart.PIUTANG_AIR, "1-1310", "1000", "0"),
        (chart.PENDAPATAN_AIR, chart.PENDAPATAN_AIR, "0", "1000"),
    ]
    assert mine[0][5].startswith("'=")  # formula injection defused
    log = AuditLog.objects.filter(action="EXPORT_DATA", object_type="LEDGER_JOURNAL").get()
    assert log.meta["format"] == "csv" and log.meta["zone"] == "WIB" and log.meta["lines"] >= 2


def test_the_xlsx_export_has_the_journal_and_the_account_mapping(admin, client_admin):
    entry = post(admin, 42_000, key="bill:4")
    response = client_admin.get(reverse("ledger:export"), {"dari": _month(), "format": "xlsx"})
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.content), read_only=True)
    journal, mapping = book.worksheets
    rows = list(journal.iter_rows(values_only=True))
    assert rows[0][12] == "dicatat_pada (WIB)"
    assert sorted((r[6], r[10], r[11]) for r in rows[1:] if r[2] == entry.number) == [
        (chart.PIUTANG_AIR, 42_000, 0),
        (chart.PENDAPATAN_AIR, 0, 42_000),
    ]
    codes = {r[0] for r in mapping.iter_rows(min_row=2, values_only=True)}
    assert {c for c, _n, _t in chart.PDAM_CHART} <= codes
    assert AuditLog.objects.filter(action="EXPORT_DATA", meta__format="xlsx").count() == 1


@pytest.mark.parametrize(
    "query",
    [{"dari": "2026-13", "format": "csv"}, {"dari": "2026-01", "format": "pdf"}, {"format": "csv"}],
)
def test_a_bad_export_request_is_a_400_and_not_audited(client_admin, query):
    assert client_admin.get(reverse("ledger:export"), query).status_code == 400
    assert not AuditLog.objects.filter(action="EXPORT_DATA").exists()


def test_english_smoke(admin):
    entry = post(admin, 5_000)
    client = sign_in(Client(), admin)
    client.cookies["django_language"] = "en"
    with translation.override(translation.get_language()):
        journal = client.get(reverse("ledger:journal")).content
        detail = client.get(reverse("ledger:entry", args=[entry.pk])).content
        balance = client.get(reverse("ledger:trial_balance")).content
    assert b"General journal" in journal and b"Jurnal umum" not in journal
    assert b"Post a reversing entry" in detail
    assert b"Trial balance" in balance
