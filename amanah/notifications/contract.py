"""What notifications offers the house: the inbox in the menu, with its unread badge."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from amanah.core import registry
from amanah.core.contributions import NavItem
from amanah.notifications.policies import NOTIFICATIONS_VIEW
from amanah.notifications.selectors import unread_count

registry.navigation.register(
    "notifications.inbox",
    NavItem(_("Notifikasi"), "notifications:inbox", NOTIFICATIONS_VIEW, badge=unread_count),
    order=90,
)
