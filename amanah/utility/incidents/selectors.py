"""Reads of area incidents, scoped by the actor (missing and out of scope: NotFound)."""

from __future__ import annotations

from django.conf import settings
from django.db.models import Count, OuterRef, Subquery

from amanah.core.errors import NotFound
from amanah.iam import authz
from amanah.utility.incidents.models import AreaIncident, IncidentStatus
from amanah.utility.policies import INCIDENT_VIEW


def _named(rows):
    """With ``category_name``: the complaint category's label (a code is never shown)."""
    from amanah.cases.models import CaseCategory

    names = CaseCategory.objects.filter(code=OuterRef("category")).values("name")[:1]
    return rows.annotate(category_name=Subquery(names))


def incident_list(actor, *, status: str = "", limit: int = 200):
    """The incidents the actor may see (open first, newest first) and the count per status."""
    authz.require(actor, INCIDENT_VIEW)
    rows = AreaIncident.objects.visible_to(actor)
    counts = dict(rows.values_list("status").annotate(n=Count("id")).values_list("status", "n"))
    if status in IncidentStatus.values:
        rows = rows.filter(status=status)
    rows = _named(rows.select_related("area", "branch")).order_by("status", "-opened_at", "-id")
    return list(rows[:limit]), counts


def incident_get(actor, incident_id) -> AreaIncident:
    authz.require(actor, INCIDENT_VIEW)
    try:
        row = (
            _named(AreaIncident.objects.visible_to(actor))
            .select_related("area", "branch")
            .filter(pk=int(incident_id))
            .first()
        )
    except (ValueError, TypeError, OverflowError):
        row = None
    if row is None:
        raise NotFound()
    return row


def incident_complaints(actor, incident: AreaIncident, *, limit: int = 500):
    """The incident's complaints the actor may see (a complaint is as visible as its case:
    the cases' own scope), oldest first."""
    from amanah.cases.models import Case

    return list(
        Case.objects.visible_to(actor)
        .filter(area_incident_link__incident=incident)
        .select_related("category")
        .order_by("received_at", "id")[:limit]
    )


def category_choices() -> list[tuple[str, str]]:
    """The outage-like complaint categories (``UTILITY_INCIDENT_CATEGORIES``) with their
    labels, for opening an incident by hand."""
    from amanah.cases.models import CaseCategory

    codes = settings.UTILITY_INCIDENT_CATEGORIES
    names = dict(CaseCategory.objects.filter(code__in=codes).values_list("code", "name"))
    return [(code, names.get(code, code)) for code in codes]


def resolution_code_choices() -> list[tuple[str, str]]:
    """The cases' active resolution codes (the grouped complaints are resolved with one)."""
    from amanah.cases.models import ResolutionCode

    return [(r.code, r.display) for r in ResolutionCode.objects.filter(active=True)]


def resolution_label(code: str) -> str:
    """The label of a resolution code (the code itself is never shown alone)."""
    from amanah.cases.models import ResolutionCode

    row = ResolutionCode.objects.filter(pk=code).first() if code else None
    return row.display if row else code
