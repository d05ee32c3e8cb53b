"""Every change to customer master data (DESIGN.md §2): permission, validation, write, audit."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from django.db import IntegrityError, transaction
from django.db.models import CharField, Q, Value
from django.db.models.functions import Cast, Concat, Left, Lower
from django.utils import timezone
from django.utils.translation import gettext as _

from amanah.audit import services as audit
from amanah.audit.models import AuditAction
from amanah.core import events
from amanah.core.errors import ServiceError
from amanah.customers import validation
from amanah.customers.models import (
    Customer,
    CustomerIdentifier,
    CustomerRelation,
    CustomerStatus,
    DuplicateFlag,
    DuplicateReason,
    Gender,
    IdentifierType,
    PortfolioAssignment,
)
from amanah.customers.names import normalize_name
from amanah.customers.policies import CUSTOMER_ANONYMISE, CUSTOMER_MANAGE, PORTFOLIO_MANAGE
from amanah.iam import authz
from amanah.iam.models import Branch, User

SIMILAR_NAME_THRESHOLD = 0.6
# fn(*, actor, customer): master data changed the customer's status to CLOSED (a merge closes
# the absorbed record too, but says so through its movers instead).
CUSTOMER_CLOSED = "customers.customer_closed"
# fn(*, actor, customer): a customer was registered (its identifiers attached, duplicates flagged).
CUSTOMER_CREATED = "customers.customer_created"
# fn(*, actor, customer, changed): master data changed; ``changed`` names the fields, never values.
CUSTOMER_UPDATED = "customers.customer_updated"


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


def customer_input_of(customer: Customer) -> CustomerInput:
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


def _clean(data: CustomerInput, *, today: date | None = None) -> dict:
    """``today`` (the local date) may be given by a caller cleaning many rows at once."""
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


def _identifiers(data: CustomerInput, fields: dict) -> list[tuple[str, str]]:
    found = []
    if data.nik:
        nik = validation.validate_nik(
            data.nik, birth_date=fields["birth_date"], gender=fields["gender"]
        )
        found.append((IdentifierType.NIK, nik))
    if data.cif:
        cif = data.cif.strip().upper()
        if not cif.isalnum() or len(cif) > 20:
            raise ServiceError("cif_invalid", _("CIF hanya huruf/angka, maks. 20."), field="cif")
        found.append((IdentifierType.CIF, cif))
    for number in data.account_numbers:
        number = number.strip().replace("-", "").replace(" ", "")
        if not number.isdigit() or not 6 <= len(number) <= 20:
            raise ServiceError(
                "account_invalid", _("Nomor rekening 6–20 digit."), field="account_numbers"
            )
        found.append((IdentifierType.ACCOUNT_NO, number))
    return found


def _require_branch_in_scope(actor, branch: Branch) -> None:
    if not authz.branch_scope(actor).allows(branch.pk):
        raise ServiceError("out_of_scope", _("Cabang di luar scope Anda."), field="home_branch")


@dataclass
class DuplicateCandidate:
    """A customer that may be the same person as the one about to be registered. Only what a
    page may show: the name in clear only when the actor may open the customer, else masked."""

    customer_id: object
    reasons: list[str]
    name: str
    branch_code: str
    masked_phone: str
    in_scope: bool


def duplicate_check(*, actor, data: CustomerInput) -> list[DuplicateCandidate]:
    """The duplicate check ``customer_create`` applies, answered before anything is written:
    the customers sharing the NIK or the phone, or with a very similar name and the same birth
    date. Bad input is refused exactly as the create refuses it. Registering anyway stays
    allowed (``customer_create(allow_duplicates=True)``): the pairs are then flagged for the
    data-quality desk (a NIK already held elsewhere is flagged, not lost).

    It looks across the whole bank, so it is rate-limited like the customer search and audited
    (SEARCH_CUSTOMER, object type CUSTOMER_DUPLICATE_CHECK: how many found, never what was
    typed); a candidate outside the actor's scope shows only a masked name and its branch."""
    from amanah.core import ratelimit
    from amanah.core.masking import mask

    authz.require(actor, CUSTOMER_MANAGE)
    fields = _clean(data)
    identifiers = _identifiers(data, fields)
    _require_branch_in_scope(actor, data.home_branch)
    with transaction.atomic():
        ratelimit.require_search_budget(actor, "customer-duplicate-check")
        matches = _duplicate_matches(
            fields, niks=[v for t, v in identifiers if t == IdentifierType.NIK]
        )
        reasons: dict = {}
        for pk, reason, _score in matches:
            reasons.setdefault(pk, [])
            if reason not in reasons[pk]:
                reasons[pk].append(reason)
        visible = set(
            Customer.objects.visible_to(actor)
            .filter(pk__in=list(reasons))
            .values_list("pk", flat=True)
        )
        audit.record(
            actor=actor,
            action=AuditAction.SEARCH_CUSTOMER,
            object_type="CUSTOMER_DUPLICATE_CHECK",
            object_id="",
            meta={"result_count": len(reasons), "outside_scope": len(set(reasons) - visible)},
        )
    rows = Customer.objects.filter(pk__in=list(reasons)).select_related("home_branch")
    labels = dict(DuplicateReason.choices)
    return [
        DuplicateCandidate(
            customer_id=c.pk,
            reasons=[str(labels[r]) for r in reasons[c.pk]],
            name=c.full_name if c.pk in visible else mask("name", c.full_name),
            branch_code=c.home_branch.code,
            masked_phone=mask("phone", c.phone_e164) if c.pk in visible else "",
            in_scope=c.pk in visible,
        )
        for c in rows.order_by("full_name", "pk")
    ]


