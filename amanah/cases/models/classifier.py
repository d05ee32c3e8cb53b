"""The complaint classifier's tables: a suggestion per case and the trained versions."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.timezone import now

from amanah.cases.models.case import Case, CaseCategory
from amanah.cases.models.choices import (
    Priority,
    SuggestionReason,
    SuggestionStatus,
)
from amanah.core import scopes


class CategorySuggestion(models.Model):
    """The complaint classifier's suggestion for one case and what became of it.

    Also the corrections table the retraining reads: ``chosen`` (the category an agent
    decided, with ``decided_by`` and ``decided_at``) against ``suggested`` and ``confidence``.
    A row with ``chosen`` set is a human label; one where it differs from ``suggested`` is a
    correction. ``suggested`` is empty while no model could be asked (WAITING, or the agent
    chose before one existed); ``reason`` says why the system did not decide by itself.
    """

    case = models.OneToOneField(Case, on_delete=models.CASCADE, related_name="category_suggestion")
    profile = models.CharField(max_length=20)
    model_version = models.PositiveIntegerField(default=0)  # 0: no model was asked
    suggested = models.ForeignKey(
        CaseCategory, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    confidence = models.FloatField()
    words = models.JSONField(default=list)  # the words of the complaint that drove it
    priority = models.CharField(max_length=10, choices=Priority.choices)
    priority_rules = models.JSONField(default=list)  # codes of the rules that raised it
    # The priority the agent gave at intake ("" = left to the classifier): the floor every
    # re-evaluation keeps.
    given_priority = models.CharField(max_length=10, choices=Priority.choices, blank=True)
    status = models.CharField(max_length=10, choices=SuggestionStatus.choices)
    reason = models.CharField(max_length=20, choices=SuggestionReason.choices, blank=True)
    chosen = models.ForeignKey(
        CaseCategory, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_by = models.ForeignKey(
        "iam.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=now)

    objects = scopes.ScopedQuerySet.as_manager()

    class Meta:
        constraints = [
            models.CheckConstraint(
                name="category_suggestion_confidence_0_1",
                condition=Q(confidence__gte=0) & Q(confidence__lte=1),
            ),
            models.CheckConstraint(
                name="category_suggestion_decided",
                condition=Q(status__in=["AUTO", "PENDING", "WAITING"], chosen__isnull=True)
                | Q(
                    status__in=["ACCEPTED", "CORRECTED", "MANUAL"],
                    chosen__isnull=False,
                    decided_at__isnull=False,
                ),
            ),
            models.CheckConstraint(
                name="category_suggestion_has_suggested",
                condition=Q(suggested__isnull=False) | Q(status__in=["WAITING", "MANUAL"]),
            ),
        ]
        indexes = [
            models.Index(
                fields=["profile", "id"],
                condition=Q(chosen__isnull=False),
                name="category_suggestion_labels",
            ),
            # The training job's batch of complaints that came in before a model existed.
            models.Index(
                fields=["profile", "id"],
                condition=Q(status="WAITING"),
                name="category_suggestion_waiting",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case_id} {self.suggested_id} {self.status}"


class ClassifierModel(models.Model):
    """One trained version of a profile's classifier, written by the training job only.

    ``blob`` is the model as plain arrays (``classifier.engine.dump``, no pickle), signed with
    an HMAC keyed from the secret key (``signature``); ``fingerprint`` is the SHA-256 of its
    training data (the generated set, the human labels up to ``labels_upto``, the recipe) and
    of the hand-written set it was scored on — the job trains again only when it changes.
    ``metrics``: per-class figures on the hand-written set, the threshold sweep and the
    chosen ``threshold`` (the lowest confidence at which automatic settings keep the target
    precision). At most one active per profile; every process loads the active one and
    notices a newer one by its id. A version that scored worse is kept inactive (without its
    blob) so the job does not try it again; old blobs are cleared, the rows stay."""

    profile = models.CharField(max_length=20)
    version = models.PositiveIntegerField()
    labels_upto = models.BigIntegerField(default=0)  # CategorySuggestion ids up to this one
    labels = models.PositiveIntegerField(default=0)  # how many human labels it learnt from
    macro_f1 = models.FloatField()
    threshold = models.FloatField(null=True, blank=True)  # None: never sets a category itself
    fingerprint = models.CharField(max_length=64, blank=True)
    metrics = models.JSONField(default=dict)
    blob = models.BinaryField(null=True, blank=True)
    signature = models.CharField(max_length=64, blank=True)
    active = models.BooleanField(default=False)
    trained_at = models.DateTimeField(default=now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["profile", "version"], name="classifier_version"),
            models.UniqueConstraint(
                fields=["profile"], condition=Q(active=True), name="classifier_one_active"
            ),
            models.CheckConstraint(
                name="classifier_active_has_blob",
                condition=Q(active=False) | Q(blob__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.profile} v{self.version}"


# A suggestion is exactly as visible as its case.
scopes.register(CategorySuggestion, via="case")
