"""The header's menu links (``{% menu_links %}``): one markup for the three sections, each
entry's badge counted and titled in the reader's language, every text escaped."""

from __future__ import annotations

from django.template import engines
from django.utils import translation

from amanah.core.contributions import NavItem
from amanah.core.navigation import BADGE_CAP, MenuEntry


def _render(entries, named: bool = False) -> str:
    source = "{% load menus %}" + (
        "{% menu_links entries named=True %}" if named else "{% menu_links entries %}"
    )
    return engines["django"].from_string(source).render({"entries": entries})


def _entry(label: str, url_name: str, badge: int = 0) -> MenuEntry:
    return MenuEntry(NavItem(label, url_name, "some.permission"), badge, f"/{url_name}/")


def test_an_entry_without_anything_waiting_is_a_plain_link():
    assert _render([_entry("Antrian", "cases:queue")]) == (
        '<li><a href="/cases:queue/">Antrian</a></li>'
    )


def test_a_badge_shows_the_count_and_says_what_waits_in_the_readers_language():
    entries = [_entry("Notifikasi", "notifications:inbox", 3), _entry("Tugas", "tasks:mine", 500)]
    with translation.override("id"):
        indonesian = _render(entries)
    with translation.override("en"):
        english = _render(entries)
    assert (
        '<span class="nav-badge" data-testid="nav-badge-notificationsinbox" '
        'title="3 menunggu">3</span>' in indonesian
    )
    assert 'title="3 waiting">3</span>' in english
    assert f'title="500 waiting">{BADGE_CAP - 1}+</span>' in english  # capped as the count is


def test_named_links_carry_their_test_id_and_every_text_is_escaped():
    html = _render([_entry('Saya <b>"', "iam:profile")], named=True)
    assert html == (
        '<li><a href="/iam:profile/" data-testid="nav-iamprofile">Saya &lt;b&gt;&quot;</a></li>'
    )


def test_a_kept_link_follows_its_language_badge_and_item():
    """An entry's markup is kept between pages; another language, count or item is not
    answered with it."""
    from django.utils.translation import gettext_lazy

    item = NavItem(gettext_lazy("Keluar"), "iam:logout", "some.permission")
    with translation.override("id"):
        first = _render([MenuEntry(item, 2, "/out/")])
        assert _render([MenuEntry(item, 2, "/out/")]) == first
        assert ">Keluar <span" in first and 'title="2 menunggu">2</span>' in first
        assert 'title="3 menunggu">3</span>' in _render([MenuEntry(item, 3, "/out/")])
    with translation.override("en"):
        assert ">Sign out <span" in _render([MenuEntry(item, 2, "/out/")])
    other = NavItem("Lain", "iam:logout", "some.permission")
    assert ">Lain <span" in _render([MenuEntry(other, 2, "/out/")])
