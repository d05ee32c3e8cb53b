"""Marketing journeys (seed 001 §6A): a versioned graph of nodes and edges, the customers
enrolled in one version, and one step row per node an enrollment passed (analytics).

A journey is a ``key`` with numbered versions. A version is edited only while it is DRAFT;
an ACTIVE journey is changed by opening a new DRAFT version, which changes nothing until it is
approved and activated (the old version then goes COMPLETED: it enrolls nobody any more, its
customers still walk to their END).
"""

from __future__ import annotations

import uuid

from django.db import models
from django.db.models import Q
from django.utils.timezone import now
from django.utils.translation import gettext_lazy as _

from amanah.core import scopes
from amanah.journeys.policies import JOURNEY_VIEW


class JourneyStatus(models.TextChoices):
    DRAFT = "DRAFT", _("Draf")
    SUBMITTED = "SUBMITTED", _("Diajukan")
    APPROVED = "APPROVED", _("Disetujui")
    REJECTED = "REJECTED", _("Ditolak")
    ACTIVE = "ACTIVE", _("Aktif")
    PAUSED = "PAUSED", _("Dijeda")
    COMPLETED = "COMPLETED", _("Selesai")
    ARCHIVED = "ARCHIVED", _("Diarsipkan")


# The versions the engine advances: ACTIVE enrolls and advances; COMPLETED only lets the
# customers already inside walk on to their END.
ADVANCING = (JourneyStatus.ACTIVE, JourneyStatus.COMPLETED)


class TriggerType(models.TextChoices):
    SEGMENT = "SEGMENT", _("Masuk segmen")
    EVENT = "EVENT", _("Peristiwa")
    SCHEDULE = "SCHEDULE", _("Jadwal")
    API = "API", _("Panggilan API")


class Reentry(models.TextChoices):
    """May a customer who finished the journey version enter it again (the trigger's
    ``reentry``)? Never (the default), or after an exit or END and a cool-down of days."""

    NEVER = "NEVER", _("Tidak boleh masuk lagi")
    AFTER_END = "AFTER_END", _("Boleh masuk lagi setelah selesai (dengan jeda)")


class MarketingJourney(models.Model):
    """One version of a journey; ``graph`` rows (nodes, edges) belong to this version only."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    key = models.UUIDField(default=uuid.uuid4, db_index=True)  # the same for every version
    version = models.PositiveIntegerField(default=1)
    name = models.CharField(max_length=120)
    description = models.TextField(blank=True)
    status = models.CharField(
        max_length=10, choices=JourneyStatus.choices, default=JourneyStatus.DRAFT
    )
    trigger_type = models.CharField(max_length=10, choices=TriggerType.choices, blank=True)
    trigger_config = models.JSONField(default=dict)
    created_by = models.ForeignKey(
        "iam.User", null=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=now)
    updated_at = models.DateTimeField(default=now)
    submitted_by = models.ForeignKey(
        "iam.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    submitted_at = models.DateTimeField(null=True, blank=True)
    approved_by = models.ForeignKey(
        "iam.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField(blank=True)
    activated_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    # A SCHEDULE trigger's next run (set on activation, moved on by each run; None when done).
    next_run_at = models.DateTimeField(null=True, blank=True)

    objects = scopes.ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["key", "version"], name="journey_version_once"),
            # One running version per journey: activating v2 completes v1 in the same move.
            models.UniqueConstraint(
                fields=["key"],
                condition=Q(status__in=["ACTIVE", "PAUSED"]),
                name="journey_one_running_version",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} v{self.version}"


class NodeType(models.TextChoices):
    TRIGGER = "TRIGGER", _("Pemicu")
    WAIT = "WAIT", _("Tunggu")
    ACTION = "ACTION", _("Kirim pesan")
    BRANCH = "BRANCH", _("Cabang kondisi")
    SPLIT = "SPLIT", _("Uji A/B")
    UPDATE = "UPDATE", _("Ubah data")
    END = "END", _("Selesai")


class JourneyNode(models.Model):
    """A node of one version; ``key`` is the builder's id for it (unique in the version)."""

    journey = models.ForeignKey(MarketingJourney, on_delete=models.CASCADE, related_name="nodes")
    key = models.CharField(max_length=32)
    type = models.CharField(max_length=8, choices=NodeType.choices)
    label = models.CharField(max_length=80, blank=True)
    config = models.JSONField(default=dict)
    x = models.IntegerField(default=0)
    y = models.IntegerField(default=0)
    position = models.PositiveIntegerField(default=0)  # order in the list editor

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["journey", "key"], name="journey_node_key_once")
        ]

    def __str__(self) -> str:
        return f"{self.key} {self.type}"


