"""The bank profile's arrears: the loan-arrears feed as a batch import target
(``fieldops.loan_arrears``, run by integrations' pipeline) and the arrears source built on it.

One row per loan account and as-of date: CIF, account number, days past due, outstanding,
last payment date, and optionally the instalments due and the address with its geocoded
coordinates. The source key is ``<account>@<as-of>``: a day's file imported twice is stored
once (``ON CONFLICT DO NOTHING`` on the unique pair too). A row naming a CIF the importer may
not see refuses the batch (the dry run names it first).

The source answers one row per customer: the latest as-of date of each account, summed per
customer (the oldest arrears, the total outstanding, the accounts in the bills summary).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from amanah.core.contributions import ImportField, ImportTarget, RowRefused, RowsRefused
from amanah.core.inputs import problem_in_text
from amanah.core.money import WITH_SEN
from amanah.customers.contract import customer_ids_by_cif
from amanah.fieldops.policies import ARREARS_IMPORT

MAX_AMOUNT = Decimal("1e15")
MAX_DAYS = 36_500
# Indonesia's bounding box (with a margin): Sabang to Merauke, Miangas to Rote.
LAT_MIN, LAT_MAX, LON_MIN, LON_MAX = -11.5, 6.5, 94.5, 141.5

FIELDS = (
    ImportField("cif", "CIF", required=True),
    ImportField("account_no", gettext_lazy("Nomor rekening pinjaman"), required=True),
    ImportField("as_of", gettext_lazy("Per tanggal"), required=True),
    ImportField("days_past_due", gettext_lazy("Hari tunggakan (DPD)"), required=True),
    ImportField("outstanding", gettext_lazy("Tunggakan (rupiah)"), required=True, amount=WITH_SEN),
    ImportField("last_payment_on", gettext_lazy("Tanggal bayar terakhir")),
    ImportField("installments_due", gettext_lazy("Angsuran tertunggak")),
    ImportField("address", gettext_lazy("Alamat")),
    ImportField("latitude", gettext_lazy("Lintang")),
    ImportField("longitude", gettext_lazy("Bujur")),
)


def _date(name: str, raw: str, *, required: bool) -> date | None:
    if not raw and not required:
        return None
    parts = raw.replace("/", "-").split("-")
    if len(parts) == 3 and all(p.isdigit() for p in parts):
        year, month, day = parts if len(parts[0]) == 4 else parts[::-1]
        try:
            value = date(int(year), int(month), int(day))
        except ValueError:
            value = None
        if value is not None and date(2000, 1, 1) <= value <= timezone.localdate():
            return value
    raise RowRefused(name, _("Tanggal tidak dikenali atau di luar 2000 s.d. hari ini."))


def _int(name: str, raw: str, maximum: int, *, required: bool) -> int:
    if not raw and not required:
        return 0
    if not raw.isdigit() or int(raw) > maximum:
        raise RowRefused(name, _("Wajib bilangan bulat 0 s.d. %d.") % maximum)
    return int(raw)


def _amount(value: Decimal | None) -> str:
    """The outstanding the pipeline read (``core.money``: ``1.500.000,50``, ``1500000.50``)."""
    if value is None or value >= MAX_AMOUNT:
        raise RowRefused("outstanding", _("Tunggakan harus angka rupiah, tidak negatif."))
    return str(value)


def _coordinate(name: str, raw: str, low: float, high: float) -> float | None:
    if not raw:
        return None
    try:
        value = float(raw.replace(",", "."))
    except ValueError:
        value = None
    if value is None or not low <= value <= high:
        raise RowRefused(name, _("Koordinat tidak valid atau di luar wilayah Indonesia."))
    return value


def _text(name: str, raw: str, longest: int, *, required: bool) -> str:
    if problem_in_text(raw) or len(raw) > longest or (required and not raw):
        raise RowRefused(name, _("Wajib teks biasa, paling panjang %d karakter.") % longest)
    return raw


def clean(values: dict) -> dict:
    account = _text("account_no", values["account_no"].upper(), 40, required=True)
    as_of = _date("as_of", values["as_of"], required=True)
    latitude = _coordinate("latitude", values["latitude"], LAT_MIN, LAT_MAX)
    longitude = _coordinate("longitude", values["longitude"], LON_MIN, LON_MAX)
    if (latitude is None) != (longitude is None):
        raise RowRefused("latitude", _("Lintang dan bujur diisi berdua atau tidak sama sekali."))
    last_payment = _date("last_payment_on", values["last_payment_on"], required=False)
    return {
        "key": f"{account}@{as_of.isoformat()}",
        "cif": _text("cif", values["cif"].upper(), 20, required=True),
        "account_no": account,
        "as_of": as_of.isoformat(),
        "days_past_due": _int("days_past_due", values["days_past_due"], MAX_DAYS, required=True),
        "outstanding": _amount(values["outstanding"]),
        "installments_due": _int(
            "installments_due", values["installments_due"], 10_000, required=False
        ),
        "last_payment_on": last_payment.isoformat() if last_payment else None,
        "address": _text("address", values["address"], 300, required=False),
        "latitude": latitude,
        "longitude": longitude,
    }


def _customers(actor, cifs) -> dict[str, str]:
    """CIF -> customer id, for the customers (not merged away) the importing actor may write
    to (customers' published rule: a system key reaches its branches' customers)."""
    return customer_ids_by_cif(actor=actor, permission=ARREARS_IMPORT, cifs=cifs)


def _unknown(actor, cifs) -> set[str]:
    known = _customers(actor, cifs)
    return {c for c in cifs if c not in known}


def check(*, actor, rows: list) -> list:
    unknown = _unknown(actor, {d["cif"] for _l, _k, d in rows})
    message = _("Nasabah dengan CIF ini tidak ditemukan atau di luar scope Anda.")
    return [(line, "cif", message) for line, _k, d in rows if d["cif"] in unknown]


_INSERT = """
WITH staged AS ({staged}),
rows AS (
    SELECT s.line, s.data, i.customer_id
    FROM staged s
    JOIN customers_customeridentifier i
      ON i.id_type = 'CIF' AND i.id_value = s.data->>'cif'
    WHERE i.customer_id = ANY(%s::uuid[])
),
created AS (
    INSERT INTO fieldops_loanarrears (customer_id, account_no, as_of, days_past_due,
        outstanding, installments_due, last_payment_on, latitude, longitude, address,
        imported_at)
    SELECT customer_id, data->>'account_no', (data->>'as_of')::date,
        (data->>'days_past_due')::int, (data->>'outstanding')::numeric,
        (data->>'installments_due')::int, (data->>'last_payment_on')::date,
        (data->>'latitude')::float8, (data->>'longitude')::float8, data->>'address', now()
    FROM rows
    ON CONFLICT (account_no, as_of) DO NOTHING
    RETURNING account_no, as_of
)
SELECT r.line FROM rows r JOIN created c
  ON c.account_no = r.data->>'account_no' AND c.as_of = (r.data->>'as_of')::date
