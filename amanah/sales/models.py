"""Sales tables (seed 003 Bab 13.8; seed 001 §8, §10): leads with their score, RM activities,
opportunities with stage probability, and the follow-up task after a closed case (Bab 11.3B)."""

from __future__ import annotations

import uuid
from decimal import Decimal

from django.db import models
from django.db.models import Q
from django.utils.timezone import now
from django.utils.translation import gettext_lazy as _

from amanah.core import scopes
from amanah.sales.policies import (
    FOLLOWUP_VIEW,
    FOLLOWUP_VIEW_BRANCH,
    LEAD_VIEW,
    LEAD_VIEW_BRANCH,
    OPPORTUNITY_VIEW,
    OPPORTUNITY_VIEW_BRANCH,
)

CLOSE_REASON_MIN_LENGTH = 5


class LeadSource(models.TextChoices):
    CAMPAIGN = "CAMPAIGN", _("Kampanye")
    SERVICE_FOLLOWUP = "SERVICE_FOLLOWUP", _("Tindak lanjut layanan")
    MANUAL = "MANUAL", _("Manual")


class LeadStatus(models.TextChoices):
    NEW = "NEW", _("Baru")
    CONTACTED = "CONTACTED", _("Dihubungi")
    QUALIFIED = "QUALIFIED", _("Memenuhi syarat")
    CLOSED_WON = "CLOSED_WON", _("Berhasil (won)")
    CLOSED_LOST = "CLOSED_LOST", _("Gagal (lost)")


OPEN_LEAD_STATUSES = (LeadStatus.NEW, LeadStatus.CONTACTED, LeadStatus.QUALIFIED)
CLOSED_LEAD_STATUSES = (LeadStatus.CLOSED_WON, LeadStatus.CLOSED_LOST)


class LeadPriority(models.TextChoices):
    HOT = "HOT", _("Panas")
    WARM = "WARM", _("Hangat")
    COOL = "COOL", _("Sejuk")
    COLD = "COLD", _("Dingin")
    # Not scored: the customer objected to profiling (consent's rule, UU PDP Pasal 10).
    NONE = "NONE", _("Tidak diprofilkan")


class LeadQuerySet(scopes.ScopedQuerySet):
    def open(self) -> LeadQuerySet:
        return self.filter(status__in=OPEN_LEAD_STATUSES)