@transaction.atomic
def customer_create(*, actor, data: CustomerInput, allow_duplicates: bool = True) -> Customer:
    """Create a customer with identifiers; a NIK already held elsewhere is flagged, not lost.

    With ``allow_duplicates=False`` (a person at a form who has not yet seen the duplicate
    check's answer) a possible duplicate refuses the create (``possible_duplicate``) instead.
    """
    authz.require(actor, CUSTOMER_MANAGE)
    fields = _clean(data)
    identifiers = _identifiers(data, fields)
    _require_branch_in_scope(actor, data.home_branch)
    if not allow_duplicates and _duplicate_matches(
        fields, niks=[v for t, v in identifiers if t == IdentifierType.NIK]
    ):
        raise ServiceError(
            "possible_duplicate",
            _("Ada kemungkinan data ganda; periksa daftarnya lalu konfirmasi bila tetap dibuat."),
            field="confirm",
        )
    customer = Customer.objects.create(**fields)
    taken = _attach_identifiers(customer, identifiers)
    duplicates = _flag_duplicates(customer, taken_niks=taken)
    audit.record(
        actor=actor,
        action=AuditAction.CREATE_CUSTOMER,
        obj=customer,
        meta={
            "branch": data.home_branch.code,
            "identifiers": sorted(t for t, _v in identifiers),
            "duplicates_flagged": len(duplicates),
        },
    )
    events.emit(CUSTOMER_CREATED, actor=actor, customer=customer)
    return customer


def _attach_identifiers(customer: Customer, identifiers: list[tuple[str, str]]) -> list[str]:
    """Attach each identifier; return NIKs that belong to another customer already."""
    taken_niks = []
    for id_type, value in identifiers:
        owner = CustomerIdentifier.objects.filter(id_type=id_type, id_value=value).first()
        if owner and id_type == IdentifierType.NIK:
            taken_niks.append(value)
            continue
        if owner:
            raise ServiceError(
                "identifier_taken",
                _("%s sudah terdaftar pada nasabah lain.") % id_type,
                field=id_type.lower(),
            )
        primary = not CustomerIdentifier.objects.filter(customer=customer, id_type=id_type).exists()
        try:
            with transaction.atomic():
                CustomerIdentifier.objects.create(
                    customer=customer, id_type=id_type, id_value=value, is_primary=primary
                )
        except IntegrityError as exc:
            # A registration running at the same time took the value after the look-up: the
            # same answer as if it had come first (a NIK is flagged, anything else refused).
            if id_type == IdentifierType.NIK:
                taken_niks.append(value)
                continue
            raise ServiceError(
                "identifier_taken",
                _("%s sudah terdaftar pada nasabah lain.") % id_type,
                field=id_type.lower(),
            ) from exc
    return taken_niks


