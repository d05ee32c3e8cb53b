"""The engine's domain event, until ``core.events`` lands on main: a plain Django signal sent
inside the transaction, so a receiver's writes commit or roll back with the change.

Switch: replace ``emit`` by ``core.events.emit`` (same call shape) and delete this module.
"""

from __future__ import annotations

from django.dispatch import Signal

event = Signal()  # sender: the event name; kwargs: actor and the payload


def emit(name: str, *, actor, **payload) -> None:
    event.send(sender=name, actor=actor, **payload)