class Lead(models.Model):
    """A sales lead handed to one RM (seed 003 US-16), scored by rules (seed 001 §8).

    One lead per customer per source object (campaign, follow-up task): a campaign run or a
    retried job cannot hand the same customer over twice. Closing needs a reason, enforced by
    the service and by a CHECK constraint.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, related_name="leads"
    )
    source_type = models.CharField(max_length=20, choices=LeadSource.choices)
    source_id = models.UUIDField(null=True, blank=True)
    assigned_to = models.ForeignKey("iam.User", on_delete=models.PROTECT, related_name="leads")
    assignment_rule = models.CharField(max_length=12, blank=True)  # PORTFOLIO | BRANCH
    status = models.CharField(max_length=12, choices=LeadStatus.choices, default=LeadStatus.NEW)
    closed_reason = models.TextField(blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    product_interest = models.CharField(max_length=120, blank=True)
    note = models.TextField(blank=True)
    score = models.PositiveSmallIntegerField(default=0)
    priority = models.CharField(
        max_length=4, choices=LeadPriority.choices, default=LeadPriority.COLD
    )
    score_breakdown = models.JSONField(default=list)
    scored_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        "iam.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_by_label = models.CharField(max_length=150, blank=True)
    created_at = models.DateTimeField(default=now)
    updated_at = models.DateTimeField(default=now)

    objects = LeadQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["customer", "source_type", "source_id"],
                condition=Q(source_id__isnull=False),
                name="lead_once_per_source",
            ),
            models.CheckConstraint(
                name="lead_closed_needs_reason",
                condition=~Q(status__in=["CLOSED_WON", "CLOSED_LOST"])
                | (Q(closed_at__isnull=False) & ~Q(closed_reason="")),
            ),
        ]
        indexes = [
            # Seed 003 Bab 13.8: idx_leads_assigned_status (assigned_to, status, updated_at DESC)
            models.Index(fields=["assigned_to", "status", "-updated_at"], name="lead_rm_board"),
            models.Index(fields=["customer", "-created_at"], name="lead_customer"),
            models.Index(fields=["source_type", "source_id"], name="lead_source"),
        ]

    def __str__(self) -> str:
        return f"{self.customer_id} {self.status}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_LEAD_STATUSES

    @property
    def not_profiled(self) -> str:
        """Why the lead has no score ("" when it has one): its customer objected to
        profiling when it was last scored."""
        if self.priority != LeadPriority.NONE:
            return ""
        from amanah.consent.contract import PROFILING_OBJECTED_LABEL

        return str(PROFILING_OBJECTED_LABEL)


class ActivityType(models.TextChoices):
    CALL = "CALL", _("Telepon")
    MEETING = "MEETING", _("Pertemuan")
    NOTE = "NOTE", _("Catatan")


class RmActivity(models.Model):
    """A call, meeting or note by an RM about a customer (seed 003 US-17, Bab 13.8)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, related_name="rm_activities"
    )
    lead = models.ForeignKey(
        Lead, null=True, blank=True, on_delete=models.PROTECT, related_name="activities"
    )
    activity_type = models.CharField(max_length=8, choices=ActivityType.choices)
    note = models.TextField()
    created_by = models.ForeignKey(
        "iam.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_by_label = models.CharField(max_length=150, blank=True)
    created_at = models.DateTimeField(default=now)

    objects = scopes.ScopedQuerySet.as_manager()

    class Meta:
        indexes = [
            models.Index(fields=["customer", "-created_at"], name="rm_activity_customer"),
            models.Index(fields=["lead", "-created_at"], name="rm_activity_lead"),
        ]

    def __str__(self) -> str:
        return f"{self.customer_id} {self.activity_type}"


class OpportunityStage(models.TextChoices):
    NEW = "NEW", _("Baru")
    QUALIFIED = "QUALIFIED", _("Memenuhi syarat")
    PROPOSAL = "PROPOSAL", _("Proposal")
    NEGOTIATION = "NEGOTIATION", _("Negosiasi")
    CLOSED_WON = "CLOSED_WON", _("Berhasil (won)")
    CLOSED_LOST = "CLOSED_LOST", _("Gagal (lost)")


# Seed 001 §10: default probability per stage, in percent.
STAGE_PROBABILITY = {
    OpportunityStage.NEW: 10,
    OpportunityStage.QUALIFIED: 25,
    OpportunityStage.PROPOSAL: 50,
    OpportunityStage.NEGOTIATION: 75,
    OpportunityStage.CLOSED_WON: 100,
    OpportunityStage.CLOSED_LOST: 0,
}
OPEN_STAGES = (
    OpportunityStage.NEW,
    OpportunityStage.QUALIFIED,
    OpportunityStage.PROPOSAL,
    OpportunityStage.NEGOTIATION,
)
CLOSED_STAGES = (OpportunityStage.CLOSED_WON, OpportunityStage.CLOSED_LOST)


class Opportunity(models.Model):
    """A sale in progress (seed 001 §10); expected value = estimated value × probability."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, related_name="opportunities"
    )
    lead = models.ForeignKey(
        Lead, null=True, blank=True, on_delete=models.PROTECT, related_name="opportunities"
    )
    product_interest = models.CharField(max_length=120)
    estimated_value = models.DecimalField(max_digits=15, decimal_places=2)
    stage = models.CharField(
        max_length=12, choices=OpportunityStage.choices, default=OpportunityStage.NEW
    )
    probability = models.PositiveSmallIntegerField(default=10)
    expected_close_date = models.DateField(null=True, blank=True)
    assigned_to = models.ForeignKey(
        "iam.User", on_delete=models.PROTECT, related_name="opportunities"
    )
    lost_reason = models.TextField(blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        "iam.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=now)
    updated_at = models.DateTimeField(default=now)

    objects = scopes.ScopedQuerySet.as_manager()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(probability__gte=0, probability__lte=100),
                name="opportunity_probability_0_100",
            ),
            models.CheckConstraint(
                condition=Q(estimated_value__gt=0), name="opportunity_value_positive"
            ),
            models.CheckConstraint(
                name="opportunity_lost_needs_reason",
                condition=~Q(stage="CLOSED_LOST") | ~Q(lost_reason=""),
            ),
        ]
        indexes = [
            models.Index(fields=["assigned_to", "stage"], name="opportunity_rm_stage"),
            models.Index(fields=["customer", "-created_at"], name="opportunity_customer"),
        ]

    def __str__(self) -> str:
        return f"{self.product_interest} {self.stage}"

    @property
    def expected_value(self) -> Decimal:
        return (self.estimated_value * self.probability / Decimal(100)).quantize(Decimal("0.01"))

    @property
    def is_open(self) -> bool:
        return self.stage in OPEN_STAGES


class FollowUpTemplate(models.TextChoices):
    """Seed 003 Bab 11.3B: educate or offer something useful, never a hard sell."""

    EDUCATION = "EDUCATION", _("Edukasi keamanan transaksi dan tips anti-penipuan")
    SERVICE_ACTIVATION = (
        "SERVICE_ACTIVATION",
        _("Tawarkan aktivasi layanan yang relevan (mis. notifikasi transaksi)"),
    )
    # Not after a case: a call the RM committed to (an accepted Next Best Action), with a due day.
    CALL = "CALL", _("Telepon nasabah (rekomendasi yang diterima)")


class FollowUpStatus(models.TextChoices):
    OPEN = "OPEN", _("Terbuka")
    DONE = "DONE", _("Selesai")
    SKIPPED = "SKIPPED", _("Dilewati")


class FollowUpTask(models.Model):
    """Service-to-sell (seed 003 Bab 11.3B): after a closed case, one ethical follow-up.
    Also a CALL task without a case (``followups.call_task_create``): a call someone committed
    to, due on ``due_on`` (an accepted Next Best Action of the CALL type).

    Created only when the customer may be offered something (``consent.contactability``) and
    the case is not sensitive; written by the closing actor, audited CREATE_FOLLOWUP. The outcome
    (DONE or SKIPPED) always carries a reason so completion rates can be measured honestly.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.OneToOneField(
        "cases.Case", null=True, blank=True, on_delete=models.PROTECT, related_name="followup_task"
    )
    due_on = models.DateField(null=True, blank=True)  # a CALL task's day
    note = models.TextField(blank=True)  # a CALL task's why (e.g. the recommendation's reason)
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, related_name="followup_tasks"
    )
    branch = models.ForeignKey("iam.Branch", on_delete=models.PROTECT, related_name="+")
    template = models.CharField(max_length=20, choices=FollowUpTemplate.choices)
    assigned_to = models.ForeignKey(
        "iam.User",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="followup_tasks",
    )
    status = models.CharField(
        max_length=8, choices=FollowUpStatus.choices, default=FollowUpStatus.OPEN
    )
    outcome_reason = models.TextField(blank=True)
    completed_by = models.ForeignKey(
        "iam.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    completed_at = models.DateTimeField(null=True, blank=True)
    lead = models.ForeignKey(
        Lead, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # Who closed the case that made this task (a person, or None for a system actor).
    created_by = models.ForeignKey(
        "iam.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=now)

    objects = scopes.ScopedQuerySet.as_manager()

    class Meta:
        constraints = [
            models.CheckConstraint(
                name="followup_outcome_needs_reason",
                condition=Q(status="OPEN")
                | (Q(completed_at__isnull=False) & ~Q(outcome_reason="")),
            ),
        ]
        indexes = [
            models.Index(fields=["assigned_to", "status", "-created_at"], name="followup_mine"),
            models.Index(fields=["branch", "status", "-created_at"], name="followup_branch"),
        ]

    def __str__(self) -> str:
        return f"{self.case_id} {self.status}"


# Seed 003 US-16 AC-3: RMs see the leads and opportunities assigned to them; supervisors those
# of customers in their branches. Follow-up tasks: the person given the task, or the branch.
scopes.register(
    Lead,
    view=LEAD_VIEW,
    branch="customer__home_branch",
    own=("assigned_to",),
    widen=LEAD_VIEW_BRANCH,
)
scopes.register(
    Opportunity,
    view=OPPORTUNITY_VIEW,
    branch="customer__home_branch",
    own=("assigned_to",),
    widen=OPPORTUNITY_VIEW_BRANCH,
)
scopes.register(
    FollowUpTask,
    view=FOLLOWUP_VIEW,
    branch="branch",
    own=("assigned_to",),
    widen=FOLLOWUP_VIEW_BRANCH,
)
# Whoever may open the customer sees the follow-up history (it is on the 360 timeline).
scopes.register(RmActivity, via="customer")
