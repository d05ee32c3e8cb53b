"""The outbox: one row per message, its provider status history, and the providers' buckets.

States of a :class:`Message` (``status``):

* ``QUEUED`` — waiting for ``next_attempt_at`` (now, the next contact window, or a back-off);
* ``SENDING`` — claimed by a dispatch batch, committed *before* the provider is called. A
  worker killed mid-batch leaves its rows here; after ``MESSAGING_STALLED_SECONDS`` another
  batch claims them again and sends them with the same provider-side idempotency key (the
  outbox id), so the provider drops the second copy (see ``dispatch``);
* ``SENT`` — the provider took it (``provider_message_id``); from here on the provider's
  status callbacks move it to ``DELIVERED`` / ``READ`` / ``FAILED`` / ``BOUNCED`` (merged by
  ``services.message_status_apply``, whatever their order);
* ``FAILED`` — refused for good (a permanent provider error, or the provider said so later);
* ``DEAD`` — retryable errors ``MESSAGING_MAX_ATTEMPTS`` times in a row: the dead-letter view
  shows it, an ADMIN may queue it again;
* ``CANCELLED`` — contactability refused it (``cancel_reason`` = consent's reason code), at
  queue time or just before sending.

The recipient address is stored encrypted (``addresses.seal``) with a masked copy for pages;
the idempotency key ``(source, source_id, customer, staff_user, channel, step)`` is unique, so
queueing the same thing twice inserts nothing.
"""

from __future__ import annotations

import uuid

from django.db import models
from django.db.models import JSONField, Q, Value
from django.utils.timezone import now
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from amanah.core import scopes
from amanah.messaging.channels import Channel, Purpose
from amanah.messaging.policies import MESSAGE_VIEW


class MessageStatus(models.TextChoices):
    QUEUED = "QUEUED", _("Diantrekan")
    SENDING = "SENDING", _("Sedang dikirim")
    SENT = "SENT", _("Terkirim ke penyedia")
    DELIVERED = "DELIVERED", pgettext_lazy("message status", "Diterima")
    READ = "READ", _("Dibaca")
    FAILED = "FAILED", _("Gagal")
    BOUNCED = "BOUNCED", _("Ditolak server penerima")
    DEAD = "DEAD", _("Gagal berulang (dead letter)")
    CANCELLED = "CANCELLED", _("Dibatalkan")


class MessageSource(models.TextChoices):
    CAMPAIGN = "CAMPAIGN", _("Kampanye")
    JOURNEY = "JOURNEY", _("Journey")
    CASE = "CASE", _("Kasus")
    SURVEY = "SURVEY", _("Survei")
    ROTATION = "ROTATION", _("Rotasi tindak lanjut")
    SLA = "SLA", _("SLA")
    MERGE = "MERGE", _("Penggabungan nasabah")
    APPROVAL = "APPROVAL", pgettext_lazy("message source", "Persetujuan")
    MANUAL = "MANUAL", _("Manual")
    SYSTEM = "SYSTEM", _("Pemberitahuan sistem")


# Indonesian labels for the error codes the outbox itself writes (provider codes such as
# ``whatsapp_131026`` are shown as they are).
ERROR_LABELS = {
    "outside_service_window": _(
        "Di luar jendela layanan 24 jam WhatsApp: nasabah tidak mengirim pesan dalam 24 jam"
        " terakhir, hanya pesan templat yang boleh dikirim"
    ),
    "timeout": _("Penyedia tidak menjawab tepat waktu"),
    "transport_error": _("Koneksi ke penyedia terputus"),
    "bad_response": _("Jawaban penyedia tidak dapat dibaca"),
    "unexpected_error": _("Galat tak terduga pada adaptor penyedia"),
    "channel_not_configured": _(
        "Kanal ini belum dikonfigurasi di server (tidak ada penyedia): tidak dikirim"
    ),
}


