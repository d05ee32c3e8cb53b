"""What the audit app offers the house: the audit log in the menu."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from amanah.audit.policies import AUDIT_VIEW
from amanah.core import registry
from amanah.core.contributions import NavItem

registry.navigation.register(
    "audit.list", NavItem(_("Log audit"), "audit:list", AUDIT_VIEW), order=110
)
