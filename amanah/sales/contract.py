"""How sales shows up elsewhere: the menu, RM activities on the 360 timeline, the Sales tab's
facts, quick actions, the merge movers that make leads follow the surviving customer, what sales
does when other apps' events happen, and the workflows of leads and opportunities (their
default transitions and guards). Published for higher apps: ``activity_log`` (record an RM
call, meeting or note; it shows on the 360 timeline)."""

from __future__ import annotations

from django.db.models import Q
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop

from amanah.audit.models import AuditAction
from amanah.core import events, registry
from amanah.core.contributions import (
    NavItem,
    QuickAction,
    Tab,
    TimelineEvent,
    TimelineKind,
    TimelineProvider,
    in_window,
    timeline_read,
)
from amanah.customers.policies import CUSTOMER_VIEW
from amanah.sales import followups, scoring, services
from amanah.sales import subject as _subject_section
from amanah.sales.followups import call_task_create, followup_for_closed_case
from amanah.sales.models import (
    CLOSED_LEAD_STATUSES,
    CLOSED_STAGES,
    OPEN_LEAD_STATUSES,
    OPEN_STAGES,
    FollowUpStatus,
    FollowUpTask,
    FollowUpTemplate,
    Lead,
    LeadStatus,
    Opportunity,
    OpportunityStage,
    RmActivity,
)
from amanah.sales.policies import (
    FOLLOWUP_COMPLETE,
    FOLLOWUP_VIEW,
    LEAD_REOPEN,
    LEAD_UPDATE,
    LEAD_VIEW,
    OPPORTUNITY_MANAGE,
    OPPORTUNITY_VIEW,
)
from amanah.sales.selectors import customer_sales
from amanah.sales.services import activity_log
from amanah.workflow.contract import (
    TransitionSpec,
    WorkflowSpec,
    declare_workflow,
    register_guard,
)

__all__ = ["activity_log", "call_task_create"]


@timeline_read(RmActivity)
def _rm_activities(actor, *, customer, since, until, limit):
    return in_window(
        RmActivity.objects.visible_to(actor).filter(customer=customer), "created_at", since, until
    ).order_by("-created_at")[:limit]


def activity_events(customer, *, actor, since=None, until=None, limit=50):
    """RM calls, meetings and notes (seed 003 US-17 AC-2) as ACTIVITY events."""
    rows = _rm_activities(actor, customer=customer, since=since, until=until, limit=limit)
    return [
        TimelineEvent(
            at=a.created_at,
            kind="ACTIVITY",
            title=_("RM · %(type)s%(lead)s")
            % {
                "type": a.get_activity_type_display(),
                "lead": _(" · lead") if a.lead_id else "",
            },
            detail=a.note[:200],
            actor=a.created_by_label,
        )
        for a in rows
    ]


@timeline_read(FollowUpTask)
def _call_tasks(actor, *, customer, since, until, limit):
    return (
        in_window(
            FollowUpTask.objects.visible_to(actor).filter(
                customer=customer, template=FollowUpTemplate.CALL
            ),
            "created_at",
            since,
            until,
        )
        .select_related("created_by")
        .only("created_at", "due_on", "status", "note", "created_by__full_name")
        .order_by("-created_at")[:limit]
    )


def call_task_events(customer, *, actor, since=None, until=None, limit=50):
    """CALL tasks (an accepted recommendation's call, due on a day) as ACTIVITY events."""
    rows = _call_tasks(actor, customer=customer, since=since, until=until, limit=limit)
    return [
        TimelineEvent(
            at=t.created_at,
            kind="ACTIVITY",
            title=_("RM · tugas telepon, jatuh tempo %(day)s · %(status)s")
            % {"day": date_format(t.due_on, "j M Y"), "status": t.get_status_display()},
            detail=t.note[:200],
            actor=t.created_by.full_name if t.created_by else "",
        )
        for t in rows
    ]


def create_followup_after_close(*, actor, case) -> None:
    """Service-to-sell (seed 003 Bab 11.3B), in the close's transaction: the follow-up task
    exists exactly when the close commits; the rules decide whether one is made at all."""
    followup_for_closed_case(case, actor=actor)


def _sales_tab(customer) -> str:
    return reverse("customer360:workspace", args=[customer.pk]) + "?tab=sales"


