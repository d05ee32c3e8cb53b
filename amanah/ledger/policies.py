"""Ledger permissions (issue 17: the automatic journal, SAK EP double-entry).

The bank's roles have no finance or cashier role yet; until the PDAM profile brings its own,
the closest existing roles hold them: ADMIN keeps the chart of accounts, posts manual and
reversing entries and reopens periods; ADMIN and DIRECTOR read the journal, close periods and
export; COMPLIANCE (the institution's internal control) reads. All editable in the matrix.

Automatic postings (``contract.post_for`` through a posting rule) are checked against the
permission the rule declares — the business action that causes them (issuing a bill,
recording a payment) — not against ``ledger.post``: the cashier who records a payment does
not write journal entries by hand."""

from django.utils.translation import gettext_lazy as _

from amanah.core.permissions import declare
from amanah.core.roles import RoleKey as R

LEDGER_VIEW = declare(
    "ledger.view",
    _("Lihat jurnal, detail jurnal dan neraca saldo"),
    default_roles=(R.ADMIN, R.DIRECTOR, R.COMPLIANCE),
)
LEDGER_POST = declare(
    "ledger.post",
    _("Catat jurnal manual dan jurnal pembalik"),
    default_roles=(R.ADMIN,),
)
LEDGER_ACCOUNTS = declare(
    "ledger.accounts",
    _("Kelola bagan akun (chart of accounts) dan pemetaannya"),
    default_roles=(R.ADMIN,),
)
LEDGER_PERIOD_CLOSE = declare(
    "ledger.period.close",
    _("Tutup periode akuntansi"),
    default_roles=(R.ADMIN, R.DIRECTOR),
)
LEDGER_PERIOD_REOPEN = declare(
    "ledger.period.reopen",
    _("Buka kembali periode akuntansi yang sudah ditutup (dengan alasan)"),
    default_roles=(R.ADMIN,),
)
LEDGER_EXPORT = declare(
    "ledger.export",
    _("Ekspor jurnal ke sistem akuntansi (CSV/XLSX)"),
    default_roles=(R.ADMIN, R.DIRECTOR),
)
