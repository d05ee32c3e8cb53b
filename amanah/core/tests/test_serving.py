"""How ``amanah serve`` serves (``amanah.gunicorn_conf``), on a real gunicorn: sync workers whose
timeout still cuts off a response that stops progressing, but not a CSV export that streams for
longer than the timeout, and not because a browser opened a connection it never used."""

from __future__ import annotations

import contextlib
import http.client
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest
from gunicorn.config import Config

from amanah import cli, gunicorn_conf
from amanah.core.testing import stop_process
from amanah.core.tests import serving_app


@contextlib.contextmanager
def gunicorn_serving(timeout: int):
    """One sync worker serving ``serving_app`` on a loopback socket opened here (no port race);
    yields the base URL, stopped by its pid."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    port = listener.getsockname()[1]
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "amanah.core.tests.serving_app",
         "--config", "python:amanah.gunicorn_conf", "--bind", f"fd://{listener.fileno()}",
         "--workers", "1", "--timeout", str(timeout), "--graceful-timeout", "5",
         "--log-level", "warning"],
        pass_fds=[listener.fileno()], env={**os.environ, "AMANAH_ENV": "test"},
    )  # fmt: skip
    listener.close()  # gunicorn holds its copy
    base = f"http://127.0.0.1:{port}"
    try:
        _get(base + "/", seconds=30)  # up, and the worker booted
        yield base
    finally:
        stop_process(process, seconds=20)


def _get(url: str, seconds: float) -> bytes:
    with urllib.request.urlopen(url, timeout=seconds) as response:  # noqa: S310 (loopback)
        return response.read()


def test_serve_leaves_the_layout_to_the_config(monkeypatch):
    started = []
    monkeypatch.setattr(cli, "_supervise", lambda programs: started.extend(programs) or 0)
    with pytest.raises(SystemExit):
        cli.serve([])
    web = next(program for program in started if program.name == "web server")
    assert "python:amanah.gunicorn_conf" in web.args
    assert not {"--workers", "-w", "--threads", "--worker-class", "-k"} & set(web.args)


def test_the_config_runs_sync_workers_and_threads_turn_them_into_gthread():
    config = Config()
    config.set("worker_class", gunicorn_conf.worker_class)
    assert config.worker_class is gunicorn_conf.SyncWorker
    config.set("threads", 4)  # as `amanah demo` and the e2e server ask
    assert config.worker_class_str == "gthread"


def test_an_export_streams_to_its_end_past_the_timeout_and_a_stuck_response_is_cut_off():
    timeout = 5  # reports come each second: room for a busy machine
    export_seconds = serving_app.EXPORT_ROWS * serving_app.ROW_SECONDS
    assert min(export_seconds, serving_app.STUCK_SECONDS) > 2 * timeout
    with gunicorn_serving(timeout) as base:
        lines = _get(base + "/export", seconds=60).decode().splitlines()
        assert lines == ["number", *(str(n) for n in range(serving_app.EXPORT_ROWS))]

        # The watchdog is real: a response that reports nothing is killed at the timeout
        # (gunicorn answers 500 as it aborts the worker, or the connection just ends),
        # long before it would have answered.
        started = time.monotonic()
        with pytest.raises((urllib.error.HTTPError, http.client.HTTPException, ConnectionError)):
            _get(base + "/stuck", seconds=60)
        assert time.monotonic() - started < serving_app.STUCK_SECONDS


def test_a_connection_that_never_sends_does_not_hold_the_only_worker():
    timeout = 60  # the plain sync worker would sit on the idle connection this long
    with gunicorn_serving(timeout) as base:
        port = int(base.rsplit(":", 1)[1])
        with socket.create_connection(("127.0.0.1", port)) as idle:
            time.sleep(0.2)  # the worker takes the idle connection first
            started = time.monotonic()
            assert _get(base + "/", seconds=30) == b"ok"
            assert time.monotonic() - started < gunicorn_conf.FIRST_BYTE_SECONDS + 10
            idle.settimeout(10)
            assert idle.recv(1) == b""  # closed by the server, with nothing sent
