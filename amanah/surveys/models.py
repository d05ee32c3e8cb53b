"""Survey invitations and their answers (seed 001 §9: CSAT after close, CES after complex
cases, NPS on a schedule).

One row per invitation; the answer is written into the same row, once (``responded_at``):
the service sets it with a conditional UPDATE under the row lock, and the database refuses a
score outside the type's scale or an answer without a score.
"""

from __future__ import annotations

import uuid

from django.db import models
from django.db.models import Q
from django.utils.timezone import now
from django.utils.translation import gettext_lazy as _

from amanah.core import scopes
from amanah.surveys.policies import SURVEY_VIEW


class SurveyType(models.TextChoices):
    CSAT = "CSAT", _("Kepuasan (CSAT)")
    CES = "CES", _("Kemudahan (CES)")
    NPS = "NPS", _("Rekomendasi (NPS)")


# The scale of each type: CSAT and CES 1–5, NPS 0–10 (seed 001 §9).
SCALES = {SurveyType.CSAT: (1, 5), SurveyType.CES: (1, 5), SurveyType.NPS: (0, 10)}


class InvitationStatus(models.TextChoices):
    PENDING = "PENDING", _("Menunggu dikirim")
    SENT = "SENT", _("Terkirim")
    NOT_SENT = "NOT_SENT", _("Tidak terkirim")
    RESPONDED = "RESPONDED", _("Dijawab")


class SurveyInvitation(models.Model):
    """One survey sent to one customer: CSAT/CES for a case (``case``), NPS for a period.

    ``dedupe_key`` (``CSAT:<case>``, ``NPS:<customer>:<period>``) makes every sender
    idempotent: a re-run or a retried job finds the row it made. ``branch`` decides the scope
    (the case's branch; for NPS the customer's home branch). The public page finds the row by
    its signed token (``surveys.tokens``), which names the id only; ``expires_at`` bounds it.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    survey_type = models.CharField(max_length=8, choices=SurveyType.choices)
    dedupe_key = models.CharField(max_length=100, unique=True)
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, related_name="survey_invitations"
    )
    case = models.ForeignKey(
        "cases.Case", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    branch = models.ForeignKey("iam.Branch", on_delete=models.PROTECT, related_name="+")
    status = models.CharField(
        max_length=10, choices=InvitationStatus.choices, default=InvitationStatus.PENDING
    )
    channel = models.CharField(max_length=16, blank=True)
    not_sent_reason = models.CharField(max_length=64, blank=True)
    message_id = models.UUIDField(null=True, blank=True)  # the outbox row (no FK: partitioned)
    created_at = models.DateTimeField(default=now)
    sent_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField()
    score = models.PositiveSmallIntegerField(null=True, blank=True)
    comment = models.TextField(blank=True)
    responded_at = models.DateTimeField(null=True, blank=True)

    objects = scopes.ScopedQuerySet.as_manager()

    class Meta:
        indexes = [
            models.Index(fields=["customer", "survey_type", "-created_at"], name="survey_customer"),
            models.Index(fields=["branch", "survey_type", "-created_at"], name="survey_branch"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(survey_type__in=["CSAT", "CES"], case__isnull=False)
                | Q(survey_type="NPS"),
                name="survey_case_for_csat_ces",
            ),
            models.CheckConstraint(
                condition=Q(responded_at__isnull=True, score__isnull=True)
                | Q(
                    responded_at__isnull=False,
                    survey_type__in=["CSAT", "CES"],
                    score__gte=1,
                    score__lte=5,
                )
                | Q(responded_at__isnull=False, survey_type="NPS", score__gte=0, score__lte=10),
                name="survey_score_on_scale",
            ),  # fmt: skip
        ]

    def __str__(self) -> str:
        return f"{self.survey_type} {self.pk}"

    @property
    def scale(self) -> tuple[int, int]:
        return SCALES[SurveyType(self.survey_type)]


# The rows of the actor's branches, for whoever may see survey results.
scopes.register(SurveyInvitation, view=SURVEY_VIEW, branch="branch")
