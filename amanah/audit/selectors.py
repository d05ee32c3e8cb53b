"""The compliance view of the trail: filtered, newest first, keyset-paginated, readable."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from amanah.audit.chain import RowCheck, verify_row
from amanah.audit.labels import (
    MetaField,
    ObjectName,
    meta_fields,
    object_name,
    object_names,
    role_label,
)
from amanah.audit.models import BATCH_OBJECT_ID, BATCH_OBJECTS_KEY, AuditAction, AuditLog
from amanah.audit.policies import AUDIT_VIEW
from amanah.core import access
from amanah.core.errors import NotFound, ServiceError

PAGE_SIZE = 50
# The longest date range one filter may ask for (a year, leap day included).
MAX_RANGE_DAYS = 366


@dataclass(frozen=True)
class AuditFilter:
    actions: tuple[str, ...] = ()
    actor: str = ""
    object_type: str = ""
    object_id: str = ""
    date_from: date | None = None
    date_to: date | None = None
    branch: str = ""  # a branch id: rows whose actor's home branch it is

    def as_meta(self) -> dict:
        return {
            k: ",".join(v) if isinstance(v, tuple) else str(v)
            for k, v in self.__dict__.items()
            if v
        }


def rows_about(object_ids, object_type: str = "") -> Q:
    """The rows about any of ``object_ids`` (of ``object_type``, or of any type): their own
    rows, and the batch rows (``audit.record_batch``) that name them among their objects."""
    ids = sorted(str(object_id) for object_id in object_ids)
    in_batch = {f"meta__{BATCH_OBJECTS_KEY}__has_any_keys": ids}
    about = Q(object_id__in=ids) | Q(object_id=BATCH_OBJECT_ID, **in_batch)
    return Q(object_type=object_type) & about if object_type else about


def date_range_problem(date_from: date | None, date_to: date | None) -> str | None:
    """Why a date range cannot be asked for (reversed, longer than a year), or None."""
    if date_from and date_to:
        if date_to < date_from:
            return _("Tanggal akhir sebelum tanggal awal.")
        if (date_to - date_from).days + 1 > MAX_RANGE_DAYS:
            return _("Rentang tanggal paling lama %(days)d hari.") % {"days": MAX_RANGE_DAYS}
    return None


def _day_start(day: date) -> datetime:
    # In the reader's zone (the middleware activates their branch's WIB/WITA/WIT).
    return timezone.make_aware(datetime.combine(day, time.min))


def audit_events(*, actor, filters: AuditFilter) -> QuerySet[AuditLog]:
    """Events the actor may read, matching ``filters``, newest first.

    A range that is reversed or too long is refused (ServiceError ``date_range_invalid``)
    before any query is run."""
    access.require(actor, AUDIT_VIEW)
    problem = date_range_problem(filters.date_from, filters.date_to)
    if problem:
        raise ServiceError("date_range_invalid", problem, field="date_to")
    events = AuditLog.objects.all()
    if filters.actions:
        events = events.filter(action__in=filters.actions)
    if filters.actor:
        events = events.filter(actor_username=filters.actor)
    if filters.object_type:
        events = events.filter(object_type=filters.object_type)
    if filters.object_id:
        events = events.filter(rows_about([filters.object_id]))
    if filters.date_from:
        events = events.filter(created_at__gte=_day_start(filters.date_from))
    if filters.date_to:
        events = events.filter(created_at__lt=_day_start(filters.date_to + timedelta(days=1)))
    if filters.branch:
        # A row is tied to a branch through its actor's home branch: the usernames of that
        # branch's staff, so the (actor_username, created_at) index serves it.
        from django.contrib.auth import get_user_model

        staff = get_user_model().objects.filter(home_branch_id=filters.branch).values("username")
        events = events.filter(actor_username__in=staff)
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


@dataclass(frozen=True)
class ReadableEvent:
    """A row as a compliance officer reads it: names instead of ids, labelled meta."""

    log: AuditLog
    action_label: str
    obj: ObjectName
    actor_name: str  # the acting user's name, "" when the actor is not a user row
    meta: list[MetaField]
    role_label: str = ""  # the role acted in, named ("Compliance / Risk"); "" without one


def _action_label(action: str) -> str:
    return str(AuditAction(action).label) if action in AuditAction.values else action


def readable(rows: list[AuditLog]) -> list[ReadableEvent]:
    """The rows with their objects and actors named: one query per object type on the page
    (and one for the actors), whatever the number of rows. Call only with rows read through
    ``audit_events`` (the reader holds ``audit.view``)."""
    refs = {(row.object_type, row.object_id) for row in rows}
    refs |= {("iam.User", row.actor_id) for row in rows if row.actor_id}
    names = object_names(refs)
    events = []
    for row in rows:
        actor = names.get(("iam.User", row.actor_id)) if row.actor_id else None
        events.append(
            ReadableEvent(
                log=row,
                action_label=_action_label(row.action),
                obj=object_name(names, row.object_type, row.object_id),
                actor_name=actor.name if actor else "",
                meta=meta_fields(row.meta, row.object_type),
                role_label=role_label(row.actor_role) if row.actor_role else "",
            )
        )
    return events


def audit_event_get(*, actor, event_id) -> tuple[ReadableEvent, RowCheck]:
    """One row, readable, with its chain check; missing → NotFound."""
    access.require(actor, AUDIT_VIEW)
    try:
        pk = int(event_id)
    except (TypeError, ValueError):
        pk = 0
    log = AuditLog.objects.filter(pk=pk).first() if 0 < pk < 2**63 else None
    if log is None:
        raise NotFound()
    return readable([log])[0], verify_row(log)
