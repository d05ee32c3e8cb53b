"""Domain events, handled inside the transaction that caused them (DESIGN §2.1).

The emitting app declares its events in its contract; other apps subscribe in theirs::

    # cases/contract.py
    events.declare("cases.case_closed")
    # sales/contract.py
    events.on("cases.case_closed", create_followup)           # fn(*, actor, case)
    # cases/services.py, inside case_close's transaction
    events.emit("cases.case_closed", actor=actor, case=case)

A handler runs synchronously, in the emitter's transaction: what it writes commits or rolls
back with the change that caused it, and an exception in it undoes the whole change. A slow
handler registers with ``deferred=True``: it then runs as a job once the transaction has
committed (never for a change that rolled back), receiving the objects fetched afresh by their
primary keys, and the emitter's actor: a member of staff in the role it acted in, a declared
job actor by its name (its declared grants), an API key's actor with its own grants — and for a
``SystemActor`` (the CLI, the demo) an actor named after it with no permission at all: a job
never holds every permission. Handlers run in (order, key) order; a handler is registered once
per event.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

from django.apps import apps
from django.db import connection, models, transaction

from amanah.core import registry
from amanah.core.actors import IntegrationActor, SystemActor, declared


class UnknownEvent(LookupError):
    """An event name nobody declared: a typo would otherwise be a handler that never runs."""


@dataclass(frozen=True)
class EventHandler:
    event: str
    handle: Callable[..., object]  # fn(*, actor, **objects)
    deferred: bool = False


def declare(name: str) -> str:
    """Declare an event the calling app emits (``"<app>.<what happened>"``); returns the name."""
    registry.events.register(name, name)
    return name


def on(
    event: str,
    handler: Callable[..., object],
    *,
    deferred: bool = False,
    key: str | None = None,
    order: int = 50,
) -> Callable[..., object]:
    """Subscribe ``handler(*, actor, **objects)`` to a declared event."""
    _require_declared(event)
    key = key or f"{handler.__module__}.{handler.__qualname__}"
    registry.event_handlers.register(
        _handler_key(event, key), EventHandler(event, handler, deferred), order=order
    )
    return handler


def handlers_of(event: str) -> list[tuple[str, EventHandler]]:
    prefix = f"{event}:"
    return [(k, h) for k, h in registry.event_handlers.items() if k.startswith(prefix)]


def emit(event: str, *, actor, **objects) -> None:
    """Run the event's handlers now, inside the caller's transaction (deferred ones on commit).

    Refused outside ``transaction.atomic``: an effect that could commit without its cause (or
    the other way round) is what events exist to prevent.
    """
    _require_declared(event)
    if not connection.in_atomic_block:
        raise RuntimeError(f"events.emit({event!r}) must run inside the business transaction")
    for key, handler in handlers_of(event):
        if handler.deferred:
            payload = {name: _reference(value) for name, value in objects.items()}
            transaction.on_commit(partial(_defer, key, _actor_reference(actor), payload))
        else:
            handler.handle(actor=actor, **objects)


def run_deferred(handler_key: str, actor: dict, objects: dict) -> None:
    """The job's side: fetch the actor and objects again and run the handler in a transaction."""
    handler = registry.event_handlers.get(handler_key)
    with transaction.atomic():
        handler.handle(
            actor=_resolve_actor(actor),
            **{name: _resolve(value) for name, value in objects.items()},
        )


# --------------------------------------------------------------------------- internals


def _require_declared(event: str) -> None:
    if event not in registry.events:
        raise UnknownEvent(f"event {event!r} is not declared by any app's contract")


def _handler_key(event: str, key: str) -> str:
    return f"{event}:{key}"


def _defer(handler_key: str, actor: dict, objects: dict) -> None:
    from amanah.core.tasks import run_event_handler

    run_event_handler.defer(handler_key=handler_key, actor=actor, objects=objects)


def _reference(value):
    """Model instances travel as (label, pk); anything else must already be JSON."""
    if isinstance(value, models.Model):
        pk = value.pk if isinstance(value.pk, int) else str(value.pk)  # UUIDs travel as text
        return {"model": value._meta.label, "pk": pk}
    return {"value": value}


def _resolve(reference: dict):
    if "model" in reference:
        return apps.get_model(reference["model"])._default_manager.get(pk=reference["pk"])
    return reference["value"]


def _actor_reference(actor) -> dict:
    if isinstance(actor, SystemActor):
        # Never every permission in a job: what a system actor (the CLI, the demo's seeding)
        # set off is done later by an actor named after it with no grants at all; a handler
        # that needs some acts as its own declared actor.
        return {"after": actor.username}
    if isinstance(actor, IntegrationActor):
        if actor.name in registry.job_actors and registry.job_actors.get(actor.name) is actor:
            # A declared actor travels by name: the job acts with its declared grants, which
            # the job's payload cannot widen.
            return {"actor": actor.name}
        # An API key's actor: its own narrow grants travel with it, no more.
        grants = actor.grants
        return {
            "integration": actor.name,
            "permissions": sorted(grants.permissions),
            "all_branches": grants.all_branches,
            "branch_ids": sorted(str(b) for b in grants.branch_ids),
        }
    # The role the actor acted in, so the handler's permission checks see the same grants.
    return {**_reference(actor), "role": getattr(actor, "active_role", "")}


def _resolve_actor(reference: dict):
    if "actor" in reference:
        return declared(reference["actor"])
    if "after" in reference or "system" in reference:  # "system": queued before issue 51
        after = reference.get("after") or reference["system"]
        return IntegrationActor(f"after:{after}", permissions=())
    if "integration" in reference:
        return IntegrationActor(
            reference["integration"],
            permissions=reference["permissions"],
            all_branches=reference["all_branches"],
            branch_ids=[uuid.UUID(b) for b in reference["branch_ids"]],
        )
    actor = _resolve(reference)
    actor.active_role = reference.get("role", "")
    return actor


# A job that acts later for whoever asked (a batch import) keeps the actor the same way a
# deferred handler does: a user in its active role, an integration with its own grants.
actor_reference = _actor_reference
resolve_actor = _resolve_actor
