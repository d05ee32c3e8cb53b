"""``{% sla_badge case now %}``: the one SLA helper (``cases.sla.sla_view``) for templates —
the badge every case list and the case page show: state, deadline with its zone, countdown.
A tag rather than an included template: a queue page shows fifty of them, and an include per
row cost a quarter of the page's CPU."""

from django import template

from amanah.cases import sla
from amanah.core.markup import format_html
from amanah.core.zones import datetime_text

register = template.Library()


@register.simple_tag
def sla_badge(case, now) -> str:
    view = sla.sla_view(case, now)
    due = datetime_text(view.due_at)  # "" without a deadline
    countdown = (
        format_html(' · <span class="sla-countdown">{}</span>', view.countdown)
        if view.countdown
        else ""
    )
    return format_html(
        '<span class="sla sla-{}" data-testid="sla" data-state="{}">'
        '<span class="badge sla-badge">{}</span> {}{}</span>',
        str(view.state).lower(),
        view.state,
        view.label,
        due,
        countdown,
    )
