"""The PDAM chart of accounts the journal starts with (seed 000 "SAKEP 2025" = SAK EP, DESIGN
§6), and the codes other apps name in their posting rules.

Migration 0003 writes these rows once (its own frozen copy); from then on ADMIN keeps the chart
on the chart-of-accounts page (``services.account_save``, audited): names, the mapping to the
accounting system's codes, new accounts, deactivation. Posting rules refer to accounts by code.
"""

from __future__ import annotations

KAS = "1101"
BANK = "1102"
DANA_GATEWAY = "1103"  # VA/QRIS collections not yet settled to the bank
PIUTANG_AIR = "1131"
PIUTANG_SAMBUNGAN = "1132"
PIUTANG_DENDA = "1133"
PENYISIHAN_PIUTANG = "1139"
UANG_MUKA_PELANGGAN = "2131"  # overpayments kept as the customer's credit
TITIPAN_PELANGGAN = "2132"
PENDAPATAN_DITERIMA_DIMUKA = "2141"
PENYERTAAN_MODAL = "3101"
SALDO_LABA = "3201"
PENDAPATAN_AIR = "4101"
PENDAPATAN_SAMBUNGAN = "4201"
PENDAPATAN_DENDA = "4301"
PENDAPATAN_ADMINISTRASI = "4302"
BEBAN_ADMINISTRASI_BANK = "5301"  # gateway and bank fees (MDR)
BEBAN_PIUTANG_TAK_TERTAGIH = "5302"

# (code, name, type) — types as in models.AccountType
PDAM_CHART: tuple[tuple[str, str, str], ...] = (
    (KAS, "Kas", "ASSET"),
    (BANK, "Bank", "ASSET"),
    (DANA_GATEWAY, "Dana dalam penyelesaian (VA/QRIS)", "ASSET"),
    (PIUTANG_AIR, "Piutang rekening air", "ASSET"),
    (PIUTANG_SAMBUNGAN, "Piutang sambungan baru (RAB)", "ASSET"),
    (PIUTANG_DENDA, "Piutang denda keterlambatan", "ASSET"),
    (PENYISIHAN_PIUTANG, "Penyisihan piutang tak tertagih", "ASSET"),
    (UANG_MUKA_PELANGGAN, "Uang muka / kelebihan bayar pelanggan", "LIABILITY"),
    (TITIPAN_PELANGGAN, "Titipan pelanggan", "LIABILITY"),
    (PENDAPATAN_DITERIMA_DIMUKA, "Pendapatan diterima di muka", "LIABILITY"),
    (PENYERTAAN_MODAL, "Penyertaan modal pemerintah daerah", "EQUITY"),
    (SALDO_LABA, "Saldo laba", "EQUITY"),
    (PENDAPATAN_AIR, "Pendapatan penjualan air", "INCOME"),
    (PENDAPATAN_SAMBUNGAN, "Pendapatan sambungan baru", "INCOME"),
    (PENDAPATAN_DENDA, "Pendapatan denda", "INCOME"),
    (PENDAPATAN_ADMINISTRASI, "Pendapatan administrasi", "INCOME"),
    (BEBAN_ADMINISTRASI_BANK, "Beban administrasi bank dan gateway", "EXPENSE"),
    (BEBAN_PIUTANG_TAK_TERTAGIH, "Beban penyisihan piutang", "EXPENSE"),
)
