"""The main menu: apps register their entries in their contracts (``registry.navigation``),
each naming the permission it needs; the server decides the rest."""

from __future__ import annotations

from amanah.core import access, registry
from amanah.core.contributions import NavItem


def visible_items(actor) -> list[NavItem]:
    granted = access.permissions_of(actor)
    return [item for item in registry.navigation.values() if item.permission in granted]
