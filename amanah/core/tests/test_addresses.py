"""Addresses resolved once: ``{% url %}`` without arguments (core/templatetags/addresses.py)
and the static files' manifest addresses (core/staticfiles.py) give what Django gives, keyed
on what they depend on."""

from __future__ import annotations

import json
import uuid

import pytest
from django.template import engines
from django.test import override_settings
from django.urls import NoReverseMatch, reverse, set_script_prefix

from amanah.core.staticfiles import StaticFilesStorage
from amanah.core.templatetags import addresses


def _render(text: str, **context) -> str:
    return engines["django"].from_string(text).render(context)


def test_the_url_tag_is_ours_and_answers_as_djangos():
    template = engines["django"].from_string("{% url 'core:home' %}")
    assert isinstance(template.template.nodelist[0], addresses.AddressNode)
    assert _render("{% url 'core:home' %}") == reverse("core:home")
    assert _render("{% url 'iam:logout' as out %}[{{ out }}]") == f"[{reverse('iam:logout')}]"
    name = "iam:profile"
    assert _render("{% url name %}", name=name) == reverse(name)


def test_a_url_with_arguments_is_resolved_by_django_each_time():
    one = "00000000-0000-0000-0000-000000000001"
    two = "00000000-0000-0000-0000-000000000002"
    text = "{% url 'customers:edit' pk %}"
    assert _render(text, pk=one) == reverse("customers:edit", args=[one])
    assert _render(text, pk=two) == reverse("customers:edit", args=[two])


def test_uuid_arguments_fill_an_address_resolved_once_per_route():
    """``customer360:workspace`` / ``iam:token_revoke``: one and two UUIDs, each its own."""
    first, second, third = (uuid.uuid4() for _ in range(3))
    addresses._uuid_address.cache_clear()
    one = "{% url 'customer360:workspace' pk %}"
    assert _render(one, pk=first) == reverse("customer360:workspace", args=[first])
    assert _render(one, pk=second) == reverse("customer360:workspace", args=[second])
    two = "{% url 'iam:token_revoke' a b %}[{% url 'iam:token_revoke' b a as back %}{{ back }}]"
    assert _render(two, a=first, b=third) == (
        reverse("iam:token_revoke", args=[first, third])
        + f"[{reverse('iam:token_revoke', args=[third, first])}]"
    )
    cached = addresses._uuid_address.cache_info()
    assert (cached.misses, cached.hits) == (2, 2)  # each route resolved once
    # A route that takes no UUID there (an integer), or too few arguments: Django's answer.
    with pytest.raises(NoReverseMatch):
        _render("{% url 'audit:detail' pk %}", pk=first)
    assert _render("{% url 'audit:detail' 7 %}") == reverse("audit:detail", args=[7])
    with pytest.raises(NoReverseMatch):
        _render("{% url 'iam:token_revoke' a %}", a=first)
    try:
        set_script_prefix("/crm/")
        under = _render(one, pk=first)
        assert under == reverse("customer360:workspace", args=[first])
        assert under.startswith("/crm/customers/")
    finally:
        set_script_prefix("/")


def test_addresses_for_builds_rows_addresses_as_reverse_does():
    """The Python side (queue rows, search hits): one route resolved, many keys put in."""
    first, second = uuid.uuid4(), uuid.uuid4()
    workspace = addresses.addresses_for("customer360:workspace")
    assert workspace(first) == reverse("customer360:workspace", args=[first])
    assert workspace(second) == reverse("customer360:workspace", args=[second])
    revoke = addresses.addresses_for("iam:token_revoke", 2)
    assert revoke(second, first) == reverse("iam:token_revoke", args=[second, first])
    with pytest.raises(NoReverseMatch):
        addresses.addresses_for("customer360:workspace", 2)
    with pytest.raises(ValueError):  # a key short: refused, not a stand-in left in the text
        revoke(first)


def test_an_unknown_name_fails_as_djangos_does():
    with pytest.raises(NoReverseMatch):
        _render("{% url 'nowhere:at-all' %}")
    assert _render("{% url 'nowhere:at-all' as gone %}[{{ gone }}]") == "[]"


def test_the_address_follows_the_script_prefix():
    """Kept per script prefix: an app mounted under /crm/ never gets the root's address."""
    at_root = _render("{% url 'core:home' %}")
    try:
        set_script_prefix("/crm/")
        under = _render("{% url 'core:home' %}")
    finally:
        set_script_prefix("/")
    assert under == "/crm" + at_root
    assert _render("{% url 'core:home' %}") == at_root


