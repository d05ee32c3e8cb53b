"""The water utility (PDAM, issue 17): service areas and SPAM, pelanggan (connections),
tariff groups and blocks, meter readings, monthly bills, payments applied to bills and the
credit kept from overpayments.

Money is whole rupiah (integers); volumes are whole m³ (what a meter shows); flows are l/s.
Writes go through ``services`` / ``billing`` / ``accounts``; nothing here holds business
logic. A connection belongs to a branch (the scope); its bills, readings and receipts are as
visible as the connection. Areas, SPAM and tariffs are the utility's, not a branch's.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.timezone import now
from django.utils.translation import gettext_lazy as _

from amanah.core import scopes
from amanah.utility.policies import (
    BILLING_RUN,
    CONNECTION_VIEW,
    INSTALLATION_VIEW,
    NETWORK_VIEW,
    TARIFF_VIEW,
)


class Spam(models.Model):
    """Sistem penyediaan air minum: a treatment plant and its network, with its design capacity
    and its current production (l/s). The areas it serves point at it (``ServiceArea.spam``)."""

    code = models.CharField(_("kode"), max_length=20, unique=True)
    name = models.CharField(_("nama"), max_length=120)
    capacity_lps = models.DecimalField(_("kapasitas (l/detik)"), max_digits=9, decimal_places=2)
    production_lps = models.DecimalField(
        _("produksi (l/detik)"), max_digits=9, decimal_places=2, default=0
    )
    active = models.BooleanField(_("aktif"), default=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = scopes.ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(condition=Q(capacity_lps__gt=0), name="utility_spam_capacity"),
            models.CheckConstraint(
                condition=Q(production_lps__gte=0), name="utility_spam_production"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class ServiceArea(models.Model):
    """A service area (wilayah pelayanan): a centre and radius, and optionally an outline
    (``polygon``: a list of ``[lat, lon]`` points) for the map."""

    code = models.CharField(_("kode"), max_length=20, unique=True)
    name = models.CharField(_("nama"), max_length=120)
    centre_lat = models.DecimalField(_("lintang pusat"), max_digits=9, decimal_places=6)
    centre_lon = models.DecimalField(_("bujur pusat"), max_digits=9, decimal_places=6)
    radius_m = models.PositiveIntegerField(_("radius (m)"))
    polygon = models.JSONField(_("batas wilayah"), default=list, blank=True)
    spam = models.ForeignKey(
        Spam,
        verbose_name=_("SPAM"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="areas",
    )
    active = models.BooleanField(_("aktif"), default=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = scopes.ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(centre_lat__gte=-90, centre_lat__lte=90)
                & Q(centre_lon__gte=-180, centre_lon__lte=180),
                name="utility_area_centre_on_earth",
            ),
            models.CheckConstraint(condition=Q(radius_m__gt=0), name="utility_area_radius"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class TariffGroup(models.Model):
    """A tariff group (golongan tarif: R1, R2, N1, S1 …) with its monthly fixed charge
    (abonemen) and its blocks."""

    code = models.CharField(_("kode"), max_length=10, unique=True)
    name = models.CharField(_("nama"), max_length=120)
    fixed_charge = models.BigIntegerField(_("abonemen (Rp/bulan)"), default=0)
    active = models.BooleanField(_("aktif"), default=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = scopes.ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(fixed_charge__gte=0), name="utility_tariff_fixed_charge"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class TariffBlock(models.Model):
    """One block of a group: usage from ``from_m3`` up to ``to_m3`` (exclusive; None = no
    upper end) at ``price`` rupiah per m³. A group's blocks start at 0, follow each other
    without gap or overlap and end open-ended (``services.tariff_blocks_set``)."""

    group = models.ForeignKey(TariffGroup, on_delete=models.CASCADE, related_name="blocks")
    from_m3 = models.PositiveIntegerField(_("dari (m³)"))
    to_m3 = models.PositiveIntegerField(_("sampai (m³)"), null=True, blank=True)
    price = models.BigIntegerField(_("harga per m³ (Rp)"))

    objects = scopes.ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["group", "from_m3"]
        constraints = [
            models.UniqueConstraint(fields=["group", "from_m3"], name="utility_block_start"),
            models.CheckConstraint(
                condition=Q(to_m3__isnull=True) | Q(to_m3__gt=F("from_m3")),
                name="utility_block_not_empty",
            ),
            models.CheckConstraint(condition=Q(price__gte=0), name="utility_block_price"),
        ]

    def __str__(self) -> str:
        return f"{self.from_m3}-{self.to_m3 or '∞'} @ {self.price}"


class ConnectionStatus(models.TextChoices):
    APPLIED = "APPLIED", _("Pengajuan")
    ACTIVE = "ACTIVE", _("Aktif")
    SUSPENDED = "SUSPENDED", _("Disegel / ditangguhkan")
    CLOSED = "CLOSED", _("Ditutup")


class Connection(models.Model):
    """A pelanggan: one water connection (no. sambungan) of one person (a customer of the
    customers app). ``address_incomplete`` is kept by the services (RT/RW or house number
    missing). ``credit`` is what was paid beyond the bills (kelebihan bayar), whole rupiah."""

    id = models.BigAutoField(primary_key=True)
    customer = models.OneToOneField(
        "customers.Customer", on_delete=models.PROTECT, related_name="water_connection"
    )
    number = models.CharField(_("no. sambungan"), max_length=20, unique=True)
    tariff_group = models.ForeignKey(
        TariffGroup, verbose_name=_("golongan tarif"), on_delete=models.PROTECT, related_name="+"
    )
    meter_number = models.CharField(_("no. meter"), max_length=30, blank=True)
    street = models.CharField(_("jalan"), max_length=200)
    house_number = models.CharField(_("no. rumah"), max_length=20, blank=True)
    rt = models.CharField(_("RT"), max_length=3, blank=True)
    rw = models.CharField(_("RW"), max_length=3, blank=True)
    village = models.CharField(_("kelurahan/desa"), max_length=100, blank=True)
    district = models.CharField(_("kecamatan"), max_length=100, blank=True)
    lat = models.DecimalField(_("lintang"), max_digits=9, decimal_places=6, null=True, blank=True)
    lon = models.DecimalField(_("bujur"), max_digits=9, decimal_places=6, null=True, blank=True)
    area = models.ForeignKey(
        ServiceArea,
        verbose_name=_("wilayah layanan"),
        on_delete=models.PROTECT,
        related_name="connections",
    )
    branch = models.ForeignKey("iam.Branch", on_delete=models.PROTECT, related_name="+")
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=ConnectionStatus.choices,
        default=ConnectionStatus.APPLIED,
    )
    address_incomplete = models.BooleanField(_("alamat belum lengkap"), default=False)
    credit = models.BigIntegerField(_("saldo kelebihan bayar"), default=0)
    activated_on = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(default=now)
    updated_at = models.DateTimeField(default=now)

    objects = scopes.ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["number"]
        indexes = [
            models.Index(fields=["branch", "number"], name="utility_conn_branch"),
            models.Index(fields=["area", "status"], name="utility_conn_area_status"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(credit__gte=0), name="utility_conn_credit"),
            models.CheckConstraint(
                condition=Q(status__in=ConnectionStatus.values), name="utility_conn_status"
            ),
        ]

    def __str__(self) -> str:
        return self.number


class MeterReading(models.Model):
    """The meter's reading (m³) at the end of a period (``period``: first day of the month).
    ``replacement``: a new meter was fitted, so the reading starts again from 0."""

    id = models.BigAutoField(primary_key=True)
    connection = models.ForeignKey(Connection, on_delete=models.PROTECT, related_name="readings")
    period = models.DateField(_("periode"))
    reading = models.PositiveIntegerField(_("angka meter (m³)"))
    replacement = models.BooleanField(_("ganti meter"), default=False)
    created_at = models.DateTimeField(default=now)

    objects = scopes.ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["connection", "-period"]
        constraints = [
            models.UniqueConstraint(
                fields=["connection", "period"], name="utility_reading_one_per_period"
            ),
            models.CheckConstraint(condition=Q(period__day=1), name="utility_reading_month"),
        ]

    def __str__(self) -> str:
        return f"{self.period:%Y-%m}: {self.reading}"


class BillStatus(models.TextChoices):
    OPEN = "OPEN", _("Belum lunas")
    PAID = "PAID", _("Lunas")


class Bill(models.Model):
    """A monthly water bill (rekening air) of one connection for one period, written by the
    billing run (``billing.py``), one per connection and period. ``paid`` grows as payments
    are applied, oldest bill first."""

    id = models.BigAutoField(primary_key=True)
    connection = models.ForeignKey(Connection, on_delete=models.PROTECT, related_name="bills")
    period = models.DateField(_("periode"))
    previous_reading = models.PositiveIntegerField(_("angka meter lalu"))
    reading = models.PositiveIntegerField(_("angka meter kini"))
    usage_m3 = models.PositiveIntegerField(_("pemakaian (m³)"))
    water_amount = models.BigIntegerField(_("harga air"))
    fixed_charge = models.BigIntegerField(_("abonemen"))
    total = models.BigIntegerField(_("jumlah tagihan"))
    paid = models.BigIntegerField(_("dibayar"), default=0)
    status = models.CharField(max_length=4, choices=BillStatus.choices, default=BillStatus.OPEN)
    issued_on = models.DateField(_("tanggal terbit"))
    due_on = models.DateField(_("jatuh tempo"))
    run = models.ForeignKey(
        "BillingRun", null=True, blank=True, on_delete=models.PROTECT, related_name="bills"
    )

    objects = scopes.ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["connection", "period"]
        constraints = [
            models.UniqueConstraint(fields=["connection", "period"], name="utility_bill_one"),
            models.CheckConstraint(
                condition=Q(total=F("water_amount") + F("fixed_charge")), name="utility_bill_sum"
            ),
            models.CheckConstraint(
                condition=Q(paid__gte=0, paid__lte=F("total")), name="utility_bill_paid"
            ),
        ]
        indexes = [
            models.Index(
                fields=["connection", "period"],
                condition=Q(status="OPEN"),
                name="utility_bill_open",
            ),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def number(self) -> str:
        return f"RA-{self.period:%Y%m}-{self.connection_id:08d}"

    @property
    def outstanding(self) -> int:
        return self.total - self.paid


class RunStatus(models.TextChoices):
    RUNNING = "RUNNING", _("Berjalan")
    DONE = "DONE", _("Selesai")
    FAILED = "FAILED", _("Gagal")


class BillingRun(models.Model):
    """One run of the monthly billing for a period (a period may be run again: it creates
    only the bills still missing)."""

    period = models.DateField(_("periode"))
    status = models.CharField(max_length=8, choices=RunStatus.choices, default=RunStatus.RUNNING)
    bills_created = models.PositiveIntegerField(default=0)
    amount = models.BigIntegerField(default=0)
    skipped_no_reading = models.PositiveIntegerField(default=0)
    started_at = models.DateTimeField(default=now)
    finished_at = models.DateTimeField(null=True, blank=True)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    failure = models.CharField(max_length=300, blank=True)
    actor_ref = models.JSONField(default=dict)  # the run acts for whoever started it

    objects = scopes.ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"{self.period:%Y-%m} {self.status}"


class Receipt(models.Model):
    """A payment received for a connection (a gateway payment, a cashier's receipt), applied
    to its open bills oldest first; ``to_credit`` is what was left over (kept as credit)."""

    id = models.BigAutoField(primary_key=True)
    connection = models.ForeignKey(Connection, on_delete=models.PROTECT, related_name="receipts")
    reference = models.CharField(_("referensi"), max_length=80, unique=True)
    amount = models.BigIntegerField(_("jumlah"))
    credit_used = models.BigIntegerField(default=0)
    to_credit = models.BigIntegerField(default=0)
    paid_on = models.DateField(_("tanggal bayar"))
    source = models.CharField(max_length=60)
    created_at = models.DateTimeField(default=now)

    objects = scopes.ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-paid_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__gte=0, credit_used__gte=0, to_credit__gte=0),
                name="utility_receipt_amounts",
            ),
        ]

    def __str__(self) -> str:
        return self.reference


class Allocation(models.Model):
    """The part of a receipt (and of credit) that paid one bill."""

    receipt = models.ForeignKey(Receipt, on_delete=models.PROTECT, related_name="allocations")
    bill = models.ForeignKey(Bill, on_delete=models.PROTECT, related_name="allocations")
    amount = models.BigIntegerField()

    objects = scopes.ScopedQuerySet.as_manager()

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="utility_allocation_amount")
        ]

    def __str__(self) -> str:
        return f"{self.bill_id}: {self.amount}"


class InstallationStatus(models.TextChoices):
    """The steps of a new connection (pasang baru), in order (``installations/``)."""

    APPLIED = "APPLIED", _("Permohonan")
    SURVEYED = "SURVEYED", _("Survei lokasi selesai")
    RAB_SUBMITTED = "RAB_SUBMITTED", _("RAB diajukan")
    RAB_APPROVED = "RAB_APPROVED", _("RAB disetujui")
    PAID = "PAID", _("RAB dibayar")
    INSTALLED = "INSTALLED", _("Terpasang")
    ACTIVE = "ACTIVE", _("Meter aktif")


class PaymentPlan(models.TextChoices):
    FULL = "FULL", _("Lunas sekaligus")
    INSTALLMENT = "INSTALLMENT", _("Angsuran")


class Installation(models.Model):
    """A new connection (pasang baru / Instalasi) of one applied ``Connection``: its status
    moves through the workflow engine (``utility.installation``), with the survey, the RAB
    (``RabLine``) and its payment plan (``Installment``). ``stage_due_at`` is the current
    step's SLA on the branch's working calendar, ``stage_warn_at`` the point where 80 % of it
    (``UTILITY_INSTALLATION_WARN_PERCENT``) is used; ``reminded_soon_at`` / ``reminded_overdue_at``
    mark the stage's reminders as sent (reset when a stage starts)."""

    id = models.BigAutoField(primary_key=True)
    connection = models.OneToOneField(
        Connection, on_delete=models.PROTECT, related_name="installation"
    )
    status = models.CharField(
        _("tahap"),
        max_length=16,
        choices=InstallationStatus.choices,
        default=InstallationStatus.APPLIED,
    )
    technician = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    survey_lat = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    survey_lon = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    survey_note = models.TextField(_("catatan survei"), blank=True)
    rab_total = models.BigIntegerField(_("jumlah RAB"), default=0)
    rab_author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    rab_author_ref = models.CharField(max_length=64, blank=True)  # who drafted it (any actor)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    plan = models.CharField(_("cara bayar"), max_length=12, choices=PaymentPlan.choices, blank=True)
    billed_on = models.DateField(null=True, blank=True)
    stage_since = models.DateTimeField(default=now)
    stage_due_at = models.DateTimeField(null=True, blank=True)
    stage_warn_at = models.DateTimeField(null=True, blank=True)
    reminded_soon_at = models.DateTimeField(null=True, blank=True)
    reminded_overdue_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=now)
    updated_at = models.DateTimeField(default=now)

    objects = scopes.ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "stage_due_at"], name="utility_inst_stage"),
            # The reminder sweep's two walks: only the stages not yet reminded.
            models.Index(
                fields=["stage_warn_at"],
                name="utility_inst_remind_soon",
                condition=Q(reminded_soon_at__isnull=True, stage_warn_at__isnull=False),
            ),
            models.Index(
                fields=["stage_due_at"],
                name="utility_inst_remind_late",
                condition=Q(reminded_overdue_at__isnull=True, stage_due_at__isnull=False),
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=InstallationStatus.values), name="utility_inst_status"
            ),
            models.CheckConstraint(condition=Q(rab_total__gte=0), name="utility_inst_rab_total"),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def number(self) -> str:
        return f"PB-{self.pk:06d}"


