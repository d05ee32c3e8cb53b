"""What every case service shares: the event names and limits, the activity line, the row
locks (lock order in every case service: the case row first, the audit chain lock last) and
the permission-plus-scope check."""

from __future__ import annotations

from django.utils import timezone

from amanah.cases.models import Case, CaseActivity, CaseStatus
from amanah.core.actors import user_or_none
from amanah.core.errors import NotFound
from amanah.iam import authz

S = CaseStatus
MIN_CHRONOLOGY = 10

# Emitted by case_create inside its transaction: fn(*, actor, case) (declared in the contract).
CASE_CREATED = "cases.case_created"
# Emitted when a complaint's category is decided (classifier or agent): fn(*, actor, case,
# source) — see the contract; by case_create and classifier.suggestion_decide.
CASE_CLASSIFIED = "cases.case_classified"
# Emitted by case_prioritize inside its transaction: fn(*, actor, case, previous).
CASE_PRIORITIZED = "cases.case_prioritized"

CASE_OWNER = "cases.Case"  # the owner kind cases registers with documents
EVIDENCE = "EVIDENCE"  # the document type of a file given with a complaint
MIN_REASON = 10  # an escalation's reason, at least


def _log(case: Case, actor, activity_type: str, message: str = "", **meta) -> CaseActivity:
    return CaseActivity.objects.create(
        case=case,
        activity_type=activity_type,
        message=message,
        actor=user_or_none(actor),
        actor_label=getattr(actor, "username", "system"),
        meta=meta,
    )


def _require_case(actor, permission: str, case: Case) -> None:
    """Permission plus scope: an agent may touch only cases they created or are assigned."""
    authz.require(actor, permission)
    if not Case.objects.visible_to(actor).filter(pk=case.pk).exists():
        raise NotFound()


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


def _touch(case: Case, *fields: str) -> None:
    case.updated_at = timezone.now()
    case.save(update_fields=[*fields, "updated_at"])
