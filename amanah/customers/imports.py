"""Customers with their identifiers as a batch import target (integrations' pipeline reads it
from ``registry.import_targets``; customers never imports integrations).

Each row goes through the very checks ``customer_create`` applies (``services._clean`` and
``services._identifiers``: name, NIK's 16 digits, province, birth date and sex code, phone
normalised to E.164, e-mail, CIF, account number), plus what a spreadsheet does to numbers
(a NIK turned into ``3,17E+15`` by Excel is named as such). The source key is the CIF: a row
whose CIF exists already changes nothing, so the same file twice creates nothing the second
time.

The write is set-based, in the batch's one transaction: the staged rows into a temporary
table, then one ``INSERT … SELECT`` for the customers and one for their identifiers. As
``customer_create`` does, a NIK already held (by an existing customer or an earlier row of
the batch) is not attached but flagged (SAME_NIK), and a phone shared with another customer
is flagged (SAME_PHONE, at most 20 per customer); an account number held elsewhere refuses
the batch. The similar-name check of a single create (trigram, per row) is left to the
data-quality desk for imports. One event for the batch, ``customers.customers_imported``
(``actor``, ``count``), never one per row.
"""

from __future__ import annotations

import re
from datetime import date

from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from amanah.core import events
from amanah.core.contributions import ImportField, ImportTarget, RowRefused, RowsRefused
from amanah.core.errors import ServiceError
from amanah.customers import services
from amanah.customers.models import CustomerStatus
from amanah.customers.policies import CUSTOMER_MANAGE
from amanah.iam import authz
from amanah.iam.models import Branch

CUSTOMERS_IMPORTED = "customers.customers_imported"  # fn(*, actor, count)

_SCIENTIFIC = re.compile(r"^\d+([.,]\d+)?[eE][+]?\d+$")
_GENDERS = {"L": "M", "M": "M", "LAKI-LAKI": "M", "P": "F", "F": "F", "PEREMPUAN": "F", "": "U"}
_TRUE = {"1", "y", "ya", "yes", "true", "benar"}
_FALSE = {"", "0", "n", "t", "tidak", "no", "false", "salah"}
# the service's error fields -> the import's fields
_FIELDS = {"account_numbers": "account_no", "products": "has_savings"}

FIELDS = (
    ImportField("cif", "CIF", required=True),
    ImportField("full_name", gettext_lazy("Nama lengkap"), required=True),
    ImportField("branch", gettext_lazy("Kode cabang"), required=True),
    ImportField("nik", "NIK"),
    ImportField("phone", gettext_lazy("Telepon")),
    ImportField("email", gettext_lazy("Email")),
    ImportField("birth_date", gettext_lazy("Tanggal lahir")),
    ImportField("gender", gettext_lazy("Jenis kelamin")),
    ImportField("segment", gettext_lazy("Segmen")),
    ImportField("account_no", gettext_lazy("No. rekening")),
    ImportField("has_savings", gettext_lazy("Punya tabungan")),
    ImportField("has_mobile_banking", gettext_lazy("Punya mobile banking")),
    ImportField("has_loan", gettext_lazy("Punya pinjaman")),
    ImportField("has_credit_card", gettext_lazy("Punya kartu kredit")),
)


def _date(raw: str) -> date | None:
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
    raise RowRefused(
        "birth_date", _("Tanggal lahir tidak dikenali (pakai TTTT-BB-HH atau HH/BB/TTTT).")
    )


def _flag(name: str, raw: str) -> bool:
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise RowRefused(name, _("Isi dengan Ya/Tidak atau 1/0."))


def _digits_as_text(name: str, label, raw: str) -> str:
    if _SCIENTIFIC.match(raw):
        raise RowRefused(
            name,
            _(
                "%s tampak diubah Excel menjadi notasi ilmiah; format kolomnya sebagai Teks "
                "lalu ekspor ulang."
            )
            % label,
        )
    return raw


