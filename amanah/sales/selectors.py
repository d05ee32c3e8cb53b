"""Reads in sales, always starting from ``visible_to(actor)``: missing and forbidden are the
same 404."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property

from django.db.models import Count, DecimalField, ExpressionWrapper, F, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce

from amanah.core.errors import NotFound
from amanah.iam import authz
from amanah.sales.models import (
    CLOSED_LEAD_STATUSES,
    OPEN_STAGES,
    FollowUpStatus,
    FollowUpTask,
    Lead,
    LeadStatus,
    Opportunity,
    OpportunityStage,
    RmActivity,
)
from amanah.sales.policies import FOLLOWUP_VIEW, LEAD_VIEW, OPPORTUNITY_VIEW

BOARD_CLOSED_LIMIT = 20  # closed columns show the latest only; the board is for open work
BOARD_OPEN_LIMIT = 500  # a supervisor's branch board stays one page; the hottest come first


def lead_for(*, actor, lead_id) -> Lead:
    authz.require(actor, LEAD_VIEW)
    lead = (
        Lead.objects.visible_to(actor)
        .select_related("customer", "assigned_to", "customer__home_branch")
        .filter(pk=lead_id)
        .first()
    )
    if lead is None:
        raise NotFound()
    return lead


def leads_for(*, actor, status: str = "") -> QuerySet[Lead]:
    """The actor's leads, hottest and most recently touched first (uses lead_rm_board)."""
    authz.require(actor, LEAD_VIEW)
    leads = Lead.objects.visible_to(actor).select_related("customer", "assigned_to")
    if status:
        leads = leads.filter(status=status)
    return leads.order_by("-score", "-updated_at")


@dataclass
class BoardColumn:
    status: str
    label: str
    leads: list[Lead] = field(default_factory=list)
    count: int = 0


def lead_board(*, actor) -> list[BoardColumn]:
    """One column per status; open columns in full, closed ones capped to the latest."""
    columns = {s: BoardColumn(s, LeadStatus(s).label) for s in LeadStatus.values}
    counts = dict(
        Lead.objects.visible_to(actor)
        .order_by()
        .values_list("status")
        .annotate(n=Count("id"))
        .values_list("status", "n")
    )
    open_leads = leads_for(actor=actor).exclude(status__in=CLOSED_LEAD_STATUSES)[:BOARD_OPEN_LIMIT]
    for lead in open_leads:
        columns[lead.status].leads.append(lead)
    for status in CLOSED_LEAD_STATUSES:
        columns[status].leads = list(
            leads_for(actor=actor, status=status).order_by("-closed_at")[:BOARD_CLOSED_LIMIT]
        )
    for status, column in columns.items():
        column.count = counts.get(status, 0)
    return list(columns.values())


def lead_activities(lead: Lead) -> QuerySet[RmActivity]:
    """Follow-up on this lead's customer: the lead's own and the customer's other notes."""
    return RmActivity.objects.filter(customer_id=lead.customer_id).order_by("-created_at")[:50]


def opportunity_for(*, actor, opportunity_id) -> Opportunity:
    authz.require(actor, OPPORTUNITY_VIEW)
    found = (
        Opportunity.objects.visible_to(actor)
        .select_related("customer", "assigned_to")
        .filter(pk=opportunity_id)
        .first()
    )
    if found is None:
        raise NotFound()
    return found


_MONEY = DecimalField(max_digits=19, decimal_places=2)
_EXPECTED = ExpressionWrapper(F("estimated_value") * F("probability") / Value(100), _MONEY)
_ZERO = Value(Decimal("0"), _MONEY)


@dataclass
class StageTotal:
    stage: str
    label: str
    probability: int
    count: int = 0
    value: Decimal = Decimal("0")
    expected: Decimal = Decimal("0")


@dataclass
class RmPipeline:
    rm_id: object
    rm_name: str
    open_count: int
    open_value: Decimal
    expected_value: Decimal  # Σ value × probability over open stages: the weighted pipeline
    won_value: Decimal


@dataclass
class Pipeline:
    stages: list[StageTotal]
    per_rm: list[RmPipeline]
    opportunities: list[Opportunity]

    @property
    def expected_total(self) -> Decimal:
        return sum((r.expected_value for r in self.per_rm), Decimal("0"))


