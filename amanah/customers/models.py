from __future__ import annotations

import uuid

from django.contrib.postgres.indexes import GinIndex, OpClass
from django.db import models
from django.db.models import Q
from django.utils.timezone import now
from django.utils.translation import gettext_lazy as _

from amanah.core import scopes
from amanah.core.fields import CITextField
from amanah.customers.policies import (
    CUSTOMER_VIEW,
    CUSTOMER_VIEW_BRANCH,
    DUPLICATES_VIEW,
    FRAUD_FLAG,
)


class CustomerStatus(models.TextChoices):
    ACTIVE = "ACTIVE", _("Aktif")
    DORMANT = "DORMANT", _("Dormant")
    CLOSED = "CLOSED", _("Tutup")


class CustomerSegment(models.TextChoices):
    """The bank's customer segments (``Customer.segment_code``; the core system's codes)."""

    MASS = "MASS", _("Massal")
    EMERGING = "EMERGING", _("Berkembang")
    PRIORITY = "PRIORITY", _("Prioritas")
    SME = "SME", _("UMKM")
    PAYROLL = "PAYROLL", _("Payroll")


class Gender(models.TextChoices):
    MALE = "M", _("Laki-laki")
    FEMALE = "F", _("Perempuan")
    UNKNOWN = "U", _("Tidak diketahui")


class Customer(models.Model):
    """A bank customer (nasabah): the one record every module refers to (seed 003 Bab 13.4).

    ``name_search`` is the normalized name (titles dropped, abbreviations expanded), kept by
    the services and indexed with trigrams for fuzzy search.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    full_name = models.CharField(max_length=200)
    name_search = models.CharField(max_length=200)
    birth_date = models.DateField(null=True, blank=True)
    gender = models.CharField(max_length=1, choices=Gender.choices, default=Gender.UNKNOWN)
    phone_e164 = models.CharField(max_length=20, blank=True)
    email = CITextField(blank=True, default="")
    segment_code = models.CharField(max_length=20, blank=True)
    status = models.CharField(
        max_length=10, choices=CustomerStatus.choices, default=CustomerStatus.ACTIVE
    )
    is_vip = models.BooleanField(default=False)
    fraud_flag = models.BooleanField(default=False)
    home_branch = models.ForeignKey(
        "iam.Branch", on_delete=models.PROTECT, related_name="customers"
    )
    # Product indicators (seed 003 Bab 10.3): enough for 360 cards and segment rules.
    has_savings = models.BooleanField(default=False)
    has_mobile_banking = models.BooleanField(default=False)
    has_loan = models.BooleanField(default=False)
    has_credit_card = models.BooleanField(default=False)
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="absorbed"
    )
    created_at = models.DateTimeField(default=now)
    updated_at = models.DateTimeField(default=now)
    # When master data last closed the customer (NULL while open): the retention clock of
    # UU PDP data classes (privacy's retention job).
    closed_at = models.DateTimeField(null=True, blank=True)

    objects = scopes.ScopedQuerySet.as_manager()

    class Meta:
        indexes = [
            # The whole bank's trigram GIN: searches over the whole bank or over more branches
            # than selectors.PER_BRANCH_MAX. A scope of a few branches asks each branch's own
            # partial trigram GIN instead (customers.name_indexes: one per branch, made with
            # the branch, so not declared here; docs/benchmarks.md, issue 21).
            GinIndex(OpClass("name_search", name="gin_trgm_ops"), name="customer_name_trgm"),
            models.Index(fields=["phone_e164"], name="customer_phone"),
            models.Index(fields=["email"], name="customer_email"),
            models.Index(fields=["home_branch", "status"], name="customer_branch_status"),
            models.Index(fields=["birth_date"], name="customer_birth_date"),
        ]

    def __str__(self) -> str:
        return self.full_name

    @property
    def segment_label(self) -> str:
        """The segment's name (the code itself for one the bank added later)."""
        try:
            return str(CustomerSegment(self.segment_code).label)
        except ValueError:
            return self.segment_code

    @property
    def is_merged(self) -> bool:
        return self.merged_into_id is not None


class IdentifierType(models.TextChoices):
    CIF = "CIF", "CIF"
    NIK = "NIK", "NIK"
    ACCOUNT_NO = "ACCOUNT_NO", _("No. rekening")


# How each identifier is masked on a page (``core.masking``).
MASK_KIND = {
    IdentifierType.NIK: "nik",
    IdentifierType.ACCOUNT_NO: "account",
    IdentifierType.CIF: "account",
}


