"""What a move of the workflow ``cases.case`` means for a case, and the guards of its moves.

Every status change is a move of the workflow ``cases.case``: the engine locks the row through
the actor's scope (own row only, FOR NO KEY UPDATE), finds the move in the transition table,
checks its permission (from the editable matrix), required fields and guard, saves, writes the
history line and the audit row, and emits ``cases.case.transitioned`` — one transaction.
What a move means for a case (the SLA clock, resolved/closed times, the escalation level, the
activity line) is ``case_on_apply``: the engine calls it on the locked row before it saves, so
all of it lands with the status and before the audit row (lock order: row first, audit last).
The services check their input first, to answer with a precise code next to the right field;
the guards below say the same for every caller of the engine.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from amanah.cases import sla
from amanah.cases.models import (
    FINAL_RESPONSE_MIN_LENGTH,
    ActivityType,
    Case,
    ResolutionCode,
)
from amanah.cases.services.base import MIN_REASON, S, _log
from amanah.core.actors import user_or_none
from amanah.core.prepared import prepared


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
    case.closed_at, case.closed_by = at, user_or_none(actor)
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
    case.closed_at, case.closed_by = at, user_or_none(actor)
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


def _resume(case: Case, now) -> None:
    paused_from = case.paused_at
    case.paused_minutes += sla.paused_working_minutes(case.branch, paused_from, now)
    case.sla_due_at = sla.after_pause(case.branch, case.sla_due_at, paused_from, now)
    case.warn_at = sla.after_pause(case.branch, case.warn_at, paused_from, now)
    case.paused_at = None
