"""External systems, their API keys, what arrives from outside to become a case, and the
outbound webhooks the systems subscribe to."""

from __future__ import annotations

import uuid

from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.db import models
from django.db.models import Q
from django.utils.timezone import now
from django.utils.translation import gettext_lazy as _

from amanah.core import scopes
from amanah.core.masking import MASK, mask_email, mask_phone
from amanah.integrations.policies import IMPORT_RUN, INTAKE_VIEW, SYSTEM_KEY_MANAGE


class ExternalSystem(models.Model):
    """One external system (core banking, mobile banking, a payment gateway …) that calls the
    API (seed 003 Bab 12). Its grants are codes from the permission catalogue, checked when
    saved; its calls run as ``IntegrationActor(name)`` with exactly those grants, and the audit
    names it ``integration:<name>``. An empty allow-list admits any address."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.SlugField(max_length=40, unique=True)
    label = models.CharField(max_length=120)
    permissions = ArrayField(models.CharField(max_length=64), default=list, blank=True)
    all_branches = models.BooleanField(default=False)
    allowed_networks = ArrayField(models.CharField(max_length=64), default=list, blank=True)
    # The sync monitor's schedule: ADMIN hears of it when no call succeeded for this long.
    silent_after_minutes = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(default=now)

    objects = scopes.ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.label or self.name


class SystemKey(models.Model):
    """A bearer key of one system: ``ams_`` + 43 random characters, shown once.

    Only a keyed HMAC-SHA256 of the key is stored (``services.key_digest``). A rotation makes a
    new key and cuts the old one's ``expires_at`` to the end of the rotation window, so two keys
    work while the system switches over. ``last_used_at`` moves at most every minute."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    system = models.ForeignKey(ExternalSystem, on_delete=models.PROTECT, related_name="keys")
    prefix = models.CharField(max_length=12)
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=now)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    objects = scopes.ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(expires_at__gt=models.F("created_at")), name="systemkey_expiry_after"
            )
        ]

    def __str__(self) -> str:
        return f"{self.prefix}…"

    def is_usable(self, moment=None) -> bool:
        moment = moment or now()
        return self.revoked_at is None and moment < self.expires_at


class IntakeStatus(models.TextChoices):
    CASE_CREATED = "CASE_CREATED", _("Kasus baru dibuat")
    NOTE_ADDED = "NOTE_ADDED", _("Dicatat pada kasus terbuka")
    UNMATCHED = "UNMATCHED", _("Belum cocok dengan nasabah")
    LINKED = "LINKED", _("Ditautkan ke nasabah")


class IntakeChannel(models.TextChoices):
    WHATSAPP = "WHATSAPP", _("WhatsApp")
    API = "API", _("API sistem eksternal")
    EMAIL = "EMAIL", _("Email")


