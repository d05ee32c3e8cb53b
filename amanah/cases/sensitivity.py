"""Two published rules about sensitive cases (fraud/scam and other categories marked
sensitive), owned here and asked by every other app through ``cases.contract``:

- **open sensitive case** — the customer has a case in a sensitive category that is still
  open: nobody may offer them anything meanwhile (seed 003 Bab 11.3). Two forms side by side,
  tested to agree: per customer (:func:`has_open_sensitive_case`) and set-based as an
  ``EXISTS`` over any customer queryset (:func:`open_sensitive_case_exists`).
- **may see sensitive** — who may read a sensitive case's details (:func:`may_see_sensitive`).
"""

from __future__ import annotations

from django.db.models import Exists, OuterRef, QuerySet

from amanah.cases.models import OPEN_STATUSES, Case
from amanah.cases.policies import TIMELINE_SENSITIVE
from amanah.iam import authz


def _open_sensitive_cases() -> QuerySet[Case]:
    return Case.objects.filter(status__in=OPEN_STATUSES, category__is_sensitive=True)


def has_open_sensitive_case(customer_id) -> bool:
    """Does this customer (given by id) have an open case in a sensitive category?"""
    return _open_sensitive_cases().filter(customer_id=customer_id).exists()


def open_sensitive_case_exists(outer_ref: str = "pk") -> Exists:
    """The same rule for a whole queryset: ``customers.filter(~open_sensitive_case_exists())``
    or ``.annotate(sensitive=open_sensitive_case_exists())``; ``outer_ref`` names the customer
    id in the outer query (``"customer_id"`` over a table that points at customers)."""
    return Exists(_open_sensitive_cases().filter(customer_id=OuterRef(outer_ref)))


def may_see_sensitive(actor, case: Case) -> bool:
    """Sensitive details (fraud/scam) for permitted roles and for whoever handles the case."""
    if not case.category.is_sensitive:
        return True
    # A non-human actor has no pk: None would "handle" every case nobody created or holds
    # (cases opened by the channel intake, unassigned ones) — an integration is never a handler.
    pk = getattr(actor, "pk", None)
    handles = pk is not None and pk in (case.created_by_id, case.assigned_to_id)
    return handles or authz.has_perm(actor, TIMELINE_SENSITIVE)
