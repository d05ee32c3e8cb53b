"""The supervisor's monitoring (seed 002, issue 19): work orders by status and agent, visits
per day, the ATK rate against the seed's 20 % baseline and its trend, the promises to pay and
the amounts paid at the door — and the downloads of work orders and visit results (CSV and
XLSX, recorded as EXPORT_DATA with the zone the times are in).

Every figure starts from ``visible_to(actor)`` of its model: a supervisor counts its branches'
work orders and visits, never another branch's. Days are the actor's zone's days
(``timezone.get_current_timezone()``, set from the user's branch by the middleware).

**Amounts collected after visits** are the amounts the agents recorded as paid at the door
(``paid_amount`` of MET_PAID results). A payment made later through a teller or a gateway is
the payments app's, which sits above fieldops and is not read here.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction
from django.db.models import Count, Q, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.translation import gettext as _

from amanah.audit import services as audit
from amanah.audit.models import AuditAction
from amanah.core.fields import format_rupiah
from amanah.core.zones import zone_label
from amanah.fieldops.models import Outcome, ResultStatus, VisitResult, WorkOrder, WoStatus
from amanah.fieldops.policies import WO_EXPORT
from amanah.iam import authz

# The seed's baseline: about one visit in five ends "alamat tidak ketemu" (seed 002).
ATK_BASELINE = Decimal("0.20")
PERIOD_DAYS = 28  # the visits-per-day window; the trend compares its two halves
EXPORT_MAX_ROWS = 100_000


def _rate(atk: int, visits: int) -> Decimal | None:
    return Decimal(atk) / visits if visits else None


def percent(rate: Decimal | None) -> Decimal | None:
    return None if rate is None else (rate * 100).quantize(Decimal("0.1"))


@dataclass
class AgentRow:
    agent: str
    counts: list[int]
    total: int


@dataclass
class DayRow:
    day: dt.date
    visits: int
    atk: int
    promises: int
    promised: Decimal
    paid: Decimal

    @property
    def atk_rate(self) -> Decimal | None:
        return _rate(self.atk, self.visits)

    @property
    def atk_percent(self) -> Decimal | None:
        return percent(self.atk_rate)

    @property
    def promised_rp(self) -> str:
        return format_rupiah(int(self.promised))

    @property
    def paid_rp(self) -> str:
        return format_rupiah(int(self.paid))


@dataclass
class Monitoring:
    statuses: list[tuple[str, str]]
    by_agent: list[AgentRow]
    status_totals: list[int]
    days: list[DayRow]
    visits: int = 0
    atk: int = 0
    promises: int = 0
    promised: Decimal = Decimal(0)
    paid: Decimal = Decimal(0)
    paid_visits: int = 0
    atk_rate: Decimal | None = None
    atk_rate_previous: Decimal | None = None  # the first half of the period
    atk_rate_recent: Decimal | None = None  # the second half
    baseline: Decimal = ATK_BASELINE
    first_day: dt.date | None = None
    last_day: dt.date | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def trend(self) -> str:
        """UP, DOWN or FLAT (within one percentage point), '' without both halves."""
        if self.atk_rate_previous is None or self.atk_rate_recent is None:
            return ""
        delta = self.atk_rate_recent - self.atk_rate_previous
        if abs(delta) < Decimal("0.01"):
            return "FLAT"
        return "UP" if delta > 0 else "DOWN"

    @property
    def trend_label(self) -> str:
        return {
            "UP": _("naik"),
            "DOWN": _("turun"),
            "FLAT": _("tetap"),
            "": _("belum cukup data"),
        }[self.trend]

    @property
    def above_baseline(self) -> bool:
        return self.atk_rate is not None and self.atk_rate > self.baseline

    @property
    def atk_percent(self) -> Decimal | None:
        return percent(self.atk_rate)

    @property
    def promised_rp(self) -> str:
        return format_rupiah(int(self.promised))

    @property
    def paid_rp(self) -> str:
        return format_rupiah(int(self.paid))

    @property
    def previous_percent(self) -> Decimal | None:
        return percent(self.atk_rate_previous)

    @property
    def recent_percent(self) -> Decimal | None:
        return percent(self.atk_rate_recent)

    @property
    def baseline_percent(self) -> Decimal:
        return percent(self.baseline)


def monitoring(*, actor, today: dt.date | None = None, days: int = PERIOD_DAYS) -> Monitoring:
    statuses = [(v, str(label)) for v, label in WoStatus.choices]
    counts: dict = {}
    names: dict = {}
    rows = (
        WorkOrder.objects.visible_to(actor)
        .values("agent_id", "agent__full_name", "status")
        .annotate(n=Count("id"))
        .order_by()
    )
    for r in rows:
        counts.setdefault(r["agent_id"], {})[r["status"]] = r["n"]
        names[r["agent_id"]] = r["agent__full_name"] or ""
    by_agent = [
        AgentRow(
            agent=names[agent_id],
            counts=[counts[agent_id].get(s, 0) for s, _label in statuses],
            total=sum(counts[agent_id].values()),
        )
        for agent_id in sorted(names, key=lambda a: (a is None, names[a], str(a)))
    ]
    totals = [sum(r.counts[i] for r in by_agent) for i in range(len(statuses))]

    zone = timezone.get_current_timezone()
    today = today or timezone.localdate()
    first = today - dt.timedelta(days=days - 1)
    start = dt.datetime.combine(first, dt.time.min, tzinfo=zone)
    end = dt.datetime.combine(today + dt.timedelta(days=1), dt.time.min, tzinfo=zone)
    per_day = (
        VisitResult.objects.visible_to(actor)
        .filter(status=ResultStatus.APPLIED, captured_at__gte=start, captured_at__lt=end)
        .annotate(day=TruncDate("captured_at", tzinfo=zone))
        .values("day")
        .annotate(
            visits=Count("id"),
            atk=Count("id", filter=Q(outcome=Outcome.ATK)),
            promises=Count("id", filter=Q(outcome=Outcome.PROMISE)),
            promised=Sum("promise_amount", filter=Q(outcome=Outcome.PROMISE)),
            paid=Sum("paid_amount", filter=Q(outcome=Outcome.MET_PAID)),
            paid_visits=Count("id", filter=Q(outcome=Outcome.MET_PAID)),
        )
        .order_by("day")
    )
    result = Monitoring(statuses, by_agent, totals, [], first_day=first, last_day=today)
    half = first + dt.timedelta(days=days // 2)
    halves = {True: [0, 0], False: [0, 0]}  # recent? -> [atk, visits]
    for r in per_day:
        row = DayRow(
            r["day"],
            r["visits"],
            r["atk"],
            r["promises"],
            r["promised"] or Decimal(0),
            r["paid"] or Decimal(0),
        )
        result.days.append(row)
        result.visits += row.visits
        result.atk += row.atk
        result.promises += row.promises
        result.promised += row.promised
        result.paid += row.paid
        result.paid_visits += r["paid_visits"]
        bucket = halves[row.day >= half]
        bucket[0] += row.atk
        bucket[1] += row.visits
    result.atk_rate = _rate(result.atk, result.visits)
    result.atk_rate_previous = _rate(*halves[False])
    result.atk_rate_recent = _rate(*halves[True])
    return result


RECENT_LIMIT = 50


def recent_visits(*, actor, limit: int = RECENT_LIMIT) -> list[VisitResult]:
    """The latest results the team recorded (applied and conflicts alike, newest first): what
    the agents' devices synced shows here once, whatever the device resent."""
    return list(
        VisitResult.objects.visible_to(actor)
        .select_related("work_order", "work_order__customer", "agent")
        .order_by("-recorded_at", "-id")[:limit]
    )


