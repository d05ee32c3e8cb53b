"""Lists of cases, scoped by the actor: the SLA queue (filters, keyset pages, the CSV
export), the actor's own cases, the saved queue filters and the category choices."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.db.models import Count, Q, QuerySet, TextChoices
from django.utils import timezone
from django.utils.translation import gettext_lazy

from amanah.audit import services as audit
from amanah.audit.models import AuditAction
from amanah.cases.models import (
    OPEN_STATUSES,
    Case,
    CaseCategory,
    SavedQueueFilter,
)
from amanah.cases.policies import CASE_EXPORT, CASE_QUEUE, CASE_VIEW
from amanah.core import scopes
from amanah.core.prepared import prepared
from amanah.core.sqlparams import id_text, uuid_rows
from amanah.customers.models import Customer
from amanah.iam import authz
from amanah.iam.models import User

PAGE_SIZE = 50
EXPORT_MAX_ROWS = 50_000


@dataclass(frozen=True)
class QueueFilter:
    branch_id: str = ""
    status: str = ""
    priority: str = ""
    category: str = ""
    overdue_only: bool = False
    case_no: str = ""  # normalised (``normalise_case_no``); any status when given
    who: str = ""  # "" everyone, or a ``Who`` value (relative to the actor)

    def as_meta(self) -> dict:
        return {k: str(v) for k, v in self.__dict__.items() if v}


class MyTab(TextChoices):
    ASSIGNED = "assigned", gettext_lazy("Ditugaskan ke saya")
    CREATED = "created", gettext_lazy("Saya catat")
    DONE = "done", gettext_lazy("Selesai")


def my_cases(*, actor, tab: str, case_no: str = "") -> tuple[list[Case], dict[str, int]]:
    """Kasus saya: the actor's own cases (assigned to them, created by them, finished),
    nearest due first, and the count of each tab — one query for the counts, one for the page.

    Always inside ``visible_to(actor)``: a case assigned to the actor but since moved out of
    their scope does not show. ``case_no`` (normalised) narrows any tab to that number.
    """
    authz.require(actor, CASE_VIEW)
    base = Case.objects.visible_to(actor).filter(Q(assigned_to=actor) | Q(created_by=actor))
    is_open = Q(status__in=OPEN_STATUSES)
    tabs = {
        MyTab.ASSIGNED: is_open & Q(assigned_to=actor),
        MyTab.CREATED: is_open & Q(created_by=actor),
        MyTab.DONE: ~is_open,
    }
    counts = base.aggregate(**{str(k): Count("id", filter=q) for k, q in tabs.items()})
    rows = base.filter(tabs.get(tab, tabs[MyTab.ASSIGNED]))
    if case_no:
        rows = rows.filter(case_no=case_no)
    order = ("-updated_at", "id") if tab == MyTab.DONE else ("sla_due_at", "id")
    rows = rows.select_related("customer", "category", "assigned_to").order_by(*order)
    return name_customers(actor, list(rows[:PAGE_SIZE])), {str(k): v for k, v in counts.items()}


def name_customers(actor, cases: list[Case]) -> list[Case]:
    """Set ``customer_shown`` on each case: the customer's name when the actor may open the
    customer (their 360), masked otherwise — the case of a customer of another branch taken at
    this office (intake at any branch), which its handlers see without seeing the customer.
    ``customer_open`` says which (the page links the 360 only then). One query."""
    from amanah.core.masking import mask_name

    ids = {c.customer_id for c in cases}
    if not ids:
        return cases
    open_ = set(_visible_customer_ids(actor, ids=id_text(ids)))
    for case in cases:
        case.customer_open = case.customer_id in open_
        name = case.customer.full_name
        case.customer_shown = name if case.customer_open else mask_name(name)
    return cases


@prepared(Customer, params=("ids",))
def _visible_customer_ids(actor, *, ids):
    # Every queue page asks: kept compiled per grants, the ids one parameter (core.sqlparams).
    return (
        Customer.objects.visible_to(actor)
        .filter(pk__in=uuid_rows(ids))
        .values_list("pk", flat=True)
    )


class Who(TextChoices):
    """Whose cases the queue shows, relative to whoever looks."""

    MINE = "mine", gettext_lazy("Ditugaskan ke saya")
    UNASSIGNED = "unassigned", gettext_lazy("Belum ditugaskan")
    TEAM = "team", gettext_lazy("Ditugaskan ke tim saya")


def team_q(actor) -> Q:
    """Who is in the actor's team, as a filter on users: the agents and supervisors whose home
    branch is in the actor's scope (the whole bank's for a whole-bank scope), the members of
    the routing rules of those branches (``RoutingRule.branch``: the branch's routing teams,
    agents of other branches among them) and of the rules the actor is a member of — never
    the actor. Subqueries, no list."""
    from amanah.cases.models import RoutingMember
    from amanah.core.roles import RoleKey as R

    staff = User.objects.filter(is_active=True, user_roles__role_id__in=[R.AGENT, R.SUPERVISOR])
    scope = authz.branch_scope(actor)
    if not scope.all_branches:
        staff = staff.filter(home_branch_id__in=list(scope.branch_ids))
    teams = Q(rule_id__in=RoutingMember.objects.filter(user_id=actor.pk).values("rule_id"))
    if scope.all_branches:
        teams |= Q(rule__branch__isnull=False)
    else:
        teams |= Q(rule__branch_id__in=list(scope.branch_ids))
    team_members = RoutingMember.objects.filter(teams).values("user_id")
    return (Q(pk__in=staff.values("pk")) | Q(pk__in=team_members)) & ~Q(pk=actor.pk)


def _who(cases: QuerySet[Case], who: str, actor) -> QuerySet[Case]:
    if who == Who.MINE:
        return cases.filter(assigned_to_id=actor.pk)
    if who == Who.UNASSIGNED:
        return cases.filter(assigned_to__isnull=True)
    if who == Who.TEAM:
        # A case of the actor's branches handled elsewhere (a complaint about one of their
        # customers taken at another office) is not their team's.
        return cases.filter(assigned_to_id__in=User.objects.filter(team_q(actor)).values("pk"))
    return cases


def queue(*, actor, filters: QueueFilter) -> QuerySet[Case]:
    """Open cases of the branches in scope: overdue first, then the nearest due. A case
    number finds that case whatever its status (the unique index answers it)."""
    authz.require(actor, CASE_QUEUE)
    return _queued(Case.objects.visible_to(actor), actor, filters)


def _queued(cases: QuerySet[Case], actor, filters: QueueFilter) -> QuerySet[Case]:
    """``cases`` (the actor's, or a part of them) filtered and ordered as the queue shows them."""
    if filters.case_no:
        return cases.filter(case_no=filters.case_no).order_by("sla_due_at", "id")
    cases = cases.filter(status__in=OPEN_STATUSES)
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
    cases = _who(cases, filters.who, actor)
    # Ordering by due time puts overdue cases (the earliest due) first.
    return cases.order_by("sla_due_at", "id")


# What a queue row shows (``cases/templatetags/case_queue.py``, its SLA badge included) and
# nothing else: fifty rows of four joined models made whole were half of the page's CPU.
QUEUE_ROW_FIELDS = (
    "case_no", "customer_id", "category_id", "assigned_to_id", "priority", "status",
    "received_at", "sla_due_at", "warn_at", "warned_at", "breached_at", "paused_at",
    "resolved_at", "customer__full_name", "category__name", "assigned_to__full_name",
)  # fmt: skip


def queue_page(
    *, actor, filters: QueueFilter, after: tuple[datetime, str] | None
) -> tuple[list[Case], tuple | None]:
    """Keyset pagination on (sla_due_at, id): constant cost however deep the page.

    The page's ids come first, from the open cases' index (``case_queue_open``: small index
    tuples, not whole rows with their joins); then those rows with what the page shows. A
    scope of several parts (a branch's cases and those of its customers taken at another
    branch: ``scopes.visible_parts``) is read part by part, each the first of one index range
    in due order, and merged: as one OR the database would read and sort every open case of
    the branch for each page (12 ms at 1M cases, docs/benchmarks.md). Every statement is kept
    compiled (``core.prepared``): the filters' values and the page's key are its parameters.
    """
    authz.require(actor, CASE_QUEUE)
    terms = _page_terms(filters, after)
    parts = len(scopes.visible_parts(Case, actor))
    if parts == 1:
        rows = _queue_rows_of_part(actor, part=0, limit=PAGE_SIZE + 1, **terms)
    else:
        firsts = {
            key
            for part in range(parts)
            for key in _queue_keys(actor, part=part, limit=PAGE_SIZE + 1, **terms)
        }
        page_ids = [pk for _due, pk in sorted(firsts)[: PAGE_SIZE + 1]]
        rows = _queue_rows(None, ids=id_text(page_ids))
    more = len(rows) > PAGE_SIZE
    rows = rows[:PAGE_SIZE]
    return rows, ((rows[-1].sla_due_at, str(rows[-1].id)) if more else None)


def _page_terms(filters: QueueFilter, after: tuple[datetime, str] | None) -> dict:
    """The filters and the page's key as a kept statement's arguments: an empty filter is None
    (not part of the statement), a value is a parameter."""
    after_due, after_id = after if after else (None, None)
    if after_due is not None and timezone.is_naive(after_due):
        after_due = timezone.make_aware(after_due)  # as the ORM would take it
    return {
        "who": filters.who,
        "case_no": filters.case_no or None,
        "branch_id": uuid.UUID(str(filters.branch_id)) if filters.branch_id else None,
        "status": filters.status or None,
        "priority": filters.priority or None,
        "category": filters.category or None,
        "due_by": timezone.now() if filters.overdue_only and not filters.case_no else None,
        "after_due": after_due,
        "after_id": uuid.UUID(str(after_id)) if after_due is not None else None,
    }


# What changes from call to call in the queue page's kept statements (``_page_terms``).
_PAGE_PARAMS = (
    "case_no", "branch_id", "status", "priority", "category", "due_by", "after_due", "after_id",
)  # fmt: skip


def _queue_part(actor, *, part, who, due_by, after_due, after_id, **values):
    """The open cases of one part of the actor's queue, filtered, after the page's key."""
    filters = QueueFilter(who=who, **{name: value or "" for name, value in values.items()})
    cases = _queued(scopes.visible_parts(Case, actor)[part], actor, filters)
    if due_by is not None:
        cases = cases.filter(sla_due_at__lte=due_by)
    if after_due is not None:
        cases = cases.filter(Q(sla_due_at__gt=after_due) | Q(sla_due_at=after_due, id__gt=after_id))
    return cases


@prepared(Case, params=_PAGE_PARAMS)
def _queue_keys(actor, *, limit: int, **terms):
    return _queue_part(actor, **terms).values_list("sla_due_at", "id")[:limit]


def _page_rows(cases: QuerySet[Case]) -> QuerySet[Case]:
    return (
        cases.select_related("customer", "category", "assigned_to")
        .only(*QUEUE_ROW_FIELDS)
        .order_by("sla_due_at", "id")
    )


@prepared(Case, params=_PAGE_PARAMS)
def _queue_rows_of_part(actor, *, limit: int, **terms):
    page_ids = _queue_part(actor, **terms).values("id")[:limit]
    return _page_rows(Case.objects.filter(pk__in=page_ids))


@prepared(Case, params=("ids",))
def _queue_rows(_actor, *, ids: str):
    return _page_rows(Case.objects.filter(pk__in=uuid_rows(ids)))


def queue_export(*, actor, filters: QueueFilter) -> list[Case]:
    """Rows for the CSV export, then recorded as EXPORT_DATA (no audit row, no rows). Read
    outside the audit's transaction, so a view under ``reads_from_replica`` reads a replica."""
    authz.require(actor, CASE_EXPORT)
    rows = list(
        queue(actor=actor, filters=filters).select_related("category", "assigned_to", "branch")[
            :EXPORT_MAX_ROWS
        ]
    )
    with transaction.atomic():
        audit.record(
            actor=actor,
            action=AuditAction.EXPORT_DATA,
            object_type="CASE_QUEUE",
            object_id="export",
            meta={"filters": filters.as_meta(), "rows": len(rows)},
        )
    return rows


# --------------------------------------------------------------------------- saved queue filters

SAVED_FILTER_MAX = 20  # per user


def saved_filters(*, actor) -> list:
    """The actor's own saved queue filters, by name."""
    authz.require(actor, CASE_QUEUE)
    return _own_filters(actor)


@prepared(SavedQueueFilter, params=())
def _own_filters(actor):
    return SavedQueueFilter.objects.visible_to(actor).order_by("name")[:SAVED_FILTER_MAX]


def category_choices(*, active_only: bool) -> list[tuple[str, str]]:
    """(code, name) of the complaint categories (the active ones, or every one), by code:
    the intake form's and the queue filter's choices (kept compiled: both are asked often)."""
    return _category_rows(None, active_only=active_only)


@prepared(CaseCategory, params=())
def _category_rows(_actor, *, active_only: bool):
    rows = CaseCategory.objects.filter(active=True) if active_only else CaseCategory.objects.all()
    return rows.order_by("code").values_list("code", "name")
