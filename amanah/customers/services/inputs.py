"""What a person or a system types for a customer, checked by one set of rules: the master
record (``CustomerInput`` → :func:`clean_fields`), identifiers (:func:`identifier_value`), and
a field shown masked and sent back untouched (:func:`kept_if_masked`)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date

from django.utils import timezone
from django.utils.translation import gettext as _

from amanah.core.errors import ServiceError
from amanah.core.inputs import problem_in_text
from amanah.core.masking import MASK, mask
from amanah.customers import validation
from amanah.customers.models import CustomerStatus, Gender, IdentifierType
from amanah.customers.names import normalize_name
from amanah.iam import authz
from amanah.iam.models import Branch


@dataclass
class CustomerInput:
    full_name: str
    home_branch: Branch
    birth_date: date | None = None
    gender: str = Gender.UNKNOWN
    phone: str = ""
    email: str = ""
    segment_code: str = ""
    is_vip: bool = False
    status: str = CustomerStatus.ACTIVE
    products: dict[str, bool] = field(default_factory=dict)
    nik: str = ""
    cif: str = ""
    account_numbers: list[str] = field(default_factory=list)


PRODUCT_FIELDS = ("has_savings", "has_mobile_banking", "has_loan", "has_credit_card")
# The codes alone (``Choices.values`` builds every translated label: slow once per import row).
_GENDER_CODES = frozenset(g.value for g in Gender)
_STATUS_CODES = frozenset(s.value for s in CustomerStatus)
# The identifier fields of a customer's input and of the forms (a refusal names its field).
IDENTIFIER_FIELDS = {
    IdentifierType.NIK: "nik",
    IdentifierType.CIF: "cif",
    IdentifierType.ACCOUNT_NO: "account_numbers",
}


def customer_input_of(customer) -> CustomerInput:
    """The customer's master data as it stands: the starting point of an edit (the edit page,
    a privacy correction), identifiers left out (they are managed separately)."""
    return CustomerInput(
        full_name=customer.full_name,
        home_branch=customer.home_branch,
        birth_date=customer.birth_date,
        gender=customer.gender,
        phone=customer.phone_e164,
        email=customer.email,
        segment_code=customer.segment_code,
        is_vip=customer.is_vip,
        status=customer.status,
        products={f: getattr(customer, f) for f in PRODUCT_FIELDS},
    )


def clean_fields(data: CustomerInput, *, today: date | None = None) -> dict:
    """The master record's columns from ``data``, or the first refusal. ``today`` (the local
    date) may be given by a caller cleaning many rows at once."""
    full_name = " ".join((data.full_name or "").split())
    if len(full_name) < 2:
        raise ServiceError("name_required", _("Nama nasabah wajib diisi."), field="full_name")
    if len(full_name) > 200:
        raise ServiceError(
            "name_too_long", _("Nama terlalu panjang (maks. 200)."), field="full_name"
        )
    if data.gender not in _GENDER_CODES:
        raise ServiceError("gender_invalid", _("Jenis kelamin tidak dikenal."), field="gender")
    if data.status not in _STATUS_CODES:
        raise ServiceError("status_invalid", _("Status nasabah tidak dikenal."), field="status")
    if data.birth_date and data.birth_date > (today or timezone.localdate()):
        raise ServiceError(
            "birth_date_future", _("Tanggal lahir di masa depan."), field="birth_date"
        )
    unknown = set(data.products) - set(PRODUCT_FIELDS)
    if unknown:
        raise ServiceError(
            "product_unknown", _("Indikator produk tidak dikenal."), field="products"
        )
    return {
        "full_name": full_name,
        "name_search": normalize_name(full_name),
        "birth_date": data.birth_date,
        "gender": data.gender,
        "phone_e164": validation.normalize_phone(data.phone),
        "email": validation.normalize_email(data.email),
        "segment_code": (data.segment_code or "").strip().upper()[:20],
        "is_vip": bool(data.is_vip),
        "status": data.status,
        "home_branch": data.home_branch,
        **{f: bool(data.products.get(f, False)) for f in PRODUCT_FIELDS},
    }


def clean_cif(raw, *, field: str = "cif") -> str:
    cif = (raw if isinstance(raw, str) else "").strip().upper()
    if not cif or not cif.isalnum() or not cif.isascii() or len(cif) > 20:
        raise ServiceError("cif_invalid", _("CIF hanya huruf/angka, maks. 20."), field=field)
    return cif


def clean_account(raw, *, field: str = "account_numbers") -> str:
    number = (raw if isinstance(raw, str) else "").strip().replace("-", "").replace(" ", "")
    if not number.isdigit() or not number.isascii() or not 6 <= len(number) <= 20:
        raise ServiceError("account_invalid", _("Nomor rekening 6–20 digit."), field=field)
    return number


def identifier_value(
    id_type: str, raw, *, birth_date: date | None = None, gender: str | None = None, field=None
) -> str:
    """One identifier as stored: a NIK of 16 digits whose province, birth date and sex code
    fit the customer (``validation.validate_nik``), a CIF of letters and digits, an account
    number of 6–20 digits. A refusal names ``field`` (default: the input's own field)."""
    if not isinstance(id_type, str) or id_type not in IDENTIFIER_FIELDS:
        raise ServiceError("id_type_invalid", _("Jenis identitas tidak dikenal."), field="id_type")
    field = field or IDENTIFIER_FIELDS[id_type]
    if id_type == IdentifierType.CIF:
        return clean_cif(raw, field=field)
    if id_type == IdentifierType.ACCOUNT_NO:
        return clean_account(raw, field=field)
    if not isinstance(raw, str) or not raw.isascii() or problem_in_text(raw):
        raise ServiceError("nik_format", _("NIK harus 16 digit angka."), field=field)
    try:
        return validation.validate_nik(raw, birth_date=birth_date, gender=gender)
    except ServiceError as error:
        raise ServiceError(error.code, error.message, field=field) from error


def parse_identifiers(data: CustomerInput, fields: dict) -> list[tuple[str, str]]:
    """``(type, value)`` of the identifiers ``data`` carries, each checked."""
    found = []
    if data.nik:
        nik = identifier_value(
            IdentifierType.NIK, data.nik, birth_date=fields["birth_date"], gender=fields["gender"]
        )
        found.append((IdentifierType.NIK, nik))
    if data.cif:
        found.append((IdentifierType.CIF, clean_cif(data.cif)))
    for number in data.account_numbers:
        found.append((IdentifierType.ACCOUNT_NO, clean_account(number)))
    return found


def require_branch_in_scope(actor, branch: Branch) -> None:
    if not authz.branch_scope(actor).allows(branch.pk):
        raise ServiceError("out_of_scope", _("Cabang di luar scope Anda."), field="home_branch")


# The contact fields the pages show masked (as the 360 does), by input field.
MASKED_INPUTS = {"phone": ("phone_e164", "phone"), "email": ("email", "email")}


def kept_if_masked(data: CustomerInput, customer) -> CustomerInput:
    """A contact field sent back exactly as it was shown masked means "keep the stored value"
    (an edit form whose field was not revealed, an API client echoing a read); any other text
    carrying the mask character is refused, never stored (the stored value changed since the
    form was shown, or a mask was edited by hand)."""
    kept = {}
    for name, (column, kind) in MASKED_INPUTS.items():
        value = getattr(data, name) or ""
        if MASK not in value:
            continue
        stored = getattr(customer, column)
        if stored and value.strip() == mask(kind, stored):
            kept[name] = stored
            continue
        raise ServiceError(
            "masked_value",
            _("Isian masih tersamar (*). Buka datanya dulu atau ketik ulang nilainya."),
            field=name,
        )
    return replace(data, **kept) if kept else data


REASON_MIN, REASON_MAX = 10, 300


def reason_text(raw, *, required: bool = True, field: str = "reason") -> str:
    """A reason typed for a change (a transfer, a correction, the fraud flag): plain text of
    at most ``REASON_MAX`` characters, at least ``REASON_MIN`` when ``required``."""
    text = " ".join(raw.split()) if isinstance(raw, str) else ""
    if problem_in_text(text) or len(text) > REASON_MAX:
        raise ServiceError(
            "reason_invalid",
            _("Alasan berupa teks biasa, maks. %(max)d karakter.") % {"max": REASON_MAX},
            field=field,
        )
    if required and len(text) < REASON_MIN:
        raise ServiceError(
            "reason_required", _("Tuliskan alasan (minimal 10 karakter)."), field=field
        )
    return text
