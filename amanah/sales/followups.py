"""Service-to-sell, the ethical way (seed 003 Bab 11.3B).

When a complaint is closed, the moment of restored trust is used for one useful follow-up —
education or a relevant service — and only when the case is not in a sensitive category and
the customer may be offered something: ``consent.contactability`` for an OFFER by phone
(marketing consent GRANTED, not on the do-not-contact list, no sensitive case still open …).
Sales subscribes to ``cases.case_closed`` in its contract, so :func:`followup_for_closed_case`
runs inside the close's transaction and a task exists exactly when the close committed; the
task is written by the closing actor and audited.
"""

from __future__ import annotations

from datetime import date, timedelta

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from amanah.audit import services as audit
from amanah.audit.models import AuditAction
from amanah.consent.contract import ContactChannel, Purpose, contactability
from amanah.core.actors import user_or_none
from amanah.core.errors import ServiceError
from amanah.notifications.contract import Message, notify_many
from amanah.sales.models import (
    FollowUpStatus,
    FollowUpTask,
    FollowUpTemplate,
    LeadSource,
)
from amanah.sales.services import portfolio_rm
from amanah.workflow.contract import transition_apply


def _may_offer(customer):
    """The one rule (no contact window: a person calls later, within the hours)."""
    return contactability(customer, Purpose.OFFER, ContactChannel.PHONE)


def followup_reasons_against(case) -> list[str]:
    """Why no follow-up may be made for this closed case (empty: one may): the case's own
    conditions, then contactability's reason codes."""
    reasons = []
    if case.status != "CLOSED":
        reasons.append("CASE_NOT_CLOSED")
    if case.category.is_sensitive:
        reasons.append("SENSITIVE_CATEGORY")
    return reasons + list(_may_offer(case.customer).reasons)


def _assignee(case):
    """The customer's RM when there is one; otherwise whoever handled the complaint."""
    rm = portfolio_rm(case.customer)
    if rm is not None:
        return rm
    for handler in (case.assigned_to, case.created_by):
        if handler is not None and handler.is_active:
            return handler
    return None  # supervisors of the branch still see it


@transaction.atomic
def followup_for_closed_case(case, *, actor) -> FollowUpTask | None:
    """Create the follow-up task for a just-closed case, or None when the rules say no.

    ``actor`` closed the case: the task is written in their name and audited.
    Idempotent: a second call for the same case returns the task already made.
    """
    existing = FollowUpTask.objects.filter(case_id=case.pk).first()
    if existing is not None:
        return existing
    if followup_reasons_against(case):
        return None
    customer = case.customer
    template = (
        FollowUpTemplate.EDUCATION
        if customer.has_mobile_banking
        else FollowUpTemplate.SERVICE_ACTIVATION
    )
    task = FollowUpTask.objects.create(
        case=case,
        customer=customer,
        branch_id=case.branch_id,
        template=template,
        assigned_to=_assignee(case),
        created_by=user_or_none(actor),
    )
    audit.record(
        actor=actor,
        action=AuditAction.CREATE_FOLLOWUP,
        obj=task,
        meta={"case": str(case.pk), "template": template},
    )
    if task.assigned_to_id:
        notify_many(
            [
                Message(
                    task.assigned_to_id,
                    _("Tindak lanjut pasca-kasus %(no)s: %(name)s")
                    % {"no": case.case_no, "name": customer.full_name},
                    f"followup-new:{task.pk}",
                    body=str(FollowUpTemplate(template).label),
                    url=reverse("sales:followups"),
                )
            ]
        )
    return task


CALL_DUE_DAYS_MAX = 90


