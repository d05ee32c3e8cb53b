"""The compliance view of the trail: filtered, newest first, keyset-paginated."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import QuerySet
from django.utils import timezone

from amanah.audit.models import AuditLog
from amanah.audit.policies import AUDIT_VIEW
from amanah.iam import authz

PAGE_SIZE = 50


@dataclass(frozen=True)
class AuditFilter:
    action: str = ""
    actor: str = ""
    object_type: str = ""
    object_id: str = ""
    date_from: date | None = None
    date_to: date | None = None

    def as_meta(self) -> dict:
        return {k: str(v) for k, v in self.__dict__.items() if v}


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def audit_events(*, actor, filters: AuditFilter) -> QuerySet[AuditLog]:
    """Events the actor may read, matching ``filters``, newest first."""
    authz.require(actor, AUDIT_VIEW)
    events = AuditLog.objects.all()
    if filters.action:
        events = events.filter(action=filters.action)
    if filters.actor:
        events = events.filter(actor_username=filters.actor)
    if filters.object_type:
        events = events.filter(object_type=filters.object_type)
    if filters.object_id:
        events = events.filter(object_id=filters.object_id)
    if filters.date_from:
        events = events.filter(created_at__gte=_day_start(filters.date_from))
    if filters.date_to:
        events = events.filter(created_at__lt=_day_start(filters.date_to + timedelta(days=1)))
    return events.order_by("-id")


def audit_page(
    *, actor, filters: AuditFilter, before_id: int | None
) -> tuple[list[AuditLog], int | None]:
    """One page, and the id to continue from (None on the last page)."""
    events = audit_events(actor=actor, filters=filters)
    if before_id:
        events = events.filter(id__lt=before_id)
    rows = list(events[: PAGE_SIZE + 1])
    more = len(rows) > PAGE_SIZE
    rows = rows[:PAGE_SIZE]
    return rows, (rows[-1].id if more else None)
