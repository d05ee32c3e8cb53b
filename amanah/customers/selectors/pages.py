"""The reads of the master data pages: possible duplicates and merge proposals, a customer's
identifiers and relations, RM portfolios, the customers bearing the fraud flag — each scoped
by the actor (``visible_to``, or for the fraud flag its write scope)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Q

from amanah.core.errors import NotFound
from amanah.core.masking import mask
from amanah.customers.models import (
    MASK_KIND,
    Customer,
    CustomerIdentifier,
    CustomerRelation,
    DuplicateFlag,
    DuplicateStatus,
    FraudFlagChange,
    IdentifierType,
    MergeRequest,
    MergeStatus,
    PortfolioAssignment,
)
from amanah.customers.policies import FRAUD_FLAG
from amanah.customers.selectors.writes import customers_writable


def duplicate_flags_open(actor):
    """The open possible duplicates the actor may work on (both customers in scope)."""
    return (
        DuplicateFlag.objects.visible_to(actor)
        .filter(status=DuplicateStatus.OPEN)
        .select_related("customer_a", "customer_b")
    )


def duplicate_flag_get(*, actor, flag_id) -> DuplicateFlag:
    """A possible duplicate the actor may work on (any status); else NotFound."""
    found = DuplicateFlag.objects.visible_to(actor).filter(pk=flag_id).first()
    if found is None:
        raise NotFound()
    return found


def merge_request_get(*, actor, request_id) -> MergeRequest:
    """A merge proposal whose two customers the actor both sees; else NotFound."""
    visible = Customer.objects.visible_to(actor)
    found = (
        MergeRequest.objects.filter(survivor__in=visible, absorbed__in=visible)
        .filter(pk=request_id)
        .first()
    )
    if found is None:
        raise NotFound()
    return found


def merge_requests_pending(actor):
    return MergeRequest.objects.filter(
        status=MergeStatus.PENDING, survivor__in=Customer.objects.visible_to(actor)
    ).select_related("survivor", "absorbed", "proposed_by")


@dataclass
class IdentifierRow:
    identifier: CustomerIdentifier
    masked: str

    @property
    def removable(self) -> bool:
        """Only an account number is removed (``identifier_remove``); CIF and NIK corrected."""
        return self.identifier.id_type == IdentifierType.ACCOUNT_NO


def identifiers_of(*, actor, customer: Customer) -> list[IdentifierRow]:
    """The customer's identifiers (the caller opened the customer), masked, by type."""
    rows = (
        CustomerIdentifier.objects.visible_to(actor)
        .filter(customer=customer)
        .select_related("verified_by")
        .order_by("id_type", "-is_primary", "created_at", "pk")
    )
    return [IdentifierRow(i, mask(MASK_KIND[i.id_type], i.id_value)) for i in rows]


@dataclass
class RelationRow:
    relation: CustomerRelation
    other: Customer | None  # None: the actor may not open the other customer
    outgoing: bool


def relation_rows(actor, customer: Customer, relations) -> list[RelationRow]:
    """``relations`` of ``customer`` (either end) with the customer at the other end — only
    when the actor may open it too (one read for all of them); the 360 and the master data
    page show relations this way."""
    relations = list(relations)
    if not relations:  # most customers: no second read
        return []
    others = [
        r.to_customer if r.from_customer_id == customer.pk else r.from_customer for r in relations
    ]
    visible = set(
        Customer.objects.visible_to(actor)
        .filter(pk__in=[o.pk for o in others])
        .values_list("pk", flat=True)
    )
    return [
        RelationRow(r, other if other.pk in visible else None, r.from_customer_id == customer.pk)
        for r, other in zip(relations, others, strict=True)
    ]


def relations_of(*, actor, customer: Customer) -> list[RelationRow]:
    """The customer's relations both ways, as :func:`relation_rows` answers them."""
    rows = (
        CustomerRelation.objects.visible_to(actor)
        .filter(Q(from_customer=customer) | Q(to_customer=customer))
        .select_related("from_customer", "to_customer")
        .order_by("relation_type", "pk")
    )
    return relation_rows(actor, customer, rows)


def portfolio_history(*, customer: Customer) -> list[PortfolioAssignment]:
    """The customer's portfolio assignments, newest first (the caller opened the customer)."""
    return list(
        PortfolioAssignment.objects.filter(customer=customer)
        .select_related("rm", "assigned_by", "ended_by")
        .order_by("-assigned_at", "-pk")
    )


def portfolio_counts(actor) -> list[dict]:
    """The RMs holding customers the actor sees, with how many (active assignments)."""
    return list(
        PortfolioAssignment.objects.filter(
            active=True, customer__in=Customer.objects.visible_to(actor)
        )
        .values("rm", "rm__full_name", "rm__username", "rm__is_active")
        .annotate(customers=Count("pk"))
        .order_by("rm__full_name", "rm")
    )


PORTFOLIO_SHOWN = 500


def portfolio_customers(actor, rm_id) -> list[Customer]:
    """The customers of an RM's active portfolio that the actor sees (at most
    ``PORTFOLIO_SHOWN``, by name): an RM's own list, or a supervisor's look at one RM."""
    return list(
        Customer.objects.visible_to(actor)
        .filter(assignments__rm_id=rm_id, assignments__active=True, merged_into__isnull=True)
        .select_related("home_branch")
        .order_by("full_name", "pk")[:PORTFOLIO_SHOWN]
    )


def fraud_flagged(actor) -> list[dict]:
    """The customers bearing the fraud flag in the actor's reach (its write scope for the
    flag: compliance's branches), each with its latest change (who, when, why)."""
    customers = list(
        customers_writable(actor, permission=FRAUD_FLAG)
        .filter(fraud_flag=True, merged_into__isnull=True)
        .select_related("home_branch")
        .order_by("-updated_at", "pk")[:200]
    )
    latest = {}
    for change in (
        FraudFlagChange.objects.visible_to(actor)
        .filter(customer__in=customers, flagged=True)
        .order_by("customer_id", "-at")
    ):
        latest.setdefault(change.customer_id, change)
    # the name masked: compliance acts on the customer by CIF without opening it
    return [
        {"customer": c, "name": mask("name", c.full_name), "change": latest.get(c.pk)}
        for c in customers
    ]
