"""Workflow tables (DESIGN §2 "Workflow engine"): each stateful object's allowed status changes
as data, and one history line per change (compensating reverts included, never deletes)."""

from __future__ import annotations

from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q
from django.utils.timezone import now
from django.utils.translation import gettext


class Workflow(models.Model):
    """The status machine of one model, e.g. ``sales.lead`` on ``sales.Lead.status``.

    Declared in code by the owning app's contract and synced here after every migrate; the
    binding (model, status field) follows the code, the transitions follow ADMIN's edits.
    """

    key = models.CharField(max_length=64, unique=True)
    model = models.CharField(max_length=100, unique=True)  # app_label.ModelName
    status_field = models.CharField(max_length=64)
    label = models.CharField(max_length=200)  # Indonesian msgid, translated when shown
    audit_action = models.CharField(max_length=64, default="TRANSITION")
    created_at = models.DateTimeField(default=now)

    class Meta:
        ordering = ["key"]

    def __str__(self) -> str:
        return self.key

    @property
    def display_label(self) -> str:
        return gettext(self.label)


class Transition(models.Model):
    """One allowed move from ``from_status`` to ``to_status`` of a workflow.

    ``permission`` is a declared permission code; ``guard`` the key of a guard registered in
    code (empty: none); ``required_fields`` the data the caller must supply. A revert row is a
    compensating move back to the status before, taken only by ``transition_revert``.
    ``timer`` is stored for the automatic moves to come (not fired yet). ADMIN may change the
    permission, the guard and ``enabled``; nothing is ever deleted.
    """

    workflow = models.ForeignKey(Workflow, on_delete=models.PROTECT, related_name="transitions")
    from_status = models.CharField(max_length=32)
    to_status = models.CharField(max_length=32)
    permission = models.CharField(max_length=100)
    guard = models.CharField(max_length=100, blank=True)
    required_fields = ArrayField(models.CharField(max_length=64), default=list, blank=True)
    timer = models.DurationField(null=True, blank=True)
    label = models.CharField(max_length=200)  # Indonesian msgid, translated when shown
    is_revert = models.BooleanField(default=False)
    audit_action = models.CharField(max_length=64, blank=True)
    enabled = models.BooleanField(default=True)
    position = models.PositiveSmallIntegerField(default=0)
    updated_at = models.DateTimeField(default=now)

    class Meta:
        ordering = ["workflow_id", "position", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["workflow", "from_status", "to_status", "is_revert"],
                name="transition_once_per_move",
            ),
            models.CheckConstraint(
                condition=~Q(from_status=models.F("to_status")), name="transition_changes_status"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.workflow_id}: {self.from_status} → {self.to_status}"

    @property
    def display_label(self) -> str:
        return gettext(self.label)


class TransitionHistory(models.Model):
    """One status change of one object, written by the engine in the change's transaction.

    ``data`` never holds free text or personal data: supplied text is kept as its length. A
    revert points at the line it compensates and carries its reason (staff's justification,
    like a lead's close reason; the audit row keeps only its length).
    """

    workflow = models.ForeignKey(Workflow, on_delete=models.PROTECT, related_name="history")
    transition = models.ForeignKey(
        Transition, null=True, on_delete=models.PROTECT, related_name="history"
    )
    object_id = models.CharField(max_length=64)
    from_status = models.CharField(max_length=32)
    to_status = models.CharField(max_length=32)
    actor_id = models.CharField(max_length=64, blank=True)
    actor_label = models.CharField(max_length=150, blank=True)
    data = models.JSONField(default=dict)
    reason = models.TextField(blank=True)
    reverts = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="reverted_by"
    )
    at = models.DateTimeField(default=now)

    class Meta:
        indexes = [
            models.Index(fields=["workflow", "object_id", "-at", "-id"], name="history_object"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(reverts__isnull=True) | ~Q(reason=""), name="revert_needs_reason"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.workflow_id}:{self.object_id} {self.from_status} → {self.to_status}"
