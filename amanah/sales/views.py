"""Sales pages: the RM's lead board (drag and drop plus a form per card that works without
JS), lead detail with the score breakdown, activity composer, opportunity pipeline, and the
follow-up tasks after closed cases. Views are thin: parse, call a service, render."""

from __future__ import annotations

from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from amanah.core.errors import NotFound
from amanah.core.inputs import is_uuid
from amanah.core.view_helpers import Done, run_action, run_json, submit_form, wants_json
from amanah.core.views import requires
from amanah.customers.contract import customer_for
from amanah.customers.models import Customer
from amanah.iam import authz
from amanah.sales import followups, selectors, services
from amanah.sales.forms import (
    ActivityForm,
    FollowUpCompleteForm,
    LeadCreateForm,
    LeadMoveForm,
    OpportunityCreateForm,
    OpportunityMoveForm,
)
from amanah.sales.models import FollowUpStatus, FollowUpTask, Lead, LeadStatus, Opportunity
from amanah.sales.policies import (
    ACTIVITY_LOG,
    FOLLOWUP_COMPLETE,
    FOLLOWUP_VIEW,
    LEAD_CREATE,
    LEAD_REOPEN,
    LEAD_UPDATE,
    LEAD_VIEW,
    OPPORTUNITY_MANAGE,
    OPPORTUNITY_VIEW,
)
from amanah.workflow.contract import (
    available_revert,
    available_transitions,
    history_for,
    moves_by_status,
)


def _label_moves(moves) -> list[tuple[str, str]]:
    return [(m.to_status, m.label) for m in moves]


def _needing(field: str, moves_by: dict) -> set[str]:
    """Statuses whose moves ask for ``field`` (the board asks for a reason before the drop)."""
    return {m.to_status for moves in moves_by.values() for m in moves if field in m.required_fields}


@requires(LEAD_VIEW)
def board(request):
    columns = selectors.lead_board(actor=request.user)
    moves = moves_by_status(request.user, Lead)  # the engine decides, one query for the board
    for column in columns:
        for lead in column.leads:
            lead.moves = _label_moves(moves.get(lead.status, []))
    return render(
        request,
        "sales/board.html",
        {
            "columns": columns,
            "can_move": bool(moves),
            "needs_reason": _needing("reason", moves),
        },
    )


def _customer_or_lead(request, customer_id, lead_id):
    """The customer through the actor's customer scope, or through a lead the actor holds."""
    if lead_id:
        lead = selectors.lead_for(actor=request.user, lead_id=lead_id)
        if str(lead.customer_id) != str(customer_id):
            raise NotFound()
        return lead.customer, lead
    return customer_for(actor=request.user, customer_id=customer_id), None


def _customer_visible(actor, customer) -> bool:
    return Customer.objects.visible_to(actor).filter(pk=customer.pk).exists()


def _status_history(actor, lead) -> list[dict]:
    """The lead's status changes from the engine, with the statuses' labels."""
    labels = dict(LeadStatus.choices)
    return [
        {
            "at": line.at,
            "from": labels.get(line.from_status, line.from_status),
            "to": labels.get(line.to_status, line.to_status),
            "by": line.actor_label,
            "revert_reason": line.reason if line.reverts_id else "",
        }
        for line in history_for(actor, lead)
    ]


@requires(LEAD_VIEW)
def lead_detail(request, lead_id):
    lead = selectors.lead_for(actor=request.user, lead_id=lead_id)
    actor = request.user
    moves = available_transitions(actor, lead)  # the engine decides which moves to offer
    return render(
        request,
        "sales/lead_detail.html",
        {
            "lead": lead,
            "moves": _label_moves(moves),
            "reopen": available_revert(actor, lead),
            "history": _status_history(actor, lead),
            "activities": selectors.lead_activities(lead),
            "opportunities": lead.opportunities.order_by("-created_at"),
            "activity_form": ActivityForm(initial={"lead": lead.pk}),
            "can": {
                "move": bool(moves),
                "log": authz.has_perm(actor, ACTIVITY_LOG),
                "opportunity": authz.has_perm(actor, OPPORTUNITY_MANAGE),
                "open_360": _customer_visible(actor, lead.customer),
            },
        },
    )


@requires(LEAD_UPDATE)
@require_POST
def lead_move(request, lead_id):
    """The board's drag and drop (``fetch``, JSON) and the card's form (no JS) post here."""
    lead = selectors.lead_for(actor=request.user, lead_id=lead_id)
    form = LeadMoveForm(request.POST)
    invalid = _("Pilih status tujuan yang valid.")

    def move():
        return services.lead_move(
            actor=request.user,
            lead=lead,
            to_status=form.cleaned_data["to_status"],
            reason=form.cleaned_data["reason"],
        )

    if wants_json(request):
        return run_json(
            request, lambda: _lead_moves(request.user, move()), form=form, invalid=invalid
        )
    back = (
        reverse("sales:lead_detail", args=[lead.pk])
        if request.POST.get("next") == "detail"
        else reverse("sales:board")
    )
    return run_action(
        request,
        lambda: _("Lead dipindah ke %s.") % LeadStatus(move().status).label,
        back=back,
        form=form,
        invalid=invalid,
    )


def _lead_moves(actor, lead) -> dict:
    """What the board needs after a drop: the card's status and the moves it offers now."""
    return {
        "id": str(lead.pk),
        "status": lead.status,
        "moves": [m.to_status for m in available_transitions(actor, lead)],
    }


