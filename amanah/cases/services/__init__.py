"""Every change to a case (seed 003 Bab 7.4, 8.2): permission and scope, validation, write,
activity log and audit event in one transaction — split by topic:

- ``intake``: a new complaint (``case_create``);
- ``moves``: what a move of the workflow ``cases.case`` means for a case, and its guards;
- ``lifecycle``: status changes through the engine (``workflow.contract.transition_apply``),
  the escalation, the final response, the close, the reopening, a duplicate, the extension,
  the priority, the root cause;
- ``assignment``: who handles a case (by hand, many at once, the handlers offered);
- ``replies``: notes, replies to the customer, documents in the log, the name revealed;
- ``queue``: the queue's saved filters;
- ``configuration``: resolution codes, categories and SLA policies (ADMIN);
- ``base``: what they share (the activity line, the row locks, the event names).

Callers keep using ``from amanah.cases import services as cases`` and ``cases.<name>``.
"""

from amanah.cases.services.assignment import (
    BULK_ASSIGN_MAX,
    BulkAssignResult,
    _eligible_handlers,
    case_assign,
    case_assign_many,
    queue_handlers,
)
from amanah.cases.services.base import (
    CASE_CLASSIFIED,
    CASE_CREATED,
    CASE_OWNER,
    CASE_PRIORITIZED,
    EVIDENCE,
    MIN_CHRONOLOGY,
    MIN_REASON,
    _locked_in_scope,
    _log,
)
from amanah.cases.services.configuration import (
    category_save,
    resolution_code_save,
    sla_policy_save,
)
from amanah.cases.services.intake import CaseInput, case_create
from amanah.cases.services.lifecycle import (
    case_cancel_duplicate,
    case_change_status,
    case_close,
    case_escalate,
    case_extend,
    case_final_response,
    case_prioritize,
    case_reopen,
    case_set_root_cause,
    may_escalate,
)
from amanah.cases.services.moves import (
    case_on_apply,
    duplicate_target_valid,
    final_response_long_enough,
    has_escalation_reason,
    has_final_response,
    is_resolution_code,
    normalise_resolution_code,
    resolution_ready,
    within_reopen_window,
)
from amanah.cases.services.queue import saved_filter_delete, saved_filter_save
from amanah.cases.services.replies import (
    REPLY_MAX,
    case_add_note,
    case_customer_name_reveal,
    case_for_reply,
    case_log_document,
    case_reply_log,
    check_reply_text,
)

__all__ = [
    "BULK_ASSIGN_MAX",
    "CASE_CLASSIFIED",
    "CASE_CREATED",
    "CASE_OWNER",
    "CASE_PRIORITIZED",
    "EVIDENCE",
    "MIN_CHRONOLOGY",
    "MIN_REASON",
    "REPLY_MAX",
    "BulkAssignResult",
    "CaseInput",
    # Private helpers other modules of cases (the classifier) and tests reach for.
    "_eligible_handlers",
    "_locked_in_scope",
    "_log",
    "case_add_note",
    "case_assign",
    "case_assign_many",
    "case_cancel_duplicate",
    "case_change_status",
    "case_close",
    "case_create",
    "case_customer_name_reveal",
    "case_escalate",
    "case_extend",
    "case_final_response",
    "case_for_reply",
    "case_log_document",
    "case_on_apply",
    "case_prioritize",
    "case_reopen",
    "case_reply_log",
    "case_set_root_cause",
    "category_save",
    "check_reply_text",
    "duplicate_target_valid",
    "final_response_long_enough",
    "has_escalation_reason",
    "has_final_response",
    "is_resolution_code",
    "may_escalate",
    "normalise_resolution_code",
    "queue_handlers",
    "resolution_code_save",
    "resolution_ready",
    "saved_filter_delete",
    "saved_filter_save",
    "sla_policy_save",
    "within_reopen_window",
]
