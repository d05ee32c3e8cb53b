"""Merging duplicate customers: proposed by one user, approved by a different supervisor.

Nothing is lost: each app registers in its contract a mover (``registry.merge_movers``:
fn(absorbed, survivor) -> rows moved) that re-points its rows from the absorbed customer to the
survivor; the absorbed record stays (CLOSED, ``merged_into`` set) for the history.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from amanah.audit import services as audit
from amanah.audit.models import AuditAction
from amanah.core import events, registry
from amanah.core.actors import user_or_none
from amanah.core.errors import ServiceError
from amanah.core.inputs import optional_text
from amanah.customers.models import (
    Customer,
    CustomerRelation,
    CustomerStatus,
    DuplicateFlag,
    DuplicateStatus,
    FraudFlagChange,
    MergeRequest,
    MergeStatus,
    PortfolioAssignment,
)
from amanah.customers.policies import MERGE_APPROVE, MERGE_PROPOSE
from amanah.customers.services.inputs import PRODUCT_FIELDS, reason_text
from amanah.iam import authz
from amanah.workflow.contract import history_record_many, transition_apply

# Emitted by merge_propose in its transaction: fn(*, actor, request). Decisions are the
# workflow's "customers.merge.transitioned".
MERGE_PROPOSED = "customers.merge_proposed"


@transaction.atomic
def merge_propose(*, actor, survivor: Customer, absorbed: Customer, reason: str) -> MergeRequest:
    authz.require(actor, MERGE_PROPOSE, survivor)
    authz.require(actor, MERGE_PROPOSE, absorbed)
    if survivor.pk == absorbed.pk:
        raise ServiceError("merge_self", _("Pilih dua nasabah yang berbeda."))
    if survivor.is_merged or absorbed.is_merged:
        raise ServiceError("already_merged", _("Salah satu nasabah sudah digabung."))
    if len((reason or "").strip()) < 10:
        raise ServiceError(
            "reason_required", _("Tuliskan alasan (minimal 10 karakter)."), field="reason"
        )
    if MergeRequest.objects.filter(absorbed=absorbed, status=MergeStatus.PENDING).exists():
        raise ServiceError("merge_pending", _("Sudah ada usulan penggabungan untuk nasabah ini."))
    request = MergeRequest.objects.create(
        survivor=survivor, absorbed=absorbed, reason=reason.strip(), proposed_by=actor
    )
    events.emit(MERGE_PROPOSED, actor=actor, request=request)  # the approvers hear of it
    audit.record(
        actor=actor,
        action=AuditAction.PROPOSE_MERGE,
        obj=request,
        meta={"survivor": str(survivor.pk), "absorbed": str(absorbed.pk)},
    )
    return request


# Decisions go through the workflow ``customers.merge`` (see customers.contract): PENDING →
# APPROVED / REJECTED, four eyes as its guard; the merge itself runs in the approval's
# transaction (``merge_on_apply``), so a refused or failed approval moves nothing.


def decided_by_someone_else(request: MergeRequest, data: dict) -> bool:
    """Workflow guard: the proposer never decides on their own proposal."""
    return request.proposed_by_id != getattr(data["actor"], "pk", None)


def merge_on_apply(request: MergeRequest, *, transition, data: dict, at) -> list[str]:
    """A decision keeps who, when and the note; an approval merges, its counts audited."""
    actor = data["actor"]
    request.decided_by = user_or_none(actor)
    request.decided_at, request.decision_note = at, optional_text(data.get("note"), max_length=2000)
    if transition.to_status == MergeStatus.APPROVED:
        data["audit"].update(_merge(actor, request.survivor, request.absorbed, at))
    return ["decided_by", "decided_at", "decision_note"]


def _merge(actor, survivor: Customer, absorbed: Customer, at) -> dict:
    """Move everything from the absorbed customer to the survivor (the caller's transaction);
    the pair's possible-duplicate flags and the absorbed one's other open flags are decided
    (MERGED) with a history line each, under the approver's name."""
    moved = {name: mover(absorbed, survivor) for name, mover in registry.merge_movers.items()}
    moved["customers.duplicate_flags"] = _close_duplicate_flags(actor, absorbed, survivor, at)
    absorbed.merged_into, absorbed.status = survivor, CustomerStatus.CLOSED
    absorbed.updated_at = at
    absorbed.save(update_fields=["merged_into", "status", "updated_at"])
    return {"survivor": str(survivor.pk), "absorbed": str(absorbed.pk), "moved": moved}


def _require_both_ends(actor, request: MergeRequest) -> None:
    authz.require(actor, MERGE_APPROVE, request.survivor)
    authz.require(actor, MERGE_APPROVE, request.absorbed)


def merge_reject(*, actor, request: MergeRequest, note: str = "") -> MergeRequest:
    _require_both_ends(actor, request)
    return transition_apply(actor=actor, obj=request, to=MergeStatus.REJECTED, note=note)


def merge_approve(*, actor, request: MergeRequest, note: str = "") -> Customer:
    """Approve and merge, in one transaction; returns the survivor."""
    _require_both_ends(actor, request)
    request = transition_apply(actor=actor, obj=request, to=MergeStatus.APPROVED, note=note)
    return request.survivor


# ------------------------------------------------------------------ the customers app's own rows


def move_identifiers(absorbed: Customer, survivor: Customer) -> int:
    held = set(survivor.identifiers.values_list("id_type", flat=True))
    count = 0
    for identifier in absorbed.identifiers.all():
        identifier.customer = survivor
        identifier.is_primary = identifier.id_type not in held
        identifier.save(update_fields=["customer", "is_primary"])
        held.add(identifier.id_type)
        count += 1
    return count


def move_relations(absorbed: Customer, survivor: Customer) -> int:
    count = 0
    for relation in CustomerRelation.objects.filter(
        Q(from_customer=absorbed) | Q(to_customer=absorbed)
    ):
        ends = {"from_customer": relation.from_customer, "to_customer": relation.to_customer}
        ends = {k: (survivor if v.pk == absorbed.pk else v) for k, v in ends.items()}
        duplicate = (
            ends["from_customer"].pk == ends["to_customer"].pk
            or CustomerRelation.objects.filter(
                relation_type=relation.relation_type, **ends
            ).exists()
        )
        if duplicate:
            relation.delete()  # the survivor already has this link
        else:
            CustomerRelation.objects.filter(pk=relation.pk).update(**ends)
            count += 1
    return count


def move_portfolio(absorbed: Customer, survivor: Customer) -> int:
    """The absorbed record's portfolio history goes to the survivor; its active RM stays only
    when the survivor has none (the survivor's own RM wins)."""
    if PortfolioAssignment.objects.filter(customer=survivor, active=True).exists():
        PortfolioAssignment.objects.filter(customer=absorbed, active=True).update(
            active=False, ended_at=timezone.now(), end_reason="merged"
        )
    return PortfolioAssignment.objects.filter(customer=absorbed).update(customer=survivor)


def move_fraud_flag_changes(absorbed: Customer, survivor: Customer) -> int:
    """The fraud flag's history follows the person (the flag itself: ``merge_profile``)."""
    return FraudFlagChange.objects.filter(customer=absorbed).update(customer=survivor)


def merge_profile(absorbed: Customer, survivor: Customer) -> int:
    """Fill the survivor's gaps from the absorbed record; products and flags are combined."""
    for name in ("phone_e164", "email", "birth_date", "segment_code"):
        if not getattr(survivor, name) and getattr(absorbed, name):
            setattr(survivor, name, getattr(absorbed, name))
    for name in (*PRODUCT_FIELDS, "is_vip", "fraud_flag"):
        setattr(survivor, name, getattr(survivor, name) or getattr(absorbed, name))
    survivor.updated_at = timezone.now()
    survivor.save()
    return 1


def _close_duplicate_flags(actor, absorbed: Customer, survivor: Customer, at) -> int:
    """The flags about the absorbed customer that were still to decide — open ones, and the
    pair's dismissed ones (they were the same person after all) — become MERGED in one
    UPDATE, each with a history line of the workflow ``customers.duplicate``."""
    pair = Q(customer_a=absorbed, customer_b=survivor) | Q(customer_a=survivor, customer_b=absorbed)
    about = Q(customer_a=absorbed) | Q(customer_b=absorbed)
    moved = 0
    for status, which in ((DuplicateStatus.OPEN, about), (DuplicateStatus.DISMISSED, pair)):
        flags = DuplicateFlag.objects.filter(which, status=status)
        ids = list(
            flags.order_by("pk").select_for_update(of=("self",)).values_list("pk", flat=True)
        )
        if not ids:
            continue
        DuplicateFlag.objects.filter(pk__in=ids).update(
            status=DuplicateStatus.MERGED, decided_by=user_or_none(actor), decided_at=at
        )
        history_record_many(
            actor=actor,
            workflow_key=DUPLICATE_WORKFLOW,
            from_status=status,
            to_status=DuplicateStatus.MERGED,
            object_ids=ids,
            at=at,
        )
        moved += len(ids)
    return moved


# The workflow of a possible duplicate (declared in the contract): OPEN → DISMISSED by a
# person with a note; OPEN / DISMISSED → MERGED when a merge of its customers is approved.
DUPLICATE_WORKFLOW = "customers.duplicate"


def duplicate_on_apply(flag: DuplicateFlag, *, transition, data: dict, at) -> list[str]:
    """A decision keeps who, when and the note (the note stays on the flag, never in the
    audit trail: the engine keeps its length)."""
    flag.decided_by, flag.decided_at = user_or_none(data["actor"]), at
    flag.decision_note = data.get("note", "")
    return ["decided_by", "decided_at", "decision_note"]


def duplicate_dismiss(*, actor, flag: DuplicateFlag, note: str) -> DuplicateFlag:
    """Not the same person: OPEN → DISMISSED on the engine, which locks the flag through the
    actor's scope (both customers visible) and refuses a flag no longer OPEN (merged, or
    dismissed meanwhile by someone else)."""
    note = reason_text(note, field="note")
    return transition_apply(actor=actor, obj=flag, to=DuplicateStatus.DISMISSED, note=note)
