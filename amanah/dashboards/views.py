"""The director's dashboard (also the director's home page) and each widget's CSV; the compliance
dashboard (compliance's home page): live panels read from the primary, a deadline being current."""

from __future__ import annotations

from django.shortcuts import render
from django.utils import timezone
from django.utils.formats import date_format

from amanah.core.exports import csv_response
from amanah.core.replica import reads_from_replica
from amanah.core.views import requires
from amanah.core.zones import zone_label
from amanah.dashboards import selectors, services
from amanah.dashboards.policies import DASHBOARD_COMPLIANCE, DASHBOARD_DIRECTOR


@reads_from_replica()
def _page(request):
    widgets = selectors.director_dashboard(request.user)
    return render(
        request,
        "dashboards/director.html",
        {"widgets": widgets, "zone": zone_label()},
    )


@requires(DASHBOARD_DIRECTOR)
def director(request):
    return _page(request)


def director_home(request):
    """The home page of a role holding DASHBOARD_DIRECTOR (``core.views.home`` checked it)."""
    return _page(request)


def _local(at) -> str:
    return date_format(timezone.localtime(at), "Y-m-d H:i") if at else ""


@requires(DASHBOARD_DIRECTOR)
@reads_from_replica()
def widget_csv(request, key: str):
    shown = services.widget_export(actor=request.user, key=key)
    zone = zone_label()
    header = [*shown.header, f"diperbarui ({zone})"]
    refreshed = _local(shown.computed_at)
    return csv_response(
        f"dasbor-{key.replace('.', '-')}.csv",
        header,
        ([*(cell.text for cell in row), refreshed] for row in shown.rows),
    )


def _compliance_page(request):
    panels = selectors.compliance_dashboard(request.user, timezone.now())
    return render(request, "dashboards/compliance.html", {"panels": panels, "zone": zone_label()})


@requires(DASHBOARD_COMPLIANCE)
def compliance(request):
    """Live panels with deadlines (a breach's notification timer), in the reader's zone."""
    return _compliance_page(request)


def compliance_home(request):
    """The home page of a role holding DASHBOARD_COMPLIANCE (``core.views.home`` checked it)."""
    return _compliance_page(request)
