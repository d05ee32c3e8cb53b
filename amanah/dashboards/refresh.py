"""The refresh job's work: every registered widget's figures, branch batch by branch batch.

Set-based and idempotent: for a batch of branches (``BATCH`` at a time, by primary key) each
widget's ``compute`` runs its GROUP BY queries, and the batch's stored figures are replaced
(delete + insert) in one transaction, so a reader sees a branch's old figures or its new ones,
never half. Running it twice gives the same table; a branch without any figure any more loses
its old rows; a widget no longer registered loses all of its rows. Two jobs never overlap (the
task's lock), and a run started by hand beside one writes one batch at a time with it (an
advisory lock per batch transaction); a run interrupted between batches leaves each branch
consistent and the next run redoes everything.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import connection, transaction
from django.utils import timezone

from amanah.core import registry
from amanah.dashboards.models import WidgetFigure
from amanah.iam.models import Branch

BATCH = 50
LOCK = "dashboards.refresh"  # a transaction's advisory lock: one batch is written at a time


@dataclass
class RefreshResult:
    branches: int = 0
    figures: int = 0
    batches: int = 0


def _refresh_batch(branch_ids: list, now: datetime) -> int:
    figures = []
    computed: dict = {}  # two widgets may show the same figures (volume and its trend)
    with transaction.atomic():
        # A run started by hand (``dashboards_refresh()`` from a shell or a test) may meet the
        # job's: without this lock both would delete the batch's rows, and the second insert
        # would hit the unique constraint on the first's new rows.
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", [LOCK])
        for key, widget in registry.dashboard_widgets.items():
            if widget.compute not in computed:
                computed[widget.compute] = list(widget.compute(branch_ids, now))
            figures.extend(
                WidgetFigure(
                    widget=key,
                    branch_id=f.branch_id,
                    series=f.series,
                    bucket=f.bucket,
                    value=f.value,
                    computed_at=now,
                )
                for f in computed[widget.compute]
                if f.value
            )
        WidgetFigure.objects.filter(branch_id__in=branch_ids).delete()
        WidgetFigure.objects.bulk_create(figures, batch_size=1000)
    return len(figures)


def dashboards_refresh(*, now: datetime | None = None, batch: int = BATCH) -> RefreshResult:
    """Recompute every widget's figures for every branch, ``batch`` branches per transaction.
    Zero counts are not stored (a missing figure reads as 0)."""
    now = now or timezone.now()
    result = RefreshResult()
    WidgetFigure.objects.exclude(
        widget__in=[k for k, _w in registry.dashboard_widgets.items()]
    ).delete()
    after = None
    while True:
        ids = Branch.objects.order_by("pk")
        if after is not None:
            ids = ids.filter(pk__gt=after)
        ids = list(ids.values_list("pk", flat=True)[:batch])
        if not ids:
            return result
        result.figures += _refresh_batch(ids, now)
        result.branches += len(ids)
        result.batches += 1
        after = ids[-1]
