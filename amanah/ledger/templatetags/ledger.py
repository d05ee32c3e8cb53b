"""``{{ amount|rupiah }}`` → ``Rp 1.500.000`` (whole rupiah, Indonesian grouping)."""

from django import template

from amanah.core.fields import format_rupiah

register = template.Library()


@register.filter
def rupiah(value) -> str:
    if value in (None, ""):
        return ""
    return f"Rp {format_rupiah(int(value))}"
