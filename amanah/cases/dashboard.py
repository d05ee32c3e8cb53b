"""The cases app's dashboard widgets (registered in ``contract.py``): SLA compliance, backlog
by age, complaint volume by category and branch, the monthly trend and the OJK day-20 flags.

Each widget has two halves (``core.contributions.Widget``):

- ``compute(branch_ids, now)`` — set-based GROUP BY queries over a batch of branches, run
  only by the dashboards' refresh job; the figures are counts per branch, never a row per case,
  so nothing personal reaches the summary table;
- ``present(figures, branch_labels)`` — the figures of the branches in the reader's scope
  summed into the table the page, the chart and the CSV show.

Months are calendar months in each branch's own zone (a complaint received at 23.30 WIB on
31 May counts in May for a WIB branch). "The last 12 months" are the running month and the
eleven before it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.db.models import Case as When_
from django.db.models import Count, F, Q, Value, When
from django.db.models.functions import TruncMonth
from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from amanah.cases.models import OPEN_STATUSES, Case, CaseCategory, CaseStatus
from amanah.core.contributions import Figure, Ratio, WidgetTable
from amanah.iam.models import Branch

MONTHS = 12
# Backlog age buckets (calendar days since receipt): code, lower bound in days, label.
AGE_BUCKETS = (
    ("d00_02", 0, gettext_lazy("0–2 hari")),
    ("d03_07", 3, gettext_lazy("3–7 hari")),
    ("d08_14", 8, gettext_lazy("8–14 hari")),
    ("d15_30", 15, gettext_lazy("15–30 hari")),
    ("d31", 31, gettext_lazy("> 30 hari")),
)
OJK_DUE_SOON_DAYS = 7


# --------------------------------------------------------------------------- helpers


def _by_zone(branch_ids) -> dict[str, list]:
    """The batch's branches grouped by their time zone (months are local months)."""
    zones: dict[str, list] = defaultdict(list)
    for pk, zone in Branch.objects.filter(pk__in=branch_ids).values_list("pk", "timezone"):
        zones[zone].append(pk)
    return zones


def _first_month(now: datetime, zone: ZoneInfo) -> datetime:
    """Midnight of the first day of the month ``MONTHS - 1`` months before ``now``'s month."""
    local = now.astimezone(zone)
    year, month = local.year, local.month - (MONTHS - 1)
    while month < 1:
        year, month = year - 1, month + 12
    return datetime(year, month, 1, tzinfo=zone)


def _month_key(value: datetime | date) -> str:
    return f"{value.year:04d}-{value.month:02d}"


def _month_label(key: str) -> str:
    year, month = key.split("-")
    return formats.date_format(date(int(year), int(month), 1), "YEAR_MONTH_FORMAT")


def _complaints():
    """Cases that count as complaints (a duplicate cancelled into its original does not)."""
    return Case.objects.exclude(status=CaseStatus.CANCELLED)


def _category_names() -> dict[str, str]:
    return dict(CaseCategory.objects.values_list("code", "name"))


def _sum(figures: Iterable[Figure], key) -> dict:
    totals: dict = defaultdict(int)
    for f in figures:
        totals[key(f)] += f.value
    return totals


# --------------------------------------------------------------------------- SLA compliance


def sla_compute(branch_ids, now: datetime) -> Iterable[Figure]:
    """Per branch and month of the final response: cases answered (``total``) and answered
    by their resolution deadline (``met``)."""
    for zone, ids in _by_zone(branch_ids).items():
        tz = ZoneInfo(zone)
        rows = (
            _complaints()
            .filter(
                branch_id__in=ids,
                resolved_at__isnull=False,
                resolved_at__gte=_first_month(now, tz),
                resolved_at__lte=now,
            )
            .annotate(month=TruncMonth("resolved_at", tzinfo=tz))
            .values("branch_id", "month")
            .annotate(
                total=Count("pk"), met=Count("pk", filter=Q(resolved_at__lte=F("sla_due_at")))
            )
        )
        for r in rows:
            month = _month_key(r["month"].astimezone(tz))
            yield Figure(r["branch_id"], "total", month, r["total"])
            yield Figure(r["branch_id"], "met", month, r["met"])


def sla_present(figures: list[Figure], branch_labels: dict) -> WidgetTable:
    totals = _sum(figures, lambda f: (f.bucket, f.series))
    months = sorted({f.bucket for f in figures})
    rows = [
        [
            _month_label(m),
            totals[(m, "total")],
            totals[(m, "met")],
            Ratio(totals[(m, "met")], totals[(m, "total")]),
        ]
        for m in months
    ]
    header = [_("Bulan"), _("Kasus selesai"), _("Selesai dalam SLA"), _("Kepatuhan SLA (%)")]
    # "within SLA" is a part of "resolved": a difference of 1–4 is a small count (hidden)
    return WidgetTable(header, rows, chart_columns=(3,), parts=((2, 1),))


# --------------------------------------------------------------------------- backlog by age


