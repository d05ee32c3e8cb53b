"""Every change to a case (seed 003 Bab 7.4, 8.2): permission and scope, validation, write,
activity log and audit event in one transaction.

Status changes are moves of the workflow ``cases.case`` (declared in ``cases.contract``) and go
through the engine (``workflow.contract.transition_apply``); see "status changes" below.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from amanah.audit import services as audit
from amanah.audit.models import AuditAction
from amanah.cases import routing, sla
from amanah.cases.classifier import intake as classifier
from amanah.cases.models import (
    FINAL_RESPONSE_MIN_LENGTH,
    ActivityType,
    Case,
    CaseActivity,
    CaseCategory,
    CaseStatus,
    Channel,
    NoteKind,
    Priority,
    ResolutionCode,
    RootCause,
    SlaPolicy,
    SuggestionStatus,
)
from amanah.cases.policies import (
    CASE_ASSIGN,
    CASE_CREATE,
    CASE_INTAKE_ANY_BRANCH,
    CASE_ROOT_CAUSE,
    CASE_UPDATE,
    CASE_VIEW,
)
from amanah.core import events
from amanah.core.errors import NotFound, ServiceError
from amanah.core.prepared import prepared
from amanah.core.roles import RoleKey as R
from amanah.customers.models import Customer
from amanah.documents import contract as documents
from amanah.documents.policies import DOCUMENT_UPLOAD
from amanah.iam import authz
from amanah.iam.models import Branch, User
from amanah.notifications.services import Message, notify_many
from amanah.workflow.contract import available_transitions, transition_apply

S = CaseStatus
MIN_CHRONOLOGY = 10

# Emitted by case_create inside its transaction: fn(*, actor, case) (declared in the contract).
CASE_CREATED = "cases.case_created"
# Emitted when a complaint's category is decided (classifier or agent): fn(*, actor, case,
# source) — see the contract; by case_create and classifier.suggestion_decide.
CASE_CLASSIFIED = "cases.case_classified"

CASE_OWNER = "cases.Case"  # the owner kind cases registers with documents
EVIDENCE = "EVIDENCE"  # the document type of a file given with a complaint
MIN_REASON = 10  # an escalation's reason, at least


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


def _log(case: Case, actor, activity_type: str, message: str = "", **meta) -> CaseActivity:
    return CaseActivity.objects.create(
        case=case,
        activity_type=activity_type,
        message=message,
        actor=actor if getattr(actor, "pk", None) else None,
        actor_label=getattr(actor, "username", "system"),
        meta=meta,
    )


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


def _require_case(actor, permission: str, case: Case) -> None:
    """Permission plus scope: an agent may touch only cases they created or are assigned."""
    authz.require(actor, permission)
    if not Case.objects.visible_to(actor).filter(pk=case.pk).exists():
        raise NotFound()


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
    authz.require(actor, CASE_CREATE)
    branch, customer_branch = _intake_branches(actor, data.customer, any_branch)
    # The complaint classifier, when the deployment's profile has it (``cases.classifier``):
    # an empty category (and priority) set from the text, or a suggestion for the agent.
    plan = classifier.plan_intake(
        category_code=data.category_code or "",
        priority=data.priority or "",
        text=data.description if isinstance(data.description, str) else "",
        customer=data.customer,
    )
    if plan is not None:
        data = replace(data, category_code=plan.category_code, priority=plan.priority)
    category = _validate_intake(data)
    policy = SlaPolicy.objects.filter(
        category=category, priority=data.priority, active=True
    ).first()
    if policy is None:
        raise ServiceError(
            "no_sla_rule",
            _("Belum ada aturan SLA untuk kategori dan prioritas ini; hubungi Admin."),
            field="priority",
        )
    checked = _checked_attachment(actor, data.attachment) if data.attachment else None
    received_at = timezone.now()
    clocks = sla.deadlines(policy, received_at, branch)
    case = Case.objects.create(
        case_no=_next_case_no(timezone.localtime(received_at).year),
        customer=data.customer,
        branch=branch,
        customer_branch=customer_branch,
        channel=data.channel,
        category=category,
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
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    _log(case, actor, ActivityType.STATUS_CHANGE, _("Pengaduan dicatat"), to=S.NEW)
    # Routing (cases.routing): the first matching rule's agent, under the rule's row lock —
    # before the document, whose audit row takes the chain lock (lock order: rule, then chain).
    choice = routing.choose_assignee(case, at=received_at)
    assigned = (
        _give(
            case,
            routing.ROUTER,
            choice.user,
            None,
            routing_rule=choice.rule_id,
            strategy=choice.strategy,
        )
        if choice
        else None
    )
    # Before any audit row of this transaction (the document's, the creation's): a handler
    # may lock rows of its own, and the audit chain lock is always taken last.
    # Without the classifier the agent chose the category (it is required then); a complaint
    # that waits for an agent (or for a model) is classified when that decision comes.
    if plan is None or plan.status in (SuggestionStatus.AUTO, SuggestionStatus.MANUAL):
        source = plan.status if plan is not None else SuggestionStatus.MANUAL
        events.emit(CASE_CLASSIFIED, actor=actor, case=case, source=source)
    if checked is not None:  # its ATTACHMENT line comes from case_log_document (the event)
        documents.document_create(
            actor=actor,
            data=documents.DocumentInput(
                owner_kind=CASE_OWNER,
                owner_id=str(case.pk),
                title=checked.original_name,
                doc_type=EVIDENCE,
            ),
            checked=checked,
        )
    # The receipt to the customer (messaging, deferred: never a condition of the case).
    events.emit(CASE_CREATED, actor=actor, case=case)
    audit.record(  # last (with the document's): the chain lock is held until COMMIT
        actor=actor,
        action=AuditAction.CREATE_CASE,
        obj=case,
        meta={
            "case_no": case.case_no,
            "category": category.code,
            "priority": case.priority,
            "channel": case.channel,
            "sla_policy": policy.pk,
            "attachment": checked is not None,
            **({"customer_branch": customer_branch.code} if customer_branch else {}),
        },
    )
    if assigned is not None:  # the automatic assignment's own row, after the creation's
        audit.record(actor=routing.ROUTER, action=AuditAction.ASSIGN_CASE, obj=case, meta=assigned)
    if plan is not None:  # the classifier's row (and its audit row when it set the category)
        classifier.record_intake(actor=actor, case=case, plan=plan)
    return case


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


def _locked(case: Case) -> Case:
    """The case row, locked for this transaction — and nothing else.

    Lock order in every case service: this row first, the audit chain lock last (``audit.record``
    is each service's final write). Only our own row (``of=("self",)``): locking the joined
    category, branch or SLA-policy rows too would make every transaction that inserts a row
    pointing at them wait at COMMIT (deferred foreign-key checks) — while holding the audit
    lock — for whoever holds them, who in turn waits for the audit lock: a deadlock.
    ``no_key``: FOR NO KEY UPDATE still serializes writers of the case but lets other
    transactions' foreign-key checks against it (activities, attachments) pass.
    """
    return Case.objects.select_for_update(of=("self",), no_key=True).get(pk=case.pk)


def _touch(case: Case, *fields: str) -> None:
    case.updated_at = timezone.now()
    case.save(update_fields=[*fields, "updated_at"])


# --------------------------------------------------------------------------- status changes
#
# Every status change is a move of the workflow ``cases.case``: the engine locks the row through
# the actor's scope (own row only, FOR NO KEY UPDATE), finds the move in the transition table,
# checks its permission (from the editable matrix), required fields and guard, saves, writes the
# history line and the audit row, and emits ``cases.case.transitioned`` — one transaction.
# What a move means for a case (the SLA clock, resolved/closed times, the escalation level, the
# activity line) is ``case_on_apply``: the engine calls it on the locked row before it saves, so
# all of it lands with the status and before the audit row (lock order: row first, audit last).
# The services check their input first, to answer with a precise code next to the right field;
# the guards below say the same for every caller of the engine.


def has_final_response(case: Case, data: dict) -> bool:
    """Guard of RESOLVED → CLOSED (the database's CHECK constraint says the same)."""
    return len((case.final_response or "").strip()) >= FINAL_RESPONSE_MIN_LENGTH


def final_response_long_enough(case: Case, data: dict) -> bool:
    """Guard of → RESOLVED: the answer given to the customer is a real answer."""
    return len((data.get("final_response") or "").strip()) >= FINAL_RESPONSE_MIN_LENGTH


def normalise_resolution_code(code) -> str:
    return (code or "").strip().upper() if isinstance(code, str) else ""


def is_resolution_code(code) -> bool:
    """One of the configured, active resolution codes (``ResolutionCode``); free text is not."""
    code = normalise_resolution_code(code)
    return bool(code) and bool(_active_resolution_code(None, code=code))


@prepared(ResolutionCode, params=("code",))
def _active_resolution_code(_actor, *, code: str):
    return ResolutionCode.objects.filter(code=code, active=True).values_list("pk", flat=True)[:1]


def resolution_ready(case: Case, data: dict) -> bool:
    """Guard of → RESOLVED: a real answer to the customer and a resolution code from the
    configured list (``ResolutionCode``), never free text."""
    return final_response_long_enough(case, data) and is_resolution_code(
        data.get("resolution_code")
    )


def has_escalation_reason(case: Case, data: dict) -> bool:
    """Guard of → ESCALATED: why the case goes up, in a sentence."""
    return len((data.get("reason") or "").strip()) >= MIN_REASON


def case_on_apply(case: Case, *, transition, data: dict, at) -> list[str]:
    """What a move implies for the case, set on the locked row before the engine saves it.

    The resolution clock pauses on WAITING_INFO and resumes when the case leaves it; each target
    status has its own fields and activity line. The audit row's extra meta (no free text) goes
    to ``data["audit"]``. Returns the fields set (the engine saves them with the status).
    """
    case.updated_at = at
    implied = _IMPLIED.get(transition.to_status, _worked_on)
    return [
        "updated_at",
        *_move_clock(case, transition.to_status, at),
        *implied(case, data["actor"], transition.from_status, data, at),
    ]


def _move_clock(case: Case, to_status: str, at) -> list[str]:
    if to_status == S.WAITING_INFO:
        case.paused_at = at
        return ["paused_at"]
    if case.paused_at:
        _resume(case, at)
        return ["paused_at", "paused_minutes", "sla_due_at", "warn_at"]
    return []


def _first_response(case: Case, at) -> list[str]:
    if case.first_responded_at is not None:
        return []
    case.first_responded_at = at
    return ["first_responded_at"]


def _worked_on(case: Case, actor, previous: str, data: dict, at) -> list[str]:
    """A hand move (in progress, waiting for the customer, taken back, reopened)."""
    fields = _first_response(case, at)
    if previous in (S.RESOLVED, S.CLOSED):
        fields += _reopened(case, at)
        data["audit"]["reopened_from"] = previous
    note = (data.get("reason") or data.get("note") or "").strip()
    _log(case, actor, ActivityType.STATUS_CHANGE, note, **{"from": previous, "to": case.status})
    return fields


def _resolved(case: Case, actor, previous: str, data: dict, at) -> list[str]:
    """The final response (saved by the engine as the move's required field) resolves it."""
    case.resolved_at = at
    _log(
        case,
        actor,
        ActivityType.FINAL_RESPONSE,
        case.final_response,
        **{"from": previous, "to": S.RESOLVED, "resolution_code": case.resolution_code},
    )
    data["audit"].update(
        length=len(case.final_response),
        within_sla=at <= case.sla_due_at,
        resolution_code=case.resolution_code,
    )
    return ["resolved_at", *_first_response(case, at)]


def _closed(case: Case, actor, previous: str, data: dict, at) -> list[str]:
    case.closed_at, case.closed_by = at, actor if getattr(actor, "pk", None) else None
    code = case.resolution_code  # the move's required field, saved by the engine
    _log(case, actor, ActivityType.STATUS_CHANGE, code, **{"from": previous, "to": S.CLOSED})
    data["audit"]["resolution_code"] = code
    return ["closed_at", "closed_by"]


def _reopened(case: Case, at) -> list[str]:
    """Reopening a resolved or closed case (SLA policy: *resume where it stopped*).

    The resolution clock stopped at the final response; it resumes now with the working time
    that was left then: the time between the final response and the reopening counts as a
    pause (like waiting for the customer), so ``sla_due_at`` and ``warn_at`` move on by it.
    Marks already earned stay (a case breached before its answer is still breached). The OJK
    day-20 deadline counts from the complaint's receipt and does not move. A new final
    response is needed before the case can be closed again.
    """
    stopped = case.resolved_at or case.closed_at or at
    case.paused_minutes += sla.paused_working_minutes(case.branch, stopped, at)
    case.sla_due_at = sla.after_pause(case.branch, case.sla_due_at, stopped, at)
    case.warn_at = sla.after_pause(case.branch, case.warn_at, stopped, at)
    case.final_response, case.resolved_at = None, None
    case.closed_at, case.closed_by, case.resolution_code = None, None, ""
    return [
        "paused_minutes",
        "sla_due_at",
        "warn_at",
        "final_response",
        "resolved_at",
        "closed_at",
        "closed_by",
        "resolution_code",
    ]


def within_reopen_window(case: Case, data: dict) -> bool:
    """Guard of CLOSED → IN_PROGRESS: closed at most ``CASE_REOPEN_DAYS`` ago, with a reason."""
    return (
        case.closed_at is not None
        and timezone.now() <= case.closed_at + timedelta(days=settings.CASE_REOPEN_DAYS)
        and len((data.get("reason") or "").strip()) >= MIN_REASON
    )


def duplicate_target_valid(case: Case, data: dict) -> bool:
    """Guard of → CANCELLED: the original is another case the actor may open, and is not
    itself a cancelled duplicate (a chain would hide the one that is being handled)."""
    original = data.get("duplicate_of")
    return (
        isinstance(original, Case)
        and original.pk != case.pk
        and Case.objects.visible_to(data["actor"])
        .filter(pk=original.pk)
        .exclude(status=S.CANCELLED)
        .exists()
    )


def _cancelled(case: Case, actor, previous: str, data: dict, at) -> list[str]:
    """Cancelled as a duplicate: closed without an answer of its own; the clock stops."""
    case.closed_at, case.closed_by = at, actor if getattr(actor, "pk", None) else None
    original = case.duplicate_of
    _log(
        case,
        actor,
        ActivityType.STATUS_CHANGE,
        _("Duplikat dari %s") % original.case_no,
        **{"from": previous, "to": S.CANCELLED, "duplicate_of": original.case_no},
    )
    return ["closed_at", "closed_by"]


def _escalated(case: Case, actor, previous: str, data: dict, at) -> list[str]:
    case.escalation_level += 1
    reason = data["reason"].strip()
    _log(
        case,
        actor,
        ActivityType.ESCALATE,
        reason,
        level=case.escalation_level,
        **{"from": previous},
    )
    data["audit"].update(level=case.escalation_level, reason="manual")
    return ["escalation_level"]


_IMPLIED = {
    S.RESOLVED: _resolved,
    S.CLOSED: _closed,
    S.ESCALATED: _escalated,
    S.CANCELLED: _cancelled,
}


def _locked_in_scope(actor, case: Case) -> Case:
    """The case row locked as the engine locks it, through the actor's scope (else missing).

    For services that must read the row before they know what to do; the engine's own lock,
    later in the same transaction, is then already held.
    """
    row = (
        Case.objects.visible_to(actor)
        .select_for_update(of=("self",), no_key=True)
        .filter(pk=case.pk)
        .first()
    )
    if row is None:
        raise NotFound()
    return row


def case_change_status(*, actor, case: Case, to_status: str, note: str = "") -> Case:
    """A hand move the workflow offers (e.g. IN_PROGRESS → WAITING_INFO, which pauses the
    resolution clock); who may make which move is the transition table's, not this code's."""
    return transition_apply(actor=actor, obj=case, to=to_status, note=note)


def _resume(case: Case, now) -> None:
    paused_from = case.paused_at
    case.paused_minutes += sla.paused_working_minutes(case.branch, paused_from, now)
    case.sla_due_at = sla.after_pause(case.branch, case.sla_due_at, paused_from, now)
    case.warn_at = sla.after_pause(case.branch, case.warn_at, paused_from, now)
    case.paused_at = None


def _eligible_handlers(case: Case):
    return _handlers_covering_branch(None, branch_id=case.branch_id, now=timezone.now())


# One query, not one scope query per agent/supervisor of the bank (400 at 100 branches); kept
# compiled, as every case page of a supervisor asks it.
@prepared(User, params=("branch_id", "now"))
def _handlers_covering_branch(_actor, *, branch_id, now):
    return authz.users_covering_branch(_handlers(), branch_id, now=now)


def queue_handlers(actor) -> list:
    """Who the queue's bulk assign may offer: active agents and supervisors covering a branch
    in the actor's scope (each case is checked again against its own branch)."""
    scope = authz.branch_scope(actor)
    if scope.all_branches:
        return list(_handlers().order_by("full_name")[:500])
    if not scope.branch_ids:
        return []
    return _handlers_covering_scope(actor, now=timezone.now())


def _handlers():
    return User.objects.filter(
        is_active=True, user_roles__role_id__in=[R.AGENT, R.SUPERVISOR]
    ).distinct()


# A prepared read: every queue page of a branch supervisor asks it, and building and compiling
# the query (an EXISTS per branch in scope) was nine tenths of this read's time.
@prepared(User, params=("now",))
def _handlers_covering_scope(actor, *, now):
    covering = Q()
    for branch_id in sorted(authz.branch_scope(actor).branch_ids)[:50]:
        covering |= Q(
            pk__in=authz.users_covering_branch(User.objects.all(), branch_id, now=now).values("pk")
        )
    return _handlers().filter(covering).order_by("full_name")[:500]


@transaction.atomic
def case_assign(*, actor, case: Case, assignee, confirm_busy: bool = False) -> Case:
    """Give the case to an agent or supervisor of the case's branch; ASSIGN_CASE.

    Someone away (calendars) or at their routing capacity (``routing.workloads``, read under
    the locks of their rules) is refused with the reason unless ``confirm_busy`` — the
    supervisor's "tetap tugaskan"; the audit row and the log line then say what was
    overridden (``busy``: the reason, ``away`` / ``load``)."""
    _require_case(actor, CASE_ASSIGN, case)
    case = _locked(case)
    if not case.is_open:
        raise ServiceError("case_not_open", _("Kasus sudah selesai; tidak dapat ditugaskan."))
    held = set(assignee.role_keys())
    if (
        not assignee.is_active
        or not held & {R.AGENT, R.SUPERVISOR}
        or not authz.branch_scope(assignee).allows(case.branch_id)
    ):
        raise ServiceError(
            "assignee_invalid",
            _("Petugas harus agen/supervisor aktif di cabang kasus."),
            field="assignee",
        )
    previous = case.assigned_to
    if previous and previous.pk == assignee.pk:
        return case
    load = routing.workloads([assignee.pk], lock=True)[assignee.pk]
    busy = routing.busy_reason(assignee, load)
    if busy and not confirm_busy:
        raise ServiceError(
            "assignee_busy",
            busy + " " + _("Centang “Tetap tugaskan” untuk tetap menugaskan."),
            field="assignee",
        )
    overridden = (
        {"busy": {"away": load.away, "open": load.open_cases, "capacity": load.capacity}}
        if busy
        else {}
    )
    meta = _give(case, actor, assignee, previous, **overridden)
    audit.record(  # last: the chain lock is held until COMMIT (see _locked)
        actor=actor, action=AuditAction.ASSIGN_CASE, obj=case, meta=meta
    )
    return case


def _give(case: Case, actor, assignee, previous, **extra) -> dict:
    """What every assignment writes, by hand or by a routing rule: the assignee on the
    (locked or just created) row, the log line and the assignee's notification. Returns the
    ASSIGN_CASE audit meta, which the caller records as its last write."""
    case.assigned_to = assignee
    _touch(case, "assigned_to")
    meta = {"from": previous.username if previous else None, "to": assignee.username, **extra}
    _log(case, actor, ActivityType.ASSIGN, "", **meta)
    notify_many(
        [
            Message(
                assignee.pk,
                _("Kasus %s ditugaskan kepada Anda") % case.case_no,
                f"case-assigned:{case.pk}:{assignee.pk}:{case.updated_at.timestamp()}",
                url=f"/cases/{case.pk}/",
            )
        ]
    )
    return meta


def case_customer_name_reveal(*, actor, case: Case, reason: str) -> str:
    """The name of the case's customer in clear for one of the case's handlers who may not
    open the customer (intake at another branch: the page shows it masked) — for a stated
    reason, with the reveal permission and rate limit, REVEAL_FIELD on the customer naming the
    case (``iam.field_reveal_via``). The case must be in the actor's scope."""
    from amanah.iam.services import field_reveal_via

    authz.require(actor, CASE_VIEW, case)
    return field_reveal_via(
        actor=actor, obj=case.customer, field="full_name", reason=reason, via=case
    )


BULK_ASSIGN_MAX = 100


@dataclass(frozen=True)
class BulkAssignResult:
    assigned: int
    unchanged: int  # already with that person
    refused: dict  # {case number or id: the reason}


def case_assign_many(*, actor, case_ids, assignee, confirm_busy: bool = False) -> BulkAssignResult:
    """Give many cases of the queue to one agent or supervisor: each through ``case_assign``
    (its checks, log line, notification and its own ASSIGN_CASE audit row), each in a
    savepoint of one transaction, in primary-key order (the lock order of every writer). A
    case that is out of scope or missing is refused without saying which of the two; one
    refused case leaves the others assigned. Without ``confirm_busy`` an agent who is away
    is refused every case, and one at capacity takes cases until full (the rest refused with
    the reason)."""
    import uuid as _uuid

    authz.require(actor, CASE_ASSIGN)
    ids = []
    for value in case_ids or []:
        try:
            ids.append(_uuid.UUID(str(value)))
        except (TypeError, ValueError, AttributeError):
            continue
    ids = sorted(set(ids))
    if not ids:
        raise ServiceError("no_cases", _("Pilih minimal satu kasus."), field="case_ids")
    if len(ids) > BULK_ASSIGN_MAX:
        raise ServiceError(
            "too_many_cases",
            _("Paling banyak %d kasus sekaligus.") % BULK_ASSIGN_MAX,
            field="case_ids",
        )
    assigned = unchanged = 0
    refused: dict = {}
    with transaction.atomic():
        # Every row locked first, in key order, before any audit row takes the chain's lock
        # (each service's rule: rows first, the audit lock last).
        visible = {
            c.pk: c
            for c in Case.objects.visible_to(actor)
            .select_for_update(of=("self",), no_key=True)
            .filter(pk__in=ids)
            .order_by("pk")
        }
        for pk in ids:
            case = visible.get(pk)
            if case is None:
                refused[str(pk)[:8]] = _("tidak ditemukan")
                continue
            before = case.assigned_to_id
            try:
                with transaction.atomic():
                    case_assign(
                        actor=actor, case=case, assignee=assignee, confirm_busy=confirm_busy
                    )
            except ServiceError as error:
                refused[case.case_no] = error.message
                continue
            if before == assignee.pk:
                unchanged += 1
            else:
                assigned += 1
    return BulkAssignResult(assigned, unchanged, refused)


def saved_filter_save(*, actor, name: str, query: dict):
    """Save the actor's current queue filter under a name (their own; at most
    ``SAVED_FILTER_MAX``); the same name replaces it."""
    from amanah.cases.models import SavedQueueFilter
    from amanah.cases.policies import CASE_QUEUE
    from amanah.cases.selectors import SAVED_FILTER_MAX

    authz.require(actor, CASE_QUEUE)
    name = " ".join((name or "").split())
    if not name or len(name) > 60 or not name.isprintable():
        raise ServiceError(
            "name_required", _("Beri nama filter (maks. 60 karakter)."), field="name"
        )
    with transaction.atomic():
        mine = SavedQueueFilter.objects.select_for_update().filter(user_id=actor.pk)
        if mine.count() >= SAVED_FILTER_MAX and not mine.filter(name=name).exists():
            raise ServiceError(
                "too_many_filters",
                _("Paling banyak %d filter tersimpan; hapus satu dulu.") % SAVED_FILTER_MAX,
                field="name",
            )
        row, _created = SavedQueueFilter.objects.update_or_create(
            user_id=actor.pk, name=name, defaults={"query": query}
        )
    return row


def saved_filter_delete(*, actor, filter_id) -> None:
    from amanah.cases.models import SavedQueueFilter
    from amanah.cases.policies import CASE_QUEUE

    authz.require(actor, CASE_QUEUE)
    deleted, _rows = SavedQueueFilter.objects.visible_to(actor).filter(pk=filter_id).delete()
    if not deleted:
        raise NotFound()


def may_escalate(actor, case: Case, moves=None) -> bool:
    """Whether ``case_escalate`` would take the actor's request (a reason given): the engine's
    move → ESCALATED, or one level up for a case already escalated. ``moves``: the engine's
    ``available_transitions(actor, case)`` when the caller holds them already."""
    if case.status == S.ESCALATED:
        return authz.has_perm(actor, CASE_ASSIGN)
    if moves is None:
        moves = available_transitions(actor, case)
    return any(m.to_status == S.ESCALATED for m in moves)


@transaction.atomic
def case_escalate(*, actor, case: Case, reason: str) -> Case:
    """Escalate an open case (the move → ESCALATED); ESCALATE_CASE.

    A case already escalated goes one level up without a status change, so not through the
    engine: the permission to escalate is then CASE_ASSIGN, the default of the moves.
    """
    reason = (reason or "").strip()
    if len(reason) < MIN_REASON:
        raise ServiceError(
            "reason_required", _("Tuliskan alasan eskalasi (minimal 10 karakter)."), field="reason"
        )
    case = _locked_in_scope(actor, case)
    if case.status != S.ESCALATED:
        return transition_apply(actor=actor, obj=case, to=S.ESCALATED, reason=reason)
    authz.require(actor, CASE_ASSIGN)
    case.escalation_level += 1
    _touch(case, "escalation_level")
    _log(
        case,
        actor,
        ActivityType.ESCALATE,
        reason,
        level=case.escalation_level,
        **{"from": S.ESCALATED},
    )
    audit.record(
        actor=actor,
        action=AuditAction.ESCALATE_CASE,
        obj=case,
        meta={"level": case.escalation_level, "from": S.ESCALATED, "reason": "manual"},
    )
    return case


@transaction.atomic
def case_add_note(*, actor, case: Case, message: str, kind: str = NoteKind.STAFF) -> CaseActivity:
    """A note on the case, of ``kind`` (``NoteKind``): staff's (NOTE), the customer's own
    message filed by the channel intake (NOTE, ``meta.kind``) or the system's annotation
    (SYSTEM_NOTE). Whether it is the case's first response is ``sla.is_first_response``."""
    _require_case(actor, CASE_UPDATE, case)
    if kind not in NoteKind.values:
        raise ValueError(f"unknown note kind {kind!r}")
    message = (message or "").strip()
    if not message:
        raise ServiceError("note_required", _("Catatan tidak boleh kosong."), field="message")
    if len(message) > 5000:
        raise ServiceError("note_too_long", _("Catatan maks. 5000 karakter."), field="message")
    case = _locked(case)
    if case.first_responded_at is None and sla.is_first_response(kind):
        case.first_responded_at = timezone.now()
        _touch(case, "first_responded_at")
    activity_type = ActivityType.SYSTEM_NOTE if kind == NoteKind.SYSTEM else ActivityType.NOTE
    meta = {"kind": kind} if kind == NoteKind.CUSTOMER else {}
    activity = _log(case, actor, activity_type, message, **meta)
    audit.record(
        actor=actor, action=AuditAction.UPDATE_CASE, obj=case, meta={"activity": activity_type}
    )
    return activity


REPLY_MAX = 1000  # messaging's longest template value: a reply is one placeholder of its template


def case_for_reply(*, actor, case_id) -> Case:
    """The case a reply is written on, locked for the reply's transaction (lock order: this row
    first, the audit chain last). Permission ``case.reply``, the case in the actor's scope and
    its details open to them (a sensitive case's complainant hears only from who may read it);
    a closed or cancelled case takes no reply (reopen it first). Messaging calls this."""
    from amanah.cases.policies import CASE_REPLY
    from amanah.cases.sensitivity import may_see_sensitive

    authz.require(actor, CASE_REPLY)
    case = _locked_in_scope(actor, Case(pk=case_id))
    if not may_see_sensitive(actor, case):
        raise NotFound()
    if case.status in (S.CLOSED, S.CANCELLED):
        raise ServiceError(
            "case_not_open", _("Kasus sudah ditutup; buka kembali untuk membalas nasabah.")
        )
    return case


def check_reply_text(text: str) -> str:
    text = (text or "").strip()
    if not text:
        raise ServiceError("reply_required", _("Tulis balasan untuk nasabah."), field="text")
    if len(text) > REPLY_MAX:
        raise ServiceError(
            "reply_too_long", _("Balasan maks. %d karakter.") % REPLY_MAX, field="text"
        )
    if any(not ch.isprintable() and ch not in "\n\r\t" for ch in text):
        raise ServiceError("reply_invalid", _("Balasan berisi karakter kendali."), field="text")
    return text


def case_reply_log(*, actor, case: Case, text: str, channel: str, template: str) -> CaseActivity:
    """The REPLY line of a reply the messaging hub has just queued (in its transaction, on the
    row ``case_for_reply`` locked): what the customer was told and on which channel. A reply
    is the case's first response when nothing answered before; UPDATE_CASE (no text)."""
    if case.first_responded_at is None:
        case.first_responded_at = timezone.now()
        _touch(case, "first_responded_at")
    activity = _log(case, actor, ActivityType.REPLY, text, channel=channel, template=template)
    audit.record(
        actor=actor,
        action=AuditAction.UPDATE_CASE,
        obj=case,
        meta={"activity": "REPLY", "channel": channel, "length": len(text)},
    )
    return activity


def case_log_document(*, actor, document, version) -> None:
    """On ``documents.version_stored``: a document (or a new version) of a case goes into
    the case's activity log as ATTACHMENT, in the upload's transaction. The upload itself is
    audited by documents (UPLOAD_DOCUMENT with the case as owner)."""
    if document.owner_kind != CASE_OWNER:
        return
    _log(
        Case(pk=document.owner_id),
        actor,
        ActivityType.ATTACHMENT,
        version.original_name,
        document=str(document.pk),
        version=version.number,
        size=version.size,
    )


def _checked_resolution_code(code) -> str:
    code = normalise_resolution_code(code)
    if not code:
        raise ServiceError(
            "resolution_code_required",
            _("Pilih kode penyelesaian dari daftar."),
            field="resolution_code",
        )
    if not is_resolution_code(code):
        raise ServiceError(
            "resolution_code_invalid",
            _("Kode penyelesaian tidak ada dalam daftar yang berlaku."),
            field="resolution_code",
        )
    return code


def case_final_response(*, actor, case: Case, text: str, resolution_code: str) -> Case:
    """The answer given to the customer (≥ 20 characters) with how the complaint was resolved
    (a code from the configured list): the move → RESOLVED; FINAL_RESPONSE. Cannot be undone
    by the agent (reopening is the supervisor's), so the page asks for a confirmation first."""
    text = (text or "").strip()
    if len(text) < FINAL_RESPONSE_MIN_LENGTH:
        raise ServiceError(
            "final_response_too_short",
            _("Jawaban akhir minimal %d karakter.") % FINAL_RESPONSE_MIN_LENGTH,
            field="final_response",
        )
    code = _checked_resolution_code(resolution_code)
    return transition_apply(
        actor=actor, obj=case, to=S.RESOLVED, final_response=text, resolution_code=code
    )


@transaction.atomic
def case_close(*, actor, case: Case, resolution_code: str = "") -> Case:
    """Close a resolved case: the move RESOLVED → CLOSED; CLOSE_CASE, then ``cases.case_closed``.

    Without a final response it is refused — here, by the move's guard and by the database.
    The resolution code is the one chosen with the final response; a code given here must be
    that one (a case resolved before codes were required takes one from the list now).
    """
    case = _locked_in_scope(actor, case)
    if not has_final_response(case, {}):
        raise ServiceError(
            "final_response_required",
            _("Kasus tidak dapat ditutup sebelum jawaban akhir diisi."),
            field="final_response",
        )
    given = normalise_resolution_code(resolution_code)
    if case.resolution_code:
        if given and given != case.resolution_code:
            raise ServiceError(
                "resolution_code_mismatch",
                _("Kode penyelesaian sudah dipilih bersama jawaban akhir (%s).")
                % case.resolution_code,
                field="resolution_code",
            )
        code = case.resolution_code
    else:
        code = _checked_resolution_code(given)
    case = transition_apply(actor=actor, obj=case, to=S.CLOSED, resolution_code=code)
    # Handlers (e.g. sales' service-to-sell follow-up) run in this transaction, after the close.
    events.emit("cases.case_closed", actor=actor, case=case)
    return case


@transaction.atomic
def case_reopen(*, actor, case: Case, reason: str) -> Case:
    """Reopen a closed case within ``CASE_REOPEN_DAYS`` (the move CLOSED → IN_PROGRESS, with
    its permission ``case.reopen``): a reason is required and audited (as its length); the SLA
    clock resumes where it stopped (``_reopened``)."""
    reason = (reason or "").strip()
    if len(reason) < MIN_REASON:
        raise ServiceError(
            "reason_required",
            _("Tuliskan alasan membuka kembali (minimal 10 karakter)."),
            field="reason",
        )
    case = _locked_in_scope(actor, case)
    if case.status != S.CLOSED:
        raise ServiceError(
            "case_not_closed", _("Hanya kasus yang sudah ditutup dapat dibuka kembali.")
        )
    if not within_reopen_window(case, {"reason": reason}):
        raise ServiceError(
            "reopen_window_passed",
            _("Kasus hanya dapat dibuka kembali dalam %d hari setelah ditutup.")
            % settings.CASE_REOPEN_DAYS,
            field="reason",
        )
    return transition_apply(actor=actor, obj=case, to=S.IN_PROGRESS, reason=reason)


@transaction.atomic
def case_cancel_duplicate(*, actor, case: Case, original_no: str) -> Case:
    """Cancel an open case as a duplicate of another (found by its number among the cases the
    actor may open): the move → CANCELLED, linked, audited; left out of the OJK counts."""
    from amanah.cases.selectors import case_by_number

    try:
        original = case_by_number(actor=actor, term=original_no)
    except NotFound:
        raise ServiceError(
            "duplicate_of_not_found",
            _("Kasus asal tidak ditemukan; periksa nomornya."),
            field="duplicate_of",
        ) from None
    # Both rows locked, in primary-key order, before the original's status is read: two
    # cases cancelled as each other's duplicate at once would otherwise each see the other
    # still open, and both end CANCELLED pointing at each other (no case left handling it).
    locked = {
        row.pk: row
        for row in Case.objects.visible_to(actor)
        .select_for_update(of=("self",), no_key=True)
        .filter(pk__in={case.pk, original.pk})
        .order_by("pk")
    }
    if case.pk not in locked:
        raise NotFound()
    case = locked[case.pk]
    if original.pk == case.pk:
        raise ServiceError(
            "duplicate_of_self",
            _("Kasus tidak dapat menjadi duplikat dirinya sendiri."),
            field="duplicate_of",
        )
    original = locked.get(original.pk)
    if original is None:
        raise ServiceError(
            "duplicate_of_not_found",
            _("Kasus asal tidak ditemukan; periksa nomornya."),
            field="duplicate_of",
        )
    if original.status == S.CANCELLED:
        raise ServiceError(
            "duplicate_of_cancelled",
            _("Kasus asal juga duplikat; pilih kasus yang ditangani (%s).")
            % (original.duplicate_of.case_no if original.duplicate_of_id else "—"),
            field="duplicate_of",
        )
    return transition_apply(actor=actor, obj=case, to=S.CANCELLED, duplicate_of=original)


@transaction.atomic
def case_extend(*, actor, case: Case, reason: str, customer_notified: bool) -> Case:
    """OJK: one extension of the resolution period, with a reason and notice to the customer."""
    _require_case(actor, CASE_ASSIGN, case)
    case = _locked(case)
    policy = case.sla_policy
    if not policy.regulatory or not policy.extension_days:
        raise ServiceError(
            "no_extension", _("Kebijakan SLA kasus ini tidak mengenal perpanjangan.")
        )
    if case.extended_at:
        raise ServiceError("already_extended", _("Perpanjangan hanya boleh satu kali."))
    if not case.is_open:
        raise ServiceError("case_not_open", _("Kasus sudah selesai."))
    if len((reason or "").strip()) < 10:
        raise ServiceError(
            "reason_required",
            _("Tuliskan alasan perpanjangan (minimal 10 karakter)."),
            field="reason",
        )
    if not customer_notified:
        raise ServiceError(
            "notice_required",
            _("Nasabah wajib diberi tahu tentang perpanjangan."),
            field="customer_notified",
        )
    case.sla_due_at = sla.extended(case.branch, case.sla_due_at, policy.extension_days)
    case.extended_at, case.extension_reason = timezone.now(), reason.strip()
    case.breached_at = None  # a breach before the extension no longer stands
    _touch(case, "sla_due_at", "extended_at", "extension_reason", "breached_at")
    _log(
        case,
        actor,
        ActivityType.EXTENSION,
        reason.strip(),
        days=policy.extension_days,
        customer_notified=True,
    )
    audit.record(
        actor=actor,
        action=AuditAction.UPDATE_CASE,
        obj=case,
        meta={
            "activity": "EXTENSION",
            "days": policy.extension_days,
            "new_due": case.sla_due_at.isoformat(),
        },
    )
    return case


CASE_PRIORITIZED = "cases.case_prioritized"  # fn(*, actor, case, previous)
_PRIORITY_ORDER = [Priority.LOW, Priority.MEDIUM, Priority.HIGH, Priority.CRITICAL]


@transaction.atomic
def case_prioritize(*, actor, case: Case, reason: str) -> Case:
    """Raise an open case's priority (a Next Best Action accepted, a supervisor's call): below
    HIGH it becomes HIGH, HIGH becomes CRITICAL; a CRITICAL case stays (the line in the log
    still says someone asked). The SLA due moment does not move: the promise made to the
    customer when the case was taken stands, the queue orders by priority."""
    _require_case(actor, CASE_UPDATE, case)
    text = (reason or "").strip()
    if not 3 <= len(text) <= 500:
        raise ServiceError(
            "reason_required", _("Tuliskan alasan (3–500 karakter)."), field="reason"
        )
    case = _locked(case)
    if not case.is_open:
        raise ServiceError("case_not_open", _("Kasus sudah selesai."))
    previous = case.priority
    rank = _PRIORITY_ORDER.index(previous) if previous in _PRIORITY_ORDER else 0
    raised = Priority.HIGH if rank < 2 else _PRIORITY_ORDER[min(rank + 1, 3)]
    if raised != previous:
        case.priority = raised
        _touch(case, "priority")
    _log(
        case,
        actor,
        ActivityType.NOTE,
        _("Prioritas dinaikkan %(old)s → %(new)s: %(reason)s")
        % {"old": previous, "new": raised, "reason": text},
        priority_from=previous,
        priority_to=raised,
    )
    events.emit(CASE_PRIORITIZED, actor=actor, case=case, previous=previous)
    audit.record(
        actor=actor,
        action=AuditAction.UPDATE_CASE,
        obj=case,
        meta={"activity": "PRIORITY", "from": previous, "to": raised},
    )
    return case


@transaction.atomic
def case_set_root_cause(*, actor, case: Case, root_cause: str) -> Case:
    _require_case(actor, CASE_ROOT_CAUSE, case)
    if root_cause not in RootCause.values:
        raise ServiceError(
            "root_cause_invalid", _("Akar masalah tidak dikenal."), field="root_cause"
        )
    case = _locked(case)
    case.root_cause = root_cause
    _touch(case, "root_cause")
    audit.record(
        actor=actor, action=AuditAction.UPDATE_CASE, obj=case, meta={"root_cause": root_cause}
    )
    return case


# --------------------------------------------------------------------------- configuration (ADMIN)


@transaction.atomic
def resolution_code_save(
    *, actor, code: str, label: str, label_en: str = "", active: bool = True, position: int = 0
) -> ResolutionCode:
    """Add or change a resolution code of the configured list (ADMIN); CHANGE_WORKFLOW. A
    code is retired (``active`` off), never deleted: closed cases keep theirs."""
    from amanah.cases.policies import SLA_MANAGE

    authz.require(actor, SLA_MANAGE)
    code, label, label_en = (
        normalise_resolution_code(code),
        (label or "").strip(),
        (label_en or "").strip(),
    )
    if not code or not code.replace("_", "").isalnum() or not code.isascii() or len(code) > 40:
        raise ServiceError(
            "code_invalid", _("Kode huruf/angka/garis bawah, maks. 40."), field="code"
        )
    if not label or len(label) > 80 or len(label_en) > 80:
        raise ServiceError(
            "label_required", _("Label Indonesia wajib diisi (maks. 80)."), field="label"
        )
    if not isinstance(position, int) or not 0 <= position <= 1000:
        raise ServiceError("position_invalid", _("Urutan 0–1000."), field="position")
    row, created = ResolutionCode.objects.update_or_create(
        code=code,
        defaults={"label": label, "label_en": label_en, "active": active, "position": position},
    )
    audit.record(
        actor=actor,
        action=AuditAction.CHANGE_WORKFLOW,
        obj=row,
        meta={"resolution_code": code, "created": created, "active": active},
    )
    return row


@transaction.atomic
def category_save(*, actor, code: str, name: str, is_sensitive: bool, active: bool) -> CaseCategory:
    from amanah.cases.policies import SLA_MANAGE

    authz.require(actor, SLA_MANAGE)
    code, name = (code or "").strip().upper(), (name or "").strip()
    if not code.replace("_", "").isalnum() or len(code) > 20:
        raise ServiceError(
            "code_invalid", _("Kode kategori huruf/angka/garis bawah, maks. 20."), field="code"
        )
    if not name:
        raise ServiceError("name_required", _("Nama kategori wajib diisi."), field="name")
    category, created = CaseCategory.objects.update_or_create(
        code=code, defaults={"name": name, "is_sensitive": is_sensitive, "active": active}
    )
    audit.record(
        actor=actor,
        action=AuditAction.CHANGE_WORKFLOW,
        obj=category,
        meta={"category": code, "created": created, "sensitive": is_sensitive, "active": active},
    )
    return category


@transaction.atomic
def sla_policy_save(
    *,
    actor,
    category_code: str,
    priority: str,
    first_response_value: int,
    first_response_unit: str,
    resolution_value: int,
    resolution_unit: str,
    regulatory: bool = False,
    escalate_on_breach: bool = True,
) -> SlaPolicy:
    """A new version of the policy for category × priority; open cases keep their version."""
    from amanah.cases.models import TimeUnit
    from amanah.cases.policies import SLA_MANAGE

    authz.require(actor, SLA_MANAGE)
    category = CaseCategory.objects.filter(code=category_code).first()
    if category is None:
        raise ServiceError("category_required", _("Kategori tidak dikenal."), field="category")
    if priority not in Priority.values:
        raise ServiceError("priority_required", _("Prioritas tidak dikenal."), field="priority")
    for value, unit, field in (
        (first_response_value, first_response_unit, "first_response_value"),
        (resolution_value, resolution_unit, "resolution_value"),
    ):
        if unit not in TimeUnit.values or not isinstance(value, int) or not 1 <= value <= 1000:
            raise ServiceError(
                "target_invalid", _("Target harus 1–1000 jam/hari kerja."), field=field
            )
    if regulatory:  # OJK POJK 22/2023: 10 working days, one extension of 10
        resolution_value, resolution_unit = min(resolution_value, 10), TimeUnit.DAYS
    current = (
        SlaPolicy.objects.select_for_update(of=("self",), no_key=True)
        .filter(category=category, priority=priority, active=True)
        .first()
    )
    if current:
        current.active = False
        current.save(update_fields=["active"])
    policy = SlaPolicy.objects.create(
        category=category,
        priority=priority,
        first_response_value=first_response_value,
        first_response_unit=first_response_unit,
        resolution_value=resolution_value,
        resolution_unit=resolution_unit,
        regulatory=regulatory,
        extension_days=10 if regulatory else 0,
        escalate_on_breach=escalate_on_breach,
        version=(current.version + 1) if current else 1,
        created_by=actor.username,
    )
    audit.record(
        actor=actor,
        action=AuditAction.CHANGE_WORKFLOW,
        obj=policy,
        meta={
            "category": category.code,
            "priority": priority,
            "version": policy.version,
            "resolution": f"{policy.resolution_value} {policy.resolution_unit}",
            "regulatory": regulatory,
        },
    )
    return policy
