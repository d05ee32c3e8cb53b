"""``{% case_sla case now as s %}``: the one SLA helper (``cases.sla.sla_view``) for templates."""

from django import template

from amanah.cases import sla

register = template.Library()


@register.simple_tag
def case_sla(case, now) -> sla.SlaView:
    return sla.sla_view(case, now)
