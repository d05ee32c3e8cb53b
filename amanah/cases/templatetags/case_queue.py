"""``{% queue_rows rows now can_assign %}``: the rows of the case queue, built in Python.

The queue shows fifty cases of eight cells each; through the Django template engine (a
``{% url %}``, two ``display`` filters, a ``{% translate %}`` and a dozen variable lookups per
row) its rows were two thirds of the page's CPU (``bench.load.profile_requests``, docs/
benchmarks.md "third step"). Here each row is one ``format_html``: the same cells, every value
escaped, the words translated once per page. The header and the empty row stay in the template.
"""

from django import template
from django.utils.safestring import mark_safe
from django.utils.translation import gettext

from amanah.cases.templatetags.case_sla import sla_badge
from amanah.core.choices import page_labels
from amanah.core.markup import format_html, format_html_join
from amanah.core.templatetags.addresses import addresses_for

register = template.Library()

ROW = (
    '<tr>{}<td><a href="{}">{}</a></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>'
    "<td>{}</td></tr>"
)
PICK = (
    '<td><input type="checkbox" name="case_ids" value="{}" form="bulk-assign" '
    'aria-label="{} {}"></td>'
)


EMPTY_CELL = mark_safe("<td></td>")  # noqa: S308 (a constant, no value in it)


@register.simple_tag
def queue_rows(rows, now, can_assign) -> str:
    pick_label = gettext("Pilih")
    detail = addresses_for("cases:detail")
    label = page_labels()
    return format_html_join(
        "\n", ROW, (_cells(case, now, can_assign, pick_label, detail, label) for case in rows)
    )


def _cells(case, now, can_assign: bool, pick_label: str, detail, label) -> tuple:
    pick = ""
    if can_assign:
        pick = format_html(PICK, case.pk, pick_label, case.case_no) if case.is_open else ""
        pick = pick or EMPTY_CELL
    category = case.category
    assignee = case.assigned_to
    return (
        pick,
        detail(case.pk),
        case.case_no,
        case.customer_shown,
        category.name if category else "",
        label(case, "priority"),
        label(case, "status"),
        sla_badge(case, now),
        (assignee.full_name if assignee else "") or "—",
    )
