"""The master record: register a customer with its identifiers, change its data."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from amanah.audit import services as audit
from amanah.audit.models import AuditAction
from amanah.core import events
from amanah.core.actors import user_or_none
from amanah.core.errors import ServiceError
from amanah.customers import selectors
from amanah.customers.models import Customer, CustomerIdentifier, CustomerStatus, IdentifierType
from amanah.customers.policies import CUSTOMER_MANAGE
from amanah.customers.services.duplicates import duplicate_matches, flag_duplicates
from amanah.customers.services.inputs import (
    CustomerInput,
    clean_fields,
    kept_if_masked,
    parse_identifiers,
    require_branch_in_scope,
)
from amanah.iam import authz

# fn(*, actor, customer): master data changed the customer's status to CLOSED (a merge closes
# the absorbed record too, but says so through its movers instead).
CUSTOMER_CLOSED = "customers.customer_closed"
# fn(*, actor, customer): a customer was registered (its identifiers attached, duplicates flagged).
CUSTOMER_CREATED = "customers.customer_created"
# fn(*, actor, customer, changed): master data changed; ``changed`` names the fields, never values.
CUSTOMER_UPDATED = "customers.customer_updated"


@transaction.atomic
def customer_create(*, actor, data: CustomerInput, allow_duplicates: bool = True) -> Customer:
    """Create a customer with identifiers; a NIK already held elsewhere is flagged, not lost.

    With ``allow_duplicates=False`` (a person at a form who has not yet seen the duplicate
    check's answer) a possible duplicate refuses the create (``possible_duplicate``) instead.
    """
    authz.require(actor, CUSTOMER_MANAGE)
    fields = clean_fields(data)
    identifiers = parse_identifiers(data, fields)
    require_branch_in_scope(actor, data.home_branch)
    if not allow_duplicates and duplicate_matches(
        fields, niks=[v for t, v in identifiers if t == IdentifierType.NIK]
    ):
        raise ServiceError(
            "possible_duplicate",
            _("Ada kemungkinan data ganda; periksa daftarnya lalu konfirmasi bila tetap dibuat."),
            field="confirm",
        )
    customer = Customer.objects.create(**fields)
    taken = attach_identifiers(customer, identifiers, actor=actor)
    duplicates = flag_duplicates(customer, taken_niks=taken)
    events.emit(CUSTOMER_CREATED, actor=actor, customer=customer)
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
    return customer


def _taken(id_type: str) -> ServiceError:
    return ServiceError(
        "identifier_taken",
        _("%s sudah terdaftar pada nasabah lain.") % id_type,
        field=id_type.lower(),
    )


def attach_identifiers(
    customer: Customer, identifiers: list[tuple[str, str]], *, actor=None
) -> list[str]:
    """Attach each identifier (primary when the first of its type); return the NIKs that
    belong to another customer already (flagged by the caller, not attached). Any other value
    held elsewhere is refused."""
    taken_niks = []
    changed_by = user_or_none(actor)
    for id_type, value in identifiers:
        owner = CustomerIdentifier.objects.filter(id_type=id_type, id_value=value).first()
        if owner and id_type == IdentifierType.NIK:
            taken_niks.append(value)
            continue
        if owner:
            raise _taken(id_type)
        primary = not CustomerIdentifier.objects.filter(customer=customer, id_type=id_type).exists()
        try:
            with transaction.atomic():
                CustomerIdentifier.objects.create(
                    customer=customer,
                    id_type=id_type,
                    id_value=value,
                    is_primary=primary,
                    changed_by=changed_by,
                )
        except IntegrityError as exc:
            # A registration running at the same time took the value after the look-up: the
            # same answer as if it had come first (a NIK is flagged, anything else refused).
            if id_type == IdentifierType.NIK:
                taken_niks.append(value)
                continue
            raise _taken(id_type) from exc
    return taken_niks


def changed_fields(customer: Customer, fields: dict) -> list[str]:
    """The master record's columns ``fields`` would change (never ``name_search``, which
    follows the name)."""
    return sorted(k for k, v in fields.items() if getattr(customer, k) != v and k != "name_search")


@transaction.atomic
def customer_update(*, actor, customer: Customer, data: CustomerInput) -> Customer:
    """Change master data (identifiers are managed separately); audited with changed fields.

    The customer is locked and read again in the actor's write scope
    (``selectors.customers_writable``). Phone and e-mail sent back as the pages show them
    (masked) keep their stored values (``inputs.kept_if_masked``). The caller's instance is
    brought up to date with the saved row."""
    given, customer = (
        customer,
        selectors.customer_for_change(
            actor=actor, permission=CUSTOMER_MANAGE, customer_id=customer.pk, lock=True
        ),
    )
    if customer.is_merged:
        raise ServiceError(
            "customer_merged",
            _("Nasabah ini sudah digabung ke nasabah lain; ubah data nasabah itu."),
        )
    fields = clean_fields(kept_if_masked(data, customer))
    require_branch_in_scope(actor, data.home_branch)
    changed = changed_fields(customer, fields)
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
        flag_duplicates(customer, taken_niks=[])
    if closing:
        events.emit(CUSTOMER_CLOSED, actor=actor, customer=customer)
    if changed:
        events.emit(CUSTOMER_UPDATED, actor=actor, customer=customer, changed=changed)
    audit.record(
        actor=actor, action=AuditAction.UPDATE_CUSTOMER, obj=customer, meta={"changed": changed}
    )
    copy_row(customer, into=given)
    return customer


def copy_row(source: Customer, *, into: Customer) -> None:
    """The stored columns of ``source`` onto ``into`` (another instance of the same row, a
    caller's copy of what a service locked and changed)."""
    if into is not source:
        for column in Customer._meta.concrete_fields:
            setattr(into, column.attname, getattr(source, column.attname))
