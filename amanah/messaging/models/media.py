"""The media library of WhatsApp templates (seed 001 §6E): images and documents a template's
header shows. The file itself is a document of this row (owner kind
``messaging.MediaAsset``, through ``documents``: type-sniffed, encrypted at rest, retained and
purged like every upload); the row names it, says what kind of header it can fill and whether
it is still offered. Rules: ``messaging/media.py``.
"""

from __future__ import annotations

import uuid

from django.db import models
from django.utils.timezone import now
from django.utils.translation import gettext_lazy as _

from amanah.core import scopes
from amanah.messaging.policies import TEMPLATE_VIEW


class MediaKind(models.TextChoices):
    IMAGE = "IMAGE", _("Gambar")
    DOCUMENT = "DOCUMENT", _("Dokumen")


class MediaAsset(models.Model):
    """One uploaded image or PDF, offered in the WhatsApp designer until it is withdrawn."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=120)
    kind = models.CharField(max_length=10, choices=MediaKind.choices)
    content_type = models.CharField(max_length=40)
    extension = models.CharField(max_length=8)
    size = models.PositiveIntegerField()
    # The stored file (documents.Document owned by this row); set in the upload's transaction.
    document = models.ForeignKey(
        "documents.Document", null=True, on_delete=models.PROTECT, related_name="+"
    )
    created_by = models.ForeignKey(
        "iam.User", null=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=now)
    withdrawn_at = models.DateTimeField(null=True, blank=True)

    objects = scopes.ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.name


scopes.register(MediaAsset, view=TEMPLATE_VIEW)
