from django.db import models
from django.utils.timezone import now

from amanah.core import scopes


class Notification(models.Model):
    """An in-app message to one user. ``dedupe_key`` makes senders idempotent: the same
    event never notifies the same person twice, however often a job runs."""

    user = models.ForeignKey("iam.User", on_delete=models.CASCADE, related_name="notifications")
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    url = models.CharField(max_length=300, blank=True)
    dedupe_key = models.CharField(max_length=160)
    created_at = models.DateTimeField(default=now)
    read_at = models.DateTimeField(null=True, blank=True)

    objects = scopes.ScopedQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "dedupe_key"], name="notification_once")
        ]
        indexes = [
            models.Index(fields=["user", "read_at", "-created_at"], name="notification_inbox")
        ]

    def __str__(self) -> str:
        return self.title


# Everyone reads their own notifications, and only those.
scopes.register(Notification, own=("user",))
