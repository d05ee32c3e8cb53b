"""``{{ case|display:"status" }}``: what ``case.get_status_display`` shows, for rows in a loop
(:func:`amanah.core.choices.choice_label`); ``{{ user.active_role|role_label }}``: a role's
name; ``{{ code|label_from:labels }}``: a code's label from a view's ``{code: label}``."""

from __future__ import annotations

from django import template

from amanah.core.choices import choice_label
from amanah.core.roles import RoleKey

register = template.Library()


@register.filter
def display(instance, name: str) -> str:
    return choice_label(instance, name)


@register.filter
def role_label(code) -> str:
    """``AGENT`` → "CS / Agen"; an unknown code is shown as it is."""
    try:
        return str(RoleKey(code).label)
    except ValueError:
        return code or ""


@register.filter
def label_from(code, labels) -> str:
    """The label of ``code`` in ``labels`` (a dict), or the code when it has none."""
    try:
        return str(labels.get(code, code))
    except AttributeError:
        return code