class VerificationMethod(models.TextChoices):
    """How an identifier was checked against the real thing (its verification)."""

    DOCUMENT = "DOCUMENT", _("Dokumen asli diperiksa (KTP / buku tabungan)")
    CORE_SYSTEM = "CORE_SYSTEM", _("Cocok dengan sistem inti (core banking)")
    DUKCAPIL = "DUKCAPIL", _("Cocok dengan data Dukcapil")


class CustomerIdentifier(models.Model):
    """CIF, NIK or account number; each value belongs to one customer only.

    Added, corrected and verified through ``customers.services.identifiers``: a correction
    clears the verification, and the one who last changed a value (``changed_by``) may not
    verify it (four eyes)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="identifiers")
    id_type = models.CharField(max_length=12, choices=IdentifierType.choices)
    id_value = models.CharField(max_length=40)
    is_primary = models.BooleanField(default=False)
    verified_at = models.DateTimeField(null=True, blank=True)
    verified_by = models.ForeignKey(
        "iam.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    verification_method = models.CharField(
        max_length=12, choices=VerificationMethod.choices, blank=True
    )
    changed_by = models.ForeignKey(
        "iam.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=now)
    updated_at = models.DateTimeField(default=now)

    objects = scopes.ScopedQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["id_type", "id_value"], name="identifier_unique"),
            models.UniqueConstraint(
                fields=["customer", "id_type"],
                condition=Q(is_primary=True),
                name="one_primary_identifier_per_type",
            ),
        ]
        indexes = [models.Index(fields=["id_value"], name="identifier_value")]

    def __str__(self) -> str:
        return f"{self.id_type}:{self.id_value}"


class RelationType(models.TextChoices):
    FAMILY = "FAMILY", _("Keluarga")
    COMPANY = "COMPANY", _("Perusahaan")
    GROUP = "GROUP", _("Grup usaha")


class CustomerRelation(models.Model):
    """A link between two customers (spouse, owner of a company, member of a group); the
    business of either end (its scope: either customer visible)."""

    from_customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="relations_out"
    )
    to_customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="relations_in")
    relation_type = models.CharField(max_length=10, choices=RelationType.choices)
    label = models.CharField(max_length=60, blank=True)  # e.g. "Suami", "Pemilik", "Direktur"
    created_at = models.DateTimeField(default=now)

    objects = scopes.ScopedQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["from_customer", "to_customer", "relation_type"], name="relation_once"
            ),
            models.CheckConstraint(
                condition=~Q(from_customer=models.F("to_customer")), name="relation_not_self"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.from_customer_id} {self.relation_type} {self.to_customer_id}"


class PortfolioAssignment(models.Model):
    """A customer in a relationship manager's portfolio; at most one active RM per customer.

    Never deleted: an assignment that ends keeps when, by whom and why (``ended_*``), so the
    rows of a customer are its portfolio history (assigned, transferred, released)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="assignments")
    rm = models.ForeignKey("iam.User", on_delete=models.PROTECT, related_name="portfolio")
    assigned_at = models.DateTimeField(default=now)
    active = models.BooleanField(default=True)
    assigned_by = models.ForeignKey(
        "iam.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reason = models.CharField(max_length=300, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    ended_by = models.ForeignKey(
        "iam.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    end_reason = models.CharField(max_length=300, blank=True)

    objects = scopes.ScopedQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["customer"], condition=Q(active=True), name="one_active_rm_per_customer"
            )
        ]
        indexes = [models.Index(fields=["rm", "active"], name="portfolio_rm_active")]

    def __str__(self) -> str:
        return f"{self.customer_id} → {self.rm_id}"


class DuplicateReason(models.TextChoices):
    SAME_NIK = "SAME_NIK", _("NIK sama")
    SAME_PHONE = "SAME_PHONE", _("Telepon sama")
    SIMILAR_NAME_DOB = "SIMILAR_NAME_DOB", _("Nama mirip + tanggal lahir sama")


class DuplicateStatus(models.TextChoices):
    OPEN = "OPEN", _("Terbuka")
    DISMISSED = "DISMISSED", _("Bukan duplikat")
    MERGED = "MERGED", _("Digabung")


