"""The service-recovery dashboard widget (issue 15's widget contract): per offered action,
recoveries created, sent and claimed over the last 12 months, the recovery rate (sent of
created) and the redemption rate (claimed of sent). Computed per branch only by the
dashboards' refresh job; counts 1–4 are shown as "< 5" by the dashboards.

The cost is not in the widget: with one value per action, the rupiah claimed would give away
a count the "< 5" rule hides (Rp100.000 of Rp50.000 vouchers is two claims). The cost is in
``selectors.recovery_metrics``, scoped by the reader's cases."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.db.models import Count, Q
from django.utils.translation import gettext as _

from amanah.core.contributions import Figure, Ratio, WidgetTable
from amanah.insight.recovery.models import RecoveryAction, RecoveryStatus, ServiceRecovery

WINDOW = timedelta(days=365)
MEASURES = ("created", "sent", "claimed")


def compute(branch_ids, now: datetime) -> Iterable[Figure]:
    rows = (
        ServiceRecovery.objects.filter(
            branch_id__in=branch_ids, created_at__gte=now - WINDOW, created_at__lte=now
        )
        .values("branch_id", "action")
        .annotate(
            created=Count("pk"),
            sent=Count("pk", filter=Q(sent_at__isnull=False)),
            claimed=Count("pk", filter=Q(status=RecoveryStatus.CLAIMED)),
        )
    )
    for r in rows:
        for measure in MEASURES:
            yield Figure(r["branch_id"], f"{r['action']}:{measure}", "", r[measure])


def present(figures: list[Figure], branch_labels: dict) -> WidgetTable:
    totals: dict = defaultdict(int)
    for f in figures:
        totals[f.series] += f.value
    rows = []
    for code, label in RecoveryAction.choices:
        created, sent, claimed = (totals[f"{code}:{m}"] for m in MEASURES)
        if created:
            rows.append([label, created, sent, claimed, Ratio(sent, created), Ratio(claimed, sent)])
    header = [
        _("Tawaran"),
        _("Dibuat"),
        _("Dikirim"),
        _("Diklaim"),
        _("Tingkat pemulihan (%)"),
        _("Tingkat penebusan (%)"),
    ]
    # sent is a part of created, claimed a part of sent
    return WidgetTable(header, rows, chart_columns=(4, 5), parts=((2, 1), (3, 2)))
