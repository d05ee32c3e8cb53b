"""Customer upsert by CIF (core-banking sync, seed 003 Bab 1.2E): the customer as the core
system has it, one or many per call, through the very services the pages use.

- An unknown CIF registers the customer (``customer_create``: its checks, the duplicate
  flags, CREATE_CUSTOMER, ``customers.customer_created``).
- A known CIF changes what differs (``customer_update``: UPDATE_CUSTOMER,
  ``customers.customer_updated``); a field not sent (None) is left as it is; the same state
  sent again changes nothing and writes nothing ("unchanged").
- Account numbers the customer lacks are added, a NIK it lacks is added, a different NIK
  corrected (``identifiers``: ``customer.identifier.manage``); accounts are never removed.
- ``rm`` (a username) puts the customer in that RM's portfolio (``portfolio_assign``:
  ``customer.portfolio.manage``).

Calls about one CIF take turns (a transaction-scoped advisory lock on the CIF), so a retried
call racing its first attempt finds the customer the first one registered. A batch is all
or nothing: every row is tried (each in a savepoint) and the refusals, by row, are answered
together (``UpsertRefused``), with nothing written."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date

from django.db import connection, transaction
from django.utils.translation import gettext as _

from amanah.core.errors import NOT_FOUND, NotFound, ServiceError
from amanah.customers import selectors
from amanah.customers.models import Customer, CustomerIdentifier, IdentifierType
from amanah.customers.policies import CUSTOMER_MANAGE
from amanah.customers.services import identifiers, portfolio, records
from amanah.customers.services.inputs import (
    PRODUCT_FIELDS,
    CustomerInput,
    clean_account,
    clean_cif,
    clean_fields,
    customer_input_of,
    identifier_value,
)
from amanah.iam import authz
from amanah.iam.models import Branch, User

BATCH_MAX = 500
SYNC_REASON = "Sinkron sistem inti (core banking)"


@dataclass
class CustomerSync:
    """One customer as a core system sends it. None: not sent (left as it is)."""

    cif: str
    full_name: str | None = None
    branch: str | None = None
    nik: str | None = None
    birth_date: date | None = None
    gender: str | None = None
    phone: str | None = None
    email: str | None = None
    segment_code: str | None = None
    status: str | None = None
    is_vip: bool | None = None
    products: dict[str, bool] | None = None
    accounts: list[str] = field(default_factory=list)
    rm: str | None = None


@dataclass
class Upserted:
    customer: Customer
    cif: str
    result: str  # "created", "updated", "unchanged"
    changed: list[str]


class UpsertRefused(ServiceError):
    """Rows of a batch refused: nothing was written; ``errors`` names each row's refusal."""

    def __init__(self, errors: list[dict]):
        super().__init__(
            "rows_refused",
            _("Ada baris yang ditolak; tidak ada yang disimpan.") + f" ({len(errors)})",
            field="rows",
        )
        self.errors = errors

    def details(self) -> dict:
        return {"errors": self.errors}


def _branch(code) -> Branch:
    code = code.strip().upper() if isinstance(code, str) else ""
    found = Branch.objects.filter(code=code, is_active=True).first() if code else None
    if found is None:
        raise ServiceError("branch_unknown", _("Kode cabang tidak dikenal."), field="branch")
    return found


def _rm(username) -> User:
    found = User.objects.filter(username=username).first() if isinstance(username, str) else None
    if found is None:
        raise ServiceError(
            "not_an_rm",
            _("Pengguna ini bukan RM aktif yang mencakup cabang nasabah."),
            field="rm",
        )
    return found


def _lock_cif(cif: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [f"customers.cif:{cif}"])


def _known(cif: str):
    """The id of the customer holding ``cif`` (any branch), or None."""
    return (
        CustomerIdentifier.objects.filter(id_type=IdentifierType.CIF, id_value=cif)
        .values_list("customer_id", flat=True)
        .first()
    )


def _wanted(sync: CustomerSync, current: CustomerInput) -> CustomerInput:
    sent = {
        "full_name": sync.full_name,
        "birth_date": sync.birth_date,
        "gender": sync.gender,
        "phone": sync.phone,
        "email": sync.email,
        "segment_code": sync.segment_code,
        "status": sync.status,
        "is_vip": sync.is_vip,
    }
    changes = {k: v for k, v in sent.items() if v is not None}
    if sync.branch is not None:
        changes["home_branch"] = _branch(sync.branch)
    if sync.products is not None:
        changes["products"] = {**current.products, **sync.products}
    return replace(current, **changes)


