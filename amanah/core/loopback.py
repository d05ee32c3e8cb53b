"""A small HTTP server on 127.0.0.1 that plays an outside party — a payment gateway, a WhatsApp
or SMS provider, a push service — for the tests and the demo. The same start/stop life for
each: it serves its handler from a thread, the handler reaches the fake as
``self.server.fake``, and stopping waits for the serving thread, so a test that stops its
fake leaves nothing listening."""

from __future__ import annotations

import contextlib
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class LoopbackServer:
    """Subclasses set ``handler`` and call ``__init__`` with the host and port (0: any free
    one); ``on_start``/``on_stop`` run what works beside the server (e.g. a thread posting
    callbacks)."""

    handler: type[BaseHTTPRequestHandler]

    def __init__(self, *, host: str = "127.0.0.1", port: int = 0):
        self.host, self.port = host, port
        self._server: ThreadingHTTPServer | None = None
        self._serving: threading.Thread | None = None
        self._kept_alive: set[socket.socket] = set()  # a KeepAliveHandler's connections
        self._kept_alive_lock = threading.Lock()

    def start(self):
        self._listen()
        self.on_start()
        return self

    def stop(self) -> None:
        self._close_listener()
        self.on_stop()

    def on_start(self) -> None:
        pass

    def on_stop(self) -> None:
        pass

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def _listen(self) -> None:
        server = ThreadingHTTPServer((self.host, self.port), self.handler)
        server.daemon_threads = True
        server.fake = self
        self._server = server
        self.port = server.server_address[1]  # the same port again after an outage
        # A short poll: stopping waits for the serving loop to notice (0.5 s by default, paid
        # once per test that starts a fake).
        self._serving = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self._serving.start()

    def _close_listener(self) -> None:
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        self._server = None
        for conn in self._open_connections():  # kept-alive ones too: nothing answers any more
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
        if self._serving is not None:
            self._serving.join(timeout=10)
            self._serving = None

    def _open_connections(self) -> list[socket.socket]:
        """Connections the handler keeps alive (``KeepAliveHandler`` counts them)."""
        with self._kept_alive_lock:
            connections, self._kept_alive = list(self._kept_alive), set()
        return connections


class KeepAliveHandler(BaseHTTPRequestHandler):
    """A handler that keeps its connections alive, as the real APIs do (their clients pool
    connections), each counted by the fake so that stopping it closes them too."""

    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes: with Nagle's algorithm on, the body would wait
    # for the client's delayed ACK (~40 ms a request on a kept-alive connection).
    disable_nagle_algorithm = True

    def setup(self):
        super().setup()
        with self.server.fake._kept_alive_lock:
            self.server.fake._kept_alive.add(self.connection)

    def finish(self):
        with contextlib.suppress(OSError):
            super().finish()
        with self.server.fake._kept_alive_lock:
            self.server.fake._kept_alive.discard(self.connection)
