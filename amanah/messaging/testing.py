"""A real SMTP server on loopback for tests (and the demo): ``aiosmtpd`` on a free port.

``smtp_server`` (a pytest fixture) starts it, points ``EMAIL_HOST``/``EMAIL_PORT`` at it and
stops it after the test. What it received is kept per ``Message-ID``: the mailbox
(``server.mailbox``) holds each message once, as a receiving system that drops a copy with a
Message-ID it already has; ``server.submissions`` counts every SMTP submission, copies
included. ``server.fail_with(code)`` makes it answer the next DATA commands with that reply
(e.g. 451 → retry, 550 → permanent); ``server.stop()`` / ``server.start()`` simulate an outage.
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import logging
import socket
import threading
import time

import pytest
from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class _Handler:
    def __init__(self, server: LoopbackSmtp):
        self.server = server

    async def handle_DATA(self, smtp_server, session, envelope):
        if self.server.delay:
            await asyncio.sleep(self.server.delay)
        return self.server.receive(envelope)


class LoopbackSmtp:
    def __init__(self, port: int | None = None):
        self.port = port or free_port()
        self.mailbox: dict[str, email.message.EmailMessage] = {}
        self.recipients: dict[str, list[str]] = {}
        self.submissions = 0
        self.received_at: dict[str, float] = {}  # Message-ID → time.monotonic() of first receipt
        self.delay = 0.0  # seconds each DATA command takes (a slow server, for fault tests)
        self._failures: list[str] = []
        self._lock = threading.Lock()
        self._controller: Controller | None = None

    def receive(self, envelope) -> str:
        with self._lock:
            if self._failures:
                return self._failures.pop(0)
            self.submissions += 1
            parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
            key = parsed["Message-ID"]
            if key not in self.mailbox:
                self.mailbox[key] = parsed
                self.recipients[key] = list(envelope.rcpt_tos)
                self.received_at[key] = time.monotonic()
        return "250 OK"

    def fail_with(self, reply: str, times: int = 1) -> None:
        with self._lock:
            self._failures.extend([reply] * times)

    def start(self) -> LoopbackSmtp:
        self._controller = Controller(_Handler(self), hostname="127.0.0.1", port=self.port)
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None


@pytest.fixture
def smtp_server(settings):
    # aiosmtpd logs every envelope (addresses included) at INFO: the server is ours, not
    # the code under test, and its chatter would hide what the tests look for in the logs.
    logging.getLogger("mail.log").setLevel(logging.WARNING)
    server = LoopbackSmtp().start()
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", server.port
    try:
        yield server
    finally:
        server.stop()