# --------------------------------------------------------------------------- downloads


@dataclass(frozen=True)
class ExportRequest:
    what: str  # "work_orders" | "visits"
    fmt: str  # "csv" | "xlsx"
    first: dt.date | None = None
    last: dt.date | None = None


def _in_days(rows, column: str, first, last):
    zone = timezone.get_current_timezone()
    if first:
        rows = rows.filter(**{f"{column}__gte": dt.datetime.combine(first, dt.time.min, zone)})
    if last:
        end = dt.datetime.combine(last + dt.timedelta(days=1), dt.time.min, zone)
        rows = rows.filter(**{f"{column}__lt": end})
    return rows


def export_rows(actor, request: ExportRequest):
    """The query a download reads (the actor's scope, the days asked for)."""
    if request.what == "visits":
        rows = VisitResult.objects.visible_to(actor).select_related(
            "work_order", "work_order__customer", "work_order__branch", "agent"
        )
        return _in_days(rows, "captured_at", request.first, request.last).order_by(
            "captured_at", "id"
        )
    rows = WorkOrder.objects.visible_to(actor).select_related("customer", "branch", "agent")
    return _in_days(rows, "created_at", request.first, request.last).order_by("created_at", "id")


def export_too_large(actor, request: ExportRequest) -> bool:
    return export_rows(actor, request).count() > EXPORT_MAX_ROWS