def move_leads(absorbed, survivor) -> int:
    """Merge mover. A lead from a source the survivor already has (same campaign) stays with
    the absorbed record rather than break the one-lead-per-source rule; its RM still holds it."""
    taken = Lead.objects.filter(customer=survivor, source_id__isnull=False).values_list(
        "source_type", "source_id"
    )
    clash = Q()
    for source_type, source_id in taken:
        clash |= Q(source_type=source_type, source_id=source_id)
    movable = Lead.objects.filter(customer=absorbed)
    if clash:
        movable = movable.exclude(clash)
    return movable.update(customer=survivor)


def move_sales_rows(absorbed, survivor) -> int:
    """Merge mover: activities, opportunities and follow-up tasks follow the person."""
    return sum(
        model.objects.filter(customer=absorbed).update(customer=survivor)
        for model in (RmActivity, Opportunity, FollowUpTask)
    )


registry.navigation.register(
    "sales.board", NavItem(gettext_lazy("Lead"), "sales:board", LEAD_VIEW), order=30
)
registry.navigation.register(
    "sales.pipeline",
    NavItem(gettext_lazy("Pipeline"), "sales:pipeline", OPPORTUNITY_VIEW),
    order=40,
)
registry.navigation.register(
    "sales.followups",
    NavItem(gettext_lazy("Tindak lanjut"), "sales:followups", FOLLOWUP_VIEW),
    order=50,
)
registry.timeline_kinds.register("ACTIVITY", TimelineKind(gettext_lazy("Aktivitas")), order=20)
registry.timeline_providers.register(
    "sales.activities", TimelineProvider("ACTIVITY", activity_events)
)
registry.timeline_providers.register(
    "sales.call_tasks", TimelineProvider("ACTIVITY", call_task_events)
)
registry.facts.register("sales", customer_sales)
# Everyone who opens the 360 page sees the tab (an agent sees the counts); what else it shows
# follows the role's own sales permissions (``CustomerSales.can``).
registry.workspace_tabs.register(
    "sales",
    Tab(gettext_lazy("Penjualan"), "sales/_customer_tab.html", CUSTOMER_VIEW),
    order=10,
)
registry.quick_actions.register(
    "sales.activity_log",
    QuickAction(gettext_lazy("Catat aktivitas"), "sales.activity.log", _sales_tab),
    order=50,
)
registry.quick_actions.register(
    "sales.lead_create",
    QuickAction(
        gettext_lazy("Buat lead"),
        "lead.create",
        lambda c: reverse("sales:lead_create", args=[c.pk]),
    ),
    order=60,
)
registry.merge_movers.register("sales.leads", move_leads)
registry.merge_movers.register("sales.rows", move_sales_rows)
events.on("cases.case_closed", create_followup_after_close)


# --------------------------------------------------------------------------- workflows

LEAD_CLOSE_REASON = register_guard(
    "sales.lead.has_close_reason",
    services.has_close_reason,
    message=gettext_lazy("Alasan penutupan wajib diisi (minimal 5 karakter)."),
    field="reason",
)
OPPORTUNITY_LOST_REASON = register_guard(
    "sales.opportunity.has_lost_reason",
    services.has_close_reason,
    message=gettext_lazy("Alasan gagal wajib diisi (minimal 5 karakter)."),
    field="reason",
)

# Labels are msgids, translated when shown (the same words as the statuses they lead to).
_LEAD_MOVE_LABELS = {
    LeadStatus.CONTACTED: gettext_noop("Dihubungi"),
    LeadStatus.QUALIFIED: gettext_noop("Memenuhi syarat"),
    LeadStatus.CLOSED_WON: gettext_noop("Berhasil (won)"),
    LeadStatus.CLOSED_LOST: gettext_noop("Gagal (lost)"),
}
_LEAD_REOPEN_LABELS = {
    LeadStatus.NEW: gettext_noop("Buka kembali (Baru)"),
    LeadStatus.CONTACTED: gettext_noop("Buka kembali (Dihubungi)"),
    LeadStatus.QUALIFIED: gettext_noop("Buka kembali (Memenuhi syarat)"),
}
_STAGE_MOVE_LABELS = {
    OpportunityStage.QUALIFIED: gettext_noop("Memenuhi syarat"),
    OpportunityStage.PROPOSAL: gettext_noop("Proposal"),
    OpportunityStage.NEGOTIATION: gettext_noop("Negosiasi"),
    OpportunityStage.CLOSED_WON: gettext_noop("Berhasil (won)"),
    OpportunityStage.CLOSED_LOST: gettext_noop("Gagal (lost)"),
}