"""


def apply(*, actor, staged) -> dict:
    """One statement: every row joined to its customer by CIF, inserted unless the pair
    (account, as-of) is there already; the lines created are marked for the results."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT DISTINCT data->>'cif' FROM ({staged.sql}) s",  # noqa: S608 (pipeline SQL)
            list(staged.params),
        )
        cifs = [c for (c,) in cursor.fetchall()]
    known = _customers(actor, cifs)
    if len(known) != len(set(cifs)):
        message = _("Nasabah dengan CIF ini tidak ditemukan atau di luar scope Anda.")
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT line FROM ({staged.sql}) s WHERE NOT (data->>'cif' = ANY(%s)) "  # noqa: S608
                "ORDER BY line LIMIT 1000",
                [*staged.params, list(known)],
            )
            raise RowsRefused([(line, "cif", message) for (line,) in cursor.fetchall()])
    with connection.cursor() as cursor:
        cursor.execute(_INSERT.format(staged=staged.sql), [*staged.params, list(known.values())])
        lines = [line for (line,) in cursor.fetchall()]
    if lines:
        staged.mark_created("SELECT unnest(%s::int[])", (lines,))
    return {"created": len(lines), "unchanged": staged.count - len(lines)}


TARGET = ImportTarget(
    label=gettext_lazy("Tunggakan pinjaman (sumber work order kunjungan)"),
    permission=ARREARS_IMPORT,
    fields=FIELDS,
    key_field="key",
    clean=clean,
    check=check,
    apply=apply,
)


# --------------------------------------------------------------------------- the source

SOURCE_SQL = """
SELECT l.customer_id,
       c.home_branch_id AS branch_id,
       max(l.days_past_due) AS days_past_due,
       sum(l.outstanding) AS outstanding,
       jsonb_build_object(
           'kind', 'LOAN',
           'accounts', count(*),
           'installments_due', sum(l.installments_due),
           'as_of', max(l.as_of)
       ) AS billing,
       max(l.last_payment_on) AS last_payment_on,
       (array_agg(l.latitude ORDER BY l.as_of DESC) FILTER (WHERE l.latitude IS NOT NULL))[1]
           AS latitude,
       (array_agg(l.longitude ORDER BY l.as_of DESC) FILTER (WHERE l.latitude IS NOT NULL))[1]
           AS longitude,
       CASE WHEN bool_or(l.latitude IS NOT NULL) THEN 'GEOCODED' ELSE 'NONE' END
           AS location_source,
       coalesce((array_agg(l.address ORDER BY l.as_of DESC) FILTER (WHERE l.address <> ''))[1],
                '') AS address,
       min(l.account_no) AS account_ref,
       c.segment_code AS segment
FROM (
    SELECT DISTINCT ON (account_no) *
    FROM fieldops_loanarrears
    {where}
    ORDER BY account_no, as_of DESC
) l
JOIN customers_customer c ON c.id = l.customer_id
WHERE l.days_past_due > 0 AND c.merged_into_id IS NULL AND c.status <> 'CLOSED'
GROUP BY l.customer_id, c.home_branch_id, c.segment_code
"""


def loan_arrears_select(customer_id=None) -> tuple[str, list]:
    """The bank's arrears source (``fieldops.loan_arrears``): see the module's docstring."""
    if customer_id is None:
        return SOURCE_SQL.format(where=""), []
    return SOURCE_SQL.format(where="WHERE customer_id = %s"), [customer_id]
