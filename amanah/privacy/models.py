"""UU PDP rights (UU 27/2022): access exports, correction requests, breach incidents, and the
retention job's marks.

Every status moves through the workflow engine (``privacy.correction``, ``privacy.breach``);
an export is made once and kept as a generated, signed document of its request."""

from __future__ import annotations

import uuid
from datetime import timedelta

from django.db import models
from django.db.models import Q
from django.utils.timezone import now
from django.utils.translation import gettext_lazy as _

from amanah.core import scopes
from amanah.privacy.policies import PRIVACY_BREACH_VIEW, PRIVACY_DSAR

# UU PDP Pasal 46: the subjects and the authority are told within 3 × 24 hours.
NOTIFY_WITHIN = timedelta(hours=72)


class AccessRequest(models.Model):
    """A data subject's access request (UU PDP Pasal 7, 32) answered with an export: every
    stored field the apps keep about the customer, the consent history and the processing
    trail from the audit log. The export is a generated document of this request (a signed
    PDF carrying the same data as a JSON attachment), made once (``document_id``)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    customer = models.ForeignKey("customers.Customer", on_delete=models.PROTECT, related_name="+")
    reference = models.CharField(max_length=200)  # the subject's letter or ticket, as given
    requested_by = models.ForeignKey("iam.User", on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(default=now)
    document_id = models.UUIDField(null=True, blank=True)
    json_sha256 = models.CharField(max_length=64, blank=True)
    sections = models.PositiveSmallIntegerField(default=0)
    stored_rows = models.PositiveIntegerField(default=0)
    trail_rows = models.PositiveIntegerField(default=0)

    objects = scopes.ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-requested_at"]
        indexes = [models.Index(fields=["customer", "-requested_at"], name="dsar_customer")]

    def __str__(self) -> str:
        return f"DSAR {str(self.pk)[:8]}"


class CorrectableField(models.TextChoices):
    FULL_NAME = "full_name", _("Nama lengkap")
    BIRTH_DATE = "birth_date", _("Tanggal lahir")
    GENDER = "gender", _("Jenis kelamin")
    PHONE = "phone_e164", _("Telepon")
    EMAIL = "email", _("Email")


class CorrectionStatus(models.TextChoices):
    REQUESTED = "REQUESTED", _("Menunggu tinjauan")
    APPLIED = "APPLIED", _("Diterapkan")
    REJECTED = "REJECTED", _("Ditolak")


class CorrectionRequest(models.Model):
    """A data subject asks to correct one field of their master data (UU PDP Pasal 6).

    Recorded by front office with the value stored at that moment; a second person reviews
    it and applies it through the customer update service (or rejects it, with a note). The
    database refuses a reviewer who is the requester, and a second open request for the same
    field of the same customer."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    customer = models.ForeignKey("customers.Customer", on_delete=models.PROTECT, related_name="+")
    field = models.CharField(max_length=20, choices=CorrectableField.choices)
    old_value = models.CharField(max_length=200, blank=True)
    new_value = models.CharField(max_length=200)
    reason = models.TextField()
    status = models.CharField(
        max_length=10, choices=CorrectionStatus.choices, default=CorrectionStatus.REQUESTED
    )
    requested_by = models.ForeignKey("iam.User", on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(default=now)
    decided_by = models.ForeignKey(
        "iam.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField(blank=True)

    objects = scopes.ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-requested_at"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(decided_by=models.F("requested_by")),
                name="correction_not_self_decided",
            ),
            models.UniqueConstraint(
                fields=["customer", "field"],
                condition=Q(status="REQUESTED"),
                name="correction_one_open_per_field",
            ),
        ]
        indexes = [models.Index(fields=["status", "requested_at"], name="correction_status")]

    def __str__(self) -> str:
        return f"correction {str(self.pk)[:8]}"


class BreachStatus(models.TextChoices):
    OPEN = "OPEN", _("Belum diberitahukan")
    NOTIFIED = "NOTIFIED", _("Sudah diberitahukan")
    CLOSED = "CLOSED", _("Ditutup")


class BreachIncident(models.Model):
    """A failure of personal-data protection (UU PDP Pasal 46): what happened, which data and
    how many subjects, when the bank became aware (``discovered_at``) and so the notification
    deadline ``notify_by`` = discovered + 3 × 24 hours (stored, indexed: the dashboard's panel
    reads the open ones by it). Notified (subjects and the authority) and closed through the
    workflow engine (``privacy.breach``)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    title = models.CharField(max_length=200)
    description = models.TextField()
    data_categories = models.CharField(max_length=300)
    subjects_affected = models.PositiveIntegerField(default=0)
    discovered_at = models.DateTimeField()
    notify_by = models.DateTimeField()
    status = models.CharField(
        max_length=10, choices=BreachStatus.choices, default=BreachStatus.OPEN
    )
    recorded_by = models.ForeignKey("iam.User", on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=now)
    notified_at = models.DateTimeField(null=True, blank=True)
    notified_by = models.ForeignKey(
        "iam.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    notification_note = models.TextField(blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    objects = scopes.ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-discovered_at"]
        indexes = [models.Index(fields=["status", "notify_by"], name="breach_status_due")]
        constraints = [
            models.CheckConstraint(
                condition=Q(notify_by=models.F("discovered_at") + NOTIFY_WITHIN),
                name="breach_notify_within_72h",
            ),
            models.CheckConstraint(
                condition=Q(status="OPEN") | Q(notified_at__isnull=False),
                name="breach_notified_has_time",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def overdue(self, at=None) -> bool:
        """Not notified and past the deadline, or notified after it."""
        if self.notified_at is not None:
            return self.notified_at > self.notify_by
        return (at or now()) > self.notify_by


class Anonymisation(models.Model):
    """The retention job's mark: this data class of this customer was anonymised (once; the
    job skips marked pairs, so a second run changes nothing)."""

    customer = models.ForeignKey("customers.Customer", on_delete=models.PROTECT, related_name="+")
    data_class = models.CharField(max_length=20)
    done_at = models.DateTimeField(default=now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["customer", "data_class"], name="anonymised_once")
        ]

    def __str__(self) -> str:
        return f"{self.customer_id} {self.data_class}"


# An export is seen by the holders of privacy.dsar within the customer's branch; corrections
# follow the customer (the customer pages' scope); incidents are the bank's, not a branch's.
scopes.register(AccessRequest, view=PRIVACY_DSAR, branch="customer__home_branch")
scopes.register(CorrectionRequest, via="customer")
scopes.register(BreachIncident, view=PRIVACY_BREACH_VIEW)