def pipeline(*, actor, limit: int = 200) -> Pipeline:
    """Totals per stage and expected value per RM (seed 001 §10), summed in SQL."""
    from amanah.sales.models import STAGE_PROBABILITY

    authz.require(actor, OPPORTUNITY_VIEW)
    visible = Opportunity.objects.visible_to(actor)
    by_stage = {
        row["stage"]: row
        for row in visible.order_by()
        .values("stage")
        .annotate(
            n=Count("id"),
            value=Coalesce(Sum("estimated_value"), _ZERO),
            expected=Coalesce(Sum(_EXPECTED), _ZERO),
        )
    }
    stages = [
        StageTotal(
            stage,
            OpportunityStage(stage).label,
            STAGE_PROBABILITY[stage],
            by_stage.get(stage, {}).get("n", 0),
            by_stage.get(stage, {}).get("value", Decimal("0")),
            by_stage.get(stage, {}).get("expected", Decimal("0")),
        )
        for stage in OpportunityStage.values
    ]
    is_open = Q(stage__in=OPEN_STAGES)
    per_rm = [
        RmPipeline(
            row["assigned_to"],
            row["assigned_to__full_name"],
            row["open_count"],
            row["open_value"],
            row["expected"],
            row["won"],
        )
        for row in visible.order_by()
        .values("assigned_to", "assigned_to__full_name")
        .annotate(
            open_count=Count("id", filter=is_open),
            open_value=Coalesce(Sum("estimated_value", filter=is_open), _ZERO),
            expected=Coalesce(Sum(_EXPECTED, filter=is_open), _ZERO),
            won=Coalesce(Sum("estimated_value", filter=Q(stage="CLOSED_WON")), _ZERO),
        )
        .order_by("-expected", "assigned_to__full_name")
    ]
    rows = list(
        visible.select_related("customer", "assigned_to")
        .order_by("stage", "-updated_at")
        .filter(stage__in=OPEN_STAGES)[:limit]
    )
    return Pipeline(stages=stages, per_rm=per_rm, opportunities=rows)


def followup_for(*, actor, task_id) -> FollowUpTask:
    authz.require(actor, FOLLOWUP_VIEW)
    task = FollowUpTask.objects.visible_to(actor).filter(pk=task_id).first()
    if task is None:
        raise NotFound()
    return task


def followups_for(*, actor, status: str = FollowUpStatus.OPEN) -> QuerySet[FollowUpTask]:
    authz.require(actor, FOLLOWUP_VIEW)
    tasks = FollowUpTask.objects.visible_to(actor).select_related(
        "customer", "case", "case__category", "assigned_to", "lead"
    )
    if status:
        tasks = tasks.filter(status=status)
    return tasks.order_by("-created_at")[:200]


class CustomerSales:
    """The 360 Sales tab: the leads and opportunities the actor may see, lead counts for
    everyone, and the customer's RM activities. Every part is computed on first use, so the
    other tabs of the 360 page pay nothing for it."""

    def __init__(self, customer, actor):
        self.customer, self.actor = customer, actor

    @cached_property
    def can(self) -> dict:
        from amanah.sales.policies import ACTIVITY_LOG, LEAD_CREATE, OPPORTUNITY_MANAGE

        granted = authz.permissions_of(self.actor)
        return {
            "log": ACTIVITY_LOG in granted,
            "lead": LEAD_CREATE in granted,
            "opportunity": OPPORTUNITY_MANAGE in granted,
            "view_leads": LEAD_VIEW in granted,
            "view_opportunities": OPPORTUNITY_VIEW in granted,
        }

    @cached_property
    def lead_counts(self) -> list[tuple[str, str, int]]:
        """Mini-pipeline New → Contacted → Qualified → Closed over all the customer's leads:
        counts only, so a role without the lead list still sees where the customer stands."""
        found = dict(
            Lead.objects.filter(customer=self.customer)
            .order_by()
            .values_list("status")
            .annotate(n=Count("id"))
        )
        return [(s, LeadStatus(s).label, found.get(s, 0)) for s in LeadStatus.values]

    @cached_property
    def leads(self) -> list[Lead]:
        return list(
            Lead.objects.visible_to(self.actor)
            .filter(customer=self.customer)
            .select_related("assigned_to")
            .order_by("-created_at")[:20]
        )

    @cached_property
    def activities(self) -> list[RmActivity]:
        return list(
            RmActivity.objects.visible_to(self.actor)
            .filter(customer=self.customer)
            .order_by("-created_at")[:20]
        )

    @cached_property
    def opportunities(self) -> list[Opportunity]:
        return list(
            Opportunity.objects.visible_to(self.actor)
            .filter(customer=self.customer)
            .select_related("assigned_to")
            .order_by("-created_at")[:20]
        )


def customer_sales(customer, actor) -> dict:
    """Fact source for the 360 page (``register_facts``)."""
    return {"sales": CustomerSales(customer, actor)}
