"""``{% search_hits hits %}``: the search results, built in Python.

A name search shows up to some twenty-five customers, each an article of two links, three or
four badges and a dozen variable lookups; through the Django template engine that was half of
the search's Python (``bench.load.profile_requests``, docs/benchmarks.md). Here each hit is one
``format_html``: the same markup, every value escaped, the words translated once per page and
the 360's address resolved once (``core.templatetags.addresses``). The empty answer stays in
the template.
"""

from django import template
from django.utils.safestring import SafeString
from django.utils.translation import gettext

from amanah.core.markup import format_html, format_html_join
from amanah.core.templatetags.addresses import addresses_for

register = template.Library()

HIT = (
    '<article class="result" data-testid="search-hit">\n  <header>\n'
    '    <a href="{}"><strong>{}</strong></a>\n    {}\n  </header>\n'
    "  <small>CIF {} · {} · {} {}</small>\n"
    '  <a role="button" class="small outline" href="{}">{}</a>\n</article>'
)
BADGE = '<span class="badge{}">{}</span>'
SEGMENT = '<span class="badge" title="{}">{}</span>'


@register.simple_tag
def search_hits(hits) -> str:
    words = {
        "EXACT": format_html(BADGE, " ok", gettext("Cocok persis")),
        "POSSIBLE_DUPLICATE": format_html(BADGE, " warn", gettext("Kemungkinan ganda")),
        "PARTIAL": format_html(BADGE, "", gettext("Sebagian")),
        "VIP": format_html(BADGE, " vip", "VIP"),
        "matched on": gettext("cocok pada"),
        "open": gettext("Buka Customer 360"),
        "360": addresses_for("customer360:workspace"),
    }
    return format_html_join("\n", HIT, (_parts(hit, words) for hit in hits))


def _parts(hit, words: dict) -> tuple:
    customer = hit.customer
    address = words["360"](customer.pk)
    badges = [words.get(hit.match, words["PARTIAL"])]
    if hit.possible_duplicate and hit.match == "EXACT":
        badges.append(words["POSSIBLE_DUPLICATE"])
    if customer.is_vip:
        badges.append(words["VIP"])
    if customer.segment_code:
        badges.append(format_html(SEGMENT, customer.segment_code, customer.segment_label))
    return (
        address,
        customer.full_name,
        SafeString(" ".join(badges)),  # each built safe above
        hit.masked_cif or "—",
        customer.home_branch.code,
        words["matched on"],
        hit.matched_on,
        address,
        words["open"],
    )
