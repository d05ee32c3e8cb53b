"""The main menu: apps register their entries in their contracts (``registry.navigation``),
each naming the permission it needs; the server decides the rest.

An entry marked ``SIGNED_IN`` (a member of staff's own things: their browsers for Web Push …)
shows for every fully signed-in actor, whatever the role, as its route does."""

from __future__ import annotations

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