def field_export(*, actor, request: ExportRequest) -> list:
    """The rows of a download, then recorded as EXPORT_DATA (what, format, days, rows and the
    zone the times are written in). Read outside the audit's transaction."""
    authz.require(actor, WO_EXPORT)
    rows = list(export_rows(actor, request)[:EXPORT_MAX_ROWS])
    with transaction.atomic():
        audit.record(
            actor=actor,
            action=AuditAction.EXPORT_DATA,
            object_type="FIELDOPS_VISITS" if request.what == "visits" else "FIELDOPS_WORK_ORDERS",
            object_id="export",
            meta={
                "format": request.fmt,
                "first": request.first.isoformat() if request.first else "",
                "last": request.last.isoformat() if request.last else "",
                "rows": len(rows),
                "zone": zone_label(),
            },
        )
    return rows


def _when(value) -> str:
    return f"{timezone.localtime(value):%Y-%m-%d %H:%M}" if value else ""


def _day(value) -> str:
    return f"{value:%Y-%m-%d}" if value else ""


WORK_ORDER_HEADER = (
    "no_wo",
    "status",
    "cabang",
    "petugas",
    "rekening",
    "pelanggan",
    "alamat",
    "alamat_tidak_lengkap",
    "lintang",
    "bujur",
    "sumber_lokasi",
    "hari_tunggakan",
    "tunggakan",
    "bayar_terakhir",
    "hasil_terakhir",
    "janji_bayar_tanggal",
    "janji_bayar_nominal",
    "dibuat_pada",
    "dikunjungi_pada",
    "ditutup_pada",
)
VISIT_HEADER = (
    "no_voc",
    "no_wo",
    "cabang",
    "petugas",
    "rekening",
    "pelanggan",
    "hasil",
    "status",
    "alasan_konflik",
    "catatan",
    "janji_bayar_tanggal",
    "janji_bayar_nominal",
    "dibayar",
    "lintang",
    "bujur",
    "akurasi_m",
    "tanda_posisi",
    "diambil_pada",
    "dicatat_pada",
)
TIMED = {"dibuat_pada", "dikunjungi_pada", "ditutup_pada", "diambil_pada", "dicatat_pada"}


def header(what: str) -> list[str]:
    """The download's column names; the times' columns carry the zone (``dibuat_pada (WIB)``)."""
    zone = zone_label()
    names = VISIT_HEADER if what == "visits" else WORK_ORDER_HEADER
    return [f"{name} ({zone})" if name in TIMED else name for name in names]


def lines(what: str, rows):
    """Each row as the list of cells under :func:`header` (text, numbers; never a formula:
    ``core.exports.safe_cell`` is applied by the writer)."""
    if what == "visits":
        for v in rows:
            wo = v.work_order
            yield [
                f"VOC-{v.pk:07d}",
                wo.number,
                wo.branch.code,
                v.agent.full_name,
                wo.account_ref,
                wo.customer.full_name,
                str(v.get_outcome_display()),
                str(v.get_status_display()),
                str(v.get_conflict_reason_display()) if v.conflict_reason else "",
                v.note,
                _day(v.promise_date),
                v.promise_amount,
                v.paid_amount,
                v.latitude,
                v.longitude,
                v.accuracy_m,
                str(v.get_position_flag_display()) if v.position_flag else "",
                _when(v.captured_at),
                _when(v.recorded_at),
            ]
        return
    for w in rows:
        yield [
            w.number,
            str(w.get_status_display()),
            w.branch.code,
            w.agent.full_name if w.agent_id else "",
            w.account_ref,
            w.customer.full_name,
            w.address,
            "ya" if w.address_incomplete else "",
            w.latitude,
            w.longitude,
            str(w.get_location_source_display()),
            w.days_past_due,
            w.outstanding,
            _day(w.last_payment_on),
            str(w.get_last_outcome_display()) if w.last_outcome else "",
            _day(w.promise_date),
            w.promise_amount,
            _when(w.created_at),
            _when(w.visited_at),
            _when(w.closed_at),
        ]