def _create(actor, sync: CustomerSync, cif: str) -> Upserted:
    if sync.full_name is None or sync.branch is None:
        raise ServiceError(
            "new_customer_incomplete",
            _("CIF baru: nama lengkap dan kode cabang wajib dikirim."),
            field="full_name" if sync.full_name is None else "branch",
        )
    data = _wanted(
        sync,
        CustomerInput(full_name="", home_branch=None, products={f: False for f in PRODUCT_FIELDS}),
    )
    data = replace(data, cif=cif, nik=sync.nik or "", account_numbers=list(sync.accounts))
    customer = records.customer_create(actor=actor, data=data, allow_duplicates=True)
    if sync.rm is not None:
        portfolio.portfolio_assign(
            actor=actor, customer=customer, rm=_rm(sync.rm), reason=SYNC_REASON
        )
    return Upserted(customer, cif, "created", [])


def _identifiers(actor, customer: Customer, sync: CustomerSync) -> bool:
    """Add the accounts and the NIK the customer lacks, correct a different primary NIK."""
    held = dict.fromkeys(customer.identifiers.values_list("id_type", "id_value"))
    changed = False
    for raw in sync.accounts:
        number = clean_account(raw, field="accounts")
        if (IdentifierType.ACCOUNT_NO, number) not in held:
            identifiers.identifier_add(
                actor=actor, customer=customer, id_type=IdentifierType.ACCOUNT_NO, value=number
            )
            held[(IdentifierType.ACCOUNT_NO, number)] = None
            changed = True
    if not sync.nik:
        return changed
    nik = identifier_value(
        IdentifierType.NIK, sync.nik, birth_date=customer.birth_date, gender=customer.gender
    )
    current = customer.identifiers.filter(id_type=IdentifierType.NIK, is_primary=True).first()
    if current is None:
        identifiers.identifier_add(
            actor=actor, customer=customer, id_type=IdentifierType.NIK, value=nik
        )
        return True
    if current.id_value != nik:
        identifiers.identifier_correct(
            actor=actor, customer=customer, identifier_id=current.pk, value=nik, reason=SYNC_REASON
        )
        return True
    return changed


def _update(actor, sync: CustomerSync, cif: str, customer: Customer) -> Upserted:
    data = _wanted(sync, customer_input_of(customer))
    changed = records.changed_fields(customer, clean_fields(data))
    if changed:
        records.customer_update(actor=actor, customer=customer, data=data)
    if _identifiers(actor, customer, sync):
        changed.append("identifiers")
    if sync.rm is not None:
        rm = _rm(sync.rm)
        if not customer.assignments.filter(active=True, rm=rm).exists():
            portfolio.portfolio_assign(actor=actor, customer=customer, rm=rm, reason=SYNC_REASON)
            changed.append("rm")
    return Upserted(customer, cif, "updated" if changed else "unchanged", changed)


@transaction.atomic
def customer_upsert(*, actor, sync: CustomerSync) -> Upserted:
    """Register or bring up to date the customer with ``sync.cif`` (see the module)."""
    authz.require(actor, CUSTOMER_MANAGE)
    cif = clean_cif(sync.cif)
    _lock_cif(cif)
    known = _known(cif)
    if known is None:
        return _create(actor, sync, cif)
    try:  # locked, in the caller's write scope: what is compared is what is saved
        customer = selectors.customer_for_change(
            actor=actor, permission=CUSTOMER_MANAGE, customer_id=known, lock=True
        )
    except NotFound:
        raise ServiceError(
            NOT_FOUND, _("CIF ini milik nasabah di luar jangkauan Anda."), field="cif"
        ) from None
    if customer.is_merged:
        raise ServiceError(
            "customer_merged",
            _("CIF ini milik nasabah yang sudah digabung ke nasabah lain."),
            field="cif",
        )
    return _update(actor, sync, cif, customer)


@transaction.atomic
def customers_upsert(*, actor, rows: list[CustomerSync]) -> list[Upserted]:
    """Many customers at once, all or nothing (``UpsertRefused`` names every refused row by
    its index in ``rows``); at most ``BATCH_MAX``, each CIF once."""
    authz.require(actor, CUSTOMER_MANAGE)
    if len(rows) > BATCH_MAX:
        raise ServiceError(
            "too_many", _("Paling banyak %d nasabah per panggilan.") % BATCH_MAX, field="rows"
        )
    seen: set[str] = set()
    done, errors = [], []
    for index, sync in enumerate(rows):
        try:
            with transaction.atomic():
                cif = clean_cif(sync.cif)
                if cif in seen:
                    raise ServiceError("cif_repeated", _("CIF ini muncul dua kali."), field="cif")
                seen.add(cif)
                done.append(customer_upsert(actor=actor, sync=sync))
        except ServiceError as error:
            errors.append(
                {"row": index, "code": error.code, "field": error.field, "message": error.message}
            )
    if errors:
        raise UpsertRefused(errors)
    return done
