"""What the workflow engine offers the rest of the house.

Declare (in your app's ``contract.py``): ``declare_workflow(WorkflowSpec(...))`` with its
``TransitionSpec`` defaults, and ``register_guard(key, check, message=...)``.
Change a status: ``transition_apply(actor=, obj=, to=, **data)``; undo the last change:
``transition_revert(actor=, obj=, reason=)``.
Ask (views): ``available_transitions(actor, obj)``, ``moves_by_status(actor, Model)``,
``available_revert(actor, obj)``, ``history_for(actor, obj)``.
Listen: the event ``"<workflow key>.transitioned"`` (actor, obj, from_status, to_status, revert);
``times_moved_to(key, obj, status)`` numbers a move (idempotency keys of what it causes).
A system job telling who may take a step: ``step_permissions(Model)``.
A set-based move the owner made in one UPDATE: ``history_record_many(...)`` writes its lines.
"""

from django.utils.translation import gettext_lazy

from amanah.core import registry
from amanah.core.contributions import NavItem
from amanah.workflow.policies import WORKFLOW_VIEW
from amanah.workflow.registry import (
    TransitionSpec,
    WorkflowSpec,
    declare_workflow,
    register_guard,
)
from amanah.workflow.selectors import (
    Move,
    available_revert,
    available_transitions,
    history_for,
    moves_by_status,
    step_permissions,
    times_moved_to,
)
from amanah.workflow.services import history_record_many, transition_apply, transition_revert

__all__ = [
    "Move",
    "TransitionSpec",
    "WorkflowSpec",
    "available_revert",
    "available_transitions",
    "declare_workflow",
    "history_for",
    "history_record_many",
    "moves_by_status",
    "register_guard",
    "step_permissions",
    "times_moved_to",
    "transition_apply",
    "transition_revert",
]

registry.navigation.register(
    "workflow.list",
    NavItem(gettext_lazy("Alur kerja"), "workflow:list", WORKFLOW_VIEW, "admin"),
    order=250,
)
