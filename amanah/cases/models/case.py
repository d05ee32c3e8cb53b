"""The complaint and what it is measured against: resolution codes, categories, SLA
policies, the case itself, its activity log, legacy attachments, surveys, the number
sequence and the queue's saved filters — with their declared scopes."""

from __future__ import annotations

import uuid

from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Length
from django.db.models.lookups import GreaterThanOrEqual
from django.utils.timezone import now

from amanah.cases.models.choices import (
    FINAL_RESPONSE_MIN_LENGTH,
    OPEN_STATUSES,
    ActivityType,
    CaseStatus,
    Channel,
    Priority,
    RootCause,
    TimeUnit,
)
from amanah.cases.policies import CASE_QUEUE, CASE_VIEW, CASE_VIEW_BRANCH
from amanah.core import scopes


class ResolutionCode(models.Model):
    """How a complaint was resolved, from a configured list (data, not free text): the resolve
    move (the final response) requires one of the active codes (``services.resolution_ready``).
    ``label`` is Indonesian, ``label_en`` the English one (empty: the Indonesian is shown).
    A code in use is never deleted, only retired (``active``): closed cases keep theirs."""

    code = models.CharField(max_length=40, primary_key=True)
    label = models.CharField(max_length=80)
    label_en = models.CharField(max_length=80, blank=True)
    active = models.BooleanField(default=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "code"]

    def __str__(self) -> str:
        return self.display

    @property
    def display(self) -> str:
        from django.utils.translation import get_language

        if self.label_en and (get_language() or "").startswith("en"):
            return self.label_en
        return self.label


