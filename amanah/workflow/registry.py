"""What the apps declare in code: their workflows (with default transitions) and their guards.

Each app declares these in its ``contract.py``. ``services.workflow_sync`` copies the
declarations into the tables after every migrate; from then on the tables are the truth and
ADMIN's edits win. Guards stay code: the table row names a guard by its key.

Both live in write-once stores of ``core.registry`` (``workflows``, ``workflow_guards``): a
second declaration under the same key is refused at start-up.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.utils.functional import Promise

from amanah.core import events, registry
from amanah.core.registry import DuplicateRegistration

# A guard answers "may this object take this transition with this data?" — True or False.
# ``data`` holds the caller's data plus ``data["actor"]``, the one making the move (the engine
# sets it; a caller cannot supply it), for rules like four eyes. ``on_apply`` sees it too, and
# may leave counts (never PII) for the audit row in the dict ``data["audit"]``.
GuardCheck = Callable[[Any, dict], bool]
# Sets the fields a transition implies (closed_at, probability …) on the locked object, before
# it is saved; returns the names of the fields it set. Raises ServiceError for bad data.
ApplyHook = Callable[..., list[str]]


@dataclass(frozen=True)
class Guard:
    key: str
    check: GuardCheck
    message: str | Promise  # shown to the user when the guard refuses (Indonesian, lazy)
    field: str | None = None  # the input the refusal is about, if any


@dataclass(frozen=True)
class TransitionSpec:
    """A default transition. ``label`` is an Indonesian msgid (mark it with gettext_noop):
    it is stored as is and translated when shown, so the English UI follows the catalogue."""

    from_status: str
    to_status: str
    permission: str
    label: str
    guard: str = ""
    required: tuple[str, ...] = ()
    timer: timedelta | None = None  # stored; firing timers is a later step
    is_revert: bool = False
    audit_action: str = ""  # empty: the workflow's action


@dataclass(frozen=True)
class WorkflowSpec:
    """A workflow bound to ``model`` (``app_label.ModelName``) and its ``status_field``."""

    key: str
    model: str
    status_field: str
    label: str  # Indonesian msgid, like TransitionSpec.label
    transitions: tuple[TransitionSpec, ...]
    audit_action: str = "TRANSITION"
    on_apply: ApplyHook | None = field(default=None, compare=False)


def declare_workflow(spec: WorkflowSpec) -> WorkflowSpec:
    """Declare ``spec`` in ``registry.workflows`` (one workflow per model) and its event."""
    if any(w.model == spec.model for w in registry.workflows.values()):
        raise DuplicateRegistration(f"model {spec.model!r} already has a workflow")
    pairs = [(t.from_status, t.to_status) for t in spec.transitions]
    if len(pairs) != len(set(pairs)):
        raise ValueError(f"workflow {spec.key!r} declares a transition twice")
    registry.workflows.register(spec.key, spec)
    events.declare(transitioned(spec.key))
    return spec


def transitioned(workflow_key: str) -> str:
    """The event every move of the workflow emits: (actor, obj, from_status, to_status, revert)."""
    return f"{workflow_key}.transitioned"


def register_guard(
    key: str, check: GuardCheck, *, message: str | Promise, field: str | None = None
) -> str:
    """Register a guard under ``key`` (e.g. ``sales.lead.has_close_reason``); returns the key."""
    registry.workflow_guards.register(key, Guard(key, check, message, field))
    return key
