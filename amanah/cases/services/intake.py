"""A new complaint: its number, its branch (the customer's, or the receiving office's),
its category (the agent's or the classifier's), its SLA clocks, its attachment and, when a
routing rule matches, its first handler — one transaction (seed 003 Bab 7.4, 8.2)."""

from __future__ import annotations

from dataclasses import dataclass, replace

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from amanah.audit import services as audit
from amanah.audit.models import AuditAction
from amanah.cases import routing, sla
from amanah.cases.classifier import intake as classifier
from amanah.cases.models import (
    ActivityType,
    Case,
    CaseCategory,
    Channel,
    Priority,
    SlaPolicy,
    SuggestionStatus,
)
from amanah.cases.policies import CASE_CREATE, CASE_INTAKE_ANY_BRANCH
from amanah.cases.services.assignment import _give
from amanah.cases.services.base import (
    CASE_CLASSIFIED,
    CASE_CREATED,
    CASE_OWNER,
    EVIDENCE,
    MIN_CHRONOLOGY,
    S,
    _log,
)
from amanah.core import events
from amanah.core.actors import user_or_none
from amanah.core.errors import NotFound, ServiceError
from amanah.customers.models import Customer
from amanah.documents import contract as documents
from amanah.documents.policies import DOCUMENT_UPLOAD
from amanah.iam import authz
from amanah.iam.models import Branch


@dataclass
class CaseInput:
    customer: Customer
    channel: str
    category_code: str
    priority: str
    description: str
    product: str = ""
    contact_preference: str = ""
    # An uploaded file, checked before anything is written; it becomes an EVIDENCE document
    # of the case (documents: encrypted at rest, versions, approval).
    attachment: object | None = None


# On CaseNumberSequence's table (cases_casenumbersequence).
_NEXT_NUMBER = "UPDATE cases_casenumbersequence SET last = last + 1 WHERE year = %s RETURNING last"
_FIRST_OF_YEAR = (
    "INSERT INTO cases_casenumbersequence (year, last) VALUES (%s, 0) ON CONFLICT (year) DO NOTHING"
)


def _next_case_no(year: int) -> str:
    """The year's next number: one UPDATE that takes the year's row lock until the case's
    transaction ends (unique and gap-free) and answers the new number."""
    with connection.cursor() as cursor:
        cursor.execute(_NEXT_NUMBER, [year])
        row = cursor.fetchone()
        if row is None:  # the year's first case: its row, then the same step
            cursor.execute(_FIRST_OF_YEAR, [year])
            cursor.execute(_NEXT_NUMBER, [year])
            row = cursor.fetchone()
    return f"PGD-{year}-{row[0]:06d}"


def _validate_intake(data: CaseInput) -> CaseCategory:
    if data.channel not in Channel.values:
        raise ServiceError("channel_required", _("Pilih kanal pengaduan."), field="channel")
    if data.priority not in Priority.values:
        raise ServiceError("priority_required", _("Pilih prioritas."), field="priority")
    code = data.category_code if isinstance(data.category_code, str) else ""
    category = (
        CaseCategory.objects.filter(code=code, active=True).first()
        if code and code.isprintable()
        else None
    )
    if category is None:
        raise ServiceError("category_required", _("Pilih kategori yang berlaku."), field="category")
    if not isinstance(data.description, str) or "\x00" in data.description:
        raise ServiceError(
            "chronology_invalid",
            _("Kronologi berisi karakter yang tidak diperbolehkan."),
            field="description",
        )
    if len(data.description.strip()) < MIN_CHRONOLOGY:
        raise ServiceError(
            "chronology_required",
            _("Kronologi wajib diisi (minimal 10 karakter)."),
            field="description",
        )
    return category


def _receiving_branch(actor):
    """The branch a complaint taken by ``actor`` belongs to: their home branch when it is in
    their scope, else their only branch; refused when that is not clear."""
    scope = authz.branch_scope(actor)
    home = getattr(actor, "home_branch_id", None)
    if home and (scope.all_branches or home in scope.branch_ids):
        return Branch.objects.get(pk=home)
    if not scope.all_branches and len(scope.branch_ids) == 1:
        return Branch.objects.get(pk=next(iter(scope.branch_ids)))
    raise ServiceError(
        "no_receiving_branch",
        _("Cabang penerima pengaduan tidak jelas; atur cabang utama Anda (hubungi Admin)."),
    )