class CaseCategory(models.Model):
    """Complaint category (seed 003 Bab 13.5); sensitive ones (FRAUD_SCAM) show only a summary
    to roles without the permission, and make the customer ineligible for campaigns."""

    code = models.CharField(max_length=20, primary_key=True)
    name = models.CharField(max_length=80)
    is_sensitive = models.BooleanField(default=False)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class SlaPolicy(models.Model):
    """Targets for one category × priority, in working hours or days of the branch calendar.

    Never edited in place: a change creates a new version and retires the old one, so a case
    keeps the policy it was opened under. The regulatory profile follows OJK POJK 22/2023:
    resolution in 10 working days, one extension of 10 more with a reason and a customer notice.
    """

    category = models.ForeignKey(CaseCategory, on_delete=models.PROTECT, related_name="policies")
    priority = models.CharField(max_length=10, choices=Priority.choices)
    first_response_value = models.PositiveIntegerField()
    first_response_unit = models.CharField(max_length=5, choices=TimeUnit.choices)
    resolution_value = models.PositiveIntegerField()
    resolution_unit = models.CharField(max_length=5, choices=TimeUnit.choices)
    regulatory = models.BooleanField(default=False)
    extension_days = models.PositiveIntegerField(default=0)
    escalate_on_breach = models.BooleanField(default=True)
    active = models.BooleanField(default=True)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(default=now)
    created_by = models.CharField(max_length=150, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["category", "priority"],
                condition=Q(active=True),
                name="one_active_sla_policy",
            ),
            models.CheckConstraint(
                condition=Q(resolution_value__gt=0), name="sla_resolution_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.category_id}/{self.priority} v{self.version}"


class Case(models.Model):
    """A complaint (pengaduan) from intake to close, with SLA clocks on working time.

    Closing needs a final response: the service refuses it, and a CHECK constraint makes
    PostgreSQL refuse it too, whatever code tries.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # Unique through a constraint (Meta), not unique=True: that would add a second,
    # varchar_pattern_ops index for LIKE, and the case number is only ever matched whole.
    case_no = models.CharField(max_length=30)
    # db_index=False where a composite index below leads with the column, or where only a rare
    # PROTECT check on deleting the referenced row would read it (category, SLA policy, the
    # closer): every index costs each sweep UPDATE, which is never HOT (docs/benchmarks.md).
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, related_name="cases", db_index=False
    )
    # The branch that took the complaint and handles it (its calendar runs the SLA clock).
    branch = models.ForeignKey(
        "iam.Branch", on_delete=models.PROTECT, related_name="cases", db_index=False
    )
    # The customer's home branch when the complaint was taken at another branch (complaints are
    # accepted at any office): the case is seen there too. Null when it is the same branch, so
    # the partial index below holds only those few cases.
    customer_branch = models.ForeignKey(
        "iam.Branch",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    channel = models.CharField(max_length=12, choices=Channel.choices)
    category = models.ForeignKey(
        CaseCategory, on_delete=models.PROTECT, related_name="cases", db_index=False
    )
    priority = models.CharField(max_length=10, choices=Priority.choices)
    status = models.CharField(max_length=14, choices=CaseStatus.choices, default=CaseStatus.NEW)
    description = models.TextField()
    product = models.CharField(max_length=80, blank=True)
    contact_preference = models.CharField(max_length=80, blank=True)
    sla_policy = models.ForeignKey(
        SlaPolicy, on_delete=models.PROTECT, related_name="cases", db_index=False
    )
    received_at = models.DateTimeField()
    first_response_due_at = models.DateTimeField()
    first_responded_at = models.DateTimeField(null=True, blank=True)
    warn_at = models.DateTimeField()  # 75 % of the allowed working time
    sla_due_at = models.DateTimeField()  # resolution due
    regulatory_deadline_at = models.DateTimeField(null=True, blank=True)  # OJK day 20
    paused_at = models.DateTimeField(null=True, blank=True)
    paused_minutes = models.PositiveIntegerField(default=0)
    warned_at = models.DateTimeField(null=True, blank=True)
    breached_at = models.DateTimeField(null=True, blank=True)
    regulatory_overdue_at = models.DateTimeField(null=True, blank=True)
    extended_at = models.DateTimeField(null=True, blank=True)
    extension_reason = models.TextField(blank=True)
    escalation_level = models.PositiveSmallIntegerField(default=0)
    assigned_to = models.ForeignKey(
        "iam.User",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="assigned_cases",
        db_index=False,
    )
    created_by = models.ForeignKey(
        "iam.User", null=True, on_delete=models.PROTECT, related_name="created_cases"
    )
    final_response = models.TextField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        "iam.User",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    resolution_code = models.CharField(max_length=40, blank=True)
    # The case this one repeats (status CANCELLED); no index: looked up by this row only.
    duplicate_of = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="duplicates",
        db_index=False,
    )
    root_cause = models.CharField(max_length=12, choices=RootCause.choices, blank=True)
    created_at = models.DateTimeField(default=now)
    updated_at = models.DateTimeField(default=now)

    objects = scopes.ScopedQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["case_no"], name="case_no_unique"),
            models.CheckConstraint(
                name="case_close_requires_final_response",
                condition=~Q(status="CLOSED")
                # length(NULL) is NULL and a CHECK lets NULL pass: test NOT NULL explicitly.
                | (
                    Q(final_response__isnull=False)
                    & Q(GreaterThanOrEqual(Length("final_response"), FINAL_RESPONSE_MIN_LENGTH))
                ),
            ),
            models.CheckConstraint(
                name="case_cancelled_names_its_original",
                condition=~Q(status="CANCELLED") | Q(duplicate_of__isnull=False),
            ),
            models.CheckConstraint(
                name="case_not_duplicate_of_itself", condition=~Q(duplicate_of=F("id"))
            ),
        ]
        # Measured at 1M cases (docs/benchmarks.md). The sweep and queue indexes cover open
        # cases only: a case closed before its warning or due time is never marked, and would
        # otherwise stay in the sweep's indexes for ever.
        indexes = [
            models.Index(fields=["branch", "status", "sla_due_at"], name="case_queue"),
            # The queue's page ids by an index-only scan (selectors.queue_page).
            models.Index(
                fields=["branch", "sla_due_at", "id"],
                include=["status", "priority", "category"],
                name="case_queue_open",
                condition=Q(status__in=OPEN_STATUSES),
            ),
            models.Index(fields=["customer", "-received_at"], name="case_customer"),
            models.Index(
                fields=["warn_at"],
                name="case_open_warn",
                condition=Q(warned_at__isnull=True, paused_at__isnull=True)
                & Q(status__in=OPEN_STATUSES),
            ),
            models.Index(
                fields=["sla_due_at"],
                name="case_open_due",
                condition=Q(breached_at__isnull=True, paused_at__isnull=True)
                & Q(status__in=OPEN_STATUSES),
            ),
            models.Index(
                fields=["regulatory_deadline_at"],
                name="case_open_regulatory",
                condition=Q(regulatory_overdue_at__isnull=True, status__in=OPEN_STATUSES),
            ),
            models.Index(fields=["assigned_to", "status"], name="case_assignee"),
            models.Index(
                fields=["customer_branch", "status"],
                name="case_customer_branch",
                condition=Q(customer_branch__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return self.case_no

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


class CaseActivity(models.Model):
    """One line of the case's activity log: who did what, when (seed 003 US-07)."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="activities")
    activity_type = models.CharField(max_length=16, choices=ActivityType.choices)
    message = models.TextField(blank=True)
    actor = models.ForeignKey(
        "iam.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor_label = models.CharField(max_length=150, blank=True)
    meta = models.JSONField(default=dict)
    created_at = models.DateTimeField(default=now)

    objects = scopes.ScopedQuerySet.as_manager()

    class Meta:
        indexes = [models.Index(fields=["case", "created_at"], name="case_activity_time")]

    def __str__(self) -> str:
        return f"{self.case_id} {self.activity_type}"


class CaseAttachment(models.Model):
    """LEGACY: a case's file from before documents kept them, stored in plain under
    ``VAR_DIR/attachments``. Nothing writes or serves these any more: a case's files are
    documents of the case (encrypted at rest). ``amanah cases_move_attachments`` moves each
    row into a document version and then removes the row and the plaintext file; the table
    goes in a later release, once every deployment has run it (``docs/documents.md``)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="legacy_attachments")
    original_name = models.CharField(max_length=200)
    stored_name = models.CharField(max_length=80, unique=True)
    content_type = models.CharField(max_length=80)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(
        "iam.User", null=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=now)

    def __str__(self) -> str:
        return self.original_name


class CaseSurvey(models.Model):
    """Legacy, no longer written: a CSAT score a member of staff typed on the case page after
    the close. CSAT now comes only from the customer's own answer (``surveys``: the signed
    link, counted in the survey metrics); the old rows stay in the database as they were
    (no page showed them), the table is kept for the record."""

    case = models.OneToOneField(Case, on_delete=models.CASCADE, related_name="survey")
    score = models.PositiveSmallIntegerField()
    comment = models.TextField(blank=True)
    recorded_by = models.ForeignKey(
        "iam.User", null=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=now)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(score__gte=1, score__lte=5), name="csat_score_1_5")
        ]

    def __str__(self) -> str:
        return f"{self.case_id}: {self.score}"


class CaseNumberSequence(models.Model):
    """Registration numbers per year, handed out under a row lock: unique and gap-free."""

    year = models.PositiveSmallIntegerField(primary_key=True)
    last = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.year}: {self.last}"


class SavedQueueFilter(models.Model):
    """A member of staff's own named filter of the case queue (the query string's filter
    fields, checked again by the queue's form when used). Seen and deleted by its owner only."""

    user = models.ForeignKey("iam.User", on_delete=models.CASCADE, related_name="+")
    name = models.CharField(max_length=60)
    query = models.JSONField(default=dict)
    created_at = models.DateTimeField(default=now)

    objects = scopes.ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["user", "name"], name="saved_queue_filter_name")
        ]

    def __str__(self) -> str:
        return self.name


# Seed 003 Bab 5.4: branch scope; without case.view.branch only own or assigned cases.
scopes.register(
    Case,
    view=CASE_VIEW,
    # The handling branch, and the customer's home branch for a complaint taken elsewhere.
    branch=("branch", "customer_branch"),
    own=("created_by", "assigned_to"),
    widen=CASE_VIEW_BRANCH,
    own_in_branch=True,
)
# A case's log lines are exactly as visible as the case.
scopes.register(CaseActivity, via="case")
# A saved filter is its owner's alone (no branch: it names no case).
scopes.register(SavedQueueFilter, view=CASE_QUEUE, own=("user",))
