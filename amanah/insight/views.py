"""Insight pages: the RFM runs (ADMIN) with the segment counts and the movement since the
previous run, and "Hitung sekarang"."""

from __future__ import annotations

from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from amanah.core.view_helpers import run_action
from amanah.core.views import requires
from amanah.insight import selectors, services
from amanah.insight.policies import RFM_RUN
from amanah.insight.rules import Segment


def _segment_rows(run) -> list[dict]:
    total = max(run.customers, 1)
    return [
        {
            "code": code,
            "label": label,
            "customers": run.counts.get(code, 0),
            "share": 100 * run.counts.get(code, 0) / total,
        }
        for code, label in Segment.choices
    ]


@requires(RFM_RUN)
def rfm_runs(request):
    runs = selectors.rfm_run_list(actor=request.user)
    latest = runs[0] if runs else None
    labels = dict(Segment.choices)
    movement = [
        {**m, "from_label": labels.get(m["from"], "—"), "to_label": labels[m["to"]]}
        for m in (selectors.rfm_movement(actor=request.user, run=latest) if latest else [])
    ]
    return render(
        request,
        "insight/rfm_runs.html",
        {
            "runs": runs,
            "latest": latest,
            "segments": _segment_rows(latest) if latest else [],
            "movement": movement,
        },
    )


@requires(RFM_RUN)
@require_POST
def rfm_run_now(request):
    def run():
        done = services.rfm_run_compute(actor=request.user, trigger="MANUAL")
        return _("RFM dihitung untuk %(n)s nasabah dalam %(s).1f detik.") % {
            "n": done.customers,
            "s": done.seconds,
        }

    return run_action(request, run, back=reverse("insight:rfm_runs"))