class InboundIntake(models.Model):
    """One message from outside that should become a case: a WhatsApp message (through the
    messaging hub's webhook) or an intake API call. Unique per (source, external id) — the
    provider's message id or the caller's idempotency key — so a repeated webhook or call
    creates nothing. The text is sensitive: masked in lists, shown to INTAKE_VIEW holders,
    never logged. Rows no customer matched wait in the "unmatched" queue for an agent."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    channel = models.CharField(max_length=20, choices=IntakeChannel.choices)
    source = models.CharField(max_length=60)  # "whatsapp:<provider>", "api:<system>", "email:…"
    external_id = models.CharField(max_length=200)
    # E.164 (WhatsApp, API) or the normalised e-mail address (EMAIL), when readable
    from_address = models.CharField(max_length=254, blank=True)
    text = models.TextField(blank=True)
    case_channel = models.CharField(max_length=20)  # the case's channel (cases.Channel)
    status = models.CharField(max_length=20, choices=IntakeStatus.choices)
    customer = models.ForeignKey(
        "customers.Customer", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    case = models.ForeignKey(
        "cases.Case", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # Attachments of an e-mail the documents' upload rules refused: their codes only (the
    # kept ones are documents of the case, or of this row while it waits unmatched).
    refused_attachments = ArrayField(
        models.CharField(max_length=40), default=list, blank=True, size=None
    )
    received_at = models.DateTimeField(default=now)
    linked_at = models.DateTimeField(null=True, blank=True)
    linked_by = models.ForeignKey(
        "iam.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    objects = scopes.ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-received_at"]
        constraints = [
            models.UniqueConstraint(fields=["source", "external_id"], name="intake_once"),
            models.CheckConstraint(
                condition=Q(status="UNMATCHED", case__isnull=True)
                | Q(~Q(status="UNMATCHED"), case__isnull=False, customer__isnull=False),
                name="intake_case_iff_matched",
            ),
        ]
        indexes = [
            models.Index(
                fields=["-received_at"],
                name="intake_unmatched",
                condition=Q(status="UNMATCHED"),
            )
        ]

    def __str__(self) -> str:
        return f"{self.channel} {self.status}"

    @property
    def masked_from(self) -> str:
        if "@" in self.from_address:
            return mask_email(self.from_address) or "—"
        return mask_phone(self.from_address) or "—"

    @property
    def masked_text(self) -> str:
        """What a list shows of the text: nothing of it but its length."""
        return _("%(mask)s (%(count)d karakter)") % {"mask": MASK * 6, "count": len(self.text)}


class WebhookSubscription(models.Model):
    """One external system's subscription to chosen domain events (``webhooks.EVENTS``),
    delivered by POST to ``url``. The payload holds only what the system's own grants let it
    see (``webhooks``); the body is signed with a secret that is never stored: it is derived
    from ``INTEGRATIONS_WEBHOOK_KEY`` (outside the database), the subscription's id and
    ``secret_version`` and shown once. Disabled (``active`` off, ``disabled_at``) after
    ``INTEGRATIONS_WEBHOOK_DISABLE_AFTER`` failed attempts in a row."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    system = models.ForeignKey(
        ExternalSystem, on_delete=models.PROTECT, related_name="webhook_subscriptions"
    )
    url = models.URLField(max_length=500)
    events = ArrayField(models.CharField(max_length=64))
    secret_version = models.PositiveIntegerField(default=1)
    active = models.BooleanField(default=True)
    consecutive_failures = models.PositiveIntegerField(default=0)
    disabled_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=now)

    objects = scopes.ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["created_at"]
        indexes = [GinIndex(fields=["events"], name="webhook_sub_events")]

    def __str__(self) -> str:
        return f"{self.system_id} → {len(self.events)} event(s)"


class DeliveryStatus(models.TextChoices):
    PENDING = "PENDING", _("Menunggu dikirim")
    SENDING = "SENDING", _("Sedang dikirim")
    DELIVERED = "DELIVERED", _("Terkirim")
    DEAD = "DEAD", _("Gagal permanen")


