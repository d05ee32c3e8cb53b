"""``amanah migrate`` on a separately run server whose owner role may not create an extension
(issue 50.1: it failed half-way at ``insight.0007`` with "permission denied to create
extension"). It now asks first and stops before changing anything, naming the statements a
superuser must run; the README's database block creates them all (the go-live test runs it).
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys

import pytest
from django.db import connection

from amanah.core import extensions
from amanah.core.tests.golive_postgres import separate_server


@pytest.fixture
def owner_role(db):
    """A role like a deployment's owner: no superuser, may CREATE in the database."""
    name = f"golive_ext_{secrets.token_hex(3)}"
    with connection.cursor() as cursor:
        cursor.execute(f'CREATE ROLE "{name}" NOSUPERUSER')  # rolled back with the test
        cursor.execute(f'GRANT CREATE ON DATABASE "{connection.settings_dict["NAME"]}" TO "{name}"')
        cursor.execute(f'SET ROLE "{name}"')
    yield name
    with connection.cursor() as cursor:
        cursor.execute("RESET ROLE")


def test_an_untrusted_extension_is_named_with_the_statement_a_superuser_must_run(
    owner_role, monkeypatch
):
    monkeypatch.setattr(extensions, "wanted", lambda _c: ["hstore", "dblink"])
    reason = extensions.refusal(connection)
    # hstore is trusted: the owner may create it itself; dblink is not.
    assert f"role {owner_role} may not create the extension(s) dblink:" in reason
    assert "CREATE EXTENSION IF NOT EXISTS dblink;" in reason and "hstore" not in reason
    assert reason.endswith("nothing was migrated")


def test_an_extension_the_server_lacks_is_named(owner_role, monkeypatch):
    monkeypatch.setattr(extensions, "wanted", lambda _c: ["citext", "no_such_extension"])
    assert "lacks the extension(s) no_such_extension" in extensions.refusal(connection)


def test_nothing_is_asked_when_every_wanted_extension_is_there(owner_role, monkeypatch):
    monkeypatch.setattr(extensions, "wanted", lambda _c: ["citext", "cube", "earthdistance"])
    assert extensions.refusal(connection) == ""


def test_the_fully_migrated_database_wants_no_extension(db):
    assert extensions.wanted(connection) == []


def test_migrate_as_the_owner_stops_before_changing_anything(tmp_path):
    """The issue's case end to end: a separately run server, the roles and database made as
    the README's block makes them but without the extensions."""
    with separate_server() as server:
        run = secrets.token_hex(3)
        owner, database, password = f"golive_{run}_owner", f"golive_{run}", secrets.token_hex(8)
        with server.connect() as admin:
            admin.execute(f"CREATE ROLE \"{owner}\" LOGIN PASSWORD '{password}'")
            admin.execute(f'CREATE DATABASE "{database}" OWNER "{owner}"')
        try:
            url = f"postgresql://{owner}:{password}@{server.host}:{server.port}/{database}"
            done = subprocess.run(
                [sys.executable, "-m", "amanah.cli", "migrate"],
                env={
                    "PATH": os.environ["PATH"],
                    "HOME": str(tmp_path),
                    "AMANAH_ENV": "production",
                    **{
                        key: secrets.token_hex(16)
                        for key in ("SECRET_KEY", "AUDIT_CHAIN_KEY", "MESSAGING_ADDRESS_KEY",
                                    "DOCUMENTS_MASTER_KEY", "INTEGRATIONS_WEBHOOK_KEY")
                    },
                    "DATABASE_URL": url,
                    "DATABASE_OWNER_URL": url,
                    "AMANAH_VAR_DIR": str(tmp_path / "var"),
                },
                capture_output=True,
                text=True,
                timeout=600,
            )  # fmt: skip
            assert done.returncode == 1
            (line,) = done.stderr.strip().splitlines()
            assert "CREATE EXTENSION IF NOT EXISTS earthdistance;" in line, line
            assert f'in database "{database}"' in line and "nothing was migrated" in line
            with server.connect(database) as check:
                tables = check.execute(
                    "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"
                ).fetchone()[0]
            assert tables == 0  # not even django_migrations
        finally:
            server.drop(database, [owner])


def test_the_owner_cannot_create_earthdistance_itself(db):
    """Why the check exists: the extension is not trusted on the servers the suite runs on."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT v.trusted OR NOT v.superuser FROM pg_available_extension_versions v"
            " JOIN pg_available_extensions a ON a.name = v.name AND a.default_version = v.version"
            " WHERE a.name = 'earthdistance'"
        )
        assert cursor.fetchone() == (False,)
