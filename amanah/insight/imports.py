"""Booked transactions as a batch import target (integrations' pipeline reads it from
``registry.import_targets``). The source key is the core system's ``reference``: a
transaction imported twice is stored once. Rows name the customer by CIF; the write goes
through ``services.transactions_record`` (its own checks, the monthly rollup, the event
``insight.transactions_recorded`` per 10,000 rows) inside the batch's one transaction."""

from __future__ import annotations

import json
from datetime import date

from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from amanah.core.contributions import ImportField, ImportTarget, RowRefused, RowsRefused
from amanah.core.errors import ServiceError
from amanah.core.inputs import problem_in_text
from amanah.core.money import WHOLE
from amanah.customers.contract import customer_ids_by_cif
from amanah.insight import services
from amanah.insight.models import MAX_AMOUNT, MerchantCategory, TxChannel
from amanah.insight.policies import TRANSACTION_RECORD

FIELDS = (
    ImportField("reference", gettext_lazy("Referensi transaksi"), required=True),
    ImportField("cif", "CIF", required=True),
    ImportField("booked_on", gettext_lazy("Tanggal transaksi"), required=True),
    ImportField("amount", gettext_lazy("Nominal (rupiah)"), required=True, amount=WHOLE),
    ImportField("channel", gettext_lazy("Kanal"), required=True),
    ImportField("merchant_category", gettext_lazy("Kategori merchant")),
    ImportField("merchant_id", gettext_lazy("ID merchant")),
)
_CHANNELS = frozenset(c.value for c in TxChannel)
_CATEGORIES = frozenset(c.value for c in MerchantCategory)


def _date(raw: str) -> date:
    parts = raw.replace("/", "-").split("-")
    if len(parts) == 3 and all(p.isdigit() for p in parts):
        year, month, day = parts if len(parts[0]) == 4 else parts[::-1]
        try:
            return date(int(year), int(month), int(day))
        except ValueError:
            pass
    raise RowRefused("booked_on", _("Tanggal tidak dikenali (pakai TTTT-BB-HH atau HH/BB/TTTT)."))


def _text(name: str, raw: str, longest: int, *, required: bool) -> str:
    if problem_in_text(raw) or len(raw) > longest or (required and not raw):
        raise RowRefused(name, _("Wajib teks biasa, paling panjang %d karakter.") % longest)
    return raw


def clean(values: dict) -> dict:
    booked_on = _date(values["booked_on"])
    if not services.EARLIEST <= booked_on <= timezone.localdate():
        raise RowRefused("booked_on", _("Tanggal transaksi harus antara 1 Jan 2000 dan hari ini."))
    amount = values["amount"]  # read by the pipeline (core.money): an int, or None
    if amount is None or amount >= MAX_AMOUNT:
        raise RowRefused("amount", _("Nominal harus bilangan bulat rupiah, tidak negatif."))
    channel = values["channel"].strip().upper()
    if channel not in _CHANNELS:
        raise RowRefused("channel", _("Kanal tidak dikenal."))
    category = values["merchant_category"].strip().upper()
    if category and category not in _CATEGORIES:
        raise RowRefused("merchant_category", _("Kategori merchant tidak dikenal."))
    return {
        "reference": _text("reference", values["reference"], 64, required=True),
        "cif": _text("cif", values["cif"].upper(), 20, required=True),
        "booked_on": booked_on.isoformat(),
        "amount": amount,
        "channel": channel,
        "merchant_category": category,
        "merchant_id": _text("merchant_id", values["merchant_id"], 40, required=False),
    }


def _customers(actor, cifs) -> dict[str, str]:
    """CIF -> customer id, for the customers (not merged away) the importing actor may write
    to (customers' published rule: a system key reaches its branches' customers)."""
    return customer_ids_by_cif(actor=actor, permission=TRANSACTION_RECORD, cifs=cifs)


def check(*, actor, rows: list) -> list:
    known = _customers(actor, {d["cif"] for _l, _k, d in rows})
    message = _("Nasabah dengan CIF ini tidak ditemukan atau di luar scope Anda.")
    return [(line, "cif", message) for line, _k, d in rows if d["cif"] not in known]


def apply(*, actor, staged) -> dict:
    """Through ``transactions_record`` per 10,000 rows; references seen before are skipped."""
    with connection.cursor() as cursor:
        cursor.execute(staged.sql + " ORDER BY line", list(staged.params))
        # jsonb comes back as text through Django's connection (JSONField decodes it itself)
        rows = [(line, json.loads(data)) for line, _key, data in cursor.fetchall()]
    known = _customers(actor, {d["cif"] for _l, d in rows})
    missing = [line for line, d in rows if d["cif"] not in known]
    if missing:
        message = _("Nasabah dengan CIF ini tidak ditemukan atau di luar scope Anda.")
        raise RowsRefused([(line, "cif", message) for line in missing[:1000]])
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT reference FROM insight_transaction WHERE reference = ANY(%s)",
            [[d["reference"] for _l, d in rows]],
        )
        seen = {r for (r,) in cursor.fetchall()}
    created = 0
    for start in range(0, len(rows), services.MAX_BATCH):
        part = rows[start : start + services.MAX_BATCH]
        try:
            created += services.transactions_record(
                actor=actor,
                rows=[
                    services.TransactionInput(
                        customer_id=known[d["cif"]],
                        booked_on=date.fromisoformat(d["booked_on"]),
                        amount=d["amount"],
                        channel=d["channel"],
                        reference=d["reference"],
                        merchant_category=d["merchant_category"],
                        merchant_id=d["merchant_id"],
                    )
                    for _l, d in part
                ],
            )
        except ServiceError as error:
            raise ServiceError(error.code, error.message, field=error.field) from error
    new_lines = [line for line, d in rows if d["reference"] not in seen]
    staged.mark_created("SELECT unnest(%s::int[])", (new_lines,))
    return {"created": created, "unchanged": staged.count - created}


TARGET = ImportTarget(
    label=gettext_lazy("Transaksi nasabah (feed core banking)"),
    permission=TRANSACTION_RECORD,
    fields=FIELDS,
    key_field="reference",
    clean=clean,
    check=check,
    apply=apply,
)
