"""Service recovery tables (seed 001 §3 "Trigger Rules" and "Data Model"): the triggers as
data, and one recovery per case and trigger (``crm.service_recovery_logs`` of the seed)."""

from __future__ import annotations

import uuid

from django.db import models
from django.db.models import Q
from django.utils.timezone import now
from django.utils.translation import gettext_lazy as _

from amanah.core import scopes
from amanah.insight.policies import RECOVERY_VIEW


class TriggerEvent(models.TextChoices):
    """When a trigger is asked: the sweep marked the case breached, the case was closed, or the
    case is (or was, when closed) past twice its allowed SLA time."""

    BREACHED = "BREACHED", _("Kasus melewati SLA")
    CLOSED = "CLOSED", _("Kasus ditutup")
    OVER_2X_SLA = "OVER_2X_SLA", _("Kasus melewati 2× SLA")


class ConditionKind(models.TextChoices):
    ANY = "ANY", _("Semua kasus")
    CATEGORY = "CATEGORY", _("Kategori kasus")
    RFM_SEGMENT = "RFM_SEGMENT", _("Segmen RFM nasabah")


class RecoveryAction(models.TextChoices):
    """What is offered (seed 001 §3 ``offered_action``; the seed's table combines some)."""

    VOUCHER_50K = "VOUCHER_50K", _("Voucher Rp50.000 / gratis biaya admin 3 bulan")
    SOUVENIR_SEND = "SOUVENIR_SEND", _("Kirim suvenir + surat permohonan maaf")
    APOLOGY_CALL = "APOLOGY_CALL", _("Telepon permohonan maaf (wajib)")
    ESCALATE_FREE_ADMIN = "ESCALATE_FREE_ADMIN", _("Eskalasi + gratis biaya admin")
    PRIORITY_CALLBACK = "PRIORITY_CALLBACK", _("Pemulihan prioritas + telepon pribadi")


class RecoveryStatus(models.TextChoices):
    PENDING = "PENDING", _("Menunggu")
    APPROVED = "APPROVED", _("Disetujui")
    SENT = "SENT", _("Dikirim")
    CLAIMED = "CLAIMED", _("Diklaim")
    EXPIRED = "EXPIRED", _("Kedaluwarsa")


class RecoveryTrigger(models.Model):
    """One row of the seed's trigger table: on ``event``, for a case matching the condition
    (``ANY``; the case's category code; the customer's latest RFM segment), offer ``action``
    worth ``estimated_value`` IDR. Seeded by a migration; ``active`` switches a row off."""

    code = models.CharField(max_length=40, primary_key=True)
    event = models.CharField(max_length=12, choices=TriggerEvent.choices)
    condition_kind = models.CharField(max_length=12, choices=ConditionKind.choices)
    condition_value = models.CharField(max_length=20, blank=True)
    action = models.CharField(max_length=20, choices=RecoveryAction.choices)
    estimated_value = models.BigIntegerField()
    active = models.BooleanField(default=True)
    position = models.PositiveSmallIntegerField(default=0)

    objects = scopes.ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["position", "code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(estimated_value__gte=0), name="recovery_trigger_value_not_negative"
            ),
            models.CheckConstraint(
                condition=(Q(condition_kind="ANY") & Q(condition_value=""))
                | (~Q(condition_kind="ANY") & ~Q(condition_value="")),
                name="recovery_trigger_condition_complete",
            ),
        ]

    def __str__(self) -> str:
        return self.code


class ServiceRecovery(models.Model):
    """A recovery offered to the customer of one case because one trigger fired: what, worth
    how much, and where it stands. One per case and trigger (unique), so an event handled
    twice or a job retried adds nothing. ``proposed_by`` is the person whose action fired it
    (who closed the case), none for the SLA sweep and the periodic job; the four-eyes guard
    refuses them the approval. Status changes only through the workflow
    ``insight.service_recovery``."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="+")
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, related_name="service_recoveries"
    )
    branch = models.ForeignKey("iam.Branch", on_delete=models.PROTECT, related_name="+")
    trigger = models.ForeignKey(RecoveryTrigger, on_delete=models.PROTECT, related_name="+")
    trigger_event = models.CharField(max_length=12, choices=TriggerEvent.choices)
    action = models.CharField(max_length=20, choices=RecoveryAction.choices)
    estimated_value = models.BigIntegerField()
    status = models.CharField(
        max_length=10, choices=RecoveryStatus.choices, default=RecoveryStatus.PENDING
    )
    proposed_by = models.ForeignKey(
        "iam.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    proposed_by_label = models.CharField(max_length=150, blank=True)
    approved_by = models.ForeignKey(
        "iam.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)  # CLAIMED or EXPIRED
    created_at = models.DateTimeField(default=now)

    objects = scopes.ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["case", "trigger"], name="recovery_once_per_trigger"),
            models.CheckConstraint(
                condition=Q(estimated_value__gte=0), name="recovery_value_not_negative"
            ),
        ]
        indexes = [
            models.Index(fields=["branch", "status", "-created_at"], name="recovery_branch_status"),
            models.Index(fields=["customer", "-created_at"], name="recovery_customer"),
        ]

    def __str__(self) -> str:
        return f"{self.trigger_id} {self.status}"


scopes.register(RecoveryTrigger, view=RECOVERY_VIEW)
# A recovery is exactly as visible as its case (branch, customer's branch, own/assigned).
scopes.register(ServiceRecovery, via="case")
