"""A throwaway copy of the whole app for end-to-end tests: own database, migrated and seeded
with the demo data, served by a real gunicorn on a free loopback port, stopped afterwards."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from contextlib import contextmanager
from pathlib import Path

import psycopg
from django.conf import settings


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _admin_connection():
    db = settings.DATABASES["default"]
    return psycopg.connect(
        dbname="postgres",
        user=db.get("USER") or None,
        password=db.get("PASSWORD") or None,
        host=db.get("HOST") or None,
        port=db.get("PORT") or None,
        autocommit=True,
    )


def _run(args: list[str], env: dict) -> None:
    subprocess.run(
        [sys.executable, "-m", *args], env=env, check=True, capture_output=True, timeout=300
    )


def _wait_until_up(url: str, process: subprocess.Popen, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("the e2e server exited early")
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=2):  # noqa: S310 (loopback)
                return
        except OSError:
            time.sleep(0.3)
    raise TimeoutError("the e2e server did not come up")


@contextmanager
def demo_server():
    """Yield the base URL of a freshly seeded demo instance."""
    name = f"amanah_e2e_{uuid.uuid4().hex[:8]}"
    with _admin_connection() as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    var_dir = Path(tempfile.mkdtemp(prefix="amanah-e2e-"))
    env = {
        **os.environ,
        "AMANAH_ENV": "demo",
        "AMANAH_DB_NAME": name,
        "AMANAH_VAR_DIR": str(var_dir),
        "DJANGO_SETTINGS_MODULE": "amanah.settings",
        "SEARCH_RATE_LIMIT_PER_MINUTE": "100",
        "DEMO_GENERATED_CUSTOMERS": "300",  # enough to crowd the searches, quick to seed
        "CONTACT_WINDOWS_ENFORCED": "false",  # the script runs at any hour; campaigns send
    }
    server = worker = None
    try:
        # Migrations as the owner role, everything after as the application role, as in
        # `amanah demo` (dbserver: "two roles").
        _run(["django", "migrate", "--no-input"], {**env, "AMANAH_DB_ROLE": "owner"})
        for command in (["collectstatic", "--no-input"], ["seed_demo"]):
            _run(["django", *command], env)
        port = _free_port()
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "amanah.wsgi",
                "--config",
                "python:amanah.gunicorn_conf",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                "1",
                "--threads",
                "4",
                "--log-level",
                "warning",
            ],
            env=env,
        )
        # Campaign sends run in the worker (one job per batch).
        worker = subprocess.Popen(
            [sys.executable, "-m", "django", "procrastinate", "worker", "--queues", "campaigns"],
            env=env,
        )
        base = f"http://127.0.0.1:{port}"
        _wait_until_up(base, server)
        yield base
    finally:
        for process in (worker, server):
            if process is None:
                continue
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
        with _admin_connection() as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
