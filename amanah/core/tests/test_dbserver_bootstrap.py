"""The embedded server's bootstrap of a new database, when several processes start on it at
once (a web server and its worker; the browser tests' seeding beside collectstatic)."""

from __future__ import annotations

import os
import threading
import uuid

import pytest

from amanah import dbserver

pytestmark = pytest.mark.skipif(
    bool(os.environ.get("DATABASE_URL")), reason="the embedded server's own bootstrap"
)


def test_processes_starting_together_on_a_new_database_bootstrap_it_without_errors():
    socket_dir = str(dbserver._embedded_server().get_postmaster_info().socket_dir)
    name = f"amanah_boot_{uuid.uuid4().hex[:8]}"
    with dbserver._superuser_connection(socket_dir, "postgres") as admin:
        # owned by the superuser, as a copy of a template made by the test run is
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        starting = threading.Barrier(6)
        errors: list[Exception] = []

        def start() -> None:
            starting.wait()
            try:
                dbserver._ensure_roles_and_database(socket_dir, name)
            except Exception as error:  # noqa: BLE001 - the assertion reports it
                errors.append(error)

        threads = [threading.Thread(target=start) for _ in range(starting.parties)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert errors == []
        with dbserver._superuser_connection(socket_dir, "postgres") as admin:
            (owner,) = admin.execute(
                "SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = %s", [name]
            ).fetchone()
        assert owner == dbserver.EMBEDDED_OWNER_ROLE
    finally:
        with dbserver._superuser_connection(socket_dir, "postgres") as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