def _intake_branches(actor, customer: Customer, any_branch: bool):
    """(the case's branch, the customer's home branch when that is another one).

    A customer the actor may open: their home branch handles it, as always. Otherwise, with
    ``any_branch`` (intake at any office, ``case.create.any_branch``): the receiving branch
    handles it and the customer's home branch sees it (``Case.customer_branch``)."""
    if Customer.objects.visible_to(actor).filter(pk=customer.pk).exists():
        return customer.home_branch, None
    if not any_branch or not authz.has_perm(actor, CASE_INTAKE_ANY_BRANCH):
        raise NotFound()
    if not Customer.objects.filter(pk=customer.pk, merged_into__isnull=True).exists():
        raise NotFound()
    branch = _receiving_branch(actor)
    home = customer.home_branch
    return branch, (home if home.pk != branch.pk else None)


@dataclass(frozen=True)
class _Checked:
    """A complaint checked for intake, before anything is written."""

    data: CaseInput  # with the classifier's category and priority when it set them
    branch: Branch  # the branch that handles it
    customer_branch: Branch | None  # the customer's home branch when that is another one
    plan: object | None  # the classifier's plan (``classifier.plan_intake``), if any
    category: CaseCategory
    policy: SlaPolicy
    attachment: object | None  # documents' checked upload


@transaction.atomic
def case_create(*, actor, data: CaseInput, any_branch: bool = False) -> Case:
    """Register a complaint: number, SLA clocks from the policy, receipt data; CREATE_CASE.

    Everything is checked first — the attachment too — so a refusal leaves nothing behind
    (no case, no number, no SLA clock); the case and its attachment (an EVIDENCE document of
    the case, through documents) commit together, in this one transaction. ``any_branch``: a
    customer of another branch (see ``_intake_branches``). A matching routing rule gives the
    case to an agent in the same transaction (``cases.routing``: log line, notification and an
    ASSIGN_CASE audit row by ``integration:cases-routing``); with none it stays unassigned.
    """
    checked = _checked_intake(actor, data, any_branch)
    case = _case_row(actor, checked)
    _log(case, actor, ActivityType.STATUS_CHANGE, _("Pengaduan dicatat"), to=S.NEW)
    assigned = _routed(case)
    # Before any audit row of this transaction (the document's, the creation's): a handler
    # may lock rows of its own, and the audit chain lock is always taken last.
    _emit_classified(actor, case, checked.plan)
    if checked.attachment is not None:  # its ATTACHMENT line: case_log_document (the event)
        _attach_evidence(actor, case, checked.attachment)
    # The receipt to the customer (messaging, deferred: never a condition of the case).
    events.emit(CASE_CREATED, actor=actor, case=case)
    _record_created(actor, case, checked, assigned)
    return case


def _checked_intake(actor, data: CaseInput, any_branch: bool) -> _Checked:
    """The permission, the branches, the category (the classifier's when the deployment's
    profile has it, ``cases.classifier``: an empty category and priority set from the text,
    or a suggestion for the agent), the SLA policy and the attachment — all checked."""
    authz.require(actor, CASE_CREATE)
    branch, customer_branch = _intake_branches(actor, data.customer, any_branch)
    plan = classifier.plan_intake(
        category_code=data.category_code or "",
        priority=data.priority or "",
        text=data.description if isinstance(data.description, str) else "",
        customer=data.customer,
    )
    if plan is not None:
        data = replace(data, category_code=plan.category_code, priority=plan.priority)
    category = _validate_intake(data)
    policy = _sla_policy(category, data.priority)
    attachment = _checked_attachment(actor, data.attachment) if data.attachment else None
    return _Checked(data, branch, customer_branch, plan, category, policy, attachment)