_PHONE_LABEL = gettext_lazy("Telepon")
_ACCOUNT_LABEL = gettext_lazy("No. rekening")


def clean(values: dict, *, today: date | None = None) -> dict:
    """One row checked as ``customer_create`` checks it; JSON-ready values for staging."""
    cif = values["cif"].strip().upper()
    if not cif:
        raise RowRefused("cif", _("CIF wajib diisi (kunci sumber impor)."))
    gender = _GENDERS.get(values["gender"].strip().upper())
    if gender is None:
        raise RowRefused("gender", _("Jenis kelamin: L/P (atau kosong)."))
    nik = _digits_as_text("nik", "NIK", values["nik"])
    phone = _digits_as_text("phone", _PHONE_LABEL, values["phone"])
    account = _digits_as_text("account_no", _ACCOUNT_LABEL, values["account_no"])
    data = services.CustomerInput(
        full_name=values["full_name"],
        home_branch=None,
        birth_date=_date(values["birth_date"]),
        gender=gender,
        phone=phone,
        email=values["email"],
        segment_code=values["segment"],
        status=CustomerStatus.ACTIVE,
        products={f: _flag(f, values[f]) for f in services.PRODUCT_FIELDS},
        nik=nik,
        cif=cif,
        account_numbers=[account] if account else [],
    )
    try:
        fields = services._clean(data, today=today)
        identifiers = dict(services._identifiers(data, fields))
    except ServiceError as error:
        raise RowRefused(_FIELDS.get(error.field, error.field or ""), error.message) from error
    branch = values["branch"].strip().upper()
    if not branch or len(branch) > 20:
        raise RowRefused("branch", _("Kode cabang wajib diisi."))
    return {
        "cif": identifiers["CIF"],
        "nik": identifiers.get("NIK", ""),
        "account": identifiers.get("ACCOUNT_NO", ""),
        "branch": branch,
        "full_name": fields["full_name"],
        "name_search": fields["name_search"],
        "birth_date": fields["birth_date"].isoformat() if fields["birth_date"] else None,
        "gender": fields["gender"],
        "phone_e164": fields["phone_e164"],
        "email": fields["email"],
        "segment_code": fields["segment_code"],
        **{f: fields[f] for f in services.PRODUCT_FIELDS},
    }


def clean_rows(rows: list[dict]) -> list:
    """A chunk of rows at once (``ImportTarget.clean_rows``): what ``clean`` answers for each
    row, or its ``RowRefused``; the local date is read once for the chunk."""
    today = timezone.localdate()
    out = []
    for values in rows:
        try:
            out.append(clean(values, today=today))
        except RowRefused as refused:
            out.append(refused)
    return out


def _branches_in_scope(actor, codes) -> dict[str, object]:
    scope = authz.branch_scope(actor)
    return {
        code: pk
        for code, pk in Branch.objects.filter(code__in=codes, is_active=True).values_list(
            "code", "pk"
        )
        if scope.allows(pk)
    }


def check(*, actor, rows: list) -> list:
    """A chunk's rows against the database: the branch exists and is in the actor's scope;
    the account number is not another customer's."""
    branches = _branches_in_scope(actor, {d["branch"] for _l, _k, d in rows})
    refused = [
        (line, "branch", _("Kode cabang tidak dikenal atau di luar scope Anda."))
        for line, _k, d in rows
        if d["branch"] not in branches
    ]
    accounts = {d["account"]: (line, key) for line, key, d in rows if d["account"]}
    if accounts:
        with connection.cursor() as cursor:
            cursor.execute(
                """SELECT a.id_value, c.id_value FROM customers_customeridentifier a
                   LEFT JOIN customers_customeridentifier c
                     ON c.customer_id = a.customer_id AND c.id_type = 'CIF'
                   WHERE a.id_type = 'ACCOUNT_NO' AND a.id_value = ANY(%s)""",
                [list(accounts)],
            )
            for account, owner_cif in cursor.fetchall():
                line, cif = accounts[account]
                if owner_cif != cif:
                    refused.append(
                        (line, "account_no", _("No. rekening sudah terdaftar pada nasabah lain."))
                    )
    return refused


