"""``{% sla_badge case now %}``: the one SLA helper (``cases.sla.sla_view``) for templates —
the badge every case list and the case page show: state, deadline with its zone, countdown.
A tag rather than an included template: a queue page shows fifty of them, and an include per
row cost a quarter of the page's CPU."""

import functools

from django import template
from django.template.defaultfilters import date as date_filter
from django.utils.html import format_html
from django.utils.timezone import template_localtime
from django.utils.translation import get_language

from amanah.cases import sla

register = template.Library()

DEADLINE_FORMAT = "j M Y H:i T"


def deadline_text(due) -> str:
    """``due`` as ``DEADLINE_FORMAT`` shows it in the current zone ("27 Nov 2026 14:05 WIB").
    Django's date formatting, read letter by letter, was most of a badge's time (fifty badges
    on a queue page): the day's part is formatted once per day and language, the time and the
    zone's name are read off the value."""
    local = template_localtime(due)
    if local.tzinfo is None:  # a naive value: Django's own reading of it
        return date_filter(local, DEADLINE_FORMAT)
    return f"{_day_text(local.date(), get_language())} {local:%H:%M} {local.tzname() or ''}"


@functools.lru_cache(maxsize=1024)
def _day_text(day, _language: str) -> str:  # the language: the month's name is translated
    return date_filter(day, "j M Y")


@register.simple_tag
def sla_badge(case, now) -> str:
    view = sla.sla_view(case, now)
    due = deadline_text(view.due_at) if view.due_at else ""
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