@transaction.atomic
def call_task_create(*, actor, customer, due_on, note: str = "", lead=None):
    """A CALL task due on ``due_on`` for the customer's RM (the portfolio's, else the actor
    who committed to the call); CREATE_FOLLOWUP. Completed like any follow-up (DONE /
    SKIPPED with a reason) on the "Tindak lanjut" page. Who may log an RM's call may make it,
    for a customer (and lead) in their scope."""
    from amanah.iam import authz
    from amanah.sales.policies import ACTIVITY_LOG
    from amanah.sales.services import (
        NOTE_MAX,
        _clean_text,
        _require_customer_or_lead,
    )

    authz.require(actor, ACTIVITY_LOG)
    _require_customer_or_lead(actor, customer, lead)
    today = timezone.localdate()
    if not isinstance(due_on, date) or not today <= due_on <= today + timedelta(
        days=CALL_DUE_DAYS_MAX
    ):
        raise ServiceError(
            "due_invalid",
            _("Jatuh tempo telepon: hari ini sampai %d hari lagi.") % CALL_DUE_DAYS_MAX,
            field="due_on",
        )
    note = _clean_text(note, NOTE_MAX, "note", _("Catatan"))
    task = FollowUpTask.objects.create(
        customer=customer,
        branch_id=customer.home_branch_id,
        template=FollowUpTemplate.CALL,
        due_on=due_on,
        note=note,
        lead=lead,
        assigned_to=portfolio_rm(customer) or user_or_none(actor),
        created_by=user_or_none(actor),
    )
    audit.record(
        actor=actor,
        action=AuditAction.CREATE_FOLLOWUP,
        obj=task,
        meta={
            "customer": str(customer.pk),
            "template": FollowUpTemplate.CALL,
            "due_on": due_on.isoformat(),
            "lead": str(lead.pk) if lead else None,
        },
    )
    return task


def followup_complete(
    *,
    actor,
    task: FollowUpTask,
    outcome: str,
    reason: str,
    create_lead: bool = False,
    product_interest: str = "",
) -> FollowUpTask:
    """Record Done or Skipped with a reason (≥ 5 characters) through the workflow
    ``sales.followup`` (see sales.contract): OPEN → DONE / SKIPPED, FOLLOWUP_DONE / _SKIPPED.

    DONE may hand a lead (source SERVICE_FOLLOWUP) to the RM, in the same transaction.
    """
    if create_lead and outcome != FollowUpStatus.DONE:
        raise ServiceError(
            "lead_needs_done", _("Lead hanya dibuat bila tindak lanjut selesai."), field="outcome"
        )
    return transition_apply(
        actor=actor,
        obj=task,
        to=outcome,
        reason=reason,
        create_lead=create_lead,
        product_interest=product_interest,
    )


def followup_on_apply(task: FollowUpTask, *, transition, data: dict, at) -> list[str]:
    """An outcome keeps its reason, who and when; DONE with ``create_lead`` hands a lead to
    the RM — consent is checked again, since the customer may have withdrawn it meanwhile."""
    from amanah.sales.services import NOTE_MAX, _clean_text

    actor = data["actor"]
    task.outcome_reason = _clean_text(data["reason"], NOTE_MAX, "reason", _("Alasan"))
    task.completed_by = user_or_none(actor)
    task.completed_at = at
    if data.get("create_lead"):
        task.lead = _lead_for(task, actor, data.get("product_interest", ""))
    data["audit"].update(
        case=str(task.case_id) if task.case_id else None,
        template=task.template,
        lead=str(task.lead_id) if task.lead_id else None,
    )
    return ["outcome_reason", "completed_by", "completed_at", "lead"]


def _lead_for(task: FollowUpTask, actor, product_interest: str):
    from amanah.sales.services import lead_create

    refusal = _may_offer(task.customer)
    if not refusal.allowed:
        raise ServiceError(
            "not_eligible",
            _("Nasabah tidak boleh ditawari saat ini (%s); lead tidak dibuat.") % refusal.labels[0],
        )
    return lead_create(
        actor=actor,
        customer=task.customer,
        source_type=LeadSource.SERVICE_FOLLOWUP,
        source_id=task.pk,
        product_interest=product_interest,
        note=task.outcome_reason,
    )