def _storage(tmp_path, paths: dict) -> StaticFilesStorage:
    manifest = {"paths": paths, "version": "1.1", "hash": "x"}
    (tmp_path / "staticfiles.json").write_text(json.dumps(manifest), encoding="utf-8")
    return StaticFilesStorage(location=str(tmp_path), base_url="/static/")


@override_settings(DEBUG=False)
def test_a_static_address_is_the_manifests_and_kept_until_collectstatic(tmp_path):
    storage = _storage(tmp_path, {"css/app.css": "css/app.1a2b.css"})
    assert storage.url("css/app.css") == "/static/css/app.1a2b.css"
    storage.hashed_files["css/app.css"] = "css/app.3c4d.css"  # kept: the manifest is fixed
    assert storage.url("css/app.css") == "/static/css/app.1a2b.css"
    list(storage.post_process({}, dry_run=True))  # collectstatic: addresses resolved anew
    storage.hashed_files["css/app.css"] = "css/app.3c4d.css"
    assert storage.url("css/app.css") == "/static/css/app.3c4d.css"
    with pytest.raises(ValueError, match="Missing staticfiles manifest entry"):
        storage.url("js/missing.js")
    assert all("missing" not in name for name, _ in storage._urls)


@override_settings(DEBUG=True)
def test_static_addresses_are_not_kept_in_debug(tmp_path):
    storage = _storage(tmp_path, {"css/app.css": "css/app.1a2b.css"})
    assert storage.url("css/app.css") == "/static/css/app.css"
    assert storage._urls == {}


@pytest.mark.parametrize(
    "text",
    [
        '{% load i18n %}{% translate "Keluar" %}',
        '{% load i18n %}{% trans "Keluar" %}',
        '{% load i18n %}{% translate "Keluar" as label %}[{{ label }}]',
        '{% load i18n %}{% translate "100% <b>aman</b>" %}',
        '{% load i18n %}{% translate "Keluar"|upper %}',
        '{% load i18n %}{% translate "Keluar" noop %}',
        '{% load i18n %}{% translate "Mei" context "month name" %}',
        "{% load i18n %}{% translate word %}",
        '{% load i18n %}{% autoescape off %}{% translate "a < b" %}{% endautoescape %}',
    ],
)
@pytest.mark.parametrize("language", ["id", "en"])
def test_translate_answers_as_djangos_in_each_language(text, language):
    """``{% load i18n %}`` is ours (core/templatetags/translations.py): the same text, escaping
    and safety as Django's own library, in both languages."""
    from django.template import Context, Engine
    from django.utils import translation

    ours = engines["django"].from_string(text)
    django_own = Engine(libraries={"i18n": "django.templatetags.i18n"}).from_string(text)
    context = {"word": "<Keluar>"}
    with translation.override(language):
        assert ours.render(context) == django_own.render(Context(context))


def test_a_literal_is_translated_by_our_node_in_the_active_language():
    from django.utils import translation

    from amanah.core.templatetags import translations

    template = engines["django"].from_string('{% load i18n %}{% translate "Keluar" %}')
    assert isinstance(template.template.nodelist[-1], translations.TranslateNode)
    with translation.override("en"):
        assert template.render({}) == "Sign out"
    with translation.override("id"):
        assert template.render({}) == "Keluar"


def test_a_literal_kept_on_its_node_follows_the_language_the_block_and_the_profile():
    from django.utils import translation

    from amanah.core.testing import profile_active

    template = engines["django"].from_string(
        '{% load i18n %}{% translate "Cari nasabah" %} · '
        '{% language "en" %}{% translate "Cari nasabah" %}{% endlanguage %} · '
        '{% translate "Cari nasabah" as label %}{{ label }}'
    )
    for _round in range(2):  # the second round answers from the kept texts
        with translation.override("id"):
            assert template.render({}) == "Cari nasabah · Search customers · Cari nasabah"
        with translation.override("en"):
            assert template.render({}) == "Search customers · Search customers · Search customers"
    with profile_active("pdam"), translation.override("id"):
        assert template.render({}) == "Cari pelanggan · Search customers · Cari pelanggan"
    with translation.override("id"):
        assert template.render({}).startswith("Cari nasabah · ")


def test_the_one_template_library_installed_twice_is_our_i18n():
    """templates.W003 is silenced for the ``i18n`` replacement alone: any other library name
    installed twice (two apps' ``templatetags`` modules of one name) still fails here."""
    warnings = engines["django"]._check_for_template_tags_with_the_same_name()
    assert [w.id for w in warnings] == ["templates.W003"]
    assert "'i18n' is used for multiple" in warnings[0].msg
