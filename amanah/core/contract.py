"""The kernel's own menu entry (home). Everything else in the menu comes from the apps."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from amanah.core import registry
from amanah.core.contributions import NavItem
from amanah.core.policies import HOME_VIEW

# Nothing offered by name: everything this contract declares is registered at start-up
# (core.registry, the workflow engine, events).
__all__: list[str] = []

registry.navigation.register("core.home", NavItem(_("Beranda"), "core:home", HOME_VIEW), order=0)