# Rows whose branch closed since the dry run (checked again inside the write).
_BRANCH_GONE_SQL = """
SELECT s.line FROM ({staged}) s
LEFT JOIN iam_branch b ON b.code = s.data->>'branch' AND b.is_active
WHERE b.id IS NULL ORDER BY 1 LIMIT 1000
"""

# Time-ordered ids for the batch's new rows (the UUIDv7 layout: milliseconds, version 7, 24
# random bits, then a counter in the rows' insertion order): the primary keys and the
# identifiers' customer index then grow at their right edge instead of at random pages.
_ORDERED_ID = """(
    (SELECT lpad(to_hex((extract(epoch FROM clock_timestamp()) * 1000)::bigint), 12, '0')
            || '7' || substr(md5(random()::text), 1, 3) || '8' || substr(md5(random()::text), 1, 3))
    || lpad(to_hex(row_number() OVER (ORDER BY {order})), 12, '0'))::uuid"""

_NEW_SQL = f"""
CREATE TEMP TABLE import_customer ON COMMIT DROP AS
SELECT {_ORDERED_ID.format(order="b.id, s.line")} AS id,
       s.line, s.source_key AS cif, s.data, b.id AS branch_id
FROM ({{staged}}) s JOIN iam_branch b ON b.code = s.data->>'branch'
WHERE NOT EXISTS (SELECT 1 FROM customers_customeridentifier i
                  WHERE i.id_type = 'CIF' AND i.id_value = s.source_key)
"""  # noqa: S608 (constants)

_ACCOUNT_CLASH_SQL = """
SELECT n.line FROM import_customer n
JOIN customers_customeridentifier i ON i.id_type = 'ACCOUNT_NO' AND i.id_value = n.data->>'account'
UNION
SELECT line FROM (
    SELECT line, count(*) OVER (PARTITION BY data->>'account') AS holders
    FROM import_customer WHERE data->>'account' <> '') x
WHERE holders > 1
ORDER BY 1 LIMIT 1000
"""

_INSERT_CUSTOMERS_SQL = """
INSERT INTO customers_customer
    (id, full_name, name_search, birth_date, gender, phone_e164, email, segment_code, status,
     is_vip, fraud_flag, home_branch_id, has_savings, has_mobile_banking, has_loan,
     has_credit_card, merged_into_id, created_at, updated_at, closed_at)
SELECT id, data->>'full_name', data->>'name_search', (data->>'birth_date')::date,
       data->>'gender', data->>'phone_e164', data->>'email', data->>'segment_code', 'ACTIVE',
       false, false, branch_id, (data->>'has_savings')::boolean,
       (data->>'has_mobile_banking')::boolean, (data->>'has_loan')::boolean,
       (data->>'has_credit_card')::boolean, NULL, now(), now(), NULL
FROM import_customer ORDER BY id
"""

# The first row of the batch holding a NIK gets it, unless an existing customer holds it.
_NIK_OWNER_SQL = """
CREATE TEMP TABLE import_nik ON COMMIT DROP AS
SELECT n.id, n.data->>'nik' AS nik,
       coalesce(i.customer_id, first_value(n.id) OVER (PARTITION BY n.data->>'nik'
                                                       ORDER BY n.line)) AS owner
FROM import_customer n
LEFT JOIN customers_customeridentifier i ON i.id_type = 'NIK' AND i.id_value = n.data->>'nik'
WHERE n.data->>'nik' <> ''
"""

