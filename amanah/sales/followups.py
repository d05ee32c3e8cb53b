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

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from amanah.audit import services as audit
from amanah.audit.models import AuditAction
from amanah.consent.contract import ContactChannel, Purpose, contactability
from amanah.core.errors import NotFound, ServiceError
from amanah.core.roles import RoleKey as R
from amanah.notifications.services import Message, notify_many
from amanah.sales.models import (
    CLOSE_REASON_MIN_LENGTH,
    FollowUpStatus,
    FollowUpTask,
    FollowUpTemplate,
    LeadSource,
)
from amanah.sales.policies import FOLLOWUP_COMPLETE


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
    from amanah.customers.models import PortfolioAssignment

    assignment = (
        PortfolioAssignment.objects.filter(
            customer_id=case.customer_id,
            active=True,
            rm__is_active=True,
            rm__user_roles__role_id=R.RM,
        )
        .select_related("rm")
        .first()
    )
    if assignment is not None:
        return assignment.rm
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
        created_by=actor if getattr(actor, "pk", None) else None,
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


@transaction.atomic
def followup_complete(
    *,
    actor,
    task: FollowUpTask,
    outcome: str,
    reason: str,
    create_lead: bool = False,
    product_interest: str = "",
) -> FollowUpTask:
    """Record Done or Skipped with a reason (≥ 5 characters); FOLLOWUP_DONE / _SKIPPED.

    DONE may hand a lead (source SERVICE_FOLLOWUP) to the RM — consent is checked again,
    since the customer may have withdrawn it after the task was made.
    """
    from amanah.iam import authz
    from amanah.sales.services import lead_create

    authz.require(actor, FOLLOWUP_COMPLETE)
    locked = (
        FollowUpTask.objects.visible_to(actor)
        .select_for_update(of=("self",), no_key=True)
        .select_related("customer")
        .filter(pk=task.pk)
        .first()
    )
    if locked is None:
        raise NotFound()
    task = locked
    if task.status != FollowUpStatus.OPEN:
        raise ServiceError("task_closed", _("Tugas ini sudah dicatat hasilnya."))
    if outcome not in (FollowUpStatus.DONE, FollowUpStatus.SKIPPED):
        raise ServiceError(
            "outcome_invalid", _("Pilih hasil: selesai atau dilewati."), field="outcome"
        )
    reason = (reason or "").strip()
    if len(reason) < CLOSE_REASON_MIN_LENGTH:
        raise ServiceError(
            "reason_required",
            _("Alasan wajib diisi (minimal %d karakter).") % CLOSE_REASON_MIN_LENGTH,
            field="reason",
        )
    if len(reason) > 2000:
        raise ServiceError("reason_too_long", _("Alasan maks. 2000 karakter."), field="reason")
    lead = None
    if create_lead:
        if outcome != FollowUpStatus.DONE:
            raise ServiceError(
                "lead_needs_done",
                _("Lead hanya dibuat bila tindak lanjut selesai."),
                field="outcome",
            )
        refusal = _may_offer(task.customer)
        if not refusal.allowed:
            raise ServiceError(
                "not_eligible",
                _("Nasabah tidak boleh ditawari saat ini (%s); lead tidak dibuat.")
                % refusal.labels[0],
            )
        lead = lead_create(
            actor=actor,
            customer=task.customer,
            source_type=LeadSource.SERVICE_FOLLOWUP,
            source_id=task.pk,
            product_interest=product_interest,
            note=reason,
        )
    task.status, task.outcome_reason = outcome, reason
    task.completed_by = actor if getattr(actor, "pk", None) else None
    task.completed_at, task.lead = timezone.now(), lead
    task.save(update_fields=["status", "outcome_reason", "completed_by", "completed_at", "lead"])
    audit.record(
        actor=actor,
        action=AuditAction.FOLLOWUP_DONE
        if outcome == FollowUpStatus.DONE
        else AuditAction.FOLLOWUP_SKIPPED,
        obj=task,
        meta={
            "case": str(task.case_id),
            "template": task.template,
            "lead": str(lead.pk) if lead else None,
            "reason_length": len(reason),
        },
    )
    return task
