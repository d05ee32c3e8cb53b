"""The main menu: apps register their entries in their contracts (``registry.navigation``),
each naming the permission it needs; the server decides the rest.

An entry marked ``SIGNED_IN`` (a member of staff's own things: their browsers for Web Push …)
shows for every fully signed-in actor, whatever the role, as its route does."""

from __future__ import annotations

from dataclasses import dataclass

from amanah.core import access, registry
from amanah.core.contributions import NavItem
from amanah.core.permissions import SIGNED_IN


def visible_items(actor) -> list[NavItem]:
    granted = access.permissions_of(actor)
    return [
        item
        for item in registry.navigation.values()
        if item.permission == SIGNED_IN or item.permission in granted
    ]


# A badge counts at most this many (shown as "99+" beyond): the count stays an index probe.
BADGE_CAP = 100


@dataclass(frozen=True)
class MenuEntry:
    item: NavItem
    badge: int  # 0: nothing to show

    @property
    def badge_text(self) -> str:
        return f"{BADGE_CAP - 1}+" if self.badge >= BADGE_CAP else str(self.badge)


def menu(actor) -> list[MenuEntry]:
    """The visible entries with their badges counted for this actor."""
    return [
        MenuEntry(item, item.badge(actor) if item.badge else 0) for item in visible_items(actor)
    ]
