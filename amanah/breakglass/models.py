from __future__ import annotations

import uuid

from django.db import models
from django.db.models import Q
from django.utils.timezone import now
from django.utils.translation import gettext_lazy as _

from amanah.breakglass.policies import BREAKGLASS_VIEW
from amanah.core import scopes


class GrantStatus(models.TextChoices):
    REQUESTED = "REQUESTED", _("Menunggu persetujuan")
    APPROVED = "APPROVED", _("Disetujui")
    REJECTED = "REJECTED", _("Ditolak")
    EMERGENCY = "EMERGENCY", _("Darurat, menunggu tinjauan")
    REVIEWED = "REVIEWED", _("Darurat, sudah ditinjau")


# A grant opens its customer in these states, between opened_at and expires_at.
OPEN_STATUSES = (GrantStatus.APPROVED, GrantStatus.EMERGENCY, GrantStatus.REVIEWED)


class BreakGlassGrant(models.Model):
    """Detailed access of one member of staff to one customer, for a while, with a reason.

    Asked for (REQUESTED) and decided by someone else (APPROVED / REJECTED), or opened at once
    in an emergency (EMERGENCY) and reviewed by someone else afterwards (REVIEWED), within
    ``review_due_at``. Open only between ``opened_at`` and ``expires_at``; expiry needs no
    status change. Statuses move through the workflow engine (``breakglass.grant``).
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    customer = models.ForeignKey("customers.Customer", on_delete=models.PROTECT, related_name="+")
    requested_by = models.ForeignKey("iam.User", on_delete=models.PROTECT, related_name="+")
    requested_role = models.CharField(max_length=32)
    reason = models.TextField()
    emergency = models.BooleanField(default=False)
    status = models.CharField(max_length=10, choices=GrantStatus.choices)
    requested_at = models.DateTimeField(default=now)
    minutes = models.PositiveIntegerField()
    decided_by = models.ForeignKey(
        "iam.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField(blank=True)
    opened_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    review_due_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.ForeignKey(
        "iam.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_note = models.TextField(blank=True)

    objects = scopes.ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-requested_at"]
        indexes = [models.Index(fields=["requested_by", "expires_at"], name="breakglass_open")]
        constraints = [
            # Four eyes, in the database too: nobody decides or reviews their own grant.
            models.CheckConstraint(
                condition=~Q(decided_by=models.F("requested_by")),
                name="breakglass_not_self_decided",
            ),
            models.CheckConstraint(
                condition=~Q(reviewed_by=models.F("requested_by")),
                name="breakglass_not_self_reviewed",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["REQUESTED", "REJECTED"], opened_at__isnull=True)
                | Q(
                    status__in=["APPROVED", "EMERGENCY", "REVIEWED"],
                    opened_at__isnull=False,
                    expires_at__gt=models.F("opened_at"),
                ),
                name="breakglass_open_window",
            ),
            models.UniqueConstraint(
                fields=["requested_by", "customer"],
                condition=Q(status="REQUESTED"),
                name="breakglass_one_pending",
            ),
            models.CheckConstraint(
                condition=Q(emergency=False) | Q(review_due_at__isnull=False),
                name="breakglass_emergency_reviewed",
            ),
        ]

    def __str__(self) -> str:
        return f"break-glass {self.pk}"

    def is_open(self, at=None) -> bool:
        at = at or now()
        return (
            self.status in OPEN_STATUSES
            and self.opened_at is not None
            and self.opened_at <= at < self.expires_at
        )

    @property
    def needs_review(self) -> bool:
        return self.status == GrantStatus.EMERGENCY

    def review_overdue(self, at=None) -> bool:
        return self.needs_review and (at or now()) > self.review_due_at


# Grants are seen by the holders of breakglass.view within their branches (the customer's).
scopes.register(BreakGlassGrant, view=BREAKGLASS_VIEW, branch="customer__home_branch")
