"""The workflow engine: every status change of a stateful object, and ADMIN's edits.

``transition_apply`` is the one way to change a status: lock the row through the actor's scope,
find the transition from the current status, check permission, required fields and guard,
save, write the history line, emit the event, record the audit row last — one transaction, so
a failure anywhere leaves nothing behind. ``transition_revert`` is a compensating move back,
with a reason.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal

from django.core.exceptions import ObjectDoesNotExist
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from amanah.audit import services as audit
from amanah.audit.models import AuditAction
from amanah.core import events, registry
from amanah.core.actors import SystemActor
from amanah.core.errors import NotFound, ServiceError
from amanah.core.permissions import is_declared
from amanah.core.prepared import prepared
from amanah.iam import authz
from amanah.workflow.models import Transition, TransitionHistory, Workflow
from amanah.workflow.policies import WORKFLOW_MANAGE
from amanah.workflow.registry import WorkflowSpec, transitioned

REASON_MAX = 2000

# --------------------------------------------------------------------------- sync from code


def _check_declaration(spec: WorkflowSpec) -> None:
    """A declaration naming an unknown permission or guard is a programming error."""
    for t in spec.transitions:
        if not is_declared(t.permission):
            raise ValueError(f"{spec.key}: transition names unknown permission {t.permission!r}")
        if t.guard and t.guard not in registry.workflow_guards:
            raise ValueError(f"{spec.key}: transition names unknown guard {t.guard!r}")


def workflow_sync(*, using: str = "default") -> list[str]:
    """Copy declared workflows and their default transitions into the tables; idempotent.

    Runs after every migrate. The binding (model, status field, label) follows the code; a
    transition is created once, the first time it is seen, and ADMIN's later edits to it are
    never undone. Returns the transitions created (``key:FROM>TO``).
    """
    created: list[str] = []
    with transaction.atomic(using=using):
        for spec in registry.workflows.values():
            _check_declaration(spec)
            workflow, _new = Workflow.objects.using(using).update_or_create(
                key=spec.key,
                defaults={
                    "model": spec.model,
                    "status_field": spec.status_field,
                    "label": spec.label,
                    "audit_action": str(spec.audit_action),
                },
            )
            created += _create_missing_transitions(workflow, spec, using)
        if created:
            audit.record(
                actor=SystemActor("system:migrate"),
                action=AuditAction.CHANGE_WORKFLOW,
                object_type="WORKFLOW",
                object_id="defaults",
                meta={"seeded": created},
            )
    return created


def _create_missing_transitions(workflow, spec, using) -> list[str]:
    rows = Transition.objects.using(using).filter(workflow=workflow)
    seen = set(rows.values_list("from_status", "to_status", "is_revert"))
    fresh = [
        Transition(
            workflow=workflow,
            from_status=str(t.from_status),
            to_status=str(t.to_status),
            permission=t.permission,
            guard=t.guard,
            required_fields=list(t.required),
            timer=t.timer,
            label=t.label,
            is_revert=t.is_revert,
            audit_action=str(t.audit_action),
            position=position,
        )
        for position, t in enumerate(spec.transitions)
        if (str(t.from_status), str(t.to_status), t.is_revert) not in seen
    ]
    Transition.objects.using(using).bulk_create(fresh)
    return [f"{spec.key}:{t.from_status}>{t.to_status}" for t in fresh]


# --------------------------------------------------------------------------- the engine


@prepared(Workflow, params=("label",))
def _workflow_row(_actor, *, label):
    return Workflow.objects.filter(model=label)[:1]  # in the model's order, as .first()


def workflow_for(model: type[models.Model]) -> Workflow:
    workflow = _workflow_row.first(None, label=model._meta.label)
    if workflow is None:
        raise LookupError(f"no workflow for {model._meta.label}; run migrate to sync it")
    return workflow


def _lock(actor, obj: models.Model) -> models.Model:
    """The object again, row-locked, through the actor's scope: out of scope is missing.

    Only its own row, and FOR NO KEY UPDATE: a status change touches no key, so rows that
    merely point at this one (activities, history) are not held up by it.
    """
    manager = type(obj)._default_manager
    rows = manager.visible_to(actor).select_for_update(no_key=True, of=("self",))
    try:
        return rows.get(pk=obj.pk)
    except ObjectDoesNotExist:
        raise NotFound() from None


def _not_allowed(current: str, to) -> ServiceError:
    shown = to if isinstance(to, str) and to.isprintable() else "?"
    return ServiceError(
        "transition_not_allowed",
        _("Perpindahan status %(a)s → %(b)s tidak diizinkan.") % {"a": current, "b": shown[:32]},
        field="to",
    )


def _supplied(value) -> bool:
    return value is not None and (not isinstance(value, str) or value.strip() != "")


def _check_required(transition: Transition, data: dict) -> None:
    for name in transition.required_fields:
        if not _supplied(data.get(name)):
            raise ServiceError(
                "field_required",
                _("Kolom %(field)s wajib diisi untuk perpindahan ini.") % {"field": name},
                field=name,
            )


def _check_guard(transition: Transition, obj, data: dict) -> None:
    if not transition.guard:
        return
    if transition.guard not in registry.workflow_guards:
        # fail closed: a row naming a guard the code no longer has
        raise ServiceError("guard_failed", _("Syarat perpindahan tidak dikenal; hubungi admin."))
    guard = registry.workflow_guards.get(transition.guard)
    if not guard.check(obj, data):
        raise ServiceError("guard_failed", str(guard.message), field=guard.field)


def _check(actor, transition: Transition, obj, data: dict) -> None:
    authz.require(actor, transition.permission)
    _check_required(transition, data)
    _check_guard(transition, obj, data)


def _safe_data(transition: Transition, data: dict) -> dict:
    """The supplied required fields without free text: text is kept as its length."""
    safe: dict = {}
    for name in transition.required_fields:
        value = data.get(name)
        if isinstance(value, str):
            safe[f"{name}_length"] = len(value.strip())
        elif value is None or isinstance(value, bool | int):
            safe[name] = value
        elif isinstance(value, Decimal | date):
            safe[name] = str(value)
        elif isinstance(value, models.Model):
            safe[name] = str(value.pk)
    return safe


def _model_fields(obj, names: Iterable[str], status_field: str) -> list[str]:
    concrete = {f.name for f in obj._meta.concrete_fields if not f.primary_key}
    return [n for n in names if n in concrete and n != status_field]


def _apply(actor, workflow: Workflow, transition: Transition, obj, data: dict, **revert):
    """Save the move, write the history line, emit the event, then record the audit row —
    last, all in the caller's transaction. The order matters: ``audit.record`` takes the
    chain's lock and holds it until the commit, so what the ``*.transitioned`` handlers write
    (messages, notices, NBA outcomes) must come before it; a handler run under the lock would
    keep every other audited transaction waiting for it, and take its own row locks while
    holding the chain's — the order that deadlocks at COMMIT (``cases/services.py``)."""
    field, previous, at = workflow.status_field, getattr(obj, workflow.status_field), timezone.now()
    setattr(obj, field, transition.to_status)
    fields = [field]
    for name in _model_fields(obj, transition.required_fields, field):
        setattr(obj, name, data[name])
        fields.append(name)
    spec = registry.workflows.get(workflow.key) if workflow.key in registry.workflows else None
    if spec is not None and spec.on_apply is not None:
        fields += spec.on_apply(obj, transition=transition, data=data, at=at)
    obj.save(update_fields=list(dict.fromkeys(fields)))
    safe = _safe_data(transition, data)
    line = TransitionHistory.objects.create(
        workflow=workflow,
        transition=transition,
        object_id=str(obj.pk),
        from_status=previous,
        to_status=transition.to_status,
        actor_id=str(actor.pk) if getattr(actor, "pk", None) is not None else "",
        actor_label=getattr(actor, "username", "") or "system",
        data=safe,
        reason=revert.get("reason", ""),
        reverts=revert.get("reverts"),
        at=at,
    )
    events.emit(
        transitioned(workflow.key),
        actor=actor,
        obj=obj,
        from_status=previous,
        to_status=transition.to_status,
        revert=line.reverts_id is not None,
    )
    audit.record(
        actor=actor,
        action=transition.audit_action or workflow.audit_action,
        obj=obj,
        meta={
            "workflow": workflow.key,
            "from": previous,
            "to": transition.to_status,
            "history": line.pk,
            **safe,
            **data.get("audit", {}),
            **({"revert": True, "reason_length": len(line.reason)} if line.reverts_id else {}),
        },
    )
    return obj


