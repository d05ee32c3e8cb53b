"""The Next Best Action widget (dashboards' widget contract): per action type, the
recommendations decided on over the last 12 months, how many were accepted, how many of the
accepted have settled and how many of those succeeded — the acceptance rate (accepted of
decided) and the success rate (SUCCESS of settled). Computed per home branch of the customer
by the dashboards' refresh job only; the page shows the branches in the reader's scope, and
counts 1–4 as "< 5". The rules page shows the same rates over the decisions the reader may
see (``selectors.rates_by_action_type``)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.db.models import Count, Q
from django.utils.translation import gettext as _

from amanah.core.contributions import Figure, Ratio, WidgetTable
from amanah.insight.nba.models import ActionType, Decision, NbaDecision, Outcome

WINDOW = timedelta(days=365)
MEASURES = ("decided", "accepted", "settled", "success")


def compute(branch_ids, now: datetime) -> Iterable[Figure]:
    rows = (
        NbaDecision.objects.filter(
            customer__home_branch_id__in=branch_ids,
            decided_at__gte=now - WINDOW,
            decided_at__lte=now,
        )
        .values("customer__home_branch_id", "action_type")
        .annotate(
            decided=Count("pk"),
            accepted=Count("pk", filter=Q(decision=Decision.ACCEPTED)),
            settled=Count(
                "pk",
                filter=Q(decision=Decision.ACCEPTED, outcome__in=[Outcome.SUCCESS, Outcome.FAILED]),
            ),
            success=Count("pk", filter=Q(decision=Decision.ACCEPTED, outcome=Outcome.SUCCESS)),
        )
    )
    for r in rows:
        for measure in MEASURES:
            series = f"{r['action_type']}:{measure}"
            yield Figure(r["customer__home_branch_id"], series, "", r[measure])


def present(figures: list[Figure], branch_labels: dict) -> WidgetTable:
    totals: dict = defaultdict(int)
    for f in figures:
        totals[f.series] += f.value
    rows = []
    for code, label in ActionType.choices:
        decided, accepted, settled, success = (totals[f"{code}:{m}"] for m in MEASURES)
        if decided:
            rows.append(
                [
                    label,
                    decided,
                    accepted,
                    settled,
                    success,
                    Ratio(accepted, decided),
                    Ratio(success, settled),
                ]
            )
    header = [
        _("Jenis aksi"),
        _("Diputuskan"),
        _("Diterima"),
        _("Hasil tercatat"),
        _("Berhasil"),
        _("Tingkat penerimaan (%)"),
        _("Tingkat keberhasilan (%)"),
    ]
    # accepted is a part of decided, settled of accepted, success of settled
    return WidgetTable(header, rows, chart_columns=(5, 6), parts=((2, 1), (3, 2), (4, 3)))