class JourneyEdge(models.Model):
    """source → target; ``label`` is '' (the one way on), YES/NO (a branch) or a variant name."""

    journey = models.ForeignKey(MarketingJourney, on_delete=models.CASCADE, related_name="edges")
    source = models.ForeignKey(JourneyNode, on_delete=models.CASCADE, related_name="out_edges")
    target = models.ForeignKey(JourneyNode, on_delete=models.CASCADE, related_name="in_edges")
    label = models.CharField(max_length=32, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["source", "label"], name="journey_edge_label_once")
        ]

    def __str__(self) -> str:
        return f"{self.source_id} -{self.label}-> {self.target_id}"


class EnrollmentStatus(models.TextChoices):
    ACTIVE = "ACTIVE", _("Berjalan")
    COMPLETED = "COMPLETED", _("Selesai")
    EXITED = "EXITED", _("Keluar")
    ERROR = "ERROR", _("Galat")


class ExitReason(models.TextChoices):
    CONSENT_WITHDRAWN = "CONSENT_WITHDRAWN", _("Persetujuan pemasaran ditarik")
    DO_NOT_CONTACT = "DO_NOT_CONTACT", _("Masuk daftar jangan-dihubungi")
    NOT_CONTACTABLE = "NOT_CONTACTABLE", _("Tidak dapat dihubungi (aturan kontak)")
    CUSTOMER_INACTIVE = "CUSTOMER_INACTIVE", _("Nasabah tidak aktif atau sudah digabung")
    NO_ADDRESS = "NO_ADDRESS", _("Tidak punya alamat untuk kanal pesan")
    TEMPLATE_UNAVAILABLE = "TEMPLATE_UNAVAILABLE", _("Templat pesan tidak lagi disetujui")
    JOURNEY_ARCHIVED = "JOURNEY_ARCHIVED", _("Journey diarsipkan")
    STEP_FAILED = "STEP_FAILED", _("Langkah gagal dijalankan (karantina)")
    ENDED_BY_STAFF = "ENDED_BY_STAFF", _("Diakhiri petugas dari karantina")


class EndReason(models.TextChoices):
    GOAL_REACHED = "GOAL_REACHED", _("Tujuan tercapai")
    UNSUBSCRIBED = "UNSUBSCRIBED", _("Berhenti berlangganan")
    NOT_INTERESTED = "NOT_INTERESTED", _("Tidak berminat")
    FINISHED = "FINISHED", _("Alur selesai")


class JourneyEnrollment(models.Model):
    """One customer's pass through one journey version: ``entry`` 1 the first time; a
    trigger whose re-entry rule allows it enrolls the customer again as entry 2, 3 … once the
    previous pass ended (``enrollment_once``: one row per entry; ``enrollment_one_open``: never
    two passes open — ACTIVE or in quarantine — at once).

    ``current_node`` is where the customer stands; ``due_at`` is when the engine looks at it
    next (now for every node but a WAIT, whose end it is). ``event_at`` is set when the event a
    WAIT-until-event waits for arrives."""

    id = models.BigAutoField(primary_key=True)
    # No single-column indexes of their own: ``enrollment_once`` (journey, customer, entry)
    # and ``enrollment_customer`` serve both — every index is one more write per row the
    # engine moves (a move is never a HOT update: the node and due time are indexed).
    journey = models.ForeignKey(
        MarketingJourney, on_delete=models.CASCADE, related_name="enrollments", db_index=False
    )
    customer = models.ForeignKey(
        "customers.Customer",
        on_delete=models.CASCADE,
        related_name="journey_enrollments",
        db_index=False,
    )
    # RESTRICT: a node is never deleted under an enrollment, except with its whole journey.
    # No index of its own: ``enrollment_at_node`` (journey, node) serves the RESTRICT and
    # foreign-key lookups by node too (PostgreSQL 18 skips through its journeys) — one index
    # fewer for each enrollment the engine moves.
    current_node = models.ForeignKey(
        JourneyNode, null=True, on_delete=models.RESTRICT, related_name="+", db_index=False
    )
    status = models.CharField(
        max_length=10, choices=EnrollmentStatus.choices, default=EnrollmentStatus.ACTIVE
    )
    due_at = models.DateTimeField(null=True)
    entered_at = models.DateTimeField(default=now)
    arrived_at = models.DateTimeField(default=now)  # at the current node
    event_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    exit_reason = models.CharField(max_length=20, blank=True)
    # Quarantine (status ERROR): the kind of failure (an exception's class and code, never its
    # message) and how often staff retried it (``services.enrollment_retry``; capped).
    # (db defaults: the engine and the triggers insert and update with SQL of their own)
    error_detail = models.CharField(max_length=120, blank=True, default="", db_default="")
    attempts = models.PositiveSmallIntegerField(default=0, db_default=0)
    entry = models.PositiveIntegerField(default=1, db_default=1)

    objects = scopes.ScopedQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["journey", "customer", "entry"], name="enrollment_once"
            ),
            models.UniqueConstraint(
                fields=["journey", "customer"],
                condition=Q(status__in=["ACTIVE", "ERROR"]),
                name="enrollment_one_open",
            ),
            models.CheckConstraint(
                condition=Q(status="ACTIVE", due_at__isnull=False, ended_at__isnull=True)
                | (~Q(status="ACTIVE") & Q(ended_at__isnull=False)),
                name="enrollment_active_has_due",
            ),
        ]
        indexes = [
            # The engine's question: which active enrollments are due? Only active rows.
            models.Index(fields=["due_at"], name="enrollment_due", condition=Q(status="ACTIVE")),
            # The quarantine list of a journey version (few rows: only ERROR ones).
            models.Index(
                fields=["journey", "ended_at"],
                name="enrollment_quarantine",
                condition=Q(status="ERROR"),
            ),
            models.Index(fields=["customer"], name="enrollment_customer"),
            models.Index(fields=["journey", "current_node"], name="enrollment_at_node"),
        ]

    def __str__(self) -> str:
        return f"{self.journey_id}/{self.customer_id} {self.status}"


