"""The kernel's own menu entry (home). Everything else in the menu comes from the apps."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from amanah.core import registry
from amanah.core.contributions import NavItem
from amanah.core.policies import HOME_VIEW

registry.navigation.register("core.home", NavItem(_("Beranda"), "core:home", HOME_VIEW), order=0)
