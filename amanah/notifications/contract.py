"""What notifications offers the house: the inbox in the menu."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from amanah.core import registry
from amanah.core.contributions import NavItem
from amanah.notifications.policies import NOTIFICATIONS_VIEW

registry.navigation.register(
    "notifications.inbox",
    NavItem(_("Notifikasi"), "notifications:inbox", NOTIFICATIONS_VIEW),
    order=90,
)
