"""Customers with their identifiers as a batch import target (integrations' pipeline reads it
from ``registry.import_targets``; customers never imports integrations).

Each row goes through the very checks ``customer_create`` applies (``inputs.clean_fields``
and ``inputs.parse_identifiers``: name, NIK's 16 digits, province, birth date and sex code,
phone normalised to E.164, e-mail, CIF, account number), plus what a spreadsheet does to
numbers (a NIK turned into ``3,17E+15`` by Excel is named as such).

A core system's extract has one row per account: the source key is the CIF with the
account number, so a CIF may come on several rows. The first row of a new CIF registers the
customer (its other rows add their account numbers); a row of a CIF known already adds its
account number when the customer lacks it (the importer needs ``customer.identifier.manage``
and the customer in its write scope for that, as on the identifiers page) and otherwise
changes nothing — the same file twice writes nothing the second time. Master data of known
customers is not changed by the import: that is the upsert API's work (docs/api.md).

The write is set-based, in the batch's one transaction (``imports.sql``). As
``customer_create`` does, a NIK already held (by an existing customer or an earlier row of
the batch) is not attached but flagged (SAME_NIK), and a phone shared with another customer
is flagged (SAME_PHONE, at most 20 per customer); an account number held by another customer
refuses the batch. The similar-name check of a single create (trigram, per row) is left to the
data-quality desk for imports. One event for the batch, ``customers.customers_imported``
(``actor``, ``count``: new customers), and ``customers.identifiers_imported`` (``actor``,
``customer_ids``) for known customers that gained an account.
"""

from __future__ import annotations

from datetime import date

from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from amanah.core import events
from amanah.core.contributions import ImportField, ImportTarget, RowRefused, RowsRefused
from amanah.core.errors import ServiceError
from amanah.customers import selectors
from amanah.customers.imports import sql
from amanah.customers.imports.common import date_cell, digits_as_text, yes_no
from amanah.customers.models import CustomerIdentifier, CustomerStatus, IdentifierType
from amanah.customers.policies import CUSTOMER_MANAGE, IDENTIFIER_MANAGE
from amanah.customers.services.inputs import (
    PRODUCT_FIELDS,
    CustomerInput,
    clean_fields,
    parse_identifiers,
)
from amanah.iam import authz
from amanah.iam.models import Branch

CUSTOMERS_IMPORTED = "customers.customers_imported"  # fn(*, actor, count)
IDENTIFIERS_IMPORTED = "customers.identifiers_imported"  # fn(*, actor, customer_ids)

