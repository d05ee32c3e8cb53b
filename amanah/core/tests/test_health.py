"""/healthz: 200 while the database answers, 503 with the reason while it does not, never 500,
and no broken persistent connection kept after the server dropped it.

The tests close and re-point the live connection, which a test transaction would not survive,
and write nothing: they use the test database outside pytest-django's transaction wrapper.
"""

from __future__ import annotations

import socket
import tempfile

import psycopg
import pytest
from django.db import connection


def _admin_connection():
    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    return psycopg.connect(**{**params, "autocommit": True})


def _dead_address() -> dict:
    """Host/port where no server listens: an empty socket folder and a port nobody holds."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    host = (
        tempfile.mkdtemp(prefix="amanah-no-db-")
        if connection.settings_dict["HOST"].startswith("/")
        else "127.0.0.1"
    )
    return {"HOST": host, "PORT": str(port)}


@pytest.fixture
def live_db(django_db_setup, django_db_blocker):
    """The test database without a wrapping transaction (these tests write nothing)."""
    with django_db_blocker.unblock():
        yield
        connection.close()


@pytest.fixture
def settings_dict(live_db):
    """The live connection settings, restored afterwards."""
    saved = dict(connection.settings_dict)
    yield connection.settings_dict
    connection.close()
    connection.settings_dict.clear()
    connection.settings_dict.update(saved)


def test_health_is_503_with_the_reason_while_the_database_is_unreachable(client, settings_dict):
    assert client.get("/healthz").status_code == 200
    connection.close()
    settings_dict.update(_dead_address())

    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "reason": "database"}


def test_health_recovers_from_a_connection_the_server_dropped(client, live_db):
    assert client.get("/healthz").status_code == 200
    held = connection.connection.info.backend_pid  # the persistent connection (CONN_MAX_AGE)
    with _admin_connection() as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", [held])

    response = client.get("/healthz")

    assert response.status_code == 200, "a dropped connection must be replaced, not reported"
    assert connection.connection.info.backend_pid != held
