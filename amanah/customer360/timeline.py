"""One timeline of everything that happened with a customer, from every module.

Each app registers its providers in its contract (``registry.timeline_providers``, shapes in
``core.contributions``): a function returning its events for one customer in a time range,
newest first, at most ``limit`` — one query per provider, whatever the number of events.
A provider is handed the actor and starts from ``Model.objects.visible_to(actor)``: the
customer being visible does not make every row about the customer visible (an RM may open the
customer but not read the notes of its cases).
"""

from __future__ import annotations

from datetime import datetime

from amanah.core import registry
from amanah.core.contributions import TimelineEvent


def kind_choices() -> list[tuple[str, str]]:
    """The kinds apps registered, for the filter (read when the form is built, not at import)."""
    return [(code, kind.label) for code, kind in registry.timeline_kinds.items()]


def events_for(
    customer,
    *,
    actor,
    kinds: set[str] | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = 50,
    include_sensitive: bool = False,
) -> list[TimelineEvent]:
    """Merged, newest first. Sensitive events are left out unless the caller may see them."""
    collected: list[TimelineEvent] = []
    for _key, provider in registry.timeline_providers.items():
        if kinds and provider.kind not in kinds:
            continue
        collected.extend(
            provider.events(customer, actor=actor, since=since, until=until, limit=limit)
        )
    visible = [e for e in collected if include_sensitive or not e.sensitive]
    return sorted(visible, key=lambda e: e.at, reverse=True)[:limit]
