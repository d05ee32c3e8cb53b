"""The health check before a request's first statement (core/postgresql/base.py): a kept
connection the server has said nothing on is used as it is; one the server ended (a restart,
``pg_terminate_backend``) is asked, found dead and replaced, and the request goes on."""

from __future__ import annotations

import select
import time

import pytest
from django.db import connection, connections

pytestmark = pytest.mark.django_db


@pytest.fixture
def kept_connection(monkeypatch):
    """A second connection to the test database, outside the test's transaction, recording
    each time the health check asks the server."""
    wrapper = connections.create_connection("default")
    wrapper.ensure_connection()
    asked: list[bool] = []
    real = wrapper.is_usable
    monkeypatch.setattr(wrapper, "is_usable", lambda: asked.append(real()) or asked[-1])
    try:
        yield wrapper, asked
    finally:
        wrapper.close()


def _next_request(wrapper) -> int:
    """What Django does between requests, then the next request's first statement."""
    wrapper.close_if_unusable_or_obsolete()
    with wrapper.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def _until_the_server_has_spoken(wrapper, seconds: float = 10) -> None:
    waiting = select.poll()
    waiting.register(wrapper.connection.pgconn.socket, select.POLLIN)
    deadline = time.monotonic() + seconds
    while not waiting.poll(100):
        assert time.monotonic() < deadline, "the ended backend never closed its socket"


def test_a_quiet_kept_connection_is_used_without_asking(kept_connection):
    wrapper, asked = kept_connection
    assert wrapper.health_check_enabled
    first = _next_request(wrapper)
    assert _next_request(wrapper) == first  # the same backend, kept
    assert asked == []


def test_a_connection_the_server_ended_is_asked_and_replaced(kept_connection):
    wrapper, asked = kept_connection
    ended = _next_request(wrapper)
    with connection.cursor() as cursor:  # as a restart or an administrator would
        cursor.execute("SELECT pg_terminate_backend(%s)", [ended])
    _until_the_server_has_spoken(wrapper)
    replaced = _next_request(wrapper)  # no error: the request goes on, on a new connection
    assert replaced != ended
    assert asked == [False]
