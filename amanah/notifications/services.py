"""Sending in-app notifications, idempotently (a unique key per side effect)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from amanah.notifications.models import Notification


@dataclass(frozen=True)
class Message:
    user_id: object
    title: str
    dedupe_key: str
    body: str = ""
    url: str = ""


def notify_many(messages: list[Message]) -> None:
    """Insert the messages not sent before (same user and key); the rest are skipped."""
    rows = [
        Notification(
            user_id=m.user_id,
            title=m.title[:200],
            body=m.body,
            url=m.url[:300],
            dedupe_key=m.dedupe_key,
        )
        for m in messages
    ]
    Notification.objects.bulk_create(rows, ignore_conflicts=True, batch_size=2000)


@transaction.atomic
def notification_mark_read(*, actor, notification: Notification) -> Notification:
    if notification.user_id != actor.pk:
        from amanah.core.errors import NotFound

        raise NotFound()
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])
    return notification
