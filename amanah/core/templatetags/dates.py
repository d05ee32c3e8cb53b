"""``{{ moment|when }}``: a moment in the reader's zone in the one format pages show
("27 Nov 2026 14:05 WIB", ``core.zones.datetime_text``), as ``|date:"j M Y H:i T"`` wrote it
at a fraction of its cost. A template builtin (``TEMPLATES`` ``builtins``): no ``load``."""

from django import template

from amanah.core.zones import datetime_text

register = template.Library()


@register.filter
def when(value) -> str:
    return datetime_text(value)
