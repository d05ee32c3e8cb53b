"""The main menu: apps register their entries in their contracts (``registry.navigation``),
each naming the permission it needs; the server decides the rest.

An entry marked ``SIGNED_IN`` (a member of staff's own things: their browsers for Web Push …)
shows for every fully signed-in actor, whatever the role, as its route does."""

from __future__ import annotations

import functools
from dataclasses import dataclass

from django.urls import get_script_prefix, get_urlconf, reverse

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
    url: str = ""  # the entry's address (``_address``)

    @property
    def badge_text(self) -> str:
        return f"{BADGE_CAP - 1}+" if self.badge >= BADGE_CAP else str(self.badge)


def menu(actor) -> list[MenuEntry]:
    """The visible entries with their badges counted for this actor."""
    urlconf, prefix = get_urlconf(), get_script_prefix()  # the same for every entry
    return [
        MenuEntry(
            item, item.badge(actor) if item.badge else 0, _address(item.url_name, urlconf, prefix)
        )
        for item in visible_items(actor)
    ]


@functools.lru_cache(maxsize=1024)
def _address(url_name: str, urlconf, prefix: str) -> str:
    """``reverse(url_name)``, resolved once per URL configuration and script prefix: every
    signed-in page shows the menu, and resolving its entries on every page was a quarter of a
    small page's Python (``bench.load.profile_requests``)."""
    return reverse(url_name, urlconf=urlconf)
