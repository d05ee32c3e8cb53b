"""``{{ case|display:"status" }}``: what ``case.get_status_display`` shows, for rows in a loop
(:func:`amanah.core.choices.choice_label`)."""

from __future__ import annotations

from django import template

from amanah.core.choices import choice_label

register = template.Library()


@register.filter
def display(instance, name: str) -> str:
    return choice_label(instance, name)
