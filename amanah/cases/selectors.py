"""Reads of cases, always scoped by the actor."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from amanah.audit import services as audit
from amanah.audit.models import AuditAction
from amanah.cases.models import OPEN_STATUSES, Case
from amanah.cases.policies import CASE_EXPORT, CASE_QUEUE, CASE_VIEW
from amanah.core.errors import NotFound
from amanah.iam import authz

PAGE_SIZE = 50
EXPORT_MAX_ROWS = 50_000


@dataclass(frozen=True)
class QueueFilter:
    branch_id: str = ""
    status: str = ""
    priority: str = ""
    category: str = ""
    overdue_only: bool = False

    def as_meta(self) -> dict:
        return {k: str(v) for k, v in self.__dict__.items() if v}


def case_for(*, actor, case_id) -> Case:
    authz.require(actor, CASE_VIEW)
    case = (
        Case.objects.visible_to(actor)
        .select_related("customer", "branch", "category", "sla_policy", "assigned_to", "created_by")
        .filter(pk=case_id)
        .first()
    )
    if case is None:
        raise NotFound()
    return case


def queue(*, actor, filters: QueueFilter) -> QuerySet[Case]:
    """Open cases of the branches in scope: overdue first, then the nearest due."""
    authz.require(actor, CASE_QUEUE)
    cases = Case.objects.visible_to(actor).filter(status__in=OPEN_STATUSES)
    if filters.branch_id:
        cases = cases.filter(branch_id=filters.branch_id)
    if filters.status:
        cases = cases.filter(status=filters.status)
    if filters.priority:
        cases = cases.filter(priority=filters.priority)
    if filters.category:
        cases = cases.filter(category_id=filters.category)
    if filters.overdue_only:
        cases = cases.filter(sla_due_at__lte=timezone.now())
    # Ordering by due time puts overdue cases (the earliest due) first.
    return cases.order_by("sla_due_at", "id")


def queue_page(
    *, actor, filters: QueueFilter, after: tuple[datetime, str] | None
) -> tuple[list[Case], tuple | None]:
    """Keyset pagination on (sla_due_at, id): constant cost however deep the page.

    The page's ids come first, from an index-only scan of ``case_queue_open`` (sorting small
    index tuples, not whole rows with their joins); then those rows with what the page shows.
    """
    cases = queue(actor=actor, filters=filters)
    if after:
        due, last_id = after
        cases = cases.filter(Q(sla_due_at__gt=due) | Q(sla_due_at=due, id__gt=last_id))
    page_ids = cases.values("id")[: PAGE_SIZE + 1]
    rows = list(
        Case.objects.filter(pk__in=page_ids)
        .select_related("customer", "category", "assigned_to", "branch")
        .order_by("sla_due_at", "id")
    )
    more = len(rows) > PAGE_SIZE
    rows = rows[:PAGE_SIZE]
    return rows, ((rows[-1].sla_due_at, str(rows[-1].id)) if more else None)


def queue_export(*, actor, filters: QueueFilter) -> list[Case]:
    """Rows for the CSV export, recorded as EXPORT_DATA in the same transaction."""
    authz.require(actor, CASE_EXPORT)
    with transaction.atomic():
        rows = list(
            queue(actor=actor, filters=filters).select_related("category", "assigned_to", "branch")[
                :EXPORT_MAX_ROWS
            ]
        )
        audit.record(
            actor=actor,
            action=AuditAction.EXPORT_DATA,
            object_type="CASE_QUEUE",
            object_id="export",
            meta={"filters": filters.as_meta(), "rows": len(rows)},
        )
    return rows