class StepOutcome(models.TextChoices):
    PASSED = "PASSED", _("Lewat")
    EXITED = "EXITED", _("Keluar")
    ENDED = "ENDED", _("Selesai")


class JourneyStep(models.Model):
    """An enrollment passed (or left at) a node: one row per enrollment and node (the graph
    has no cycles, so a node is visited once), the unique key of the node's effect — a re-run
    batch finds the row and does the effect no second time. ``branch`` is the edge taken
    (YES/NO, a variant name), ``meta`` counts only (never PII)."""

    id = models.BigAutoField(primary_key=True)
    # The engine writes a step row per enrollment and node passed (hundreds of thousands a
    # tick), so the three keys carry no database constraint: each one's deferred check ran
    # once per row at commit (a third of a tick's time). They hold by construction: only the
    # engine's batch and the triggers' exit write steps, in one statement with the enrollment
    # they hold locked (``FOR UPDATE``), at a node of its own journey version; enrollments
    # and nodes are deleted only with their journey, and the deletes still cascade here
    # (``on_delete`` is Django's). ``journey`` is the enrollment's journey copied for the
    # per-node counts. No key has a single-column index: ``journey_step_node`` (journey, node)
    # and ``journey_step_once`` (enrollment, node) start with two of them, and a look-up by
    # node alone (deleting a journey) skips through the first.
    journey = models.ForeignKey(
        MarketingJourney,
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    enrollment = models.ForeignKey(
        JourneyEnrollment,
        on_delete=models.CASCADE,
        related_name="steps",
        db_index=False,
        db_constraint=False,
    )
    node = models.ForeignKey(
        JourneyNode, on_delete=models.CASCADE, related_name="+", db_constraint=False, db_index=False
    )
    outcome = models.CharField(max_length=8, choices=StepOutcome.choices)
    branch = models.CharField(max_length=32, blank=True)
    reason = models.CharField(max_length=20, blank=True)
    at = models.DateTimeField()

    objects = scopes.ScopedQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["enrollment", "node"], name="journey_step_once")
        ]
        indexes = [models.Index(fields=["journey", "node"], name="journey_step_node")]

    def __str__(self) -> str:
        return f"{self.enrollment_id}@{self.node_id} {self.outcome}"


class CustomerTag(models.Model):
    """A tag an UPDATE node put on a customer (journeys own their tags)."""

    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.CASCADE, related_name="journey_tags"
    )
    tag = models.CharField(max_length=40)
    journey = models.ForeignKey(
        MarketingJourney, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(default=now)

    objects = scopes.ScopedQuerySet.as_manager()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["customer", "tag"], name="tag_once")]

    def __str__(self) -> str:
        return self.tag


# Journeys are bank-wide like campaigns; enrollments and tags are as visible as the customer.
scopes.register(MarketingJourney, view=JOURNEY_VIEW)
scopes.register(JourneyEnrollment, via="customer")
scopes.register(CustomerTag, via="customer")


def _visible_steps(queryset, actor):
    """A step is seen by whoever sees journeys (``view``) and the step's customer."""
    from amanah.customers.models import Customer

    return queryset.filter(enrollment__customer__in=scopes.restrict(Customer.objects.all(), actor))


# On the 360 timeline: journey staff who may open the customer (an agent or an RM sees
# nothing of it, and costs the 360 page no query: ``view`` fails first).
scopes.register(
    JourneyStep, view=JOURNEY_VIEW, rule=_visible_steps, parent=lambda step: step.enrollment
)
