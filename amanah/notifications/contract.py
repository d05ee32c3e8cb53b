"""What notifications offers the house: the inbox in the menu, with its unread badge, and the
way to leave notices in staff members' inboxes (``notify_many`` with a ``Message``)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from amanah.core import registry
from amanah.core.contributions import NavItem
from amanah.notifications.policies import NOTIFICATIONS_VIEW
from amanah.notifications.selectors import unread_count
from amanah.notifications.services import Message, notify_many

__all__ = ["Message", "notify_many"]

registry.navigation.register(
    "notifications.inbox",
    NavItem(_("Notifikasi"), "notifications:inbox", NOTIFICATIONS_VIEW, badge=unread_count),
    order=90,
)