def _sla_policy(category: CaseCategory, priority: str) -> SlaPolicy:
    policy = SlaPolicy.objects.filter(category=category, priority=priority, active=True).first()
    if policy is None:
        raise ServiceError(
            "no_sla_rule",
            _("Belum ada aturan SLA untuk kategori dan prioritas ini; hubungi Admin."),
            field="priority",
        )
    return policy


def _case_row(actor, checked: _Checked) -> Case:
    """The case itself: its number, received now, its SLA clocks from the policy."""
    data, policy = checked.data, checked.policy
    received_at = timezone.now()
    clocks = sla.deadlines(policy, received_at, checked.branch)
    return Case.objects.create(
        case_no=_next_case_no(timezone.localtime(received_at).year),
        customer=data.customer,
        branch=checked.branch,
        customer_branch=checked.customer_branch,
        channel=data.channel,
        category=checked.category,
        priority=data.priority,
        description=data.description.strip(),
        product=data.product.strip()[:80],
        contact_preference=data.contact_preference.strip()[:80],
        sla_policy=policy,
        received_at=received_at,
        first_response_due_at=clocks.first_response_due_at,
        warn_at=clocks.warn_at,
        sla_due_at=clocks.due_at,
        regulatory_deadline_at=clocks.regulatory_deadline_at,
        created_by=user_or_none(actor),
    )


def _routed(case: Case) -> dict | None:
    """Routing (cases.routing): the first matching rule's agent, under the rule's row lock —
    before the document, whose audit row takes the chain lock (lock order: rule, then chain).
    Returns the assignment's audit meta, recorded after the creation's row."""
    choice = routing.choose_assignee(case, at=case.received_at)
    if not choice:
        return None
    return _give(
        case,
        routing.ROUTER,
        choice.user,
        None,
        routing_rule=choice.rule_id,
        strategy=choice.strategy,
    )


def _emit_classified(actor, case: Case, plan) -> None:
    """Without the classifier the agent chose the category (it is required then); a
    complaint that waits for an agent (or for a model) is classified when that decision
    comes."""
    if plan is None or plan.status in (SuggestionStatus.AUTO, SuggestionStatus.MANUAL):
        source = plan.status if plan is not None else SuggestionStatus.MANUAL
        events.emit(CASE_CLASSIFIED, actor=actor, case=case, source=source)


def _attach_evidence(actor, case: Case, attachment) -> None:
    """The intake's file as an EVIDENCE document of the case (documents: encrypted at rest)."""
    documents.document_create(
        actor=actor,
        data=documents.DocumentInput(
            owner_kind=CASE_OWNER,
            owner_id=str(case.pk),
            title=attachment.original_name,
            doc_type=EVIDENCE,
        ),
        checked=attachment,
    )


def _record_created(actor, case: Case, checked: _Checked, assigned: dict | None) -> None:
    """The audit rows, last (with the document's): the chain lock is held until COMMIT."""
    customer_branch = checked.customer_branch
    audit.record(
        actor=actor,
        action=AuditAction.CREATE_CASE,
        obj=case,
        meta={
            "case_no": case.case_no,
            "category": checked.category.code,
            "priority": case.priority,
            "channel": case.channel,
            "sla_policy": checked.policy.pk,
            "attachment": checked.attachment is not None,
            **({"customer_branch": customer_branch.code} if customer_branch else {}),
        },
    )
    if assigned is not None:  # the automatic assignment's own row, after the creation's
        audit.record(actor=routing.ROUTER, action=AuditAction.ASSIGN_CASE, obj=case, meta=assigned)
    if checked.plan is not None:  # the classifier's row (its audit row when it set the category)
        classifier.record_intake(actor=actor, case=case, plan=checked.plan)


def _checked_attachment(actor, upload):
    """The intake's file, checked by documents' upload rules before anything is written; a
    role that may not upload documents is told so on the field (nothing written either)."""
    if not authz.has_perm(actor, DOCUMENT_UPLOAD):
        raise ServiceError(
            "attachment_not_allowed",
            _("Peran Anda tidak dapat mengunggah dokumen; kirim pengaduan tanpa lampiran."),
            field="attachment",
        )
    return documents.check_upload(upload, field="attachment")
