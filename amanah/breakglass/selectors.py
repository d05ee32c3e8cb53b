"""Break-glass reads: the grants an actor may see, one grant, and the rows a grant opens."""

from __future__ import annotations

from amanah.breakglass.models import OPEN_STATUSES, BreakGlassGrant
from amanah.breakglass.policies import BREAKGLASS_VIEW
from amanah.core.actors import RowGrant
from amanah.core.errors import NotFound
from amanah.iam import authz

LIST_LIMIT = 200


def grant_list(*, actor) -> list[BreakGlassGrant]:
    """The newest grants in the actor's scope (emergencies awaiting review first)."""
    authz.require(actor, BREAKGLASS_VIEW)
    rows = (
        BreakGlassGrant.objects.visible_to(actor)
        .select_related("customer", "requested_by", "decided_by", "reviewed_by")
        .order_by("-requested_at")[:LIST_LIMIT]
    )
    return sorted(rows, key=lambda g: not g.needs_review)  # stable: newest first within


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


def masked_name(name: str) -> str:
    """ "Budi Santoso" -> "B*** S***": enough to tell rows apart on a compliance list."""
    return " ".join(f"{word[0]}***" for word in name.split() if word)