@transaction.atomic
def transition_apply(*, actor, obj: models.Model, to: str, **data) -> models.Model:
    """Move ``obj`` to status ``to``; returns the saved, locked instance.

    Raises NotFound (missing or out of scope), PermissionDenied, or ServiceError with code
    ``transition_not_allowed``, ``field_required`` or ``guard_failed``; nothing is written then.
    Supplied required fields that are model fields are saved with the status; the rest of
    ``data`` goes to the workflow's ``on_apply`` hook and (without free text) to history.
    """
    workflow = workflow_for(type(obj))
    obj = _lock(actor, obj)
    current = getattr(obj, workflow.status_field)
    # Matched in Python, not in SQL: ``to`` is caller input (NUL bytes and all).
    moves = workflow.transitions.filter(from_status=current, is_revert=False, enabled=True)
    transition = next((t for t in moves if t.to_status == to), None)
    if transition is None:
        raise _not_allowed(current, to)
    data["actor"] = actor  # for guards like four eyes; a caller cannot forge it (our keyword)
    data["audit"] = {}  # on_apply may leave counts (no PII) here for the audit row
    _check(actor, transition, obj, data)
    return _apply(actor, workflow, transition, obj, data)


def history_record_many(
    *, actor, workflow_key: str, from_status: str, to_status: str, object_ids, at
) -> int:
    """History lines for a set-based move the owning service made itself (e.g. assigning
    thousands of work orders in one UPDATE): one line per object, in one INSERT, under the
    declared transition. The caller has checked that transition's permission, locked and
    moved the rows, and writes one audit row for the batch; returns the lines written."""
    workflow = Workflow.objects.get(key=workflow_key)
    transition = workflow.transitions.get(
        from_status=from_status, to_status=to_status, is_revert=False
    )
    authz.require(actor, transition.permission)
    lines = [
        TransitionHistory(
            workflow=workflow,
            transition=transition,
            object_id=str(pk),
            from_status=str(from_status),
            to_status=str(to_status),
            actor_id=str(actor.pk) if getattr(actor, "pk", None) is not None else "",
            actor_label=getattr(actor, "username", "") or "system",
            data={"bulk": True},
            at=at,
        )
        for pk in object_ids
    ]
    TransitionHistory.objects.bulk_create(lines, batch_size=5000)
    return len(lines)


