"""Deployment profiles (``core.profiles``, issue 17): the setting, the vocabulary, the modules a
profile hides, the PDAM roles' grants."""

from __future__ import annotations

import runpy

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from amanah.core import profile_catalogue, profiles, registry
from amanah.core.navigation import visible_items
from amanah.core.permissions import catalogue, is_declared
from amanah.core.roles import RoleKey as R
from amanah.core.testing import profile_active
from amanah.iam import authz
from amanah.iam.models import PermissionSeed, RolePermission
from amanah.iam.services.rbac import rbac_profile_grants_apply, rbac_seed_defaults

# --------------------------------------------------------------------------- the setting


def test_the_setting_defaults_to_the_bank():
    assert profiles.from_env({}) == "bank"
    assert profiles.from_env({"AMANAH_PROFILE": ""}) == "bank"
    assert profiles.from_env({"AMANAH_PROFILE": " PDAM "}) == "pdam"
    # The test suite runs as the default deployment: the house's catalogue only, the water
    # utility's modules hidden.
    assert settings.AMANAH_PROFILE == "bank"
    assert settings.LOCALE_PATHS == [profiles.BASE_DIR / "locale"]
    assert profiles.current().hidden_apps == {"utility", "payments", "ledger"}


def test_an_unknown_profile_is_refused_by_name():
    with pytest.raises(ImproperlyConfigured) as refused:
        profiles.from_env({"AMANAH_PROFILE": "telco"})
    assert "telco" in str(refused.value) and "bank, pdam" in str(refused.value)


def test_an_unknown_profile_stops_the_start(monkeypatch):
    """The settings module itself refuses it (run afresh, apart from the loaded settings): a
    clear message, no start with a default."""
    path = profiles.BASE_DIR / "settings.py"
    monkeypatch.setenv("AMANAH_PROFILE", "koperasi")
    with pytest.raises(ImproperlyConfigured, match="AMANAH_PROFILE='koperasi' is not a deployment"):
        runpy.run_path(str(path))
    monkeypatch.setenv("AMANAH_PROFILE", "pdam")
    pdam = runpy.run_path(str(path))
    assert pdam["AMANAH_PROFILE"] == "pdam"
    assert pdam["LOCALE_PATHS"] == [profiles.CATALOGUE_DIR / "pdam", profiles.BASE_DIR / "locale"]
    assert pdam["CASE_CLASSIFIER_PROFILE"] == "pdam"


# --------------------------------------------------------------------------- vocabulary


def test_the_vocabulary_follows_the_profile():
    assert gettext("Cari nasabah") == "Cari nasabah"
    assert str(R.RM.label) == "Relationship Manager"
    with profile_active("pdam"):
        assert gettext("Cari nasabah") == "Cari pelanggan"
        assert gettext("Nasabah") == "Pelanggan"
        assert str(R.RM.label) == "Teknisi"
        assert str(R.AGENT.label) == "Customer Service (CS)"
        assert str(R.COMPLIANCE.label) == "Keuangan / Kasir"
        assert str(R.SUPERVISOR.label) == "Supervisor Layanan"  # unchanged
        with translation.override("en"):
            assert gettext("Cari nasabah") == "Search customers"
            assert str(R.RM.label) == "Technician"
            assert str(R.COMPLIANCE.label) == "Finance / cashier"
    assert gettext("Cari nasabah") == "Cari nasabah"  # back to the bank's words


def test_the_profile_catalogue_is_up_to_date():
    """``make messages`` regenerates it; a changed source string must not leave it behind."""
    for language, text in profile_catalogue.build(profiles.PDAM).items():
        path = profile_catalogue.po_path(profiles.PDAM, language)
        assert path.read_text() == text, f"run `make messages` ({path})"
        assert path.with_suffix(".mo").exists()
    assert profile_catalogue.build(profiles.BANK) == {}


def test_the_catalogue_keeps_plurals_contexts_and_word_forms():
    source = """msgid ""
msgstr ""

msgctxt "menu"
msgid "Daftar nasabah"
msgstr "Customer list"

msgid "%(n)d nasabah"
msgid_plural "%(n)d nasabah"
msgstr[0] "%(n)d customer"
msgstr[1] "%(n)d customers"

msgid "Nasabahnya pindah"
msgstr "The customer moved"

msgid "Tanpa kata itu"
msgstr "Without that word"
"""
    po = profile_catalogue.build(profiles.PDAM, source)["id"]
    assert 'msgctxt "menu"\nmsgid "Daftar nasabah"\nmsgstr "Daftar pelanggan"' in po
    assert 'msgstr[0] "%(n)d pelanggan"\nmsgstr[1] "%(n)d pelanggan"' in po
    assert 'msgstr "Pelanggannya pindah"' in po
    assert "Tanpa kata itu" not in po