_INSERT_IDENTIFIERS_SQL = f"""
INSERT INTO customers_customeridentifier
    (id, customer_id, id_type, id_value, is_primary, verified_at, created_at)
SELECT {_ORDERED_ID.format(order="customer_id, id_type")}, customer_id, id_type, id_value, true,
       NULL::timestamptz, now()
FROM (
    SELECT id AS customer_id, 'CIF' AS id_type, cif AS id_value FROM import_customer
    UNION ALL
    SELECT id, 'NIK', nik FROM import_nik WHERE owner = id
    UNION ALL
    SELECT id, 'ACCOUNT_NO', data->>'account' FROM import_customer WHERE data->>'account' <> ''
) i
ORDER BY customer_id, id_type
"""  # noqa: S608 (constants)

# The batch's pairs to flag: a NIK held already (``import_nik``) and a phone shared with other
# customers (not merged away), at most 20 others for each new customer, as ``customer_create``
# flags them. Written set-based, not as a per-row LATERAL … LIMIT 20: right after a large
# insert the planner's statistics of customers_customer still describe the table before it
# (an empty bank's first load: "15 rows"), and the per-row plan it picked then — a BitmapAnd
# with the ``merged_into_id IS NULL`` index, i.e. every customer, once per new row — made
# this statement quadratic (minutes at 100,000 rows). Here the holders of the batch's phones
# are found by one join on the phone alone (the MATERIALIZED fence keeps the merged-away
# filter off the index scan), and a phone's first 21 holders are enough to give each of its
# customers 20 others.
_FLAG_SQL = """
WITH phones AS MATERIALIZED (
    SELECT DISTINCT data->>'phone_e164' AS phone FROM import_customer
    WHERE data->>'phone_e164' <> ''
), holders AS MATERIALIZED (
    SELECT c.id, c.phone_e164::text AS phone, c.merged_into_id
    FROM customers_customer c JOIN phones p ON c.phone_e164 = p.phone
), shared AS (
    SELECT id, phone FROM (
        SELECT id, phone, row_number() OVER (PARTITION BY phone ORDER BY id) AS k
        FROM holders WHERE merged_into_id IS NULL) h
    WHERE k <= 21
)
INSERT INTO customers_duplicateflag
    (customer_a_id, customer_b_id, reason, score, status, detected_at)
SELECT least(a, b), greatest(a, b), reason, 1.0, 'OPEN', now() FROM (
    SELECT id AS a, owner AS b, 'SAME_NIK' AS reason FROM import_nik WHERE owner <> id
    UNION ALL
    SELECT a, b, 'SAME_PHONE' FROM (
        SELECT n.id AS a, s.id AS b, row_number() OVER (PARTITION BY n.id ORDER BY s.id) AS k
        FROM import_customer n JOIN shared s ON s.phone = n.data->>'phone_e164' AND s.id <> n.id
    ) others
    WHERE k <= 20
) pairs
ON CONFLICT (customer_a_id, customer_b_id, reason) DO NOTHING
"""


def apply(*, actor, staged) -> dict:
    """Write the batch's new customers and their identifiers (set-based); rows whose CIF
    exists already are left as they are."""
    authz.require(actor, CUSTOMER_MANAGE)
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS import_customer, import_nik")
        cursor.execute(_BRANCH_GONE_SQL.format(staged=staged.sql), list(staged.params))
        gone = [line for (line,) in cursor.fetchall()]
        if gone:
            message = _("Kode cabang tidak dikenal atau sudah tidak aktif.")
            raise RowsRefused([(line, "branch", message) for line in gone])
        cursor.execute(_NEW_SQL.format(staged=staged.sql), list(staged.params))
        cursor.execute("ANALYZE import_customer")  # a temp table: never analyzed otherwise
        cursor.execute("SELECT DISTINCT branch_id FROM import_customer")
        scope = authz.branch_scope(actor)
        if not all(scope.allows(pk) for (pk,) in cursor.fetchall()):
            raise ServiceError("out_of_scope", _("Cabang di luar scope Anda."), field="branch")
        cursor.execute(_ACCOUNT_CLASH_SQL)
        clashes = [line for (line,) in cursor.fetchall()]
        if clashes:
            message = _("No. rekening sudah terdaftar pada nasabah lain atau baris lain.")
            raise RowsRefused([(line, "account_no", message) for line in clashes])
        cursor.execute(_INSERT_CUSTOMERS_SQL)
        created = cursor.rowcount
        cursor.execute(_NIK_OWNER_SQL)
        cursor.execute(_INSERT_IDENTIFIERS_SQL)
        cursor.execute(_FLAG_SQL)
        flagged = cursor.rowcount
        staged.mark_created("SELECT line FROM import_customer", ())
        # gone at commit anyway; dropped now for a caller whose transaction goes on (a test)
        cursor.execute("DROP TABLE import_customer, import_nik")
    events.emit(CUSTOMERS_IMPORTED, actor=actor, count=created)
    return {"created": created, "unchanged": staged.count - created, "flagged": flagged}


