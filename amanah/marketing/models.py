from __future__ import annotations

import uuid

from django.db import models
from django.db.models import Q
from django.utils.timezone import now
from django.utils.translation import gettext_lazy as _

from amanah.core import scopes
from amanah.marketing.policies import CAMPAIGN_VIEW


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


# The channels a campaign can be sent on today: the messaging hub has no PUSH to customers
# yet, so PUSH stays a known value (old rows, consent's caps) but is never offered or sent.
SENDABLE_CHANNELS = (CampaignChannel.EMAIL, CampaignChannel.WHATSAPP, CampaignChannel.SMS)


def in_sendable_order(channels) -> tuple[str, ...]:
    """``channels`` in the order of ``SENDABLE_CHANNELS``: the fallback order of a send. A
    frozen ``{channel: version}`` read back from a JSON column has lost its order (jsonb keeps
    keys shortest first), so a sender orders the keys with this."""
    return tuple(str(c) for c in SENDABLE_CHANNELS if str(c) in set(channels))


class Campaign(models.Model):
    """A campaign: DRAFT → SUBMITTED → APPROVED/REJECTED → RUNNING → DONE, approved by someone
    other than its author; it targets the segment version frozen at submission.

    What customers receive is the messaging template ``template_key`` of the campaign's
    channel (purpose OFFER, four-eyes approved in messaging), rendered per customer; the
    version approved when the send starts is frozen in ``template_version``, so every batch
    sends the same text. When the template is approved on other channels too, each customer
    gets it on their own preferred channel (``messaging.contract.channel_choices``): those
    channels' versions are frozen in ``channel_versions`` (``{channel: number}``), ``channel``
    is the first of the campaign's order. ``promo_code`` fills ``{{promo.code}}``.
    ``message`` is an internal note for the approver (never sent; older campaigns kept their
    text there).
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=120)
    objective = models.TextField(blank=True)
    message = models.TextField(blank=True)
    channel = models.CharField(max_length=10, choices=CampaignChannel.choices)
    template_key = models.CharField(max_length=64, blank=True)
    template_version = models.PositiveIntegerField(null=True, blank=True)
    channel_versions = models.JSONField(default=dict, blank=True)
    promo_code = models.CharField(max_length=32, blank=True)
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

    objects = scopes.ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.name


# The one reason eligibility adds to contactability's (consent.contract.reason_codes).
NOT_IN_SEGMENT_RULE = "NOT_IN_SEGMENT_RULE"
# Why the send skipped a contactable customer: nothing to send to on the campaign's channels
# (messaging's channel choice says the same code).
NO_ADDRESS = "NO_ADDRESS"


def eligibility_reason_label(code: str) -> str:
    from amanah.consent.contract import reason_label

    if code == NOT_IN_SEGMENT_RULE:
        return str(_("Tidak memenuhi aturan segmen"))
    if code == NO_ADDRESS:
        return str(_("Tidak punya alamat untuk kanal kampanye"))
    return reason_label(code)


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
    # NOT_IN_SEGMENT_RULE or a contactability reason code; '' when eligible.
    reason = models.CharField(max_length=20, blank=True)
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

    @property
    def reason_label(self) -> str:
        return eligibility_reason_label(self.reason) if self.reason else ""


class EventType(models.TextChoices):
    # Handed to the messaging hub (one outbox row); delivered, opened and clicked are the
    # hub's to tell (messaging selectors). OPEN, CLICK and REPLY are older rows only.
    SENT = "SENT", _("Diserahkan ke hub pesan")
    OPEN = "OPEN", _("Dibuka")
    CLICK = "CLICK", _("Diklik")
    REPLY = "REPLY", _("Dibalas")
    SKIPPED = "SKIPPED", _("Tidak dikirim (cek ulang saat kirim)")


OUTCOME_TYPES = (EventType.SENT, EventType.SKIPPED)


class CampaignEvent(models.Model):
    """What happened to one message; one of each type per customer and campaign (idempotent).

    SENT and SKIPPED are the send's *outcome*: exactly one of them per customer and campaign,
    which the database guarantees (``campaign_one_outcome``), so a re-run batch, a duplicate
    job or a withdrawal racing a send can never leave both.
    """

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
            ),
            models.UniqueConstraint(
                fields=["campaign", "customer"],
                condition=Q(event_type__in=["SENT", "SKIPPED"]),
                name="campaign_one_outcome",
            ),
        ]
        indexes = [models.Index(fields=["customer", "-at"], name="campaign_event_customer")]

    def __str__(self) -> str:
        return f"{self.campaign_id}/{self.customer_id} {self.event_type}"


class BatchStatus(models.TextChoices):
    PENDING = "PENDING", _("Menunggu")
    DONE = "DONE", _("Selesai")


class CampaignBatch(models.Model):
    """One slice of a campaign's send (≈1,000 eligible customers, a range of customer ids),
    handled by one worker job in one transaction. Its counts make the progress bar; DONE makes
    a re-run of the job do nothing."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="batches")
    number = models.PositiveIntegerField()
    first_customer = models.UUIDField()
    last_customer = models.UUIDField()
    size = models.PositiveIntegerField()
    status = models.CharField(
        max_length=8, choices=BatchStatus.choices, default=BatchStatus.PENDING
    )
    sent = models.PositiveIntegerField(default=0)
    skipped = models.PositiveIntegerField(default=0)
    done_at = models.DateTimeField(null=True, blank=True)
    # A/B (``ab_services``): the variant this batch sends and the bucket range
    # [bucket_lo, bucket_hi) of its customers; '' and NULL for a campaign without a test.
    variant = models.CharField(max_length=1, blank=True, default="", db_default="")
    bucket_lo = models.PositiveIntegerField(null=True, blank=True)
    bucket_hi = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["campaign", "number"], name="campaign_batch_once")
        ]

    def __str__(self) -> str:
        return f"{self.campaign_id} #{self.number} {self.status}"