_GENDERS = {"L": "M", "M": "M", "LAKI-LAKI": "M", "P": "F", "F": "F", "PEREMPUAN": "F", "": "U"}
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
    nik = digits_as_text("nik", "NIK", values["nik"])
    phone = digits_as_text("phone", _PHONE_LABEL, values["phone"])
    account = digits_as_text("account_no", _ACCOUNT_LABEL, values["account_no"])
    born = date_cell(
        "birth_date",
        values["birth_date"],
        _("Tanggal lahir tidak dikenali (pakai TTTT-BB-HH atau HH/BB/TTTT)."),
    )
    data = CustomerInput(
        full_name=values["full_name"],
        home_branch=None,
        birth_date=born,
        gender=gender,
        phone=phone,
        email=values["email"],
        segment_code=values["segment"],
        status=CustomerStatus.ACTIVE,
        products={f: yes_no(f, values[f]) for f in PRODUCT_FIELDS},
        nik=nik,
        cif=cif,
        account_numbers=[account] if account else [],
    )
    try:
        fields = clean_fields(data, today=today)
        identifiers = dict(parse_identifiers(data, fields))
    except ServiceError as error:
        raise RowRefused(_FIELDS.get(error.field, error.field or ""), error.message) from error
    branch = values["branch"].strip().upper()
    if not branch or len(branch) > 20:
        raise RowRefused("branch", _("Kode cabang wajib diisi."))
    account = identifiers.get(IdentifierType.ACCOUNT_NO, "")
    return {
        # one row per account: the CIF alone, or the CIF with the account ("CIF/ACCOUNT")
        "key": f"{identifiers[IdentifierType.CIF]}/{account}" if account else identifiers["CIF"],
        "cif": identifiers[IdentifierType.CIF],
        "nik": identifiers.get(IdentifierType.NIK, ""),
        "account": account,
        "branch": branch,
        "full_name": fields["full_name"],
        "name_search": fields["name_search"],
        "birth_date": fields["birth_date"].isoformat() if fields["birth_date"] else None,
        "gender": fields["gender"],
        "phone_e164": fields["phone_e164"],
        "email": fields["email"],
        "segment_code": fields["segment_code"],
        **{f: fields[f] for f in PRODUCT_FIELDS},
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


def _account_holders(accounts) -> dict[str, tuple]:
    """account -> (holder's customer id, holder's CIF or None)."""
    rows = CustomerIdentifier.objects.filter(
        id_type=IdentifierType.ACCOUNT_NO, id_value__in=list(accounts)
    ).values_list("id_value", "customer_id")
    holders = dict(rows)
    cifs = dict(
        CustomerIdentifier.objects.filter(
            id_type=IdentifierType.CIF, customer_id__in=list(holders.values())
        ).values_list("customer_id", "id_value")
    )
    return {account: (pk, cifs.get(pk)) for account, pk in holders.items()}


def _refused_known(actor, rows: list, holders: dict) -> list:
    """Rows of a CIF known already that would add an account number: the importer needs the
    identifiers permission and the customer in its write scope (as on the identifiers page)."""
    gaining = [(line, d) for line, _k, d in rows if d["account"] and d["account"] not in holders]
    if not gaining:
        return []
    known = dict(
        CustomerIdentifier.objects.filter(
            id_type=IdentifierType.CIF, id_value__in=[d["cif"] for _l, d in gaining]
        ).values_list("id_value", "customer_id")
    )
    gaining = [(line, d) for line, d in gaining if d["cif"] in known]
    if not gaining:
        return []
    reachable = {}
    if authz.has_perm(actor, IDENTIFIER_MANAGE):
        reachable = selectors.customer_ids_by_cif(
            actor=actor, permission=IDENTIFIER_MANAGE, cifs={d["cif"] for _l, d in gaining}
        )
    message = _(
        "Nasabah CIF ini sudah ada: menambah nomor rekeningnya butuh izin identitas nasabah "
        "dan nasabah dalam scope Anda."
    )
    return [(line, "account_no", message) for line, d in gaining if d["cif"] not in reachable]


def check(*, actor, rows: list) -> list:
    """A chunk's rows against the database: the branch exists and is in the actor's scope;
    the account number is not another customer's; an account added to a known customer is
    the actor's to add."""
    branches = _branches_in_scope(actor, {d["branch"] for _l, _k, d in rows})
    refused = [
        (line, "branch", _("Kode cabang tidak dikenal atau di luar scope Anda."))
        for line, _k, d in rows
        if d["branch"] not in branches
    ]
    holders = _account_holders({d["account"] for _l, _k, d in rows if d["account"]})
    for line, _k, d in rows:
        held = holders.get(d["account"]) if d["account"] else None
        if held is not None and held[1] != d["cif"]:
            refused.append(
                (line, "account_no", _("No. rekening sudah terdaftar pada nasabah lain."))
            )
    return refused + _refused_known(actor, rows, holders)


def _lines(cursor, statement: str) -> list[int]:
    cursor.execute(statement)
    return [line for (line,) in cursor.fetchall()]


def _check_known(actor, cursor) -> list:
    """The known customers the batch adds accounts to, each the actor's to change."""
    cursor.execute(sql.KNOWN_GAINING)
    ids = [pk for (pk,) in cursor.fetchall()]
    if not ids:
        return []
    if not authz.has_perm(actor, IDENTIFIER_MANAGE):
        raise ServiceError(
            "identifier_permission",
            _("Menambah nomor rekening nasabah yang sudah ada butuh izin identitas nasabah."),
            field="account_no",
        )
    writable = selectors.customers_writable(actor, permission=IDENTIFIER_MANAGE)
    if writable.filter(pk__in=ids).count() != len(ids):
        raise ServiceError("out_of_scope", _("Ada nasabah di luar scope Anda."), field="cif")
    return ids


def apply(*, actor, staged) -> dict:
    """Write the batch's new customers, their identifiers and the known customers' new
    account numbers (set-based); every other row is left as it is."""
    authz.require(actor, CUSTOMER_MANAGE)
    params = list(staged.params)
    with connection.cursor() as cursor:
        cursor.execute(sql.DROP)
        cursor.execute(sql.BRANCH_GONE.format(staged=staged.sql), params)
        gone = [line for (line,) in cursor.fetchall()]
        if gone:
            message = _("Kode cabang tidak dikenal atau sudah tidak aktif.")
            raise RowsRefused([(line, "branch", message) for line in gone])
        cursor.execute(sql.ROWS.format(staged=staged.sql), params)
        cursor.execute(sql.NEW)
        cursor.execute("ANALYZE import_customer")  # a temp table: never analyzed otherwise
        cursor.execute("SELECT DISTINCT branch_id FROM import_customer")
        scope = authz.branch_scope(actor)
        if not all(scope.allows(pk) for (pk,) in cursor.fetchall()):
            raise ServiceError("out_of_scope", _("Cabang di luar scope Anda."), field="branch")
        cursor.execute(sql.ACCOUNTS)
        clashes = _lines(cursor, sql.ACCOUNT_CLASH)
        if clashes:
            message = _("No. rekening sudah terdaftar pada nasabah lain atau baris lain.")
            raise RowsRefused([(line, "account_no", message) for line in clashes])
        gaining = _check_known(actor, cursor)
        cursor.execute(sql.INSERT_CUSTOMERS)
        created = cursor.rowcount
        cursor.execute(sql.NIK_OWNER)
        cursor.execute(sql.INSERT_IDENTIFIERS)
        cursor.execute(sql.FLAG)
        flagged = cursor.rowcount
        written = staged.mark_created(sql.WRITTEN_LINES, ())
        # gone at commit anyway; dropped now for a caller whose transaction goes on (a test)
        cursor.execute(sql.DROP)
    events.emit(CUSTOMERS_IMPORTED, actor=actor, count=created)
    if gaining:
        events.emit(IDENTIFIERS_IMPORTED, actor=actor, customer_ids=gaining)
    return {"created": written, "unchanged": staged.count - written, "flagged": flagged}


TARGET = ImportTarget(
    label=gettext_lazy("Nasabah dan identitasnya (CIF, NIK, rekening)"),
    permission=CUSTOMER_MANAGE,
    fields=FIELDS,
    key_field="key",
    clean=clean,
    clean_rows=clean_rows,
    check=check,
    apply=apply,
)
