"""What the customers app's import targets share: a Ya/Tidak cell, a CIF cell, a date cell,
and the check that each row's CIF names a customer the importing actor may change."""

from __future__ import annotations

import re
from datetime import date

from django.utils.translation import gettext as _

from amanah.core.contributions import RowRefused
from amanah.customers import selectors

TRUE = {"1", "y", "ya", "yes", "true", "benar"}
FALSE = {"", "0", "n", "t", "tidak", "no", "false", "salah"}
SCIENTIFIC = re.compile(r"^\d+([.,]\d+)?[eE][+]?\d+$")


def unknown_cif_message() -> str:
    return _("Nasabah dengan CIF ini tidak ditemukan atau di luar scope Anda.")


def yes_no(name: str, raw: str) -> bool:
    value = raw.strip().lower()
    if value in TRUE:
        return True
    if value in FALSE:
        return False
    raise RowRefused(name, _("Isi dengan Ya/Tidak atau 1/0."))


def cif_cell(name: str, raw: str) -> str:
    cif = raw.strip().upper()
    if not cif or not cif.isalnum() or not cif.isascii() or len(cif) > 20:
        raise RowRefused(name, _("CIF hanya huruf/angka, maks. 20."))
    return cif


def date_cell(name: str, raw: str, message) -> date | None:
    """YYYY-MM-DD, DD/MM/YYYY or DD-MM-YYYY (split by hand: strptime is slow per row)."""
    if not raw:
        return None
    parts = raw.replace("/", "-").split("-")
    if len(parts) == 3 and all(p.isdigit() for p in parts):
        year, month, day = parts if len(parts[0]) == 4 else parts[::-1]
        if len(year) == 4:
            try:
                return date(int(year), int(month), int(day))
            except ValueError:
                pass
    raise RowRefused(name, message)


def digits_as_text(name: str, label, raw: str) -> str:
    """A number column that Excel turned into scientific notation is named as such."""
    if SCIENTIFIC.match(raw):
        raise RowRefused(
            name,
            _(
                "%s tampak diubah Excel menjadi notasi ilmiah; format kolomnya sebagai Teks "
                "lalu ekspor ulang."
            )
            % label,
        )
    return raw


def refused_unknown_cifs(*, actor, permission: str, rows: list, fields=("cif",)) -> list:
    """``(line, field, message)`` for each row whose CIF (in each of ``fields``) is not a
    customer ``actor`` may change with ``permission`` (``selectors.customer_ids_by_cif``)."""
    cifs = {d[f] for _l, _k, d in rows for f in fields}
    known = selectors.customer_ids_by_cif(actor=actor, permission=permission, cifs=cifs)
    message = unknown_cif_message()
    return [(line, f, message) for line, _k, d in rows for f in fields if d[f] not in known]
