"""Small published reads other apps ask by id or code (through ``cases.contract``): the
complaint categories, case numbers for the cases an actor may open, and the audit viewer's
names of cases."""

from __future__ import annotations

import uuid

from amanah.audit.labels import uuid_ids
from amanah.cases.models import Case, CaseCategory


def case_categories() -> dict[str, str]:
    """``{code: name}`` of every complaint category, active ones and retired ones alike (an
    article written for a category stays tied to it); for apps that tag things by category."""
    return dict(CaseCategory.objects.order_by("code").values_list("code", "name"))


def case_numbers(ids, *, actor) -> dict[str, str]:
    """``{case id: case number}`` for the ids of cases the actor may open, in one query (the
    messaging hub names a message's source with it; cases out of scope get no number)."""
    valid = []
    for value in ids:
        try:
            valid.append(uuid.UUID(str(value)))
        except (TypeError, ValueError, AttributeError):
            continue
    if not valid:
        return {}
    rows = Case.objects.visible_to(actor).filter(pk__in=valid).values_list("pk", "case_no")
    return {str(pk): case_no for pk, case_no in rows}


def case_names(ids: list[str]) -> dict[str, str]:
    """The audit viewer names a case by its number."""
    rows = Case.objects.filter(pk__in=uuid_ids(ids)).values_list("pk", "case_no")
    return {str(pk): case_no for pk, case_no in rows}
