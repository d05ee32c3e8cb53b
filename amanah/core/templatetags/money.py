"""``{{ amount|rupiah }}`` → ``Rp 1.500.000``; ``{{ amount|rupiah_input }}`` → ``1.500.000``, the
value of an input that holds rupiah, which reads back the same when the form is sent again
(``core.money``: the Indonesian grouping whatever the page's language)."""

from django import template

from amanah.core.money import format_rupiah

register = template.Library()


@register.filter
def rupiah_input(value) -> str:
    if value in (None, ""):
        return ""
    return format_rupiah(value)


@register.filter
def rupiah(value) -> str:
    text = rupiah_input(value)
    return f"Rp {text}" if text else ""
