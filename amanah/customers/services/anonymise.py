"""UU PDP retention: closed customers' personal data anonymised in place (privacy's job)."""

from __future__ import annotations

from django.db import transaction
from django.db.models import CharField, Value
from django.db.models.functions import Cast, Concat, Left, Lower
from django.utils import timezone

from amanah.audit import services as audit
from amanah.audit.models import AuditAction
from amanah.customers.models import (
    Customer,
    CustomerIdentifier,
    CustomerStatus,
    Gender,
    IdentifierType,
)
from amanah.customers.policies import CUSTOMER_ANONYMISE
from amanah.iam import authz


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
