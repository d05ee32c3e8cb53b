"""The case workflow ``cases.case`` as data (seed 003 Bab 7.4): the status machine of a
complaint, its moves and their guards; ``cases.contract`` registers the guards and declares
the workflow.

The moves are data (ADMIN may change a move's permission or guard, or switch it off, on the
workflow page); the fields and activity line each move implies are
``services.case_on_apply``. The SLA sweep's escalation of breached cases is the system's bulk
mark (cases.sweep, set-based), not a person's move.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy, gettext_noop

from amanah.audit.models import AuditAction
from amanah.cases import services
from amanah.cases.models import OPEN_STATUSES
from amanah.cases.models import CaseStatus as S
from amanah.cases.policies import CASE_ASSIGN, CASE_CLOSE, CASE_REOPEN, CASE_UPDATE
from amanah.workflow.contract import TransitionSpec, WorkflowSpec

HAS_FINAL_RESPONSE = "cases.case.has_final_response"
FINAL_RESPONSE_LONG_ENOUGH = "cases.case.final_response_long_enough"
RESOLUTION_READY = "cases.case.resolution_ready"
HAS_ESCALATION_REASON = "cases.case.has_escalation_reason"
WITHIN_REOPEN_WINDOW = "cases.case.within_reopen_window"
DUPLICATE_TARGET_VALID = "cases.case.duplicate_target_valid"

# The guards, (key, check, message, field) each: registered by the contract, in this order.
GUARDS = (
    (
        HAS_FINAL_RESPONSE,
        services.has_final_response,
        gettext_lazy("Kasus tidak dapat ditutup sebelum jawaban akhir diisi."),
        "final_response",
    ),
    (
        FINAL_RESPONSE_LONG_ENOUGH,
        services.final_response_long_enough,
        gettext_lazy("Jawaban akhir minimal 20 karakter."),
        "final_response",
    ),
    # Since issue 16 the resolve move asks for the resolution code with the final response; the
    # guard above stays registered for rows an ADMIN set to it (migration 0008 moves the
    # default).
    (
        RESOLUTION_READY,
        services.resolution_ready,
        gettext_lazy(
            "Jawaban akhir minimal 20 karakter dan kode penyelesaian dari daftar yang berlaku."
        ),
        "resolution_code",
    ),
    (
        HAS_ESCALATION_REASON,
        services.has_escalation_reason,
        gettext_lazy("Tuliskan alasan eskalasi (minimal 10 karakter)."),
        "reason",
    ),
    (
        WITHIN_REOPEN_WINDOW,
        services.within_reopen_window,
        gettext_lazy(
            "Kasus hanya dapat dibuka kembali dalam batas hari setelah ditutup, dengan alasan."
        ),
        "reason",
    ),
    (
        DUPLICATE_TARGET_VALID,
        services.duplicate_target_valid,
        gettext_lazy("Kasus asal harus kasus lain dalam cakupan Anda yang bukan duplikat."),
        "duplicate_of",
    ),
)


def _to_cancelled(source: str) -> TransitionSpec:
    """Cancel as a duplicate: who may close a case may say it repeats another one."""
    return TransitionSpec(
        source,
        S.CANCELLED,
        CASE_CLOSE,
        gettext_noop("Batalkan sebagai duplikat"),
        guard=DUPLICATE_TARGET_VALID,
        required=("duplicate_of",),
        audit_action=AuditAction.CLOSE_CASE,
    )


def _to_escalated(source: str) -> TransitionSpec:
    return TransitionSpec(
        source,
        S.ESCALATED,
        CASE_ASSIGN,
        gettext_noop("Eskalasi"),
        guard=HAS_ESCALATION_REASON,
        required=("reason",),
        audit_action=AuditAction.ESCALATE_CASE,
    )


def _to_resolved(source: str) -> TransitionSpec:
    return TransitionSpec(
        source,
        S.RESOLVED,
        CASE_UPDATE,
        gettext_noop("Jawaban akhir"),
        guard=RESOLUTION_READY,
        required=("final_response", "resolution_code"),
        audit_action=AuditAction.FINAL_RESPONSE,
    )


CASE_WORKFLOW = WorkflowSpec(
    key="cases.case",
    model="cases.Case",
    status_field="status",
    label=gettext_noop("Kasus"),
    audit_action=AuditAction.UPDATE_CASE,
    on_apply=services.case_on_apply,
    transitions=(
        # By hand, from the case page (labels: the statuses they lead to).
        TransitionSpec(S.NEW, S.IN_PROGRESS, CASE_UPDATE, gettext_noop("Diproses")),
        TransitionSpec(
            S.IN_PROGRESS, S.WAITING_INFO, CASE_UPDATE, gettext_noop("Menunggu info nasabah")
        ),
        TransitionSpec(S.WAITING_INFO, S.IN_PROGRESS, CASE_UPDATE, gettext_noop("Diproses")),
        # Taking an escalated case back, or reopening a resolved one: the supervisor's call.
        TransitionSpec(
            S.ESCALATED,
            S.IN_PROGRESS,
            CASE_REOPEN,
            gettext_noop("Ditarik dari eskalasi (Diproses)"),
        ),
        TransitionSpec(
            S.RESOLVED, S.IN_PROGRESS, CASE_REOPEN, gettext_noop("Buka kembali (Diproses)")
        ),
        # With their own forms: escalation (a reason), the final response, the close.
        *(_to_escalated(source) for source in (S.NEW, S.IN_PROGRESS, S.WAITING_INFO)),
        *(_to_resolved(source) for source in (S.NEW, S.IN_PROGRESS, S.ESCALATED)),
        # Reopening a closed case: within CASE_REOPEN_DAYS, with a reason (case_reopen).
        TransitionSpec(
            S.CLOSED,
            S.IN_PROGRESS,
            CASE_REOPEN,
            gettext_noop("Buka kembali"),
            guard=WITHIN_REOPEN_WINDOW,
            required=("reason",),
        ),
        *(_to_cancelled(source) for source in OPEN_STATUSES),
        TransitionSpec(
            S.RESOLVED,
            S.CLOSED,
            CASE_CLOSE,
            gettext_noop("Tutup"),
            guard=HAS_FINAL_RESPONSE,
            required=("resolution_code",),
            audit_action=AuditAction.CLOSE_CASE,
        ),
    ),
)
