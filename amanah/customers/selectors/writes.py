"""Master data's write scope: which customers an actor may change (``customers_writable``),
one of them locked (``customer_for_change``), and customers named by CIF in that scope — the
rule every change of customer data, every import and every sync follows."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from amanah.core import scopes
from amanah.core.errors import NOT_FOUND, NotFound, ServiceError
from amanah.customers.models import Customer, CustomerIdentifier, IdentifierType
from amanah.customers.policies import CUSTOMER_VIEW
from amanah.iam import authz


def customers_writable(actor, *, permission: str):
    """The customers ``actor`` may change with ``permission`` (held, else PermissionDenied):
    master data's one write scope.

    - An actor that opens customers (``customer.view``: the supervisor, the data steward)
      changes those it sees — its branches, or an RM's portfolio — but not one lent to it by
      a break-glass grant: a grant opens a customer for a look, not for changes.
    - An actor that does not (a system key of an import or a core-banking sync, a job) changes
      the customers of its branches without reading them: the key's "Semua cabang", else none
      (docs/api.md, "Which customers a system key reaches").
    """
    authz.require(actor, permission)
    # the role's own grants: a permission a row grant source lends (break-glass lends
    # customer.view to open one customer) opens no branch
    if scopes.grants_of(actor).has(CUSTOMER_VIEW):
        return Customer.objects.visible_to(actor, row_grants=False)
    return authz.filter_by_branch_scope(Customer.objects.all(), actor, field="home_branch_id")


def customer_for_change(*, actor, permission: str, customer_id, lock: bool = False) -> Customer:
    """The customer ``actor`` may change with ``permission`` (:func:`customers_writable`),
    locked (its own row) when asked; missing and outside both raise NotFound."""
    rows = customers_writable(actor, permission=permission).select_related("home_branch")
    if lock:
        rows = rows.select_for_update(of=("self",))
    try:
        found = rows.filter(pk=Customer._meta.pk.to_python(customer_id)).first()
    except ValidationError:
        found = None
    if found is None:
        raise NotFound()
    return found


def customer_ids_by_cif(*, actor, permission: str, cifs) -> dict[str, str]:
    """CIF -> customer id (text) of the customers (not merged away) with those CIFs that
    ``actor`` may change with ``permission``: how an import or a sync names the customer its
    rows are about (transactions, loan arrears, product flags, relations, portfolios). A CIF
    missing here is unknown or outside the actor's reach, and the row is refused as such."""
    cifs = [c for c in {c for c in cifs if isinstance(c, str)} if c]
    if not cifs:
        return {}
    rows = (
        CustomerIdentifier.objects.filter(
            id_type=IdentifierType.CIF,
            id_value__in=cifs,
            customer__in=customers_writable(actor, permission=permission).filter(
                merged_into__isnull=True
            ),
        )
    ).values_list("id_value", "customer_id")
    return {cif: str(pk) for cif, pk in rows}


def customer_by_cif_for_change(*, actor, permission: str, cif, field: str = "cif") -> Customer:
    """The customer with this CIF that ``actor`` may change with ``permission`` (not merged
    away); otherwise a refusal next to ``field`` (a 404: unknown and outside look the same)."""
    cif = (cif if isinstance(cif, str) else "").strip().upper()
    known = customer_ids_by_cif(actor=actor, permission=permission, cifs=[cif]) if cif else {}
    if cif not in known:
        raise ServiceError(
            NOT_FOUND, _("Tidak ada nasabah dengan CIF itu dalam scope Anda."), field=field
        )
    return Customer.objects.select_related("home_branch").get(pk=known[cif])
