"""What a dashboard shows: the stored figures of the branches in the reader's scope, through
each widget's ``present``, with small counts suppressed before anything leaves this module.

Suppression (seed 003 Bab 6.3.1, aggregates only): a count from 1 to 4 is shown as "< 5" in
the table, the chart data (``null``) and the CSV alike; a percentage whose base or part is such a
count is hidden too ("—"). Subtraction must not undo it: where a widget declares one count a
part of another (``WidgetTable.parts``) or shows a share, a difference of 1 to 4 between the
whole and the part hides the part and the share ("—"): "20 resolved, 17 within SLA" would say
3 missed it. Zero is shown (it describes no one). Figures are read from the summary
table only (one indexed query per widget, and one for its refresh time), never from the base
tables.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Max
from django.utils.translation import gettext as _

from amanah.core import registry
from amanah.core.contributions import Figure, Panel, Ratio, Widget
from amanah.core.errors import NotFound
from amanah.dashboards.models import WidgetFigure
from amanah.dashboards.policies import DASHBOARD_COMPLIANCE, DASHBOARD_DIRECTOR
from amanah.iam import authz
from amanah.iam.models import Branch

SMALL_COUNT = 5
SUPPRESSED = "< 5"


@dataclass(frozen=True)
class Cell:
    text: str
    value: float | int | None  # what the chart plots; None when hidden


@dataclass
class Shown:
    """One widget as a page, a chart and a CSV see it (already suppressed)."""

    key: str
    widget: Widget
    header: list[str]
    rows: list[list[Cell]]
    computed_at: datetime | None
    chart: dict = field(default_factory=dict)

    @property
    def chart_id(self) -> str:
        """The id of the chart's JSON (``json_script``) that ``js/dashboards.js`` draws."""
        return "chart-" + self.key.replace(".", "-").replace("_", "-")


def _count(n: int) -> Cell:
    if 0 < n < SMALL_COUNT:
        return Cell(SUPPRESSED, None)
    return Cell(str(n), n)


def _ratio(r: Ratio) -> Cell:
    # The share would give back a hidden count (its base, its part next to the base, or the
    # rest of the base: 85 % of 20 is 3 missing).
    if r.whole < SMALL_COUNT or 0 < r.part < SMALL_COUNT or 0 < r.whole - r.part < SMALL_COUNT:
        return Cell("—", None)
    percent = round(100 * r.part / r.whole, 1)
    return Cell(f"{percent:.1f}", percent)


def _cell(value) -> Cell:
    if isinstance(value, Ratio):
        return _ratio(value)
    if isinstance(value, bool) or not isinstance(value, int):
        return Cell(str(value), None)
    return _count(value)


def _hide_small_differences(table, rows: list[list[Cell]]) -> None:
    """A part whose whole is 1–4 more than it is hidden: the two side by side are a small
    count by subtraction."""
    for part_column, whole_column in table.parts:
        for raw, row in zip(table.rows, rows, strict=True):
            part, whole = raw[part_column], raw[whole_column]
            if 0 < whole - part < SMALL_COUNT and row[part_column].value is not None:
                row[part_column] = Cell("—", None)


def _chart(widget: Widget, header: list[str], rows: list[list[Cell]], columns) -> dict:
    columns = columns or tuple(range(1, len(header)))
    return {
        "type": widget.chart,
        "labels": [row[0].text for row in rows],
        "datasets": [{"label": header[i], "data": [row[i].value for row in rows]} for i in columns],
    }


def _branch_labels(branch_ids) -> dict:
    return {
        pk: f"{code} · {name}"
        for pk, code, name in Branch.objects.filter(pk__in=branch_ids).values_list(
            "pk", "code", "name"
        )
    }


def widget_shown(actor, key: str, widget: Widget) -> Shown:
    figures = authz.filter_by_branch_scope(
        WidgetFigure.objects.filter(widget=key), actor, field="branch"
    )
    # The refresh time as one aggregate, not a timestamp per row: at 100 branches × 7
    # categories × 12 months, parsing 8,400 timestamps was most of a widget's time.
    found = [Figure(*row) for row in figures.values_list("branch_id", "series", "bucket", "value")]
    computed_at = figures.aggregate(at=Max("computed_at"))["at"] if found else None
    table = widget.present(found, _branch_labels({f.branch_id for f in found}))
    header = [str(h) for h in table.header]
    rows = [[_cell(v) if i else Cell(str(v), None) for i, v in enumerate(r)] for r in table.rows]
    _hide_small_differences(table, rows)
    return Shown(
        key, widget, header, rows, computed_at, _chart(widget, header, rows, table.chart_columns)
    )


def _may_see(actor, widget: Widget) -> bool:
    return not widget.personal_data and authz.has_perm(actor, widget.permission)


def director_dashboard(actor) -> list[Shown]:
    """The widgets the actor may see on the director's dashboard: no personal data, the
    widget's own permission held."""
    authz.require(actor, DASHBOARD_DIRECTOR)
    return [
        widget_shown(actor, key, widget)
        for key, widget in registry.dashboard_widgets.items()
        if _may_see(actor, widget)
    ]


def director_widget_get(actor, key: str) -> tuple[str, Widget]:
    """One widget of the director's dashboard; unknown, hidden by the deployment profile, not
    permitted or personal: 404."""
    authz.require(actor, DASHBOARD_DIRECTOR)
    if not isinstance(key, str) or not registry.dashboard_widgets.shows(key):
        raise NotFound(_("Widget tidak ditemukan."))
    widget = registry.dashboard_widgets.get(key)
    if not _may_see(actor, widget):
        raise NotFound(_("Widget tidak ditemukan."))
    return key, widget


@dataclass(frozen=True)
class ShownPanel:
    key: str
    panel: Panel
    context: dict


def compliance_dashboard(actor, now: datetime) -> list[ShownPanel]:
    """The live panels of the compliance dashboard whose permission the actor holds, each
    with its own (scoped, bounded) context."""
    authz.require(actor, DASHBOARD_COMPLIANCE)
    return [
        ShownPanel(key, panel, panel.context(actor, now))
        for key, panel in registry.dashboard_panels.items()
        if panel.dashboard == "compliance" and authz.has_perm(actor, panel.permission)
    ]
