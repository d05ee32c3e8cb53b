"""Which role each process connects as (dbserver: "two roles"), without touching a server."""

from __future__ import annotations

import os
from types import SimpleNamespace

import pytest

from amanah import cli, dbserver

APP_URL = "postgresql://crm_app:a@db.internal:5432/crm"
OWNER_URL = "postgresql://crm_owner:o@db.internal:5432/crm"


@pytest.fixture
def env(monkeypatch):
    for name in ("DATABASE_URL", "DATABASE_OWNER_URL", "AMANAH_DB_ROLE", "AMANAH_DB_NAME"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AMANAH_ENV", "production")
    return monkeypatch


@pytest.fixture
def embedded(env):
    """The embedded server without a server: its socket folder and an already made database."""
    info = SimpleNamespace(socket_dir="/tmp/amanah-socket")
    server = SimpleNamespace(get_postmaster_info=lambda: info)
    env.setattr(dbserver, "_embedded_server", lambda: server)
    env.setattr(dbserver, "_ensure_roles_and_database", lambda socket_dir, name, adopt: None)
    return env


def test_web_server_and_workers_log_in_as_the_embedded_app_role(embedded):
    assert dbserver.current_role() == "app"
    assert dbserver.database_settings()["USER"] == "amanah_app"
    assert dbserver.app_role_name() == "amanah_app"


def test_migrations_log_in_as_the_embedded_owner_role(embedded):
    embedded.setenv("AMANAH_DB_ROLE", "owner")
    assert dbserver.database_settings()["USER"] == "amanah_owner"


def test_the_test_runner_logs_in_as_the_bootstrap_superuser(embedded):
    embedded.setenv("AMANAH_ENV", "test")
    assert dbserver.current_role() == "admin"
    assert dbserver.database_settings()["USER"] == "postgres"


def test_unknown_role_is_refused(env):
    env.setenv("AMANAH_DB_ROLE", "root")
    with pytest.raises(ValueError, match="AMANAH_DB_ROLE"):
        dbserver.current_role()


def test_two_urls_separate_the_roles(env):
    env.setenv("DATABASE_URL", APP_URL)
    env.setenv("DATABASE_OWNER_URL", OWNER_URL)
    assert dbserver.database_settings("app")["USER"] == "crm_app"
    assert dbserver.database_settings("owner")["USER"] == "crm_owner"
    assert dbserver.database_settings("admin")["USER"] == "crm_owner"
    assert dbserver.app_role_name() == "crm_app"


def test_a_lone_url_runs_every_side_as_given(env):
    env.setenv("DATABASE_URL", APP_URL)
    assert {dbserver.database_settings(r)["USER"] for r in dbserver.ROLES} == {"crm_app"}
    assert dbserver.app_role_name() is None


def test_under_the_tests_a_lone_url_still_gets_an_app_role_to_test(env):
    env.setenv("DATABASE_URL", APP_URL)
    env.setenv("AMANAH_ENV", "test")
    assert dbserver.app_role_name() == "amanah_app"


def test_amanah_migrate_runs_as_the_owner(env):
    env.setenv("AMANAH_DB_ROLE", "app")  # recorded, so the test's change is undone after it
    calls = []
    env.setattr(cli, "_django", calls.append)
    env.setattr(cli, "_install_defaults", lambda: calls.append("defaults"))
    cli.main(["migrate", "--no-input"])
    assert calls == [["migrate", "--no-input"], "defaults"]
    assert os.environ["AMANAH_DB_ROLE"] == "owner"


def test_amanah_migrate_installs_the_defaults_only_after_migrating_everything(env):
    env.setenv("AMANAH_DB_ROLE", "app")
    calls = []
    env.setattr(cli, "_django", calls.append)
    env.setattr(cli, "_install_defaults", lambda: calls.append("defaults"))
    cli.main(["migrate", "--no-input", "-v", "0", "--database", "default"])
    assert calls[-1] == "defaults"
    for extra in (["messaging", "zero"], ["--plan"], ["cases", "0001"], ["--fake"]):
        calls.clear()
        cli.main(["migrate", *extra])
        assert calls == [["migrate", *extra]]