TARGET = ImportTarget(
    label=gettext_lazy("Nasabah dan identitasnya (CIF, NIK, rekening)"),
    permission=CUSTOMER_MANAGE,
    fields=FIELDS,
    key_field="cif",
    clean=clean,
    clean_rows=clean_rows,
    check=check,
    apply=apply,
)


# --------------------------------------------------------------------------- product indicators

PRODUCTS_IMPORTED = "customers.products_imported"  # fn(*, actor, count)

PRODUCT_FIELDS = (
    ImportField("cif", "CIF", required=True),
    *(f for f in FIELDS if f.name in services.PRODUCT_FIELDS),
)


def clean_products(values: dict) -> dict:
    cif = values["cif"].strip().upper()
    if not cif or not cif.isalnum() or len(cif) > 20:
        raise RowRefused("cif", _("CIF hanya huruf/angka, maks. 20."))
    return {"cif": cif, **{f: _flag(f, values[f]) for f in services.PRODUCT_FIELDS}}


def check_products(*, actor, rows: list) -> list:
    """The customer exists (not merged away) and is in the actor's scope."""
    from amanah.customers.models import Customer

    found = set(
        Customer.objects.visible_to(actor)
        .filter(
            merged_into__isnull=True,
            identifiers__id_type="CIF",
            identifiers__id_value__in=[d["cif"] for _l, _k, d in rows],
        )
        .values_list("identifiers__id_value", flat=True)
    )
    message = _("Nasabah dengan CIF ini tidak ditemukan atau di luar scope Anda.")
    return [(line, "cif", message) for line, _k, d in rows if d["cif"] not in found]


_PRODUCTS_SQL = """
UPDATE customers_customer c SET
    has_savings = (s.data->>'has_savings')::boolean,
    has_mobile_banking = (s.data->>'has_mobile_banking')::boolean,
    has_loan = (s.data->>'has_loan')::boolean,
    has_credit_card = (s.data->>'has_credit_card')::boolean,
    updated_at = now()
FROM ({staged}) s
JOIN customers_customeridentifier i ON i.id_type = 'CIF' AND i.id_value = s.source_key
WHERE c.id = i.customer_id AND c.merged_into_id IS NULL
  AND (c.has_savings, c.has_mobile_banking, c.has_loan, c.has_credit_card)
      IS DISTINCT FROM ((s.data->>'has_savings')::boolean,
                        (s.data->>'has_mobile_banking')::boolean,
                        (s.data->>'has_loan')::boolean, (s.data->>'has_credit_card')::boolean)
RETURNING s.line
"""


