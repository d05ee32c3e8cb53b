"""What a customer did with a message after it arrived: opened, clicked, unsubscribed,
converted — the columns of channel analytics that provider statuses cannot give.

One row per message and kind (the first open, the first click …): a pixel loaded twice or a
link clicked ten times counts once, which is what the analytics report ("how many messages
were opened"). Rows are written by ``tracking.engagement_record`` only.
"""

from __future__ import annotations

from django.db import models
from django.utils.timezone import now
from django.utils.translation import gettext_lazy as _

from amanah.core import scopes
from amanah.messaging.models.outbox import Message


class EngagementKind(models.TextChoices):
    OPEN = "OPEN", _("Dibuka")
    CLICK = "CLICK", _("Diklik")
    UNSUBSCRIBE = "UNSUBSCRIBE", _("Berhenti berlangganan")
    CONVERT = "CONVERT", _("Konversi")


class Engagement(models.Model):
    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="engagements")
    kind = models.CharField(max_length=12, choices=EngagementKind.choices)
    at = models.DateTimeField(default=now)

    objects = scopes.ScopedQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["message", "kind"], name="engagement_first_only")
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.message_id}"


scopes.register(Engagement, via="message")
