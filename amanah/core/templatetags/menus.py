"""``{% menu_links nav_main %}``: the entries of a menu section as ``<li><a>`` items, each with
its badge ("3 menunggu"). One markup for the three sections of the page header (the main
menu, the admin drop-down and the links beside the user's name), which the header wrote out
three times; and a tag rather than a template loop: every signed-in page shows the menu, and
its loops were about a tenth of a search page's Python (``bench.load.profile_requests``)."""

from __future__ import annotations

import functools

from django import template
from django.utils.safestring import SafeString
from django.utils.text import slugify
from django.utils.translation import ngettext, trans_real

from amanah.core.markup import format_html

register = template.Library()


# An entry's markup depends only on the entry, its badge count and the active catalogue (its
# label and "menunggu" translated): kept per those, every page shows the same few dozen
# entries (translating and escaping them anew was about 3 % of a page's Python).
_KEPT: dict[tuple, tuple] = {}  # key -> (the item, its markup)
_KEPT_MAX = 4096


@register.simple_tag
def menu_links(entries, named: bool = False) -> SafeString:
    """``named``: each link carries ``data-testid="nav-<entry>"`` (the profile section's)."""
    catalog = trans_real.catalog()
    return SafeString("".join(_kept_link(entry, named, catalog) for entry in entries))


def _kept_link(entry, named: bool, catalog) -> SafeString:
    # The item by identity (hashing it would translate its lazy label), kept alive beside it.
    key = (id(entry.item), entry.url, entry.badge, named, catalog)
    kept = _KEPT.get(key)
    if kept is None or kept[0] is not entry.item:
        if len(_KEPT) >= _KEPT_MAX:
            _KEPT.clear()
        kept = _KEPT[key] = (entry.item, _link(entry, named))
    return kept[1]


def _link(entry, named: bool) -> SafeString:
    slug = _slug(entry.item.url_name)
    testid = format_html(' data-testid="nav-{}"', slug) if named else ""
    badge = ""
    if entry.badge:
        waiting = ngettext("%(n)s menunggu", "%(n)s menunggu", entry.badge) % {"n": entry.badge}
        badge = format_html(
            ' <span class="nav-badge" data-testid="nav-badge-{}" title="{}">{}</span>',
            slug,
            waiting,
            entry.badge_text,
        )
    return format_html(
        '<li><a href="{}"{}>{}{}</a></li>', entry.url, testid, entry.item.label, badge
    )


@functools.lru_cache(maxsize=256)
def _slug(url_name: str) -> str:
    return slugify(url_name)
