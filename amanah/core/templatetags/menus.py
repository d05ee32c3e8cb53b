"""``{% menu_links nav_main %}``: the entries of a menu section as ``<li><a>`` items, each with
its badge ("3 menunggu"). One markup for the three sections of the page header (the main
menu, the admin drop-down and the links beside the user's name), which the header wrote out
three times; and a tag rather than a template loop: every signed-in page shows the menu, and
its loops were about a tenth of a search page's Python (``bench.load.profile_requests``)."""

from __future__ import annotations

import functools
from html import escape

from django import template
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import slugify
from django.utils.translation import ngettext

register = template.Library()


@register.simple_tag
def menu_links(entries, named: bool = False) -> SafeString:
    """``named``: each link carries ``data-testid="nav-<entry>"`` (the profile section's)."""
    return mark_safe("".join(_link(entry, named) for entry in entries))  # noqa: S308 (escaped)


def _link(entry, named: bool) -> str:
    # Every value escaped here (``html.escape``, as Django's ``escape`` does underneath);
    # ``format_html`` per value cost more than the rest of the link.
    slug = _slug(entry.item.url_name)
    testid = f' data-testid="nav-{slug}"' if named else ""
    badge = ""
    if entry.badge:
        waiting = ngettext("%(n)s menunggu", "%(n)s menunggu", entry.badge) % {"n": entry.badge}
        badge = (
            f' <span class="nav-badge" data-testid="nav-badge-{slug}" title="{escape(waiting)}">'
            f"{escape(entry.badge_text)}</span>"
        )
    label = escape(str(entry.item.label))
    return f'<li><a href="{escape(entry.url)}"{testid}>{label}{badge}</a></li>'


@functools.lru_cache(maxsize=256)
def _slug(url_name: str) -> str:
    return escape(slugify(url_name))