class DuplicateFlag(models.Model):
    """Two customers that may be the same person; ``customer_a`` has the smaller id. OPEN →
    DISMISSED (not the same person) or MERGED, on the workflow engine (``customers.duplicate``:
    locked, the state checked, a history line)."""

    customer_a = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+")
    customer_b = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+")
    reason = models.CharField(max_length=20, choices=DuplicateReason.choices)
    score = models.FloatField(default=1.0)
    status = models.CharField(
        max_length=10, choices=DuplicateStatus.choices, default=DuplicateStatus.OPEN
    )
    detected_at = models.DateTimeField(default=now)
    # Set by a decision on the workflow ``customers.duplicate`` (dismissed; merged)
    decided_by = models.ForeignKey(
        "iam.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField(blank=True)

    objects = scopes.ScopedQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["customer_a", "customer_b", "reason"], name="duplicate_once"
            ),
            models.CheckConstraint(
                condition=Q(customer_a__lt=models.F("customer_b")), name="duplicate_ordered"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reason} {self.customer_a_id}~{self.customer_b_id}"


class MergeStatus(models.TextChoices):
    PENDING = "PENDING", _("Menunggu persetujuan")
    APPROVED = "APPROVED", _("Disetujui")
    REJECTED = "REJECTED", _("Ditolak")


class MergeRequest(models.Model):
    """A proposal to fold ``absorbed`` into ``survivor``; a different supervisor decides."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    survivor = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="+")
    absorbed = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="+")
    reason = models.TextField()
    status = models.CharField(
        max_length=10, choices=MergeStatus.choices, default=MergeStatus.PENDING
    )
    proposed_by = models.ForeignKey("iam.User", on_delete=models.PROTECT, related_name="+")
    proposed_at = models.DateTimeField(default=now)
    decided_by = models.ForeignKey(
        "iam.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField(blank=True)

    objects = scopes.ScopedQuerySet.as_manager()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=~Q(survivor=models.F("absorbed")), name="merge_not_self"
            ),
            models.UniqueConstraint(
                fields=["absorbed"],
                condition=Q(status="PENDING"),
                name="one_pending_merge_per_customer",
            ),
        ]

    def __str__(self) -> str:
        return f"merge {self.absorbed_id} → {self.survivor_id} ({self.status})"


class FraudFlagChange(models.Model):
    """One setting or clearing of a customer's fraud flag (``Customer.fraud_flag``): who, when
    and why. Tier-3 data (seed 003 Bab 5.4): seen only with the fraud flag permission, in the
    branches of one's scope. Rows are only added."""

    id = models.BigAutoField(primary_key=True)
    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="fraud_flag_changes"
    )
    flagged = models.BooleanField()
    reason = models.TextField()
    actor = models.ForeignKey(
        "iam.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor_label = models.CharField(max_length=150)  # the user's name or a system key's
    at = models.DateTimeField(default=now)

    objects = scopes.ScopedQuerySet.as_manager()

    class Meta:
        indexes = [models.Index(fields=["customer", "-at"], name="fraud_flag_change_customer")]

    def __str__(self) -> str:
        return f"{self.customer_id} fraud={self.flagged} @ {self.at:%Y-%m-%d}"


def _in_own_portfolio(grants) -> Q:
    """An RM's "own" customers are those of their active portfolio."""
    return Q(
        pk__in=PortfolioAssignment.objects.filter(rm_id=grants.user_id, active=True).values(
            "customer_id"
        )
    )


# Seed 003 Bab 5.4: branch scope; without customer.view.branch the own portfolio only (RM).
scopes.register(
    Customer,
    view=CUSTOMER_VIEW,
    branch="home_branch",
    own=_in_own_portfolio,
    widen=CUSTOMER_VIEW_BRANCH,
)
scopes.register(CustomerIdentifier, via="customer")


def _either_end_visible(queryset, actor):
    visible = Customer.objects.visible_to(actor)
    return queryset.filter(Q(from_customer__in=visible) | Q(to_customer__in=visible))


# A relation is the business of either of its customers (the other end may be out of scope:
# the pages then show it masked).
scopes.register(CustomerRelation, view=CUSTOMER_VIEW, rule=_either_end_visible)
scopes.register(PortfolioAssignment, via="customer")
scopes.register(FraudFlagChange, view=FRAUD_FLAG, branch="customer__home_branch")


def _both_ends_visible(queryset, actor):
    visible = Customer.objects.visible_to(actor)
    return queryset.filter(customer_a__in=visible, customer_b__in=visible)


# A possible duplicate is worked on by someone who sees both customers.
scopes.register(DuplicateFlag, view=DUPLICATES_VIEW, rule=_both_ends_visible)
# A merge proposal is seen through its survivor; deciding also needs the absorbed customer in
# scope (merge._require_both_ends).
scopes.register(MergeRequest, via="survivor")
