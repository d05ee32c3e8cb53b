"""The ``amanah`` console command.

amanah demo              migrate, load demo data if empty, run web server + worker
amanah serve             production web server (gunicorn)
amanah worker            background worker with periodic tasks (procrastinate)
amanah migrate           apply database migrations
amanah createuser ...    create a user (e.g. the first ADMIN)
amanah audit verify      check the audit hash chain
amanah db start|stop|url the embedded PostgreSQL
amanah <anything else>   passed to Django's manage.py
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

SETTINGS = "amanah.settings"
# Access log without query strings, identifier masking on every gunicorn handler.
GUNICORN_CONFIG = ["--config", "python:amanah.gunicorn_conf"]


def _django(args: list[str]) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", SETTINGS)
    from django.core.management import execute_from_command_line

    execute_from_command_line(["amanah", *args])


def _child(args: list[str]) -> subprocess.Popen:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": SETTINGS}
    return subprocess.Popen([sys.executable, "-m", *args], env=env)


def _bind() -> str:
    return os.environ.get("AMANAH_BIND", "127.0.0.1:8000")


def serve(extra: list[str]) -> None:
    workers = os.environ.get("WEB_CONCURRENCY", "3")
    args = [
        "gunicorn",
        "amanah.wsgi",
        *GUNICORN_CONFIG,
        "--bind",
        _bind(),
        "--workers",
        workers,
        "--threads",
        "4",
        "--access-logfile",
        "-",
        *extra,
    ]
    os.execvpe(
        sys.executable,
        [sys.executable, "-m", *args],
        {**os.environ, "DJANGO_SETTINGS_MODULE": SETTINGS},
    )


def worker(extra: list[str]) -> None:
    _django(["procrastinate", "worker", *extra])


def demo(extra: list[str]) -> None:
    os.environ.setdefault("AMANAH_ENV", "demo")
    _django(["migrate", "--no-input", "-v", "0"])
    _django(["collectstatic", "--no-input", "-v", "0"])
    _django(["seed_demo"])
    from amanah.demo.services import DEMO_PASSWORD, DEMO_TOTP_BASE32, USERS

    children = [
        _child(
            ["gunicorn", "amanah.wsgi", *GUNICORN_CONFIG, "--bind", _bind(), "--workers", "2"]
            + ["--threads", "4"]
        ),
        _child(["django", "procrastinate", "worker"]),
    ]
    host, port = _bind().rsplit(":", 1)
    print(f"\n  Amanah CRM demo is running at  http://{host}:{port}/\n")
    print(f"  Demo logins (password for all: {DEMO_PASSWORD})")
    for u in USERS:
        print(f"    {u.username:<11} {', '.join(u.roles):<11} {u.full_name}")
    print(f"\n  admin and compliance need a TOTP code: add key {DEMO_TOTP_BASE32}")
    print("  to an authenticator app (demo only).  Stop with Ctrl-C.\n", flush=True)
    _wait_then_stop(children)


def _wait_then_stop(children: list[subprocess.Popen]) -> None:
    stopping = False

    def stop(*_args):
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    while not stopping and all(c.poll() is None for c in children):
        time.sleep(0.5)
    for child in children:
        if child.poll() is None:
            child.terminate()
    for child in children:
        try:
            child.wait(timeout=15)
        except subprocess.TimeoutExpired:
            child.kill()
    from amanah import dbserver

    if not os.environ.get("DATABASE_URL") and dbserver.stop_embedded():
        print("embedded PostgreSQL stopped")


def db(extra: list[str]) -> None:
    from amanah import dbserver

    action = extra[0] if extra else "url"
    if action == "stop":
        print("stopped" if dbserver.stop_embedded() else "not running")
    elif action in ("start", "url"):
        config = dbserver.database_settings()
        print(f"postgresql://{config.get('USER')}@/{config['NAME']}?host={config.get('HOST')}")
    else:
        sys.exit("usage: amanah db start|stop|url")


COMMANDS = {"demo": demo, "serve": serve, "worker": worker, "db": db}


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help", "help"):
        print(__doc__)
        return
    command, extra = argv[0], argv[1:]
    if command == "audit" and extra[:1] == ["verify"]:
        _django(["audit_verify", *extra[1:]])
    elif command in COMMANDS:
        COMMANDS[command](extra)
    else:
        _django(argv)


if __name__ == "__main__":
    main()