def apply_products(*, actor, staged) -> dict:
    """The product flags of existing customers (the core system's daily sync, seed 003 Bab
    1.2E): set-based, only where they differ, so the same file twice changes nothing."""
    authz.require(actor, CUSTOMER_MANAGE)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT count(*) FROM ({staged.sql}) s "  # noqa: S608
            "LEFT JOIN customers_customeridentifier i "
            "ON i.id_type = 'CIF' AND i.id_value = s.source_key WHERE i.id IS NULL",
            list(staged.params),
        )
        if cursor.fetchone()[0]:
            raise ServiceError("customer_gone", _("Ada nasabah yang hilang sejak uji coba."))
        cursor.execute(_PRODUCTS_SQL.format(staged=staged.sql), list(staged.params))
        lines = [line for (line,) in cursor.fetchall()]
    staged.mark_created("SELECT unnest(%s::int[])", (lines,))
    events.emit(PRODUCTS_IMPORTED, actor=actor, count=len(lines))
    return {"created": len(lines), "unchanged": staged.count - len(lines)}


PRODUCTS_TARGET = ImportTarget(
    label=gettext_lazy("Indikator produk nasabah (sinkron core banking)"),
    permission=CUSTOMER_MANAGE,
    fields=PRODUCT_FIELDS,
    key_field="cif",
    clean=clean_products,
    check=check_products,
    apply=apply_products,
)


# --------------------------------------------------------------------------- relations

RELATIONS_IMPORTED = "customers.relations_imported"  # fn(*, actor, count)

RELATION_FIELDS = (
    ImportField("from_cif", gettext_lazy("CIF asal"), required=True),
    ImportField("to_cif", gettext_lazy("CIF tujuan"), required=True),
    ImportField("relation_type", gettext_lazy("Jenis relasi"), required=True),
    ImportField("label", gettext_lazy("Keterangan (mis. Suami, Pemilik)")),
)
# the codes and the Indonesian words a core system or a spreadsheet uses for them
_RELATION_TYPES = {
    "FAMILY": "FAMILY",
    "KELUARGA": "FAMILY",
    "COMPANY": "COMPANY",
    "PERUSAHAAN": "COMPANY",
    "GROUP": "GROUP",
    "GRUP": "GROUP",
    "GRUP USAHA": "GROUP",
}


def _cif(name: str, raw: str) -> str:
    cif = raw.strip().upper()
    if not cif or not cif.isalnum() or len(cif) > 20:
        raise RowRefused(name, _("CIF hanya huruf/angka, maks. 20."))
    return cif


def clean_relation(values: dict) -> dict:
    """One relation row: both CIFs, a known type (code or Indonesian word), a short label.
    The source key is the pair with the type: the same relation twice is one relation."""
    from_cif = _cif("from_cif", values["from_cif"])
    to_cif = _cif("to_cif", values["to_cif"])
    if from_cif == to_cif:
        raise RowRefused("to_cif", _("Nasabah tidak dapat berelasi dengan dirinya sendiri."))
    kind = _RELATION_TYPES.get(" ".join(values["relation_type"].upper().split()))
    if kind is None:
        raise RowRefused("relation_type", _("Jenis relasi: Keluarga, Perusahaan atau Grup usaha."))
    label = " ".join(values["label"].split())
    if len(label) > 60:
        raise RowRefused("label", _("Keterangan terlalu panjang (maks. 60)."))
    return {
        "key": f"{from_cif}>{to_cif}>{kind}",
        "from_cif": from_cif,
        "to_cif": to_cif,
        "relation_type": kind,
        "label": label,
    }


def check_relations(*, actor, rows: list) -> list:
    """Both customers exist (not merged away) and are in the actor's scope; each unknown key
    is named on its own row and column."""
    from amanah.customers.models import Customer

    cifs = {d["from_cif"] for _l, _k, d in rows} | {d["to_cif"] for _l, _k, d in rows}
    scope = authz.branch_scope(actor)  # as ``relation_add``: both ends in the branch scope
    found = {
        cif
        for cif, branch_id in Customer.objects.filter(
            merged_into__isnull=True,
            identifiers__id_type="CIF",
            identifiers__id_value__in=list(cifs),
        ).values_list("identifiers__id_value", "home_branch_id")
        if scope.allows(branch_id)
    }
    message = _("Nasabah dengan CIF ini tidak ditemukan atau di luar scope Anda.")
    refused = []
    for line, _k, d in rows:
        for field in ("from_cif", "to_cif"):
            if d[field] not in found:
                refused.append((line, field, message))
    return refused


