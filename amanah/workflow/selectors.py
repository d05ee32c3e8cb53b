"""Reads of the workflow engine: which moves an actor may make (for views), the history of an
object, and the transition tables for ADMIN. Views ask these; they never read the tables."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import models

from amanah.core import reads, registry
from amanah.core.errors import NotFound
from amanah.core.prepared import prepared
from amanah.iam import authz
from amanah.workflow.models import Transition, TransitionHistory, Workflow
from amanah.workflow.policies import WORKFLOW_VIEW
from amanah.workflow.services import revert_for, workflow_for


@dataclass(frozen=True)
class Move:
    """A transition an actor may take, as a view shows it (guards are checked on apply)."""

    to_status: str
    label: str
    required_fields: tuple[str, ...]
    is_revert: bool = False
    guard: str = ""  # the guard's key, "" without one


def _move(transition: Transition) -> Move:
    return Move(
        transition.to_status,
        transition.display_label,
        tuple(transition.required_fields),
        transition.is_revert,
        transition.guard or "",
    )


def _guard_allows(move: Move, actor, obj) -> bool:
    """The move's guard asked with the actor alone (the data a list has); an unknown guard
    refuses, as on apply."""
    if not move.guard:
        return True
    if move.guard not in registry.workflow_guards:
        return False
    return bool(registry.workflow_guards.get(move.guard).check(obj, {"actor": actor}))


def _workflow(model: type[models.Model]) -> Workflow:
    """``model``'s workflow row: read once per page inside ``reads.one_view`` (the page that
    asks for both its moves by status and an object's moves reads the row once)."""
    return reads.remembered(
        ("workflow.workflow_for", model._meta.label), lambda: workflow_for(model)
    )


def moves_by_status(actor, model: type[models.Model]) -> dict[str, list[Move]]:
    """Every status of ``model``'s workflow → the forward moves the actor's role may take.

    One query for a whole board or list; permission only — guards need the caller's data.
    """
    return _moves_by_status(actor, _workflow(model))


@prepared(Transition, params=("workflow",))
def _forward_transitions(_actor, *, workflow):
    return Transition.objects.filter(workflow=workflow, enabled=True, is_revert=False).order_by(
        "position", "id"
    )


def _moves_by_status(actor, workflow: Workflow) -> dict[str, list[Move]]:
    granted = authz.permissions_of(actor)
    moves: dict[str, list[Move]] = {}
    for transition in _forward_transitions(None, workflow=workflow):
        if transition.permission in granted:
            moves.setdefault(transition.from_status, []).append(_move(transition))
    return moves


def available_transitions(
    actor,
    obj: models.Model,
    *,
    by_status: dict[str, list[Move]] | None = None,
    guarded: bool = False,
) -> list[Move]:
    """The forward moves the actor may offer on ``obj`` (already loaded through its scope).

    ``by_status``: ``moves_by_status(actor, type(obj))`` when the caller holds it already (a
    page that needs both asks the tables once). ``guarded``: leave out a move whose guard
    refuses this actor already (four eyes: the requester's own grant), for a page that
    should not offer a button bound to fail; a guard that needs the move's input is still
    checked only on apply."""
    workflow = _workflow(type(obj))
    if by_status is None:
        by_status = _moves_by_status(actor, workflow)
    moves = by_status.get(getattr(obj, workflow.status_field), [])
    if guarded:
        moves = [m for m in moves if _guard_allows(m, actor, obj)]
    return moves


def available_revert(actor, obj: models.Model) -> Move | None:
    """The compensating move back that ``transition_revert`` would take, if the actor may."""
    found = revert_for(workflow_for(type(obj)), obj)
    if found is None or not authz.has_perm(actor, found[1].permission):
        return None
    return _move(found[1])


def history_for(actor, obj: models.Model) -> list[TransitionHistory]:
    """The object's status changes, newest first, for whoever may see the object."""
    if not authz.in_scope(actor, obj):
        raise NotFound()
    workflow = workflow_for(type(obj))
    return list(
        TransitionHistory.objects.filter(workflow=workflow, object_id=str(obj.pk)).order_by("-id")
    )


def workflow_list(actor) -> list[Workflow]:
    authz.require(actor, WORKFLOW_VIEW)
    return list(Workflow.objects.prefetch_related("transitions").order_by("key"))


def transition_get(actor, transition_id: int) -> Transition:
    authz.require(actor, WORKFLOW_VIEW)
    transition = Transition.objects.select_related("workflow").filter(pk=transition_id).first()
    if transition is None:
        raise NotFound()
    return transition


def times_moved_to(workflow_key: str, obj: models.Model, status: str) -> int:
    """How many moves of ``obj`` so far led to ``status`` (reverts included): inside the move's
    own transaction, the ordinal of this move — what keeps a notice about it idempotent."""
    return TransitionHistory.objects.filter(
        workflow__key=workflow_key, object_id=str(obj.pk), to_status=status
    ).count()


def step_permissions(model: type[models.Model]) -> dict[str, list[tuple[str, str]]]:
    """Every status of ``model``'s workflow → (permission, label) of each enabled forward move
    from it, as the matrix stands now (ADMIN may re-assign them). For system jobs that tell
    whoever may take the next step (reminders); not scoped by an actor."""
    steps: dict[str, list[tuple[str, str]]] = {}
    rows = workflow_for(model).transitions.filter(enabled=True, is_revert=False)
    for transition in rows.order_by("position", "id"):
        steps.setdefault(transition.from_status, []).append(
            (transition.permission, transition.display_label)
        )
    return steps
