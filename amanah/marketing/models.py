from __future__ import annotations

import uuid

from django.db import models
from django.db.models import Q
from django.utils.timezone import now
from django.utils.translation import gettext_lazy as _

from amanah.core import scopes


class Segment(models.Model):
    """A named target group; its rules live in versions (each edit a new version)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=120)
    description = models.TextField(blank=True)
    created_by = models.ForeignKey(
        "iam.User", null=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=now)

    def __str__(self) -> str:
        return self.name

    @property
    def current(self) -> SegmentVersion:
        return self.versions.order_by("-version").first()


class SegmentVersion(models.Model):
    """The rules of a segment as JSON, never edited after it is written."""

    segment = models.ForeignKey(Segment, on_delete=models.CASCADE, related_name="versions")
    version = models.PositiveIntegerField()
    rules = models.JSONField()
    created_by = models.ForeignKey(
        "iam.User", null=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["segment", "version"], name="segment_version_once")
        ]

    def __str__(self) -> str:
        return f"{self.segment_id} v{self.version}"


class CampaignStatus(models.TextChoices):
    DRAFT = "DRAFT", _("Draf")
    SUBMITTED = "SUBMITTED", _("Diajukan")
    APPROVED = "APPROVED", _("Disetujui")
    REJECTED = "REJECTED", _("Ditolak")
    RUNNING = "RUNNING", _("Berjalan")
    DONE = "DONE", _("Selesai")


class CampaignChannel(models.TextChoices):
    EMAIL = "EMAIL", _("Email")
    WHATSAPP = "WHATSAPP", _("WhatsApp")
    SMS = "SMS", _("SMS")
    PUSH = "PUSH", _("Notifikasi aplikasi")


class Campaign(models.Model):
    """A campaign: DRAFT → SUBMITTED → APPROVED/REJECTED → RUNNING → DONE, approved by someone
    other than its author; it targets the segment version frozen at submission."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=120)
    objective = models.TextField(blank=True)
    message = models.TextField()
    channel = models.CharField(max_length=10, choices=CampaignChannel.choices)
    segment = models.ForeignKey(Segment, on_delete=models.PROTECT, related_name="campaigns")
    segment_version = models.ForeignKey(
        SegmentVersion, null=True, on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(
        max_length=10, choices=CampaignStatus.choices, default=CampaignStatus.DRAFT
    )
    created_by = models.ForeignKey(
        "iam.User", null=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=now)
    submitted_at = models.DateTimeField(null=True, blank=True)
    approved_by = models.ForeignKey(
        "iam.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField(blank=True)
    evaluated_at = models.DateTimeField(null=True, blank=True)
    executed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.name


class IneligibleReason(models.TextChoices):
    NOT_IN_SEGMENT_RULE = "NOT_IN_SEGMENT_RULE", _("Tidak memenuhi aturan segmen")
    CONSENT = "CONSENT", _("Persetujuan pemasaran tidak diberikan")
    CASE_ACTIVE = "CASE_ACTIVE", _("Ada kasus sensitif yang masih terbuka")
    SUPPRESSED = "SUPPRESSED", _("Masuk daftar jangan-dihubungi")
    CUSTOMER_INACTIVE = "CUSTOMER_INACTIVE", _("Nasabah tidak aktif")


class CampaignEligibility(models.Model):
    """The hard gate's verdict for one customer and one campaign, with its reason and flags,
    computed set-based in SQL (seed 003 Bab 13.6)."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="eligibility")
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.CASCADE, related_name="campaign_eligibility"
    )
    in_segment = models.BooleanField()
    consent_granted = models.BooleanField()
    open_sensitive_case = models.BooleanField()
    suppressed = models.BooleanField()
    is_eligible = models.BooleanField()
    reason = models.CharField(max_length=20, choices=IneligibleReason.choices, blank=True)
    evaluated_at = models.DateTimeField()

    objects = scopes.ScopedQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["campaign", "customer"], name="eligibility_once")
        ]
        indexes = [
            # The send reads the eligible rows of one campaign; fewer index entries also make
            # the million-row evaluation cheaper (docs/benchmarks.md).
            models.Index(
                fields=["campaign"], name="eligibility_eligible", condition=Q(is_eligible=True)
            ),
            models.Index(fields=["customer"], name="eligibility_customer"),
        ]

    def __str__(self) -> str:
        return f"{self.campaign_id}/{self.customer_id}: {self.reason or 'ELIGIBLE'}"


class EventType(models.TextChoices):
    SENT = "SENT", _("Terkirim")
    OPEN = "OPEN", _("Dibuka")
    CLICK = "CLICK", _("Diklik")
    REPLY = "REPLY", _("Dibalas")
    SKIPPED = "SKIPPED", _("Tidak dikirim (cek ulang saat kirim)")


class CampaignEvent(models.Model):
    """What happened to one message; one of each type per customer and campaign (idempotent)."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="events")
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.CASCADE, related_name="campaign_events"
    )
    event_type = models.CharField(max_length=8, choices=EventType.choices)
    channel = models.CharField(max_length=10, choices=CampaignChannel.choices)
    at = models.DateTimeField(default=now)
    meta = models.JSONField(default=dict)

    objects = scopes.ScopedQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "customer", "event_type"], name="campaign_event_once"
            )
        ]
        indexes = [models.Index(fields=["customer", "-at"], name="campaign_event_customer")]

    def __str__(self) -> str:
        return f"{self.campaign_id}/{self.customer_id} {self.event_type}"


class Suppression(models.Model):
    """Do-not-contact list: the customer asked for no marketing through any channel."""

    customer = models.OneToOneField(
        "customers.Customer", on_delete=models.CASCADE, related_name="suppression"
    )
    reason = models.CharField(max_length=200)
    created_by = models.ForeignKey(
        "iam.User", null=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=now)

    def __str__(self) -> str:
        return f"{self.customer_id}: {self.reason}"


# On the Customer 360, a customer's verdicts and campaign events are as visible as the customer.
scopes.register(CampaignEligibility, via="customer")
scopes.register(CampaignEvent, via="customer")