class RabLine(models.Model):
    """One line of the cost estimate (Rencana Anggaran Biaya): item, quantity, unit price and
    total, whole rupiah; the total is held to ``qty × unit_price`` by the database."""

    installation = models.ForeignKey(
        Installation, on_delete=models.PROTECT, related_name="rab_lines"
    )
    position = models.PositiveSmallIntegerField()
    item = models.CharField(_("uraian"), max_length=200)
    qty = models.PositiveIntegerField(_("volume"))
    unit_price = models.BigIntegerField(_("harga satuan"))
    total = models.BigIntegerField(_("jumlah"))

    objects = scopes.ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["installation", "position"]
        constraints = [
            models.UniqueConstraint(fields=["installation", "position"], name="utility_rab_pos"),
            models.CheckConstraint(condition=Q(qty__gt=0), name="utility_rab_qty"),
            models.CheckConstraint(condition=Q(unit_price__gte=0), name="utility_rab_price"),
            models.CheckConstraint(
                condition=Q(total=F("qty") * F("unit_price")), name="utility_rab_line_total"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.item}: {self.total}"


class Installment(models.Model):
    """One installment of a RAB's payment plan (Rincian Angsuran; a full payment is a plan of
    one). The amounts of a plan sum exactly to the RAB total (``installments.py``);
    ``late_fee`` is the denda charged so far, ``late_fee_paid`` and ``paid`` what was paid."""

    id = models.BigAutoField(primary_key=True)
    installation = models.ForeignKey(
        Installation, on_delete=models.PROTECT, related_name="installments"
    )
    seq = models.PositiveSmallIntegerField(_("angsuran ke"))
    due_on = models.DateField(_("jatuh tempo"))
    amount = models.BigIntegerField(_("pokok"))
    paid = models.BigIntegerField(_("pokok dibayar"), default=0)
    late_fee = models.BigIntegerField(_("denda"), default=0)
    late_fee_paid = models.BigIntegerField(_("denda dibayar"), default=0)

    objects = scopes.ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["installation", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["installation", "seq"], name="utility_inst_seq"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="utility_installment_amount"),
            models.CheckConstraint(
                condition=Q(paid__gte=0, paid__lte=F("amount")), name="utility_installment_paid"
            ),
            models.CheckConstraint(
                condition=Q(late_fee_paid__gte=0, late_fee_paid__lte=F("late_fee")),
                name="utility_installment_fee_paid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.installation_id}#{self.seq}"

    @property
    def outstanding(self) -> int:
        return self.amount - self.paid + self.late_fee - self.late_fee_paid

    @property
    def settled(self) -> bool:
        return self.outstanding == 0


class LateFee(models.Model):
    """The denda charged on one installment for one month late (``months_late`` = 1, 2 …),
    once: the assessment job may run again and charges nothing twice."""

    installment = models.ForeignKey(Installment, on_delete=models.PROTECT, related_name="late_fees")
    months_late = models.PositiveSmallIntegerField()
    amount = models.BigIntegerField()
    assessed_on = models.DateField()

    objects = scopes.ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["installment", "months_late"]
        constraints = [
            models.UniqueConstraint(
                fields=["installment", "months_late"], name="utility_late_fee_once"
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="utility_late_fee_amount"),
        ]

    def __str__(self) -> str:
        return f"{self.installment_id}+{self.months_late}: {self.amount}"


class InstallmentAllocation(models.Model):
    """The part of a receipt that paid one installment: its denda first, then its principal."""

    receipt = models.ForeignKey(
        Receipt, on_delete=models.PROTECT, related_name="installment_allocations"
    )
    installment = models.ForeignKey(
        Installment, on_delete=models.PROTECT, related_name="allocations"
    )
    principal = models.BigIntegerField(default=0)
    late_fee = models.BigIntegerField(default=0)

    objects = scopes.ScopedQuerySet.as_manager()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(principal__gte=0, late_fee__gte=0)
                & (Q(principal__gt=0) | Q(late_fee__gt=0)),
                name="utility_inst_alloc_amount",
            )
        ]

    def __str__(self) -> str:
        return f"{self.installment_id}: {self.principal}+{self.late_fee}"


