"""Reads of the notifications app."""

from __future__ import annotations

from amanah.core.navigation import BADGE_CAP
from amanah.notifications.models import Notification


def unread_count(actor) -> int:
    """The actor's own unread notifications, counted up to ``BADGE_CAP`` (the menu's badge;
    on the inbox index, so a user with thousands unread costs no more than one with ten)."""
    unread = Notification.objects.visible_to(actor).filter(read_at__isnull=True)
    return unread[:BADGE_CAP].count()