def _pair(a: Customer | str, b: Customer | str):
    a_id, b_id = str(getattr(a, "pk", a)), str(getattr(b, "pk", b))
    return (a_id, b_id) if a_id < b_id else (b_id, a_id)


def _flag(a, b, reason: str, score: float = 1.0) -> DuplicateFlag | None:
    first, second = _pair(a, b)
    flag, created = DuplicateFlag.objects.get_or_create(
        customer_a_id=first, customer_b_id=second, reason=reason, defaults={"score": score}
    )
    return flag if created else None


def _duplicate_matches(fields: dict, *, niks: list[str], exclude=None) -> list[tuple]:
    """``(customer id, reason, score)`` of the customers (not merged away) that may be the same
    person as ``fields``: holding one of ``niks``, the same phone, or a very similar name with
    the same birth date. One rule for the check before a create and the flags after it."""
    found = []
    if niks:
        owners = CustomerIdentifier.objects.filter(id_type=IdentifierType.NIK, id_value__in=niks)
        if exclude is not None:
            owners = owners.exclude(customer_id=exclude)
        found += [
            (pk, DuplicateReason.SAME_NIK, 1.0)
            for pk in owners.values_list("customer_id", flat=True)
        ]
    others = Customer.objects.filter(merged_into__isnull=True)
    if exclude is not None:
        others = others.exclude(pk=exclude)
    if fields["phone_e164"]:
        found += [
            (pk, DuplicateReason.SAME_PHONE, 1.0)
            for pk in others.filter(phone_e164=fields["phone_e164"]).values_list("pk", flat=True)[
                :20
            ]
        ]
    if fields["birth_date"]:
        from django.contrib.postgres.search import TrigramSimilarity

        similar = (
            others.filter(birth_date=fields["birth_date"])
            .annotate(score=TrigramSimilarity("name_search", fields["name_search"]))
            .filter(score__gte=SIMILAR_NAME_THRESHOLD)
            .values_list("pk", "score")[:20]
        )
        found += [(pk, DuplicateReason.SIMILAR_NAME_DOB, round(score, 3)) for pk, score in similar]
    return found


def _flag_duplicates(customer: Customer, *, taken_niks: list[str]) -> list[DuplicateFlag]:
    """Possible duplicates: same NIK, same phone, or very similar name with the same birth date."""
    fields = {
        "phone_e164": customer.phone_e164,
        "birth_date": customer.birth_date,
        "name_search": customer.name_search,
    }
    flags = [
        _flag(customer, other, reason, score)
        for other, reason, score in _duplicate_matches(fields, niks=taken_niks, exclude=customer.pk)
    ]
    return [f for f in flags if f is not None]


@transaction.atomic
def customer_update(*, actor, customer: Customer, data: CustomerInput) -> Customer:
    """Change master data (identifiers are managed separately); audited with changed fields."""
    authz.require(actor, CUSTOMER_MANAGE, customer)
    if customer.is_merged:
        raise ServiceError(
            "customer_merged",
            _("Nasabah ini sudah digabung ke nasabah lain; ubah data nasabah itu."),
        )
    fields = _clean(data)
    _require_branch_in_scope(actor, data.home_branch)
    changed = sorted(
        k for k, v in fields.items() if getattr(customer, k) != v and k != "name_search"
    )
    closing = (
        customer.status != CustomerStatus.CLOSED and fields.get("status") == CustomerStatus.CLOSED
    )
    for key, value in fields.items():
        setattr(customer, key, value)
    customer.updated_at = timezone.now()
    if closing:
        customer.closed_at = customer.updated_at
    elif fields["status"] != CustomerStatus.CLOSED:
        customer.closed_at = None
    customer.save()
    if {"phone_e164", "full_name", "birth_date"} & set(changed):
        _flag_duplicates(customer, taken_niks=[])
    if closing:
        events.emit(CUSTOMER_CLOSED, actor=actor, customer=customer)
    audit.record(
        actor=actor, action=AuditAction.UPDATE_CUSTOMER, obj=customer, meta={"changed": changed}
    )
    if changed:
        events.emit(CUSTOMER_UPDATED, actor=actor, customer=customer, changed=changed)
    return customer


