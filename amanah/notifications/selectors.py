"""Reads of the notifications app."""

from __future__ import annotations

from amanah.core import scopes
from amanah.core.navigation import BADGE_CAP
from amanah.notifications.models import Notification


def _unread(actor):
    return Notification.objects.visible_to(actor).filter(read_at__isnull=True)


def unread_count(actor) -> int:
    """The actor's own unread notifications, counted up to ``BADGE_CAP`` (the menu's badge, on
    every signed-in page: its statement compiled once per actor's grants; on the inbox index,
    so a user with thousands unread costs no more than one with ten)."""
    return scopes.capped_count(Notification, "notifications.unread", actor, _unread, BADGE_CAP)