def revert_for(workflow: Workflow, obj) -> tuple[TransitionHistory, Transition] | None:
    """The line ``transition_revert`` would undo and the revert transition it would take.

    Only the latest line, only if the object still stands where it left it, never a revert
    itself, and only where an enabled revert transition leads back.
    """
    current = getattr(obj, workflow.status_field)
    last = (
        TransitionHistory.objects.filter(workflow=workflow, object_id=str(obj.pk))
        .order_by("-id")
        .first()
    )
    if last is None or last.to_status != current or last.reverts_id is not None:
        return None
    transition = workflow.transitions.filter(
        from_status=current, to_status=last.from_status, is_revert=True, enabled=True
    ).first()
    return (last, transition) if transition is not None else None


def _clean_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ServiceError("field_required", _("Alasan pembatalan wajib diisi."), field="reason")
    if len(reason) > REASON_MAX:
        raise ServiceError(
            "reason_too_long", _("Alasan maks. %d karakter.") % REASON_MAX, field="reason"
        )
    return reason


@transaction.atomic
def transition_revert(*, actor, obj: models.Model, reason: str) -> models.Model:
    """Undo the latest move of ``obj`` by a compensating move back, with a reason.

    Only where a revert transition from the current status back to the previous one is
    declared (and enabled); a revert is never itself reverted, and nothing is deleted.
    """
    reason = _clean_reason(reason)
    workflow = workflow_for(type(obj))
    obj = _lock(actor, obj)
    found = revert_for(workflow, obj)
    if found is None:
        raise ServiceError(
            "transition_not_allowed", _("Tidak ada perpindahan yang dapat dibatalkan.")
        )
    last, transition = found
    data = {"reason": reason, "actor": actor, "audit": {}}
    _check(actor, transition, obj, data)
    return _apply(actor, workflow, transition, obj, data, reason=reason, reverts=last)


# --------------------------------------------------------------------------- ADMIN edits


def _clean_permission(code: str) -> str:
    code = (code or "").strip()
    if not is_declared(code):
        raise ServiceError("permission_unknown", _("Izin tidak dikenal."), field="permission")
    return code


def _clean_guard(key: str) -> str:
    key = (key or "").strip()
    if key and key not in registry.workflow_guards:
        raise ServiceError("guard_unknown", _("Guard tidak dikenal."), field="guard")
    return key


@transaction.atomic
def transition_update(
    *, actor, transition: Transition, permission: str, guard: str, enabled: bool
) -> Transition:
    """ADMIN changes who may take a transition, its guard, or switches it off; CHANGE_WORKFLOW."""
    authz.require(actor, WORKFLOW_MANAGE)
    row = (
        Transition.objects.select_for_update(of=("self",))
        .select_related("workflow")
        .filter(pk=transition.pk)
        .first()
    )
    if row is None:
        raise NotFound()
    after = {
        "permission": _clean_permission(permission),
        "guard": _clean_guard(guard),
        "enabled": bool(enabled),
    }
    before = {name: getattr(row, name) for name in after}
    if before == after:
        return row
    for name, value in after.items():
        setattr(row, name, value)
    row.updated_at = timezone.now()
    row.save(update_fields=[*after, "updated_at"])
    audit.record(
        actor=actor,
        action=AuditAction.CHANGE_WORKFLOW,
        obj=row,
        meta={
            "workflow": row.workflow.key,
            "from": row.from_status,
            "to": row.to_status,
            "before": before,
            "after": after,
        },
    )
    return row
