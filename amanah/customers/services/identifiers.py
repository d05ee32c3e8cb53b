"""A customer's identifiers after registration (seed 003 Bab 1.2A, 13.4): add a CIF, an account
number or a NIK, correct a value typed wrong, verify one against the real thing, remove an
account number attached by mistake. Each value belongs to one customer (a unique constraint);
a NIK is checked against the customer's birth date and sex. A correction clears the
verification, and whoever changed a value last may not verify it (four eyes).

Audited with the type, never the value (ADD_IDENTIFIER, CORRECT_IDENTIFIER,
VERIFY_IDENTIFIER, REMOVE_IDENTIFIER); ``customers.identifiers_changed`` (``actor, customer,
id_type``) is emitted in the change's transaction."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from amanah.audit import services as audit
from amanah.audit.models import AuditAction
from amanah.core import events
from amanah.core.actors import user_or_none
from amanah.core.errors import NotFound, ServiceError
from amanah.customers import selectors
from amanah.customers.models import (
    Customer,
    CustomerIdentifier,
    IdentifierType,
    VerificationMethod,
)
from amanah.customers.policies import IDENTIFIER_MANAGE, IDENTIFIER_VERIFY
from amanah.customers.services.inputs import identifier_value, reason_text

# fn(*, actor, customer, id_type): an identifier of the customer was added, corrected,
# verified or removed.
IDENTIFIERS_CHANGED = "customers.identifiers_changed"
_METHODS = frozenset(m.value for m in VerificationMethod)


def _customer(actor, permission: str, customer_id) -> Customer:
    customer = selectors.customer_for_change(
        actor=actor, permission=permission, customer_id=customer_id, lock=True
    )
    if customer.is_merged:
        raise ServiceError(
            "customer_merged",
            _("Nasabah ini sudah digabung ke nasabah lain; ubah data nasabah itu."),
        )
    return customer


def _identifier(customer: Customer, identifier_id) -> CustomerIdentifier:
    """The customer's identifier, locked (its own row); another customer's is missing."""
    try:
        pk = CustomerIdentifier._meta.pk.to_python(identifier_id)
    except ValidationError:  # a text that is no id: missing, as any unknown id
        raise NotFound() from None
    found = (
        CustomerIdentifier.objects.select_for_update(of=("self",))
        .filter(customer=customer, pk=pk)
        .first()
    )
    if found is None:
        raise NotFound()
    return found


def _value(customer: Customer, id_type: str, raw) -> str:
    return identifier_value(
        id_type, raw, birth_date=customer.birth_date, gender=customer.gender, field="value"
    )


def _taken_elsewhere(customer: Customer, id_type: str, value: str, *, exclude=None) -> None:
    held = CustomerIdentifier.objects.filter(id_type=id_type, id_value=value)
    if exclude is not None:
        held = held.exclude(pk=exclude)
    owner = held.values_list("customer_id", flat=True).first()
    if owner is None:
        return
    if owner == customer.pk:
        raise ServiceError(
            "identifier_exists", _("Nasabah ini sudah memiliki identitas itu."), field="value"
        )
    raise ServiceError(
        "identifier_taken",
        _(
            "Nilai ini sudah terdaftar pada nasabah lain. Bila orangnya sama, usulkan "
            "penggabungan dari halaman data ganda."
        ),
        field="value",
    )


def _saved(identifier: CustomerIdentifier, fields: list[str] | None = None) -> None:
    """Save (only ``fields`` of an existing row), turning a race lost on the unique value into
    the same refusal as the check."""
    try:
        with transaction.atomic():
            identifier.save(update_fields=fields)
    except IntegrityError as exc:
        raise ServiceError(
            "identifier_taken", _("Nilai ini sudah terdaftar pada nasabah lain."), field="value"
        ) from exc


def _done(actor, action: str, customer: Customer, id_type: str, identifier_id, **meta) -> None:
    events.emit(IDENTIFIERS_CHANGED, actor=actor, customer=customer, id_type=id_type)
    audit.record(
        actor=actor,
        action=action,
        obj=customer,
        meta={"id_type": id_type, "identifier": str(identifier_id), **meta},
    )


@transaction.atomic
def identifier_add(*, actor, customer: Customer, id_type: str, value) -> CustomerIdentifier:
    """Add a CIF, NIK or account number to ``customer``: primary when it is the first of its
    type. A value another customer holds is refused (the two may be one person: a merge)."""
    customer = _customer(actor, IDENTIFIER_MANAGE, customer.pk)
    value = _value(customer, id_type, value)
    _taken_elsewhere(customer, id_type, value)
    identifier = CustomerIdentifier(
        customer=customer,
        id_type=id_type,
        id_value=value,
        is_primary=not customer.identifiers.filter(id_type=id_type).exists(),
        changed_by=user_or_none(actor),
    )
    _saved(identifier)
    _done(
        actor, AuditAction.ADD_IDENTIFIER, customer, identifier.id_type, identifier.pk,
        primary=identifier.is_primary,
    )  # fmt: skip
    return identifier


@transaction.atomic
def identifier_correct(
    *, actor, customer: Customer, identifier_id, value, reason: str
) -> CustomerIdentifier:
    """Correct a value typed wrong (the type stays); the verification is cleared."""
    customer = _customer(actor, IDENTIFIER_MANAGE, customer.pk)
    identifier = _identifier(customer, identifier_id)
    reason = reason_text(reason)
    value = _value(customer, identifier.id_type, value)
    if value == identifier.id_value:
        raise ServiceError(
            "identifier_same", _("Nilainya sama dengan yang tersimpan."), field="value"
        )
    _taken_elsewhere(customer, identifier.id_type, value, exclude=identifier.pk)
    identifier.id_value, identifier.updated_at = value, timezone.now()
    identifier.verified_at = identifier.verified_by = None
    identifier.verification_method, identifier.changed_by = "", user_or_none(actor)
    _saved(identifier, ["id_value", "updated_at", "verified_at", "verified_by",
                        "verification_method", "changed_by"])  # fmt: skip
    _done(
        actor, AuditAction.CORRECT_IDENTIFIER, customer, identifier.id_type, identifier.pk,
        reason_length=len(reason),
    )  # fmt: skip
    return identifier


@transaction.atomic
def identifier_verify(
    *, actor, customer: Customer, identifier_id, method: str
) -> CustomerIdentifier:
    """Record that the value was checked (an original document at the counter, the core
    system, Dukcapil). Not by whoever entered or corrected it last."""
    customer = _customer(actor, IDENTIFIER_VERIFY, customer.pk)
    identifier = _identifier(customer, identifier_id)
    if method not in _METHODS:
        raise ServiceError(
            "method_invalid", _("Pilih cara verifikasi yang dikenal."), field="method"
        )
    if identifier.verified_at is not None:
        raise ServiceError("already_verified", _("Identitas ini sudah terverifikasi."))
    me = user_or_none(actor)
    if me is not None and identifier.changed_by_id == me.pk:
        raise ServiceError(
            "four_eyes",
            _("Identitas yang Anda tambah atau koreksi diverifikasi oleh petugas lain."),
        )
    identifier.verified_at, identifier.verified_by = timezone.now(), me
    identifier.verification_method = method
    _saved(identifier, ["verified_at", "verified_by", "verification_method"])
    _done(
        actor, AuditAction.VERIFY_IDENTIFIER, customer, identifier.id_type, identifier.pk,
        method=method,
    )  # fmt: skip
    return identifier


@transaction.atomic
def identifier_remove(*, actor, customer: Customer, identifier_id, reason: str) -> None:
    """Remove an account number attached by mistake (a CIF or a NIK is corrected, never
    removed: imports and searches find the customer by them). When the primary account goes,
    the oldest other account becomes primary."""
    customer = _customer(actor, IDENTIFIER_MANAGE, customer.pk)
    identifier = _identifier(customer, identifier_id)
    reason = reason_text(reason)
    if identifier.id_type != IdentifierType.ACCOUNT_NO:
        raise ServiceError(
            "identifier_not_removable",
            _("Hanya nomor rekening yang dapat dihapus; CIF dan NIK dikoreksi."),
        )
    removed = identifier.pk
    identifier.delete()
    if identifier.is_primary:
        successor = (
            customer.identifiers.filter(id_type=identifier.id_type)
            .order_by("created_at", "pk")
            .select_for_update(of=("self",))
            .first()
        )
        if successor is not None:
            successor.is_primary = True
            successor.save(update_fields=["is_primary"])
    _done(
        actor, AuditAction.REMOVE_IDENTIFIER, customer, identifier.id_type, removed,
        reason_length=len(reason),
    )  # fmt: skip
