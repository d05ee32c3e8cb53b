"""Message templates: one per key and channel, its content in numbered versions.

A version is written as a DRAFT, submitted (PENDING_APPROVAL, frozen from then on), then
APPROVED or REJECTED through the workflow ``messaging.template_version`` (four eyes for
marketing, see ``messaging.contract``). Approving a version retires the one approved before
(RETIRED), so a template has at most one APPROVED version — the one senders use — and at most
one open version (DRAFT or PENDING_APPROVAL) being worked on. A message records the key and the
version number it was rendered from.
"""

from __future__ import annotations

from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import JSONField, Q, Value
from django.utils.timezone import now
from django.utils.translation import gettext_lazy as _

from amanah.core import scopes
from amanah.messaging.channels import Channel, Purpose
from amanah.messaging.policies import TEMPLATE_VIEW


class WhatsAppCategory(models.TextChoices):
    """The provider's template categories (they decide pricing and review at Meta)."""

    MARKETING = "MARKETING", _("Pemasaran")
    UTILITY = "UTILITY", _("Utilitas (layanan)")
    AUTHENTICATION = "AUTHENTICATION", _("Autentikasi")


class VersionStatus(models.TextChoices):
    DRAFT = "DRAFT", _("Draf")
    PENDING_APPROVAL = "PENDING_APPROVAL", _("Menunggu persetujuan")
    APPROVED = "APPROVED", _("Disetujui")
    REJECTED = "REJECTED", _("Ditolak")
    RETIRED = "RETIRED", _("Dipensiunkan")


OPEN_STATUSES = (VersionStatus.DRAFT, VersionStatus.PENDING_APPROVAL)


class MessageTemplate(models.Model):
    """What a sender asks for by ``key`` and ``channel`` (e.g. ``case.receipt`` / EMAIL).

    ``purpose`` decides which context objects its placeholders may need and whether approval
    takes four eyes. For WhatsApp, ``provider_template`` and ``language`` name the template as
    registered at the provider and ``category`` its category there.
    """

    key = models.CharField(max_length=64)
    channel = models.CharField(max_length=10, choices=Channel.choices)
    purpose = models.CharField(max_length=12, choices=Purpose.choices)
    name = models.CharField(max_length=120)
    category = models.CharField(max_length=16, choices=WhatsAppCategory.choices, blank=True)
    provider_template = models.CharField(max_length=512, blank=True)
    language = models.CharField(max_length=12, default="id")
    created_by = models.ForeignKey(
        "iam.User", null=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=now)

    objects = scopes.ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["key", "channel"]
        constraints = [
            models.UniqueConstraint(fields=["key", "channel"], name="message_template_key_once"),
            models.CheckConstraint(
                condition=~Q(channel="WHATSAPP") | (~Q(category="") & ~Q(provider_template="")),
                name="whatsapp_template_named",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.key} ({self.channel})"


class TemplateVersion(models.Model):
    """The content of one version: subject and HTML (email), text (every channel).

    Written only as a DRAFT; frozen once submitted. ``author`` wrote it, ``approver`` decided.
    """

    template = models.ForeignKey(MessageTemplate, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField()
    subject = models.CharField(max_length=200, blank=True)
    text = models.TextField()
    html = models.TextField(blank=True)
    # The designer's blocks (``messaging.email_blocks``) the HTML and text were made from;
    # empty for a version written by hand.
    blocks = models.JSONField(default=list, blank=True, db_default=Value([], JSONField()))
    status = models.CharField(
        max_length=16, choices=VersionStatus.choices, default=VersionStatus.DRAFT
    )
    author = models.ForeignKey("iam.User", null=True, on_delete=models.PROTECT, related_name="+")
    # Everyone who saved this version's content (user ids): none of them may approve it when
    # the purpose takes four eyes, not only the last one to save.
    editors = ArrayField(models.CharField(max_length=64), default=list, blank=True)
    approver = models.ForeignKey(
        "iam.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decision_note = models.TextField(blank=True)
    created_at = models.DateTimeField(default=now)
    updated_at = models.DateTimeField(default=now)
    submitted_at = models.DateTimeField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    retired_at = models.DateTimeField(null=True, blank=True)

    objects = scopes.ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["template_id", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["template", "number"], name="template_version_once"),
            # The one version senders use: never two, whatever races.
            models.UniqueConstraint(
                fields=["template"],
                condition=Q(status="APPROVED"),
                name="template_one_approved",
            ),
            # One version being worked on at a time; an approver never sees it change.
            models.UniqueConstraint(
                fields=["template"],
                condition=Q(status__in=["DRAFT", "PENDING_APPROVAL"]),
                name="template_one_open_version",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.template_id} v{self.number}"


scopes.register(MessageTemplate, view=TEMPLATE_VIEW)
scopes.register(TemplateVersion, via="template")
