"""Segmentation of pelanggan (issue 17): tariff group, arrears band and consumption band —
one definition each, used by marketing's segment rules (``registry.segment_fields``) and by
the director's dashboard widgets (``registry.dashboard_widgets``), both registered in
``contract.py``.

Bands are computed in SQL over a connection queryset (:func:`with_bands`), so a segment of a
million customers stays one query:

* arrears band — days past due of the oldest open bill (the same buckets as
  ``selectors.arrears_ageing``: 1–30, 31–60, 61–90, > 90), NONE without an overdue bill;
* consumption band — m³ of the latest bill, NONE before the first bill.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable

from django.db.models import (
    Case,
    CharField,
    Count,
    Exists,
    OuterRef,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from amanah.core.contributions import Figure, WidgetTable
from amanah.utility.models import Bill, BillStatus, Connection, ConnectionStatus, TariffGroup

ARREARS_BANDS = [
    ("NONE", gettext_lazy("Tanpa tunggakan")),
    ("D1_30", gettext_lazy("1–30 hari")),
    ("D31_60", gettext_lazy("31–60 hari")),
    ("D61_90", gettext_lazy("61–90 hari")),
    ("D90_PLUS", gettext_lazy("> 90 hari")),
]
# Upper bound (m³, inclusive) of each band but the last; aligned with the tariff blocks.
CONSUMPTION_BANDS = [
    ("NONE", gettext_lazy("Belum ada tagihan"), None),
    ("M0_10", gettext_lazy("0–10 m³"), 10),
    ("M11_20", gettext_lazy("11–20 m³"), 20),
    ("M21_40", gettext_lazy("21–40 m³"), 40),
    ("M40_PLUS", gettext_lazy("> 40 m³"), None),
]


def with_bands(connections: QuerySet, as_of: dt.date) -> QuerySet:
    """``arrears_band`` and ``consumption_band`` on every connection, in SQL."""
    oldest_due = (
        Bill.objects.filter(connection=OuterRef("pk"), status=BillStatus.OPEN, due_on__lt=as_of)
        .order_by("due_on")
        .values("due_on")[:1]
    )
    last_usage = (
        Bill.objects.filter(connection=OuterRef("pk")).order_by("-period").values("usage_m3")[:1]
    )
    days = dt.timedelta
    arrears = Case(
        When(oldest_due__isnull=True, then=Value("NONE")),
        When(oldest_due__gte=as_of - days(30), then=Value("D1_30")),
        When(oldest_due__gte=as_of - days(60), then=Value("D31_60")),
        When(oldest_due__gte=as_of - days(90), then=Value("D61_90")),
        default=Value("D90_PLUS"),
        output_field=CharField(),
    )
    consumption = Case(
        When(last_usage__isnull=True, then=Value("NONE")),
        *(
            When(last_usage__lte=upper, then=Value(code))
            for code, _label, upper in CONSUMPTION_BANDS
            if upper is not None
        ),
        default=Value("M40_PLUS"),
        output_field=CharField(),
    )
    return connections.annotate(
        oldest_due=Subquery(oldest_due), last_usage=Subquery(last_usage)
    ).annotate(arrears_band=arrears, consumption_band=consumption)


# --------------------------------------------------------------------------- segment rules


def tariff_choices() -> list:
    return list(TariffGroup.objects.order_by("code").values_list("code", "name"))


def arrears_choices() -> list:
    return list(ARREARS_BANDS)


def consumption_choices() -> list:
    return [(code, label) for code, label, _upper in CONSUMPTION_BANDS]


def _connection_of_customer() -> QuerySet:
    return Connection.objects.filter(customer=OuterRef("pk"))


def tariff_condition(codes: list) -> Exists:
    return Exists(_connection_of_customer().filter(tariff_group__code__in=codes))


def arrears_condition(codes: list) -> Exists:
    banded = with_bands(_connection_of_customer(), timezone.localdate())
    return Exists(banded.filter(arrears_band__in=codes))


def consumption_condition(codes: list) -> Exists:
    banded = with_bands(_connection_of_customer(), timezone.localdate())
    return Exists(banded.filter(consumption_band__in=codes))


# --------------------------------------------------------------------------- dashboard widgets


def _active(branch_ids) -> QuerySet:
    return Connection.objects.filter(branch_id__in=branch_ids, status=ConnectionStatus.ACTIVE)


def arrears_compute(branch_ids, now: dt.datetime) -> Iterable[Figure]:
    """Active connections per branch and arrears band, as of ``now``'s date."""
    rows = (
        with_bands(_active(branch_ids), timezone.localdate(now))
        .values("branch_id", "arrears_band")
        .annotate(n=Count("pk"))
        .order_by()
    )
    for r in rows:
        yield Figure(r["branch_id"], r["arrears_band"], "", r["n"])


def _totals(figures) -> dict:
    totals: dict = defaultdict(int)
    for f in figures:
        totals[f.series] += f.value
    return totals


def arrears_present(figures: list[Figure], branch_labels: dict) -> WidgetTable:
    totals = _totals(figures)
    rows = [[str(label), totals[code]] for code, label in ARREARS_BANDS]
    return WidgetTable([_("Umur tunggakan"), _("Pelanggan aktif")], rows)


def tariff_compute(branch_ids, now: dt.datetime) -> Iterable[Figure]:
    """Active connections per branch and tariff group."""
    rows = (
        _active(branch_ids)
        .values("branch_id", code=Coalesce("tariff_group__code", Value("")))
        .annotate(n=Count("pk"))
        .order_by()
    )
    for r in rows:
        yield Figure(r["branch_id"], r["code"], "", r["n"])


def tariff_present(figures: list[Figure], branch_labels: dict) -> WidgetTable:
    totals = _totals(figures)
    names = dict(tariff_choices())
    rows = [
        [f"{code} — {names.get(code, '')}".strip(" —"), totals[code]] for code in sorted(totals)
    ]
    return WidgetTable([_("Golongan tarif"), _("Pelanggan aktif")], rows)
