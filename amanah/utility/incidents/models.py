"""Area incidents (issue 17): complaints about one outage grouped per service area and
category.

Every complaint classified into an outage-like category (``UTILITY_INCIDENT_CATEGORIES``) of a
pelanggan with a connection leaves one ``IncidentComplaint`` row (its area, category and when
it was received). When ``UTILITY_INCIDENT_THRESHOLD`` of them, not yet grouped, arrive in one
area and category within ``UTILITY_INCIDENT_WINDOW_MINUTES``, an ``AreaIncident`` is opened and
they are attached to it; later ones attach to the open incident until it is resolved. The
database keeps one open incident per area and category (a partial unique constraint).
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.timezone import now
from django.utils.translation import gettext_lazy as _

from amanah.core import scopes
from amanah.utility.policies import INCIDENT_VIEW


class IncidentStatus(models.TextChoices):
    OPEN = "OPEN", _("Terbuka")
    RESOLVED = "RESOLVED", _("Selesai")


class AreaIncident(models.Model):
    """An outage (gangguan) of one category in one service area. ``branch`` is the unit that
    serves the pelanggan whose complaint opened it, or the one a supervisor chose (the scope).
    Its status moves through the workflow engine (``utility.incident``); ``resolution_note``
    and ``resolution_code`` are required to resolve."""

    id = models.BigAutoField(primary_key=True)
    area = models.ForeignKey(
        "utility.ServiceArea",
        verbose_name=_("wilayah layanan"),
        on_delete=models.PROTECT,
        related_name="incidents",
    )
    category = models.CharField(_("kategori"), max_length=20)  # a cases.CaseCategory code
    branch = models.ForeignKey("iam.Branch", on_delete=models.PROTECT, related_name="+")
    status = models.CharField(
        _("status"), max_length=10, choices=IncidentStatus.choices, default=IncidentStatus.OPEN
    )
    opened_at = models.DateTimeField(default=now)
    opened_by = models.CharField(max_length=64)  # the actor's label (system or staff)
    complaint_count = models.PositiveIntegerField(_("jumlah pengaduan"), default=0)
    # Told to the pelanggan with the opening notice when known (a supervisor opening it by
    # hand gives both; the threshold knows neither).
    cause = models.CharField(_("penyebab"), max_length=300, blank=True)
    expected_restore_at = models.DateTimeField(_("perkiraan pulih"), null=True, blank=True)
    resolution_note = models.TextField(_("catatan penyelesaian"), blank=True)
    # The cases' resolution code the grouped complaints are resolved and closed with.
    resolution_code = models.CharField(_("kode penyelesaian"), max_length=40, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.CharField(max_length=64, blank=True)
    updated_at = models.DateTimeField(default=now)

    objects = scopes.ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-opened_at", "-id"]
        indexes = [models.Index(fields=["branch", "status"], name="utility_incident_branch")]
        constraints = [
            # Two complaints at once never open two incidents of one outage.
            models.UniqueConstraint(
                fields=["area", "category"],
                condition=Q(status="OPEN"),
                name="utility_incident_one_open",
            ),
            models.CheckConstraint(
                condition=Q(status__in=IncidentStatus.values), name="utility_incident_status"
            ),
            models.CheckConstraint(
                condition=Q(status="OPEN") | ~Q(resolution_note=""),
                name="utility_incident_resolution_note",
            ),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def number(self) -> str:
        return f"GNG-{self.pk:06d}"


class IncidentComplaint(models.Model):
    """One classified outage-like complaint (a case) of a pelanggan of ``area``; ``incident``
    once grouped. One row per case: classifying a case again changes nothing here."""

    id = models.BigAutoField(primary_key=True)
    case = models.OneToOneField(
        "cases.Case", on_delete=models.PROTECT, related_name="area_incident_link"
    )
    area = models.ForeignKey("utility.ServiceArea", on_delete=models.PROTECT, related_name="+")
    category = models.CharField(max_length=20)
    received_at = models.DateTimeField()
    incident = models.ForeignKey(
        AreaIncident,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="complaints",
    )
    created_at = models.DateTimeField(default=now)

    objects = scopes.ScopedQuerySet.as_manager()

    class Meta:
        indexes = [
            # The threshold count: the complaints not yet grouped of one area and category.
            models.Index(
                fields=["area", "category", "received_at"],
                name="utility_incident_waiting",
                condition=Q(incident__isnull=True),
            )
        ]

    def __str__(self) -> str:
        return f"{self.case_id} → {self.incident_id}"


scopes.register(AreaIncident, view=INCIDENT_VIEW, branch="branch")
scopes.register(IncidentComplaint, via="incident")