@pytest.mark.django_db
def test_pages_speak_the_profiles_vocabulary(signed_in):
    client, _user = signed_in(R.AGENT)
    bank = client.get(reverse("customer360:search")).content.decode()
    assert "Cari nasabah" in bank and "Cari pelanggan" not in bank
    with profile_active("pdam"):
        pdam = client.get(reverse("customer360:search")).content.decode()
    assert "Cari pelanggan" in pdam and "Cari nasabah" not in pdam


# --------------------------------------------------------------------------- modules


def _nav_keys(actor) -> set[str]:
    items = set(map(id, visible_items(actor)))
    return {key for key, item in registry.navigation._entries.items() if id(item.value) in items}


@pytest.mark.django_db
def test_the_pdam_profile_hides_the_bank_only_modules(signed_in):
    client, rm = signed_in(R.RM)
    supervisor_client, supervisor = signed_in(R.SUPERVISOR)
    assert "sales.board" in _nav_keys(rm)
    assert client.get(reverse("sales:board")).status_code == 200
    with profile_active("pdam"):
        assert not {k for k in _nav_keys(rm) | _nav_keys(supervisor) if k.startswith("sales.")}
        assert not {k for k, _v in registry.cards.items() if k.startswith(("insight.", "sales."))}
        assert "utility.connections" in _nav_keys(supervisor)
        # A hidden app's page answers like a missing one; the utility's pages stay.
        assert client.get(reverse("sales:board")).status_code == 404
        assert supervisor_client.get(reverse("utility:connections")).status_code == 200
        # Data stores are never filtered (merges, the UU PDP export see every app).
        for store in (registry.merge_movers, registry.subject_sections, registry.event_handlers):
            assert len(store.items()) == len(store._entries)
    assert client.get(reverse("sales:board")).status_code == 200


def test_entries_remember_the_app_that_registered_them():
    assert registry.navigation._entries["utility.connections"].app == "utility"
    assert registry.navigation._entries["sales.board"].app == "sales"
    with registry.navigation.temporarily("core.test_entry", object()):
        assert registry.navigation._entries["core.test_entry"].app == "core"


# --------------------------------------------------------------------------- roles


def test_every_pdam_grant_names_a_declared_permission_and_a_role():
    roles = {str(r) for r in R}
    for code, granted in profiles.PDAM.grants.items():
        assert is_declared(code), code
        assert set(granted) <= roles, code
    reading = catalogue()["utility.reading.record"]
    assert profiles.BANK.default_roles(reading) == reading.default_roles
    assert R.RM in profiles.PDAM.default_roles(reading)


@pytest.mark.django_db
def test_the_pdam_roles_get_their_grants(make_user):
    assert rbac_profile_grants_apply() == []  # the bank adds nothing
    assert not authz.has_perm(make_user(R.RM), "utility.reading.record")
    with profile_active("pdam"):
        added = rbac_profile_grants_apply()
        assert ("RM", "utility.reading.record") in added
        assert rbac_profile_grants_apply() == []  # once
    technician, cashier, cs = make_user(R.RM), make_user(R.COMPLIANCE), make_user(R.AGENT)
    assert authz.has_perm(technician, "utility.connection.view")
    assert authz.has_perm(technician, "utility.reading.record")
    assert authz.has_perm(technician, "fieldops.wo.work")
    assert authz.has_perm(cashier, "utility.payment.apply")
    assert authz.has_perm(cashier, "utility.billing.run")
    assert authz.has_perm(cs, "utility.connection.manage")
    assert not authz.has_perm(cs, "utility.payment.apply")


@pytest.mark.django_db
def test_a_fresh_permission_is_seeded_with_the_profiles_defaults():
    code = "utility.reading.record"
    RolePermission.objects.filter(permission=code).delete()
    PermissionSeed.objects.filter(permission=code).delete()
    with profile_active("pdam"):
        assert rbac_seed_defaults() == [code]
    held = set(RolePermission.objects.filter(permission=code).values_list("role_id", flat=True))
    assert held == {"ADMIN", "SUPERVISOR", "RM"}