class AbMetric(models.TextChoices):
    """What decides an A/B test (seed 001 §6D), read from the messaging hub's engagement."""

    OPEN = "OPEN", _("Dibuka")
    CLICK = "CLICK", _("Diklik")
    CONVERT = "CONVERT", _("Konversi")


class AbRollout(models.TextChoices):
    AUTO = "AUTO", _("Otomatis ke pemenang")
    MANUAL = "MANUAL", _("Manual (dipilih pemasar)")


class AbDecision(models.TextChoices):
    """The fixed-horizon decision stored once (``abtest.State``); '' = not decided yet."""

    NOT_SIGNIFICANT = "BELUM_SIGNIFIKAN", _("Belum signifikan")
    WINNER = "PEMENANG", _("Ada pemenang")


class CampaignAbTest(models.Model):
    """A campaign's A/B test: a test audience (``test_percent`` of the eligible customers,
    split between the variants), a winner metric, a minimum duration and the sample size per
    variant planned from the expected baseline rate and the smallest lift worth detecting.
    Decided once, at the horizon (``abtest.decide``); the winner — or the variant a marketer
    picks — is then sent to the rest of the audience."""

    campaign = models.OneToOneField(
        Campaign, primary_key=True, on_delete=models.CASCADE, related_name="abtest"
    )
    metric = models.CharField(max_length=8, choices=AbMetric.choices)
    test_percent = models.PositiveSmallIntegerField()
    min_duration_hours = models.PositiveIntegerField(default=24)
    baseline_rate = models.FloatField()
    min_detectable_effect = models.FloatField()
    planned_per_variant = models.PositiveIntegerField()
    rollout = models.CharField(max_length=8, choices=AbRollout.choices)
    started_at = models.DateTimeField(null=True, blank=True)
    decision = models.CharField(max_length=16, choices=AbDecision.choices, blank=True)
    winner = models.CharField(max_length=1, blank=True)
    p_values = models.JSONField(default=dict, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    rolled_out_variant = models.CharField(max_length=1, blank=True)
    rolled_out_at = models.DateTimeField(null=True, blank=True)
    rolled_out_by = models.ForeignKey(
        "iam.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(min_duration_hours__gte=24), name="abtest_min_duration_24h"
            ),
            models.CheckConstraint(
                condition=Q(test_percent__gte=1, test_percent__lte=100),
                name="abtest_test_percent_range",
            ),
        ]

    def __str__(self) -> str:
        return f"A/B {self.campaign_id}"


class CampaignVariant(models.Model):
    """One arm of a campaign's A/B test (A is the control): its share of the test audience and
    what differs — the template (subject and content are the template's), the channel, or
    the hour of sending (WIB). Blank fields take the campaign's own."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="variants")
    key = models.CharField(max_length=1)
    label = models.CharField(max_length=60, blank=True)
    split = models.PositiveSmallIntegerField()
    template_key = models.CharField(max_length=64, blank=True)
    template_version = models.PositiveIntegerField(null=True, blank=True)
    channel = models.CharField(max_length=10, choices=CampaignChannel.choices, blank=True)
    send_hour = models.PositiveSmallIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["key"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "key"], name="campaign_variant_once"),
            models.CheckConstraint(
                condition=Q(split__gte=1, split__lte=99), name="campaign_variant_split_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.campaign_id} {self.key}"


# Campaigns are bank-wide: whoever may see campaigns sees them all (the engine locks through this).
scopes.register(Campaign, view=CAMPAIGN_VIEW)
# On the Customer 360, a customer's verdicts and campaign events are as visible as the customer.
scopes.register(CampaignEligibility, via="customer")
scopes.register(CampaignEvent, via="customer")