class NoticeKind(models.TextChoices):
    BILL_ISSUED = "BILL_ISSUED", _("Tagihan terbit")
    INSTALLMENT_DUE = "INSTALLMENT_DUE", _("Pengingat angsuran jatuh tempo")
    LATE_FEE = "LATE_FEE", _("Denda dikenakan")
    ARREARS = "ARREARS", _("Pemberitahuan tunggakan")


class CustomerNotice(models.Model):
    """A notice the customer was sent (or refused by contactability) about one bill,
    installment, late fee or arrears period: at most one per ``(kind, ref)`` whatever the
    channel (a unique key; a preference changed between two runs cannot send it twice).
    ``message_id`` is the outbox row it queued (its status and reason live there)."""

    id = models.BigAutoField(primary_key=True)
    kind = models.CharField(max_length=16, choices=NoticeKind.choices)
    ref = models.CharField(max_length=40)  # bill id, installment id, late fee id, conn:YYYY-MM
    connection = models.ForeignKey(Connection, on_delete=models.PROTECT, related_name="notices")
    channel = models.CharField(max_length=12, blank=True)
    outcome = models.CharField(max_length=40)  # QUEUED, CANCELLED:<reason>, NO_ADDRESS
    message_id = models.UUIDField(null=True, blank=True)
    created_at = models.DateTimeField(default=now)

    objects = scopes.ScopedQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["kind", "ref"], name="utility_notice_once"),
        ]

    def __str__(self) -> str:
        return f"{self.kind}:{self.ref}"


# The network and the tariffs are the utility's: whoever may read them reads all of them.
scopes.register(Spam, view=NETWORK_VIEW)
scopes.register(ServiceArea, view=NETWORK_VIEW)
scopes.register(TariffGroup, view=TARIFF_VIEW)
scopes.register(TariffBlock, via="group")
scopes.register(BillingRun, view=BILLING_RUN)
# A pelanggan belongs to its branch; its readings, bills and receipts are as visible as it.
scopes.register(Connection, view=CONNECTION_VIEW, branch="branch")
scopes.register(MeterReading, via="connection")
scopes.register(Bill, via="connection")
scopes.register(Receipt, via="connection")
scopes.register(Allocation, via="receipt")
# A new connection is as visible as its connection, but needs its own permission to be seen.
scopes.register(Installation, view=INSTALLATION_VIEW, branch="connection__branch")
scopes.register(RabLine, via="installation")
scopes.register(Installment, via="installation")
scopes.register(LateFee, via="installment")
scopes.register(InstallmentAllocation, via="receipt")
scopes.register(CustomerNotice, via="connection")

# Area incidents live in their own package; imported here so the app's models are one set.
from amanah.utility.incidents.models import AreaIncident, IncidentComplaint  # noqa: E402, F401
