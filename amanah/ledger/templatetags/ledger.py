"""``{{ amount|rupiah }}`` → ``Rp 1.500.000`` (whole rupiah, Indonesian grouping): the kernel's
filter (``core/templatetags/money.py``) under the name the ledger's pages load."""

from django import template

from amanah.core.templatetags.money import rupiah

register = template.Library()
register.filter("rupiah", rupiah)