@requires(LEAD_REOPEN)
@require_POST
def lead_reopen(request, lead_id):
    lead = selectors.lead_for(actor=request.user, lead_id=lead_id)

    def reopen():
        services.lead_reopen(actor=request.user, lead=lead, reason=request.POST.get("reason", ""))
        return _("Lead dibuka kembali.")

    return run_action(request, reopen, back=reverse("sales:lead_detail", args=[lead.pk]))


@requires(LEAD_CREATE)
def lead_create(request, customer_id):
    customer = customer_for(actor=request.user, customer_id=customer_id)

    def submit(data):
        lead = services.lead_create(
            actor=request.user,
            customer=customer,
            source_type="MANUAL",
            product_interest=data["product_interest"],
            note=data["note"],
        )
        message = _("Lead dibuat dan diserahkan ke %(rm)s (prioritas %(p)s).") % {
            "rm": lead.assigned_to.full_name,
            "p": lead.get_priority_display(),
        }
        if authz.in_scope(request.user, lead):
            return Done(reverse("sales:lead_detail", args=[lead.pk]), message)
        return Done(_sales_tab(customer), message)  # handed to an RM whose leads we don't see

    return submit_form(
        request,
        LeadCreateForm(request.POST or None),
        submit,
        template="sales/lead_create.html",
        context={"customer": customer},
    )


def _sales_tab(customer) -> str:
    return reverse("customer360:workspace", args=[customer.pk]) + "?tab=sales"


@requires(ACTIVITY_LOG)
def activity_log(request, customer_id):
    form = ActivityForm(request.POST or None, initial={"lead": request.GET.get("lead")})
    lead_id = request.POST.get("lead") or request.GET.get("lead") or None
    if lead_id and not is_uuid(lead_id):
        raise NotFound()
    customer, lead = _customer_or_lead(request, customer_id, lead_id)

    def submit(data):
        services.activity_log(
            actor=request.user,
            customer=customer,
            activity_type=data["activity_type"],
            note=data["note"],
            lead=lead,
        )
        back = reverse("sales:lead_detail", args=[lead.pk]) if lead else _sales_tab(customer)
        return Done(back, _("Aktivitas dicatat dan tampil di timeline nasabah."))

    return submit_form(
        request,
        form,
        submit,
        template="sales/activity_form.html",
        context={"customer": customer, "lead": lead},
    )


@requires(OPPORTUNITY_VIEW)
def pipeline(request):
    data = selectors.pipeline(actor=request.user)
    moves = moves_by_status(request.user, Opportunity)
    for opportunity in data.opportunities:
        opportunity.moves = _label_moves(moves.get(opportunity.stage, []))
    return render(request, "sales/pipeline.html", {"p": data, "can_manage": bool(moves)})


@requires(OPPORTUNITY_MANAGE)
def opportunity_create(request, customer_id):
    lead_id = request.POST.get("lead") or request.GET.get("lead") or None
    if lead_id and not is_uuid(lead_id):
        raise NotFound()
    customer, lead = _customer_or_lead(request, customer_id, lead_id)
    form = OpportunityCreateForm(
        request.POST or None,
        initial={
            "lead": lead.pk if lead else None,
            "product_interest": lead.product_interest if lead else "",
        },
    )

    def submit(data):
        services.opportunity_create(
            actor=request.user,
            customer=customer,
            product_interest=data["product_interest"],
            estimated_value=data["estimated_value"],
            expected_close_date=data["expected_close_date"],
            lead=lead,
        )
        return Done(reverse("sales:pipeline"), _("Peluang dibuat pada tahap Baru (10%)."))

    return submit_form(
        request,
        form,
        submit,
        template="sales/opportunity_create.html",
        context={"customer": customer, "lead": lead},
    )


@requires(OPPORTUNITY_MANAGE)
@require_POST
def opportunity_move(request, opportunity_id):
    opportunity = selectors.opportunity_for(actor=request.user, opportunity_id=opportunity_id)
    form = OpportunityMoveForm(request.POST)

    def move():
        services.opportunity_move(
            actor=request.user,
            opportunity=opportunity,
            to_stage=form.cleaned_data["to_stage"],
            reason=form.cleaned_data["reason"],
        )
        return _("Tahap peluang diperbarui.")

    return run_action(
        request,
        move,
        back=reverse("sales:pipeline"),
        form=form,
        invalid=_("Pilih tahap tujuan yang valid."),
    )


@requires(FOLLOWUP_VIEW)
def followup_list(request):
    status = request.GET.get("status", FollowUpStatus.OPEN)
    if status not in FollowUpStatus.values:
        status = FollowUpStatus.OPEN
    return render(
        request,
        "sales/followups.html",
        {
            "tasks": selectors.followups_for(actor=request.user, status=status),
            "status": status,
            "statuses": FollowUpStatus.choices,
            "form": FollowUpCompleteForm(),
            # Every task listed stands at ``status``: may the actor move tasks from there?
            "can_complete": bool(moves_by_status(request.user, FollowUpTask).get(status)),
        },
    )


@requires(FOLLOWUP_COMPLETE)
@require_POST
def followup_complete(request, task_id):
    task = selectors.followup_for(actor=request.user, task_id=task_id)
    form = FollowUpCompleteForm(request.POST)

    def complete():
        d = form.cleaned_data
        followups.followup_complete(
            actor=request.user,
            task=task,
            outcome=d["outcome"],
            reason=d["reason"],
            create_lead=d["create_lead"],
            product_interest=d["product_interest"],
        )
        return _("Hasil tindak lanjut dicatat.")

    return run_action(
        request,
        complete,
        back=reverse("sales:followups"),
        form=form,
        invalid=_("Pilih hasil dan tuliskan alasannya."),
    )
