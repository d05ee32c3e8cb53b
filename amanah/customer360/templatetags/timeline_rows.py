"""``{% timeline_rows events %}``: the 360 timeline's lines, built in Python.

The 360 page shows twenty events and the timeline tab up to fifty, each a line of a date
filter, a ``lower`` filter, the kind's label and four conditional parts; through the Django
template engine that was the largest share of the page's template time
(``bench.load.profile_requests``, docs/benchmarks.md). Here each line is one ``format_html``:
the same markup, every value escaped, the date in the current time zone as the ``date``
filter gives it. The list and its empty line stay in the template.
"""

from django import template

from amanah.core.markup import format_html, format_html_join
from amanah.core.zones import datetime_text

register = template.Library()

LINE = (
    '<li class="event event-{}" data-kind="{}"><time>{}</time> <span class="badge">{}</span> '
    "<strong>{}</strong>{}{}</li>"
)


@register.simple_tag
def timeline_rows(events) -> str:
    labels: dict[str, str] = {}
    return format_html_join("\n", LINE, (_parts(e, labels) for e in events))


def _parts(event, labels: dict[str, str]) -> tuple:
    kind = event.kind
    if kind not in labels:  # the registered label, or the code itself (``kind_label``)
        labels[kind] = event.kind_label
    return (
        kind.lower(),
        kind,
        datetime_text(event.at),
        labels[kind],
        event.title,
        format_html("<br><small>{}</small>", event.detail) if event.detail else "",
        format_html(' <small class="muted">— {}</small>', event.actor) if event.actor else "",
    )
