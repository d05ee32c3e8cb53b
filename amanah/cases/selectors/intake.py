"""Intake at any branch: customers found for a complaint at this office (masked) and the
one chosen."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.utils.translation import gettext as _

from amanah.audit import services as audit
from amanah.audit.models import AuditAction
from amanah.core.errors import NotFound
from amanah.customers.models import Customer
from amanah.iam import authz

# --------------------------------------------------------------------------- intake at any branch


@dataclass(frozen=True)
class IntakeHit:
    """A customer found for a complaint at this office: shown masked (the name's initials,
    the phone's last digits, the home branch); ``in_scope`` when the actor may open them."""

    customer_id: str
    name: str
    phone: str
    home_branch: str
    in_scope: bool


def intake_lookup(*, actor, term: str) -> list[IntakeHit]:
    """Customers of any branch with exactly this CIF, NIK, account number or phone (never a
    name), for registering a complaint here. Rate-limited like the customer search and audited
    as SEARCH_CUSTOMER with a keyed hash of the term, never the term."""
    from amanah.cases.policies import CASE_CREATE, CASE_INTAKE_ANY_BRANCH
    from amanah.core import ratelimit
    from amanah.core.errors import ServiceError
    from amanah.core.masking import mask_name, mask_phone
    from amanah.customers.selectors import customers_by_exact_key

    authz.require(actor, CASE_CREATE)
    authz.require(actor, CASE_INTAKE_ANY_BRANCH)
    term = " ".join((term or "").split())
    if len(term) < 3 or len(term) > 40:
        raise ServiceError(
            "query_invalid", _("Ketik CIF, NIK, no. rekening atau telepon lengkap."), field="q"
        )
    with transaction.atomic():
        ratelimit.require_search_budget(actor, "case-intake-lookup")
        found = customers_by_exact_key(term)
        visible = set(
            Customer.objects.visible_to(actor)
            .filter(pk__in=[c.pk for c in found])
            .values_list("pk", flat=True)
        )
        audit.record(
            actor=actor,
            action=AuditAction.SEARCH_CUSTOMER,
            object_type="CASE_INTAKE_LOOKUP",
            object_id="",
            meta={"query_hash": audit.keyed_hash(term), "result_count": len(found)},
        )
    return [
        IntakeHit(
            str(c.pk),
            mask_name(c.full_name),
            mask_phone(c.phone_e164) if c.phone_e164 else "",
            str(c.home_branch),
            c.pk in visible,
        )
        for c in found
    ]


def intake_customer(*, actor, customer_id):
    """The customer a complaint is registered for at this office: any branch's (not merged
    away), for an actor with ``case.create.any_branch``; missing → NotFound. The page shows
    them masked; ``services.case_create(any_branch=True)`` decides the branches."""
    from amanah.cases.policies import CASE_CREATE, CASE_INTAKE_ANY_BRANCH

    authz.require(actor, CASE_CREATE)
    authz.require(actor, CASE_INTAKE_ANY_BRANCH)
    customer = (
        Customer.objects.filter(pk=customer_id, merged_into__isnull=True)
        .select_related("home_branch")
        .first()
    )
    if customer is None:
        raise NotFound()
    return customer
