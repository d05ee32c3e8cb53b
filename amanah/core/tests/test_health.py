"""/healthz: 200 while the database answers, 503 with the reason while it does not, never 500,
and no broken persistent connection kept after the server dropped it.

The requests run on a connection of their own (``on_own_connection``): the tests close,
re-point and kill it, which the test's own transaction would not survive.
"""

from __future__ import annotations

import socket
import tempfile

import psycopg
import pytest
from django.db import connection
from django.test import Client


def _dead_address() -> dict:
    """Host/port where no server listens: an empty socket folder or a port nobody holds."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    unix_socket = connection.settings_dict["HOST"].startswith("/")
    host = tempfile.mkdtemp(prefix="amanah-no-db-") if unix_socket else "127.0.0.1"
    return {"HOST": host, "PORT": str(port)}


@pytest.fixture
def dead_database(on_own_connection):
    """Points new connections at an address where no server listens; restored afterwards."""
    saved = dict(connection.settings_dict)  # one dict, shared by every thread's connection

    def point_away():
        connection.close()
        connection.settings_dict.update(_dead_address())

    yield lambda: on_own_connection(point_away)

    def restore():
        connection.close()
        connection.settings_dict.update(saved)

    on_own_connection(restore)


def _health(client: Client):
    response = client.get("/healthz")
    return response.status_code, response.json()


def test_health_is_503_with_the_reason_while_the_database_is_unreachable(
    on_own_connection, dead_database
):
    client = Client()
    assert on_own_connection(_health, client) == (200, {"status": "ok"})
    dead_database()

    assert on_own_connection(_health, client) == (
        503,
        {"status": "unavailable", "reason": "database"},
    )


def _backend_pid() -> int:
    return connection.connection.info.backend_pid


def _terminate(pid: int) -> None:
    params = {**connection.get_connection_params(), "autocommit": True}
    params.pop("cursor_factory", None)
    params.pop("context", None)
    with psycopg.connect(**params) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", [pid])


def test_health_replaces_a_connection_the_server_dropped(on_own_connection):
    client = Client()
    assert on_own_connection(_health, client)[0] == 200
    held = on_own_connection(_backend_pid)  # kept across requests (CONN_MAX_AGE)
    _terminate(held)

    assert on_own_connection(_health, client) == (200, {"status": "ok"})
    assert on_own_connection(_backend_pid) != held
