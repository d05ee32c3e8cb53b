"""Test support: the fake provider and this project on loopback (fixtures), provider settings
with the fake's credentials, and recorders standing in for the outbox services.

Import the fixtures into a test module (or a conftest), e.g.
``from amanah.messaging.fakeprovider.testing import fake_provider, recorder  # noqa: F401``.
Each fixture stops what it started when the test ends.
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from dataclasses import dataclass, field
from wsgiref.simple_server import WSGIRequestHandler, make_server

import pytest

from amanah.messaging.fakeprovider import server as fake
from amanah.messaging.fakeprovider.server import FakeProvider
from amanah.messaging.providers import callbacks


@pytest.fixture
def fake_provider():
    """A running fake (any template accepted, no webhook URL until the test sets one)."""
    with FakeProvider() as fake:
        yield fake


@contextlib.contextmanager
def closed_port():
    """A loopback port nothing listens on: connecting is refused at once."""
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    yield port


@contextlib.contextmanager
def unanswered_port():
    """A loopback port whose listener never accepts and whose backlog is full: the kernel
    drops further SYNs, so a client's *connect* times out (a host that does not answer)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    port = listener.getsockname()[1]
    fillers = []
    try:
        for _ in range(4):  # more than the backlog the kernel allows for listen(0)
            filler = socket.socket()
            filler.setblocking(False)
            with contextlib.suppress(BlockingIOError):
                filler.connect(("127.0.0.1", port))
            fillers.append(filler)
        time.sleep(0.05)  # let the handshakes settle into the (now full) queue
        yield port
    finally:
        for filler in fillers:
            filler.close()
        listener.close()


@contextlib.contextmanager
def django_on_loopback():
    """This Django project served over real HTTP on a loopback port, in a thread.

    pytest-django's ``live_server`` needs ``transaction=True``, whose teardown truncates the
    append-only audit table and the rows data migrations seeded; this server instead runs the
    WSGI handler beside the test. Its thread has a database connection of its own
    (autocommit): what a view reads must have been committed (``core.testing.on_own_connection``).
    """
    from django.core.handlers.wsgi import WSGIHandler
    from django.db import connections
    from django.urls import get_resolver

    class QuietHandler(WSGIRequestHandler):
        def log_message(self, format, *args):  # noqa: A002 — the stdlib's signature
            pass

    _ = get_resolver().url_patterns  # import every view now, not during the first callback
    server = make_server("127.0.0.1", 0, WSGIHandler(), handler_class=QuietHandler)

    def serve():
        try:
            server.serve_forever(poll_interval=0.02)
        finally:
            connections.close_all()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()


@pytest.fixture
def django_server():
    """The base URL of this project served on loopback (see ``django_on_loopback``)."""
    with django_on_loopback() as url:
        yield url


VERIFY_TOKEN = "token-verifikasi-uji"  # noqa: S105


def providers_config(base_url: str = "http://127.0.0.1:9") -> dict:
    """MESSAGING_PROVIDERS for both adapters with the fake provider's credentials."""
    return {
        "WHATSAPP": {
            "class": "amanah.messaging.providers.whatsapp.WhatsAppCloudProvider",
            "base_url": base_url,
            "phone_number_id": fake.PHONE_NUMBER_ID,
            "access_token": fake.ACCESS_TOKEN,
            "app_secret": fake.APP_SECRET,
            "verify_token": VERIFY_TOKEN,
        },
        "SMS": {
            "class": "amanah.messaging.providers.sms.HttpSmsProvider",
            "base_url": base_url + "/sms",
            "api_key": fake.SMS_API_KEY,
            "sender_id": fake.SMS_SENDER_ID,
            "secret": fake.SMS_SECRET,
        },
    }


@dataclass
class Recorder:
    statuses: list = field(default_factory=list)
    inbound: list = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def status(self, update) -> bool:
        with self.lock:
            self.statuses.append(update)
        return True

    def message(self, message) -> None:
        with self.lock:
            self.inbound.append(message)


@pytest.fixture
def recorder(monkeypatch) -> Recorder:
    from amanah.messaging import services

    recorded = Recorder()
    monkeypatch.setattr(services, "message_status_apply", recorded.status)
    monkeypatch.setattr(services, "inbound_receive", recorded.message)
    return recorded


@pytest.fixture
def webhook_settings(settings):
    settings.MESSAGING_PROVIDERS = providers_config()
    return settings


def signed_post(client, path: str, raw: bytes, *, secret: str, header: str):
    """POST raw bytes with the provider's signature header computed over exactly them."""
    extra = {f"HTTP_{header.upper().replace('-', '_')}": callbacks.sign(secret, raw)}
    return client.post(path, data=raw, content_type="application/json", **extra)


def raw_json(document) -> bytes:
    # As Meta's servers may: raw UTF-8, no escapes (emoji and accents are multi-byte).
    return json.dumps(document, ensure_ascii=False).encode()
