"""Break-glass reads: the grants an actor may see, one grant, and the rows a grant opens."""

from __future__ import annotations

from amanah.breakglass.models import OPEN_STATUSES, BreakGlassGrant, GrantStatus
from amanah.breakglass.policies import BREAKGLASS_VIEW
from amanah.core.actors import RowGrant
from amanah.core.errors import NotFound
from amanah.customers.models import Customer
from amanah.customers.selectors import customer_by_cif_in_branches
from amanah.iam import authz

LIST_LIMIT = 200
WAITING = (GrantStatus.EMERGENCY, GrantStatus.REQUESTED)


def grant_list(*, actor) -> list[BreakGlassGrant]:
    """The grants in the actor's scope that wait for someone — every emergency awaiting
    review (the most overdue first), then every pending request (the oldest first) — and the
    newest ``LIST_LIMIT`` of the others.

    The waiting ones are never cut: taking the newest 200 and sorting "needs review" first
    let an overdue emergency older than those 200 vanish from the one page that reviews it.
    """
    authz.require(actor, BREAKGLASS_VIEW)
    rows = BreakGlassGrant.objects.visible_to(actor).select_related(
        "customer", "requested_by", "decided_by", "reviewed_by"
    )
    emergencies = rows.filter(status=GrantStatus.EMERGENCY).order_by("review_due_at", "pk")
    pending = rows.filter(status=GrantStatus.REQUESTED).order_by("requested_at", "pk")
    others = rows.exclude(status__in=WAITING).order_by("-requested_at", "pk")[:LIST_LIMIT]
    return [*emergencies, *pending, *others]


def customer_by_cif(*, actor, cif: str) -> Customer:
    """The customer with this CIF in the actor's branches; missing and outside both refused
    the same way (``not_found``: a 404 with the message next to the field).

    The requester does not see the customer yet (that is what they ask for), so the declared
    scope of Customer cannot decide; the branch part of the actor's grants does
    (``customers.selectors.customer_by_cif_in_branches``)."""
    return customer_by_cif_in_branches(actor=actor, cif=cif)


def grant_get(*, actor, grant_id) -> BreakGlassGrant:
    authz.require(actor, BREAKGLASS_VIEW)
    grant = BreakGlassGrant.objects.visible_to(actor).filter(pk=grant_id).first()
    if grant is None:
        raise NotFound()
    return grant


def open_row_grants(actor, at) -> list[RowGrant]:
    """The customers the actor's open grants show right now (``registry.row_grant_sources``);
    each tags the audit rows about its customer with the grant's id."""
    rows = BreakGlassGrant.objects.filter(
        requested_by_id=actor.pk, status__in=OPEN_STATUSES, opened_at__lte=at, expires_at__gt=at
    ).values_list("pk", "customer_id")
    return [
        RowGrant("customers.Customer", str(customer_id), (("break_glass", str(pk)),))
        for pk, customer_id in rows
    ]