class WebhookDelivery(models.Model):
    """One event for one subscription: the delivery log. Written in the transaction that
    emitted the event (so it exists exactly when the change commits), sent later by a batched
    job (``webhook_delivery``). The row's id is the ``X-Amanah-Delivery`` header, the same on
    every attempt: a receiver that saw it before drops the copy. ``last_error`` is a code
    (``timeout``, ``http_503`` …), never the receiver's answer."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    subscription = models.ForeignKey(
        WebhookSubscription, on_delete=models.PROTECT, related_name="deliveries"
    )
    event = models.CharField(max_length=64)
    event_id = models.UUIDField()
    payload = models.JSONField()
    status = models.CharField(
        max_length=16, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=now)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=40, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=now)

    objects = scopes.ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["subscription", "event_id"], name="webhook_delivery_once"
            ),
            models.CheckConstraint(
                condition=Q(status="DELIVERED", delivered_at__isnull=False)
                | (~Q(status="DELIVERED") & Q(delivered_at__isnull=True)),
                name="webhook_delivered_iff_time",
            ),
        ]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                name="webhook_delivery_due",
                condition=Q(status__in=["PENDING", "SENDING"]),
            )
        ]

    def __str__(self) -> str:
        return f"{self.event} {self.status}"


class SyncCounter(models.Model):
    """The sync monitor's counters: one row per system per hour (``monitor.record_call``, one
    UPSERT per API call, outside the call's own transaction). Failures are calls answered 4xx
    or 5xx; ``last_failure_reason`` is the answer's error code (``not_found``, ``http_500`` …),
    never its text."""

    id = models.BigAutoField(primary_key=True)
    system = models.ForeignKey(ExternalSystem, on_delete=models.CASCADE, related_name="+")
    bucket = models.DateTimeField()  # the hour, truncated
    calls = models.PositiveIntegerField(default=0)
    failures = models.PositiveIntegerField(default=0)
    total_ms = models.BigIntegerField(default=0)
    max_ms = models.PositiveIntegerField(default=0)
    last_success_at = models.DateTimeField(null=True, blank=True)
    last_failure_at = models.DateTimeField(null=True, blank=True)
    last_failure_reason = models.CharField(max_length=40, blank=True)

    objects = scopes.ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-bucket"]
        constraints = [
            models.UniqueConstraint(fields=["system", "bucket"], name="sync_counter_once")
        ]

    def __str__(self) -> str:
        return f"{self.system_id} {self.bucket:%Y-%m-%d %H}"


# --------------------------------------------------------------------------- batch import


class ImportMapping(models.Model):
    """How one source's columns name a target's fields (``{column: field}``), kept per
    (source, target) and offered again on the source's next upload. ``source`` is an external
    system's name, or ``"manual"`` for files uploaded by hand."""

    id = models.BigAutoField(primary_key=True)
    source = models.CharField(max_length=60)
    target = models.CharField(max_length=60)
    columns = models.JSONField(default=dict)
    updated_at = models.DateTimeField(default=now)
    updated_by = models.CharField(max_length=150, blank=True)

    objects = scopes.ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["source", "target"]
        constraints = [
            models.UniqueConstraint(fields=["source", "target"], name="import_mapping_once")
        ]

    def __str__(self) -> str:
        return f"{self.source} → {self.target}"


class ImportStatus(models.TextChoices):
    UPLOADED = "UPLOADED", _("Diunggah, pemetaan belum diatur")
    CHECKING = "CHECKING", _("Uji coba berjalan")
    VALID = "VALID", _("Uji coba lolos, siap diimpor")
    INVALID = "INVALID", _("Uji coba menemukan kesalahan")
    QUEUED = "QUEUED", _("Menunggu diimpor")
    IMPORTING = "IMPORTING", _("Sedang diimpor")
    DONE = "DONE", _("Selesai diimpor")
    FAILED = "FAILED", _("Gagal, tidak ada yang ditulis")


class ImportFormat(models.TextChoices):
    CSV = "CSV", "CSV"
    XLSX = "XLSX", "XLSX (Excel)"
    JSON = "JSON", _("JSON (API)")


