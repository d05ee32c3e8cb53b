"""Web Push subscriptions of staff browsers (``PushSubscription``)."""

from __future__ import annotations

from django.db import models
from django.utils.timezone import now


class PushSubscription(models.Model):
    """One browser of one member of staff that accepted Web Push notifications: the push
    service's ``endpoint`` (a capability URL: never logged, never shown), and the browser's
    ``p256dh`` public key and ``auth`` secret (base64url) the payload is encrypted to
    (RFC 8291). Written by ``push_services``; a push service answering 404/410 for the
    endpoint deletes it (the browser unsubscribed or the subscription expired)."""

    user = models.ForeignKey("iam.User", on_delete=models.CASCADE, related_name="+")
    endpoint = models.CharField(max_length=1000, unique=True)
    p256dh = models.CharField(max_length=120)
    auth = models.CharField(max_length=40)
    created_at = models.DateTimeField(default=now)
    last_sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["user"], name="push_subscription_user")]

    def __str__(self) -> str:
        return f"push subscription {self.pk}"
