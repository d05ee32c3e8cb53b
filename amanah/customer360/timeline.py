"""One timeline of everything that happened with a customer, from every module.

Each module registers a provider: a function returning its events for one customer in a time
range, newest first, at most ``limit`` — one query per provider, whatever the number of events.
A provider is handed the actor and starts from ``Model.objects.visible_to(actor)``: the
customer being visible does not make every row about the customer visible (an RM may open the
customer but not read the notes of its cases).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class TimelineEvent:
    at: datetime
    kind: str  # one of KINDS
    title: str
    detail: str = ""
    actor: str = ""
    sensitive: bool = False
    url: str = ""


KINDS = {
    "CASE": _("Kasus"),
    "ACTIVITY": _("Aktivitas"),
    "MARKETING": _("Pemasaran"),
    "CONSENT": _("Persetujuan"),
    "PROFILE": _("Profil"),
}

Provider = Callable[..., list[TimelineEvent]]
_providers: dict[str, tuple[str, Provider]] = {}


def in_window(queryset, field: str, since: datetime | None, until: datetime | None):
    """Providers' shared date filter: ``since`` inclusive, ``until`` exclusive."""
    if since:
        queryset = queryset.filter(**{f"{field}__gte": since})
    if until:
        queryset = queryset.filter(**{f"{field}__lt": until})
    return queryset


def register(name: str, kind: str, provider: Provider) -> None:
    """provider(customer, *, actor, since, until, limit) -> newest-first events of one kind,
    read through ``visible_to(actor)``."""
    if kind not in KINDS:
        raise ValueError(f"unknown timeline kind {kind!r}")
    _providers[name] = (kind, provider)


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
    for _name, (kind, provider) in sorted(_providers.items()):
        if kinds and kind not in kinds:
            continue
        collected.extend(provider(customer, actor=actor, since=since, until=until, limit=limit))
    visible = [e for e in collected if include_sensitive or not e.sensitive]
    return sorted(visible, key=lambda e: e.at, reverse=True)[:limit]