_RELATION_ENDS_SQL = """
CREATE TEMP TABLE import_relation ON COMMIT DROP AS
SELECT s.line, f.customer_id AS from_id, t.customer_id AS to_id,
       s.data->>'relation_type' AS relation_type, s.data->>'label' AS label,
       cf.home_branch_id AS from_branch, ct.home_branch_id AS to_branch,
       cf.merged_into_id IS NOT NULL OR ct.merged_into_id IS NOT NULL AS merged
FROM ({staged}) s
LEFT JOIN customers_customeridentifier f ON f.id_type = 'CIF' AND f.id_value = s.data->>'from_cif'
LEFT JOIN customers_customeridentifier t ON t.id_type = 'CIF' AND t.id_value = s.data->>'to_cif'
LEFT JOIN customers_customer cf ON cf.id = f.customer_id
LEFT JOIN customers_customer ct ON ct.id = t.customer_id
"""

_INSERT_RELATIONS_SQL = """
WITH made AS (
    INSERT INTO customers_customerrelation
        (from_customer_id, to_customer_id, relation_type, label, created_at)
    SELECT from_id, to_id, relation_type, label, now() FROM import_relation ORDER BY line
    ON CONFLICT (from_customer_id, to_customer_id, relation_type) DO NOTHING
    RETURNING from_customer_id, to_customer_id, relation_type
)
SELECT r.line FROM import_relation r
JOIN made m ON m.from_customer_id = r.from_id AND m.to_customer_id = r.to_id
           AND m.relation_type = r.relation_type
"""


def apply_relations(*, actor, staged) -> dict:
    """The batch's relations, set-based: both ends found again by CIF inside the write (a
    customer gone or merged since the dry run refuses the batch, naming the rows); a relation
    that exists already (same pair, same type) is left as it is, label included."""
    authz.require(actor, CUSTOMER_MANAGE)
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS import_relation")
        cursor.execute(_RELATION_ENDS_SQL.format(staged=staged.sql), list(staged.params))
        cursor.execute(
            "SELECT line FROM import_relation WHERE from_id IS NULL OR to_id IS NULL OR merged"
            " OR from_id = to_id ORDER BY line LIMIT 1000"
        )
        gone = [line for (line,) in cursor.fetchall()]
        if gone:
            message = _("Nasabah salah satu CIF tidak ada lagi, sudah digabung, atau sama.")
            raise RowsRefused([(line, "from_cif", message) for line in gone])
        cursor.execute(
            "SELECT DISTINCT b FROM import_relation, LATERAL (VALUES (from_branch), (to_branch))"
            " v(b) WHERE b IS NOT NULL"
        )
        scope = authz.branch_scope(actor)
        if not all(scope.allows(pk) for (pk,) in cursor.fetchall()):
            raise ServiceError("out_of_scope", _("Cabang di luar scope Anda."), field="from_cif")
        cursor.execute(_INSERT_RELATIONS_SQL)
        lines = [line for (line,) in cursor.fetchall()]
        cursor.execute("DROP TABLE import_relation")
    staged.mark_created("SELECT unnest(%s::int[])", (lines,))
    events.emit(RELATIONS_IMPORTED, actor=actor, count=len(lines))
    return {"created": len(lines), "unchanged": staged.count - len(lines)}


RELATIONS_TARGET = ImportTarget(
    label=gettext_lazy("Relasi antarnasabah (keluarga, perusahaan, grup usaha)"),
    permission=CUSTOMER_MANAGE,
    fields=RELATION_FIELDS,
    key_field="key",
    clean=clean_relation,
    check=check_relations,
    apply=apply_relations,
)