class ImportBatch(models.Model):
    """One batch of rows for one import target (``registry.import_targets``): a file (CSV,
    XLSX) or an API call's rows (JSON). A dry run checks every row and keeps each error
    (``ImportRowError``) without writing; the real run checks again, stages the rows and
    writes them in one transaction — all or nothing. ``rows_done`` of ``total_rows`` is the
    progress the page polls. ``actor_ref`` is who asked (a user in its role, or an external
    system with its own grants), so the jobs act as that actor and no more."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    target = models.CharField(max_length=60)
    source = models.CharField(max_length=60)
    system = models.ForeignKey(
        ExternalSystem, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    file_name = models.CharField(max_length=200, blank=True)
    file_format = models.CharField(max_length=8, choices=ImportFormat.choices)
    columns = ArrayField(models.CharField(max_length=200), default=list, blank=True)
    mapping = models.JSONField(default=dict, blank=True)
    status = models.CharField(
        max_length=12, choices=ImportStatus.choices, default=ImportStatus.UPLOADED
    )
    total_rows = models.PositiveIntegerField(default=0)
    rows_done = models.PositiveIntegerField(default=0)
    valid_rows = models.PositiveIntegerField(default=0)
    error_rows = models.PositiveIntegerField(default=0)
    created_rows = models.PositiveIntegerField(default=0)
    unchanged_rows = models.PositiveIntegerField(default=0)
    failure = models.CharField(max_length=300, blank=True)
    actor_ref = models.JSONField(default=dict)
    created_by = models.ForeignKey(
        "iam.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_by_label = models.CharField(max_length=150)
    created_at = models.DateTimeField(default=now)
    checked_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # The lines the real run created, as a PostgreSQL int4multirange in its text form
    # ("{[2,1001),[1005,2001)}"): one value for a million lines, instead of a flag per
    # staged row (an UPDATE of every row) — the results download reads it.
    created_lines = models.TextField(blank=True, default="")
    # Set by the job at each chunk it finishes: a running batch whose job stopped beating
    # (its worker died) is noticed by the sweeper (``imports.sweep``).
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    # When the sweeper removed the file and the staged rows of a finished batch (retention).
    purged_at = models.DateTimeField(null=True, blank=True)
    # How often the sweeper restarted a step whose worker died (it fails the batch after a few).
    resumed = models.PositiveSmallIntegerField(default=0)

    objects = scopes.ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(rows_done__lte=models.F("total_rows")), name="import_progress_range"
            )
        ]

    def __str__(self) -> str:
        return f"{self.target} {self.file_name or self.file_format} {self.status}"

    @property
    def percent(self) -> int:
        return 100 if not self.total_rows else int(100 * self.rows_done / self.total_rows)

    @property
    def running(self) -> bool:
        return self.status in (ImportStatus.CHECKING, ImportStatus.QUEUED, ImportStatus.IMPORTING)


class ImportFile(models.Model):
    """The batch's file as it arrived (or the API call's rows as JSON), read by the jobs."""

    batch = models.OneToOneField(
        ImportBatch, primary_key=True, on_delete=models.CASCADE, related_name="file"
    )
    content = models.BinaryField()
    size = models.PositiveBigIntegerField()

    objects = scopes.ScopedQuerySet.as_manager()

    def __str__(self) -> str:
        return f"{self.size} B"


class ImportRowError(models.Model):
    """One refused row of a batch: its line in the file (1 = the header), the source's column
    (empty when the whole row or file is at fault), a stable code and the reason in
    Indonesian. Never the cell's value."""

    id = models.BigAutoField(primary_key=True)
    batch = models.ForeignKey(ImportBatch, on_delete=models.CASCADE, related_name="errors")
    line = models.PositiveIntegerField()
    column = models.CharField(max_length=200, blank=True)
    message = models.CharField(max_length=300)

    objects = scopes.ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["line", "id"]
        indexes = [models.Index(fields=["batch", "line"], name="import_error_line")]

    def __str__(self) -> str:
        return f"{self.line} {self.column}"


class ImportStagedRow(models.Model):
    """A checked row of a real run, staged (COPY) before the one transaction that writes the
    batch: ``data`` is what the target's ``clean`` answered. Which lines the target created
    is kept on the batch (``created_lines``); the rest already existed (unchanged). Kept for
    the results download until the sweeper purges the finished batch."""

    id = models.BigAutoField(primary_key=True)
    # no index of its own on batch: ``import_staged_line`` (batch, line) serves it
    batch = models.ForeignKey(
        ImportBatch, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    line = models.PositiveIntegerField()
    source_key = models.CharField(max_length=200)
    data = models.JSONField()

    objects = scopes.ScopedQuerySet.as_manager()

    class Meta:
        indexes = [models.Index(fields=["batch", "line"], name="import_staged_line")]

    def __str__(self) -> str:
        return f"{self.batch_id}:{self.line}"


# Keys are an ADMIN matter, not a branch's; unmatched messages have no customer and so no
# branch: whoever may work the queue sees all of it.
scopes.register(ExternalSystem, view=SYSTEM_KEY_MANAGE)
scopes.register(SystemKey, via="system")
scopes.register(SyncCounter, via="system")
scopes.register(InboundIntake, view=INTAKE_VIEW)
scopes.register(WebhookSubscription, via="system")
scopes.register(WebhookDelivery, via="subscription")
scopes.register(ImportMapping, view=IMPORT_RUN)
scopes.register(ImportBatch, view=IMPORT_RUN)
scopes.register(ImportFile, via="batch")
scopes.register(ImportRowError, via="batch")
scopes.register(ImportStagedRow, via="batch")