def backlog_compute(branch_ids, now: datetime) -> Iterable[Figure]:
    """Open cases per branch and age bucket (calendar days since receipt), as of ``now``."""
    # A case younger than the next bucket's lower bound belongs to this bucket; the first
    # When that holds decides, so the youngest bucket comes first.
    whens = [
        When(received_at__gt=now - timedelta(days=upper), then=Value(code))
        for (code, _lower, _label), (_next, upper, _l) in zip(
            AGE_BUCKETS, AGE_BUCKETS[1:], strict=False
        )
    ]
    rows = (
        Case.objects.filter(branch_id__in=branch_ids, status__in=OPEN_STATUSES)
        .annotate(age=When_(*whens, default=Value(AGE_BUCKETS[-1][0])))
        .values("branch_id", "age")
        .annotate(n=Count("pk"))
    )
    for r in rows:
        yield Figure(r["branch_id"], r["age"], "", r["n"])


def backlog_present(figures: list[Figure], branch_labels: dict) -> WidgetTable:
    totals = _sum(figures, lambda f: f.series)
    rows = [[str(label), totals[code]] for code, _lower, label in AGE_BUCKETS]
    return WidgetTable([_("Umur kasus terbuka"), _("Kasus terbuka")], rows)


# --------------------------------------------------------------------------- complaint volume


def volume_compute(branch_ids, now: datetime) -> Iterable[Figure]:
    """Complaints received per branch, category and month (the last 12 months)."""
    for zone, ids in _by_zone(branch_ids).items():
        tz = ZoneInfo(zone)
        rows = (
            _complaints()
            .filter(branch_id__in=ids, received_at__gte=_first_month(now, tz), received_at__lte=now)
            .annotate(month=TruncMonth("received_at", tzinfo=tz))
            .values("branch_id", "category_id", "month")
            .annotate(n=Count("pk"))
        )
        for r in rows:
            month = _month_key(r["month"].astimezone(tz))
            yield Figure(r["branch_id"], r["category_id"], month, r["n"])


def volume_present(figures: list[Figure], branch_labels: dict) -> WidgetTable:
    """Categories down, branches across: complaints of the last 12 months."""
    names = _category_names()
    totals = _sum(figures, lambda f: (f.series, f.branch_id))
    branches = sorted({f.branch_id for f in figures}, key=lambda b: branch_labels.get(b, ""))
    categories = sorted({f.series for f in figures}, key=lambda c: names.get(c, c))
    header = [_("Kategori"), *(branch_labels.get(b, "") for b in branches)]
    rows = [[names.get(c, c), *(totals[(c, b)] for b in branches)] for c in categories]
    return WidgetTable(header, rows)


def trend_present(figures: list[Figure], branch_labels: dict) -> WidgetTable:
    """Months down, categories across: the monthly trend over the branches in scope."""
    names = _category_names()
    totals = _sum(figures, lambda f: (f.bucket, f.series))
    months = sorted({f.bucket for f in figures})
    categories = sorted({f.series for f in figures}, key=lambda c: names.get(c, c))
    header = [_("Bulan"), *(names.get(c, c) for c in categories)]
    rows = [[_month_label(m), *(totals[(m, c)] for c in categories)] for m in months]
    return WidgetTable(header, rows)


# --------------------------------------------------------------------------- OJK day 20


def ojk_compute(branch_ids, now: datetime) -> Iterable[Figure]:
    """Open regulatory complaints per branch: past day 20 (``overdue``), reaching day 20
    within ``OJK_DUE_SOON_DAYS`` days (``due_soon``), and extended (``extended``)."""
    rows = (
        _complaints()
        .filter(
            branch_id__in=branch_ids,
            status__in=OPEN_STATUSES,
            regulatory_deadline_at__isnull=False,
        )
        .values("branch_id")
        .annotate(
            overdue=Count("pk", filter=Q(regulatory_deadline_at__lte=now)),
            due_soon=Count(
                "pk",
                filter=Q(
                    regulatory_deadline_at__gt=now,
                    regulatory_deadline_at__lte=now + timedelta(days=OJK_DUE_SOON_DAYS),
                ),
            ),
            extended=Count("pk", filter=Q(extended_at__isnull=False)),
        )
    )
    for r in rows:
        for series in ("overdue", "due_soon", "extended"):
            yield Figure(r["branch_id"], series, "", r[series])


def ojk_present(figures: list[Figure], branch_labels: dict) -> WidgetTable:
    totals = _sum(figures, lambda f: (f.branch_id, f.series))
    branches = sorted({f.branch_id for f in figures}, key=lambda b: branch_labels.get(b, ""))
    header = [
        _("Cabang"),
        _("Lewat hari ke-20"),
        _("Hari ke-20 dalam %(n)d hari") % {"n": OJK_DUE_SOON_DAYS},
        _("Diperpanjang (masih terbuka)"),
    ]
    rows = [
        [branch_labels.get(b, ""), *(totals[(b, s)] for s in ("overdue", "due_soon", "extended"))]
        for b in branches
    ]
    return WidgetTable(header, rows)
