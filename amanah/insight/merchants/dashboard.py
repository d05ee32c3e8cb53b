"""The merchant conversion widget (dashboards' widget contract): per city of the merchant,
recommendations sent, clicked and converted over the last 12 months, with the click and
conversion rates. Computed per branch of the customer by the dashboards' refresh job only;
counts 1–4 are shown as "< 5" by the dashboards. Per merchant, the same figures are
``selectors.conversion_by_merchant`` (scoped by the reader's customers)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.db.models import Count, Q
from django.utils.translation import gettext as _

from amanah.core.contributions import Figure, Ratio, WidgetTable
from amanah.insight.merchants.models import MerchantRecommendation, RecommendationStatus

WINDOW = timedelta(days=365)
MEASURES = ("sent", "clicked", "converted")
CITY_CHARS = 30  # the series is "<city>|<measure>" in 40 characters


def compute(branch_ids, now: datetime) -> Iterable[Figure]:
    rows = (
        MerchantRecommendation.objects.filter(
            customer__home_branch_id__in=branch_ids,
            created_at__gte=now - WINDOW,
            created_at__lte=now,
            sent_at__isnull=False,
        )
        .values("customer__home_branch_id", "merchant__city")
        .annotate(
            sent=Count("pk"),
            clicked=Count("pk", filter=Q(clicked_at__isnull=False)),
            converted=Count("pk", filter=Q(status=RecommendationStatus.CONVERTED)),
        )
    )
    for r in rows:
        city = r["merchant__city"][:CITY_CHARS]
        for measure in MEASURES:
            yield Figure(r["customer__home_branch_id"], f"{city}|{measure}", "", r[measure])


def present(figures: list[Figure], branch_labels: dict) -> WidgetTable:
    totals: dict = defaultdict(int)
    cities = set()
    for f in figures:
        city, _sep, measure = f.series.rpartition("|")
        cities.add(city)
        totals[(city, measure)] += f.value
    rows = []
    for city in sorted(cities):
        sent, clicked, converted = (totals[(city, m)] for m in MEASURES)
        if sent:
            rows.append([city, sent, clicked, converted, Ratio(converted, sent)])
    header = [_("Kota"), _("Terkirim"), _("Diklik"), _("Bertransaksi"), _("Konversi (%)")]
    return WidgetTable(header, rows, chart_columns=(4,), parts=((2, 1), (3, 1)))
