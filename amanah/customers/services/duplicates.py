"""Possible duplicates: the check before a registration, and the flags written after one (or
after a change of phone, name or birth date). Deciding a flag is the workflow
``customers.duplicate`` (``customers.merge``: dismissed, or merged with its customers)."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.postgres.search import TrigramSimilarity
from django.db import transaction
from django.db.models import Q

from amanah.audit import services as audit
from amanah.audit.models import AuditAction
from amanah.core import ratelimit
from amanah.core.masking import mask
from amanah.customers.models import (
    Customer,
    CustomerIdentifier,
    DuplicateFlag,
    DuplicateReason,
    DuplicateStatus,
    IdentifierType,
)
from amanah.customers.policies import CUSTOMER_MANAGE
from amanah.customers.services.inputs import (
    CustomerInput,
    clean_fields,
    parse_identifiers,
    require_branch_in_scope,
)
from amanah.iam import authz

SIMILAR_NAME_THRESHOLD = 0.6


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
    authz.require(actor, CUSTOMER_MANAGE)
    fields = clean_fields(data)
    identifiers = parse_identifiers(data, fields)
    require_branch_in_scope(actor, data.home_branch)
    with transaction.atomic():
        ratelimit.require_search_budget(actor, "customer-duplicate-check")
        matches = duplicate_matches(
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


def _pair(a: Customer | str, b: Customer | str):
    a_id, b_id = str(getattr(a, "pk", a)), str(getattr(b, "pk", b))
    return (a_id, b_id) if a_id < b_id else (b_id, a_id)


def _flag(a, b, reason: str, score: float = 1.0) -> DuplicateFlag | None:
    first, second = _pair(a, b)
    flag, created = DuplicateFlag.objects.get_or_create(
        customer_a_id=first, customer_b_id=second, reason=reason, defaults={"score": score}
    )
    return flag if created else None


def duplicate_matches(fields: dict, *, niks: list[str], exclude=None) -> list[tuple]:
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
        similar = (
            others.filter(birth_date=fields["birth_date"])
            .annotate(score=TrigramSimilarity("name_search", fields["name_search"]))
            .filter(score__gte=SIMILAR_NAME_THRESHOLD)
            .values_list("pk", "score")[:20]
        )
        found += [(pk, DuplicateReason.SIMILAR_NAME_DOB, round(score, 3)) for pk, score in similar]
    return found


def flag_duplicates(customer: Customer, *, taken_niks: list[str]) -> list[DuplicateFlag]:
    """Possible duplicates: same NIK, same phone, or very similar name with the same birth date."""
    fields = {
        "phone_e164": customer.phone_e164,
        "birth_date": customer.birth_date,
        "name_search": customer.name_search,
    }
    flags = [
        _flag(customer, other, reason, score)
        for other, reason, score in duplicate_matches(fields, niks=taken_niks, exclude=customer.pk)
    ]
    return [f for f in flags if f is not None]


def open_duplicates_of(customer: Customer):
    return DuplicateFlag.objects.filter(
        Q(customer_a=customer) | Q(customer_b=customer), status=DuplicateStatus.OPEN
    )