def _forward_or_close(open_order, closed, permission, labels, *, close_guard, close_audit=""):
    """The default board rule: from an open status to any later open one, or to a close
    (which needs a reason: required field + guard)."""
    moves = []
    for n, source in enumerate(open_order):
        moves += [
            TransitionSpec(source, target, permission, labels[target])
            for target in open_order[n + 1 :]
        ]
        moves += [
            TransitionSpec(
                source,
                target,
                permission,
                labels[target],
                required=("reason",) if target in close_guard else (),
                guard=close_guard.get(target, ""),
                audit_action=close_audit,
            )
            for target in closed
        ]
    return tuple(moves)


declare_workflow(
    WorkflowSpec(
        key="sales.lead",
        model="sales.Lead",
        status_field="status",
        label=gettext_noop("Lead"),
        audit_action=AuditAction.UPDATE_LEAD,
        on_apply=services.lead_on_apply,
        transitions=(
            *_forward_or_close(
                OPEN_LEAD_STATUSES,
                CLOSED_LEAD_STATUSES,
                LEAD_UPDATE,
                _LEAD_MOVE_LABELS,
                close_guard={s: LEAD_CLOSE_REASON for s in CLOSED_LEAD_STATUSES},
                close_audit=AuditAction.CLOSE_LEAD,
            ),
            # A lead lost by mistake may be reopened where it was, with a reason.
            *(
                TransitionSpec(
                    LeadStatus.CLOSED_LOST,
                    target,
                    LEAD_REOPEN,
                    _LEAD_REOPEN_LABELS[target],
                    is_revert=True,
                    audit_action=AuditAction.REVERT_TRANSITION,
                )
                for target in OPEN_LEAD_STATUSES
            ),
        ),
    )
)
declare_workflow(
    WorkflowSpec(
        key="sales.opportunity",
        model="sales.Opportunity",
        status_field="stage",
        label=gettext_noop("Peluang"),
        audit_action=AuditAction.UPDATE_OPPORTUNITY,
        on_apply=services.opportunity_on_apply,
        transitions=_forward_or_close(
            OPEN_STAGES,
            CLOSED_STAGES,
            OPPORTUNITY_MANAGE,
            _STAGE_MOVE_LABELS,
            close_guard={OpportunityStage.CLOSED_LOST: OPPORTUNITY_LOST_REASON},
        ),
    )
)
FOLLOWUP_REASON = register_guard(
    "sales.followup.has_reason",
    services.has_close_reason,
    message=gettext_lazy("Alasan wajib diisi (minimal 5 karakter)."),
    field="reason",
)
declare_workflow(
    WorkflowSpec(
        key="sales.followup",
        model="sales.FollowUpTask",
        status_field="status",
        label=gettext_noop("Tindak lanjut"),
        on_apply=followups.followup_on_apply,
        transitions=tuple(
            TransitionSpec(
                FollowUpStatus.OPEN,
                outcome,
                FOLLOWUP_COMPLETE,
                label,
                guard=FOLLOWUP_REASON,
                required=("reason",),
                audit_action=action,
            )
            for outcome, label, action in (
                (FollowUpStatus.DONE, gettext_noop("Selesai"), AuditAction.FOLLOWUP_DONE),
                (FollowUpStatus.SKIPPED, gettext_noop("Dilewati"), AuditAction.FOLLOWUP_SKIPPED),
            )
        ),
    )
)

scoring.register_signal("MARKETING_CONSENT", scoring.marketing_consent_signal)
# Seed 001 §8: a lead's score follows its signals; sales' own (marketing consent) here, the
# ones insight feeds (RFM, engagement, branch visits) in insight's contract.
events.on("consent.consent_changed", scoring.rescore_on_event, key="sales.rescore_on_consent")
# A won lead or opportunity is a conversion in messaging's channel analytics.
events.on("sales.lead.transitioned", services.conversion_on_won, key="sales.lead_won_converts")
events.on(
    "sales.opportunity.transitioned",
    services.conversion_on_won,
    key="sales.opportunity_won_converts",
)

# Its part of a data subject's access export (UU PDP; the privacy app reads the store).
registry.subject_sections.register("sales", _subject_section.SECTION)
