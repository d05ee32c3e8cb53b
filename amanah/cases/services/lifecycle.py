"""A case's life after intake, through the workflow ``cases.case`` (``moves``): the hand
moves, the escalation, the final response, the close, the reopening, the cancelling as a
duplicate — and the changes that are no move: the OJK extension, a raised priority, the root
cause."""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from amanah.audit import services as audit
from amanah.audit.models import AuditAction
from amanah.cases import sla
from amanah.cases.models import FINAL_RESPONSE_MIN_LENGTH, ActivityType, Case, Priority, RootCause
from amanah.cases.policies import CASE_ASSIGN, CASE_ROOT_CAUSE, CASE_UPDATE
from amanah.cases.services.base import (
    CASE_PRIORITIZED,
    MIN_REASON,
    S,
    _locked,
    _locked_in_scope,
    _log,
    _require_case,
    _touch,
)
from amanah.cases.services.moves import (
    has_final_response,
    is_resolution_code,
    normalise_resolution_code,
    within_reopen_window,
)
from amanah.core import events
from amanah.core.errors import NotFound, ServiceError
from amanah.iam import authz
from amanah.workflow.contract import available_transitions, transition_apply


def case_change_status(*, actor, case: Case, to_status: str, note: str = "") -> Case:
    """A hand move the workflow offers (e.g. IN_PROGRESS → WAITING_INFO, which pauses the
    resolution clock); who may make which move is the transition table's, not this code's."""
    return transition_apply(actor=actor, obj=case, to=to_status, note=note)


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
