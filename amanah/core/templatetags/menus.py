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
from django.utils.translation import ngettext

from amanah.core.markup import format_html

register = template.Library()


@register.simple_tag
def menu_links(entries, named: bool = False) -> SafeString:
    """``named``: each link carries ``data-testid="nav-<entry>"`` (the profile section's)."""
    return SafeString("".join(_link(entry, named) for entry in entries))


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
