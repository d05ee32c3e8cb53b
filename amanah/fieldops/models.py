"""Field work orders (seed 002 Find&Go, issue 19): arrears visits, their results (VOC), the
coordinate corrections agents propose, and — for the bank profile — the loan-arrears feed.

Scope (declared at the bottom): an agent sees the work orders assigned to it — and the one it
handed on last (``previous_agent``: a result its device captured before the change may still
arrive, and is kept as a conflict for the supervisor) — a supervisor those of its branches
(``fieldops.wo.team``); visit results and corrections follow.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.timezone import now
from django.utils.translation import gettext_lazy as _

from amanah.core import scopes
from amanah.fieldops.policies import WO_TEAM, WO_VIEW


class WoStatus(models.TextChoices):
    NEW = "NEW", _("Baru")
    ASSIGNED = "ASSIGNED", _("Ditugaskan")
    IN_PROGRESS = "IN_PROGRESS", _("Dalam kunjungan")
    VISITED = "VISITED", _("Sudah dikunjungi")
    CLOSED = "CLOSED", _("Ditutup")
    CANCELLED = "CANCELLED", _("Dibatalkan")


# A customer has at most one work order in these statuses (the partial unique index below).
OPEN_STATUSES = (WoStatus.NEW, WoStatus.ASSIGNED, WoStatus.IN_PROGRESS, WoStatus.VISITED)


class WoOrigin(models.TextChoices):
    RULE = "RULE", _("Aturan tunggakan")
    MANUAL = "MANUAL", _("Dibuat supervisor")


class LocationSource(models.TextChoices):
    INSTALLATION = "INSTALLATION", _("GPS pemasangan")
    FIELD = "FIELD", _("Koreksi lapangan")
    GEOCODED = "GEOCODED", _("Geokode alamat")
    NONE = "NONE", _("Tidak ada")


class Outcome(models.TextChoices):
    """Visit results (VOC, seed 002)."""

    MET_PAID = "MET_PAID", _("Bertemu dan membayar")
    PROMISE = "PROMISE", _("Janji bayar")
    MET_REFUSED = "MET_REFUSED", _("Bertemu, menolak membayar")
    NOT_MET = "NOT_MET", _("Tidak bertemu")
    ATK = "ATK", _("Alamat tidak ketemu (ATK)")
    MOVED = "MOVED", _("Pindah alamat")
    EMPTY = "EMPTY", _("Rumah kosong")
    OTHER = "OTHER", _("Lainnya")


class ConflictReason(models.TextChoices):
    NOT_YOURS = "NOT_YOURS", _("Work order ini sudah ditugaskan ke petugas lain.")
    NOT_OPEN = (
        "NOT_OPEN",
        _(
            "Work order ini sudah tidak menunggu kunjungan "
            "(sudah dikunjungi, ditutup atau dibatalkan)."
        ),
    )
    OUTSIDE_WINDOW = (
        "OUTSIDE_WINDOW",
        _(
            "Dicatat di luar jam kontak penagihan yang diizinkan "
            "(hari, jam atau hari libur di zona cabang nasabah)."
        ),
    )


class WorkOrder(models.Model):
    """One visit to a customer in arrears, with the billing data and the best known location
    copied in when it was made (a snapshot: what the agent saw, whatever the feed says later).

    ``billing`` is the arrears source's bills summary (JSON: counts, periods, as-of date).
    ``address_incomplete``: the address lacks RT, RW or a house number (seed 002: the main
    cause of ATK). At most one open work order per customer (partial unique index).
    ``previous_agent``: who held it before it changed hands (reassigned, or the assignment
    undone), still able to open it — its device may send a result captured meanwhile.
    """

    id = models.BigAutoField(primary_key=True)
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, related_name="work_orders"
    )
    # branch and agent are indexed by (branch, status) and (agent, status) below: fewer
    # indexes to maintain when 300,000 work orders are made in one statement.
    branch = models.ForeignKey(
        "iam.Branch", on_delete=models.PROTECT, related_name="+", db_index=False
    )
    agent = models.ForeignKey(
        "iam.User",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="work_orders",
        db_index=False,
    )
    previous_agent = models.ForeignKey(
        "iam.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(max_length=12, choices=WoStatus.choices, default=WoStatus.NEW)
    origin = models.CharField(max_length=8, choices=WoOrigin.choices, default=WoOrigin.RULE)
    source = models.CharField(max_length=60, blank=True)  # the arrears source's key
    account_ref = models.CharField(max_length=60, blank=True)
    days_past_due = models.IntegerField(default=0)
    outstanding = models.DecimalField(max_digits=18, decimal_places=2, default=0)
    billing = models.JSONField(default=dict, blank=True)
    last_payment_on = models.DateField(null=True, blank=True)
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)
    location_source = models.CharField(
        max_length=12, choices=LocationSource.choices, default=LocationSource.NONE
    )
    address = models.CharField(max_length=300, blank=True)
    address_incomplete = models.BooleanField(default=False)
    note = models.CharField(max_length=500, blank=True)
    promise_date = models.DateField(null=True, blank=True)
    promise_amount = models.DecimalField(max_digits=18, decimal_places=2, null=True, blank=True)
    last_outcome = models.CharField(max_length=16, choices=Outcome.choices, blank=True)
    cancel_reason = models.CharField(max_length=500, blank=True)
    created_by = models.ForeignKey(
        "iam.User",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,  # who made a work order by hand is shown, never searched
    )
    created_at = models.DateTimeField(default=now)
    assigned_at = models.DateTimeField(null=True, blank=True)
    visited_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    objects = scopes.ScopedQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["customer"],
                condition=Q(status__in=[s.value for s in OPEN_STATUSES]),
                name="fieldops_wo_one_open_per_customer",
            ),
            models.CheckConstraint(
                condition=(Q(latitude__isnull=True) & Q(longitude__isnull=True))
                | (
                    Q(latitude__gte=-90, latitude__lte=90)
                    & Q(longitude__gte=-180, longitude__lte=180)
                ),
                name="fieldops_wo_coordinates_valid",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=["ASSIGNED", "IN_PROGRESS"]) | Q(agent__isnull=False),
                name="fieldops_wo_assigned_has_agent",
            ),
        ]
        indexes = [
            models.Index(fields=["agent", "status"], name="fieldops_wo_agent_status"),
            models.Index(fields=["branch", "status"], name="fieldops_wo_branch_status"),
        ]

    def __str__(self) -> str:
        return f"WO-{self.pk}"

    @property
    def number(self) -> str:
        return f"WO-{self.pk:07d}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def bills_owed(self) -> list[dict]:
        """The bills in arrears one by one, as the source listed them (the PDAM's: period and
        what is owed on it), ready to show: ``[{"period": "Okt 2025", "owed": "20.000"}]``."""
        from datetime import date

        from django.utils.formats import date_format

        from amanah.core.fields import format_rupiah

        items = self.billing.get("items") if isinstance(self.billing, dict) else None
        lines = []
        for item in items if isinstance(items, list) else ():
            try:
                year, month = (int(part) for part in str(item["period"]).split("-")[:2])
                period = date_format(date(year, month, 1), "M Y")
                owed = format_rupiah(int(item["owed"]))
            except (KeyError, TypeError, ValueError):
                continue  # a source's summary that is not a list of bills: shown as a count
            lines.append({"period": period, "owed": owed})
        return lines


class PositionFlag(models.TextChoices):
    TRUSTED = "", _("Dipercaya")
    MISSING = "MISSING", _("Tanpa posisi")
    OUT_OF_AREA = "OUT_OF_AREA", _("Di luar wilayah Indonesia")
    INACCURATE = "INACCURATE", _("Akurasi terlalu rendah")


class ResultStatus(models.TextChoices):
    APPLIED = "APPLIED", _("Diterapkan")
    CONFLICT = "CONFLICT", _("Konflik — menunggu supervisor")
    SETTLED = "SETTLED", _("Konflik diselesaikan")


class VisitResult(models.Model):
    """What the agent found at the door, with the device's position at the moment of capture
    (not photo metadata). ``idempotency_key`` is the device's: a result sent twice is applied
    once. A result for a work order that is not (or no longer) the agent's is kept as a
    CONFLICT with its reason for the supervisor, never lost and never applied."""

    id = models.BigAutoField(primary_key=True)
    work_order = models.ForeignKey(WorkOrder, on_delete=models.PROTECT, related_name="visits")
    agent = models.ForeignKey("iam.User", on_delete=models.PROTECT, related_name="+")
    idempotency_key = models.CharField(max_length=80, unique=True)
    outcome = models.CharField(max_length=16, choices=Outcome.choices)
    note = models.CharField(max_length=1000, blank=True)
    promise_date = models.DateField(null=True, blank=True)
    promise_amount = models.DecimalField(max_digits=18, decimal_places=2, null=True, blank=True)
    paid_amount = models.DecimalField(max_digits=18, decimal_places=2, null=True, blank=True)
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)
    accuracy_m = models.FloatField(null=True, blank=True)
    captured_at = models.DateTimeField()
    position_flag = models.CharField(
        max_length=12, choices=PositionFlag.choices, blank=True, default=""
    )
    status = models.CharField(max_length=10, choices=ResultStatus.choices)
    conflict_reason = models.CharField(max_length=16, choices=ConflictReason.choices, blank=True)
    recorded_at = models.DateTimeField(default=now)

    objects = scopes.ScopedQuerySet.as_manager()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=~Q(outcome="PROMISE")
                | Q(status="CONFLICT")
                | (Q(promise_date__isnull=False) & Q(promise_amount__gt=0)),
                name="fieldops_visit_promise_complete",
            ),
        ]
        indexes = [models.Index(fields=["work_order", "-captured_at"], name="fieldops_visit_wo")]

    def __str__(self) -> str:
        return f"VOC-{self.pk}"

    @property
    def position_trusted(self) -> bool:
        return self.position_flag == PositionFlag.TRUSTED


class CorrectionStatus(models.TextChoices):
    PROPOSED = "PROPOSED", _("Diusulkan")
    ACCEPTED = "ACCEPTED", _("Diterima")
    REJECTED = "REJECTED", _("Ditolak")


class CoordinateCorrection(models.Model):
    """An ATK visit with a trusted device position proposes where the customer really is; a
    supervisor accepts it (audited) and the customer's known location follows, so the next
    work order starts from it."""

    id = models.BigAutoField(primary_key=True)
    work_order = models.ForeignKey(WorkOrder, on_delete=models.PROTECT, related_name="corrections")
    visit = models.OneToOneField(VisitResult, on_delete=models.PROTECT, related_name="correction")
    latitude = models.FloatField()
    longitude = models.FloatField()
    accuracy_m = models.FloatField(null=True, blank=True)
    status = models.CharField(
        max_length=10, choices=CorrectionStatus.choices, default=CorrectionStatus.PROPOSED
    )
    decided_by = models.ForeignKey(
        "iam.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=now)

    objects = scopes.ScopedQuerySet.as_manager()

    def __str__(self) -> str:
        return f"KOREKSI-{self.pk}"


class KnownLocation(models.Model):
    """The customer's location as the field confirmed it (an accepted correction); it wins
    over the arrears source's location when the next work order is made."""

    customer = models.OneToOneField(
        "customers.Customer", on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    latitude = models.FloatField()
    longitude = models.FloatField()
    correction = models.ForeignKey(CoordinateCorrection, on_delete=models.PROTECT, related_name="+")
    updated_at = models.DateTimeField(default=now)

    objects = scopes.ScopedQuerySet.as_manager()

    def __str__(self) -> str:
        return f"LOKASI-{self.pk}"


class LoanArrears(models.Model):
    """The bank profile's arrears source: one loan account's arrears as of a date, imported
    from core banking (``fieldops.loan_arrears``); idempotent by account and as-of date."""

    id = models.BigAutoField(primary_key=True)
    customer = models.ForeignKey("customers.Customer", on_delete=models.PROTECT, related_name="+")
    account_no = models.CharField(max_length=40)
    as_of = models.DateField()
    days_past_due = models.IntegerField()
    outstanding = models.DecimalField(max_digits=18, decimal_places=2)
    installments_due = models.IntegerField(default=0)
    last_payment_on = models.DateField(null=True, blank=True)
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)
    address = models.CharField(max_length=300, blank=True)
    imported_at = models.DateTimeField(default=now)

    objects = scopes.ScopedQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["account_no", "as_of"], name="fieldops_loan_arrears_account_asof"
            ),
        ]
        indexes = [
            models.Index(fields=["account_no", "-as_of"], name="fieldops_loan_latest"),
        ]

    def __str__(self) -> str:
        return f"{self.account_no}@{self.as_of}"


scopes.register(
    WorkOrder, view=WO_VIEW, branch="branch", own=("agent", "previous_agent"), widen=WO_TEAM
)
scopes.register(
    VisitResult, view=WO_VIEW, branch="work_order__branch", own=("agent",), widen=WO_TEAM
)
scopes.register(CoordinateCorrection, via="work_order")
scopes.register(KnownLocation, via="customer")
scopes.register(LoanArrears, via="customer")
