"""Who handles a case: the handlers the case page and the queue may offer, an assignment by
hand (one case, or many from the queue) and what every assignment writes (also a routing
rule's, at intake)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from amanah.audit import services as audit
from amanah.audit.models import AuditAction
from amanah.cases import routing
from amanah.cases.models import ActivityType, Case
from amanah.cases.policies import CASE_ASSIGN
from amanah.cases.services.base import _locked, _log, _require_case, _touch
from amanah.core.errors import ServiceError
from amanah.core.prepared import prepared
from amanah.core.roles import RoleKey as R
from amanah.iam import authz
from amanah.iam.models import User
from amanah.notifications.services import Message, notify_many


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