class Message(models.Model):
    """One message to one customer or one member of staff (exactly one of the two)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    channel = models.CharField(max_length=16, choices=Channel.choices)
    purpose = models.CharField(max_length=16, choices=Purpose.choices)
    # No index of their own: ``message_customer`` leads with the customer, and the staff rows
    # (few) have the partial ``message_staff_user``. A campaign writes a million rows at once;
    # every index is written for each of them (two full indexes less: ~1/3 of the index work).
    customer = models.ForeignKey(
        "customers.Customer",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    staff_user = models.ForeignKey(
        "iam.User",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    # The template it was rendered from (the FK to the templates model comes at merge).
    template_key = models.CharField(max_length=100, blank=True)
    template_version = models.PositiveIntegerField(null=True, blank=True)
    # content.Rendered, field for field
    subject = models.CharField(max_length=255, blank=True)
    text = models.TextField(blank=True)
    html = models.TextField(blank=True)
    provider_template = models.CharField(max_length=100, blank=True)
    language = models.CharField(max_length=10, default="id")
    parameters = models.JSONField(default=list, blank=True)
    category = models.CharField(max_length=20, blank=True)
    media_url = models.CharField(max_length=500, blank=True)
    # References to files made at send time, never the files: [{"kind": "cases.receipt",
    # "ref": "<case id>"}] (``messaging.attachments``). A default in the database too, so the
    # many-form's INSERT … SELECT need not name it.
    attachments = models.JSONField(default=list, blank=True, db_default=Value([], JSONField()))
    # The address sealed (messaging.addresses: AES-256-GCM), and masked for display.
    address_sealed = models.TextField()
    address_masked = models.CharField(max_length=100)
    source = models.CharField(max_length=16, choices=MessageSource.choices)
    source_id = models.CharField(max_length=64)
    step = models.CharField(max_length=64, blank=True, default="")
    status = models.CharField(
        max_length=16, choices=MessageStatus.choices, default=MessageStatus.QUEUED
    )
    cancel_reason = models.CharField(max_length=40, blank=True)
    created_at = models.DateTimeField(default=now)
    status_changed_at = models.DateTimeField(default=now)
    sending_since = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=now)
    last_error_code = models.CharField(max_length=64, blank=True)
    provider = models.CharField(max_length=40, blank=True)
    provider_message_id = models.CharField(max_length=200, blank=True)

    objects = scopes.ScopedQuerySet.as_manager()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(customer__isnull=False, staff_user__isnull=True)
                | Q(customer__isnull=True, staff_user__isnull=False),
                name="message_one_recipient",
            ),
            models.UniqueConstraint(
                fields=["source", "source_id", "customer", "staff_user", "channel", "step"],
                name="message_once",
                nulls_distinct=False,
            ),
            models.UniqueConstraint(
                fields=["provider", "provider_message_id"],
                condition=~Q(provider_message_id=""),
                name="message_provider_id_once",
            ),
        ]
        indexes = [
            # What dispatch claims: due rows per channel (QUEUED by time, SENDING by age).
            models.Index(
                fields=["channel", "next_attempt_at"],
                condition=Q(status="QUEUED"),
                name="message_due",
            ),
            models.Index(
                fields=["channel", "sending_since"],
                condition=Q(status="SENDING"),
                name="message_sending",
            ),
            models.Index(
                fields=["status", "-status_changed_at"],
                condition=Q(status__in=["DEAD", "FAILED"]),
                name="message_dead_letters",
            ),
            models.Index(fields=["customer", "-created_at"], name="message_customer"),
            # Case receipts that ended unsent (``not_sent.receipts_not_sent_note``): a few rows.
            models.Index(
                fields=["status_changed_at"],
                condition=Q(
                    source="CASE",
                    step="receipt",
                    status__in=["FAILED", "DEAD", "BOUNCED", "CANCELLED"],
                ),
                name="message_receipt_not_sent",
            ),
            models.Index(
                fields=["staff_user", "-created_at"],
                condition=Q(staff_user__isnull=False),
                name="message_staff_user",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.channel} {self.status} {self.pk}"

    @property
    def error_label(self) -> str:
        """The Indonesian label of ``last_error_code`` ('' when it has none)."""
        return ERROR_LABELS.get(self.last_error_code, "")


class MessageEvent(models.Model):
    """One provider status callback, as received. Unique per provider event id, so a webhook
    delivered twice is recorded once; the message's status is derived from all of them.

    A callback may overtake its own send: the provider calls back before the batch that sent
    the message has committed its provider id. Such a callback is *parked* (``message`` empty,
    ``provider_message_id`` kept) and adopted by the batch when it commits (see
    ``services.adopt_parked_events``)."""

    message = models.ForeignKey(
        Message, null=True, blank=True, on_delete=models.CASCADE, related_name="events"
    )
    provider_message_id = models.CharField(max_length=200, blank=True)
    provider = models.CharField(max_length=40)
    event_id = models.CharField(max_length=200)
    status = models.CharField(max_length=16, choices=MessageStatus.choices)
    at = models.DateTimeField()
    error_code = models.CharField(max_length=64, blank=True)
    received_at = models.DateTimeField(default=now)

    objects = scopes.ScopedQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["provider", "event_id"], name="message_event_once")
        ]
        indexes = [
            models.Index(fields=["message", "at"], name="message_event_timeline"),
            models.Index(
                fields=["provider", "provider_message_id"],
                condition=Q(message__isnull=True),
                name="message_event_parked",
            ),
            # What the housekeeping job deletes: parked callbacks, oldest first.
            models.Index(
                fields=["received_at"],
                condition=Q(message__isnull=True),
                name="message_event_parked_age",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.provider} {self.status} {self.at:%Y-%m-%d %H:%M:%S%z}"


class ProviderBucket(models.Model):
    """A provider's token bucket and pause, shared by every worker (one row per provider).

    ``tokens`` refill at the configured rate up to the burst size; a dispatch batch takes as
    many tokens as messages it claims, in the same statement that reads them. ``paused_until``
    is set when the provider is unavailable: no batch claims for it before then.
    """

    provider = models.CharField(max_length=40, primary_key=True)
    tokens = models.FloatField(default=0)
    refilled_at = models.DateTimeField(default=now)
    paused_until = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return self.provider


scopes.register(Message, view=MESSAGE_VIEW, branch="customer__home_branch")
scopes.register(MessageEvent, via="message")