@transaction.atomic
def portfolio_assign(*, actor, customer: Customer, rm: User) -> PortfolioAssignment:
    """Put a customer in an RM's portfolio (ending any earlier assignment)."""
    authz.require(actor, PORTFOLIO_MANAGE, customer)
    if "RM" not in rm.role_keys() or not rm.is_active:
        raise ServiceError("not_an_rm", _("Pengguna ini bukan RM aktif."), field="rm")
    previous = PortfolioAssignment.objects.filter(customer=customer, active=True).first()
    if previous and previous.rm_id == rm.pk:
        return previous
    PortfolioAssignment.objects.filter(customer=customer, active=True).update(active=False)
    assignment = PortfolioAssignment.objects.create(customer=customer, rm=rm)
    audit.record(
        actor=actor,
        action=AuditAction.ASSIGN_PORTFOLIO,
        obj=customer,
        meta={"rm": rm.username, "previous_rm": previous.rm.username if previous else None},
    )
    return assignment


@transaction.atomic
def relation_add(
    *, actor, customer: Customer, other: Customer, relation_type: str, label: str = ""
):
    authz.require(actor, CUSTOMER_MANAGE, customer)
    authz.require(actor, CUSTOMER_MANAGE, other)
    if customer.pk == other.pk:
        raise ServiceError(
            "relation_self", _("Nasabah tidak dapat berelasi dengan dirinya sendiri.")
        )
    try:
        with transaction.atomic():
            relation = CustomerRelation.objects.create(
                from_customer=customer,
                to_customer=other,
                relation_type=relation_type,
                label=label[:60],
            )
    except IntegrityError as exc:
        raise ServiceError("relation_exists", _("Relasi ini sudah ada.")) from exc
    audit.record(
        actor=actor,
        action=AuditAction.UPDATE_CUSTOMER,
        obj=customer,
        meta={"relation_added": relation_type, "other": str(other.pk)},
    )
    return relation


def open_duplicates_of(customer: Customer):
    return DuplicateFlag.objects.filter(
        Q(customer_a=customer) | Q(customer_b=customer), status="OPEN"
    )


def _anonymous_name():
    return Concat(Value("Nasabah anonim "), Left(Cast("id", CharField()), 8))


# What each master-data field becomes when anonymised (the name keeps a short id so that
# records the law keeps — a complaint, a ledger line — still tell two people apart).
ANONYMOUS_VALUES = {
    "full_name": _anonymous_name,
    "name_search": lambda: Lower(_anonymous_name()),
    "phone_e164": lambda: "",
    "email": lambda: "",
    "birth_date": lambda: None,
    "gender": lambda: Gender.UNKNOWN,
}


@transaction.atomic
def customers_anonymise(
    *, actor, customer_ids: list, fields: tuple[str, ...], identifier_types=(), data_class: str
) -> int:
    """Anonymise ``fields`` (and delete the identifiers of ``identifier_types``) of the closed
    customers ``customer_ids``, set-based: one UPDATE, one DELETE, one audit row per customer
    (ANONYMISE_CUSTOMER with the data class and the fields, never the values). Only closed
    customers change; returns how many."""
    authz.require(actor, CUSTOMER_ANONYMISE)
    unknown = set(fields) - set(ANONYMOUS_VALUES)
    if unknown or set(identifier_types) - set(IdentifierType.values):
        raise ValueError(f"cannot anonymise {sorted(unknown) or identifier_types}")
    rows = Customer.objects.filter(pk__in=customer_ids, status=CustomerStatus.CLOSED)
    ids = list(rows.values_list("pk", flat=True))
    if not ids:
        return 0
    at = timezone.now()
    Customer.objects.filter(pk__in=ids).update(
        updated_at=at, **{name: ANONYMOUS_VALUES[name]() for name in fields}
    )
    if identifier_types:
        CustomerIdentifier.objects.filter(
            customer_id__in=ids, id_type__in=list(identifier_types)
        ).delete()
    audit.record_many(
        actor=actor,
        action=AuditAction.ANONYMISE_CUSTOMER,
        object_type="customers.Customer",
        object_ids=[str(pk) for pk in ids],
        meta={
            "data_class": data_class,
            "fields": sorted(set(fields) - {"name_search"}) + sorted(identifier_types),
        },
    )
    return len(ids)
