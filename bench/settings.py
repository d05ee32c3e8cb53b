"""Settings for the benchmark: the app's own settings, pointed at a database of its own.

Everything is as in ``amanah.settings`` (same code paths) except:
- without ``DATABASE_URL`` the bench gets an embedded server of its own (``var/bench-pgdata``),
  configured as a server holding a million customers would be (``SERVER_SETTINGS``), so a run
  neither disturbs nor depends on the development server;
- the database is ``amanah_bench`` (``AMANAH_BENCH_DB``), created on the server if missing,
  so the main ``amanah`` database is never touched;
- the customer-search rate limit is lifted (the bench searches thousands of times a minute);
- static files are collected into their own folder, and request logging is quiet.
``AMANAH_BENCH_POOL=1`` turns on psycopg's connection pool (to compare with the default of one
new connection per request).
"""

from __future__ import annotations

import os
from pathlib import Path

os.environ.setdefault("SEARCH_RATE_LIMIT_PER_MINUTE", str(10**9))
# The bench tunes the server (ALTER SYSTEM), creates its database and bulk-loads with triggers
# off: superuser work, so it connects as the embedded server's admin, not as the app role.
os.environ.setdefault("AMANAH_DB_ROLE", "admin")
if not os.environ.get("DATABASE_URL"):
    _var = Path(os.environ.get("AMANAH_VAR_DIR", "var")).resolve()
    os.environ.setdefault("AMANAH_PGDATA", str(_var / "bench-pgdata"))

from amanah.settings import *  # noqa: E402,F403
from amanah.settings import DATABASES, LOGGING, VAR_DIR  # noqa: E402

BENCH_DB = os.environ.get("AMANAH_BENCH_DB", "amanah_bench")

# The embedded server's defaults suit a laptop (shared_buffers 128 MB); 1M customers with their
# indexes do not fit there. These are the settings a bank's DBA would start from on this machine
# (24 GB RAM): the data set's hot part stays in shared buffers, bulk loads checkpoint less often.
SERVER_SETTINGS = {
    "shared_buffers": "2GB",
    "effective_cache_size": "12GB",
    "maintenance_work_mem": "1GB",
    "max_wal_size": "8GB",
}


def _tune_embedded_server(config: dict) -> None:
    """Apply SERVER_SETTINGS with ALTER SYSTEM; restart the server when one needs it."""
    import psycopg

    from amanah import dbserver

    with psycopg.connect(
        dbname=config["NAME"], user=config["USER"], host=config["HOST"], autocommit=True
    ) as conn:
        for name, value in SERVER_SETTINGS.items():
            conn.execute(f"ALTER SYSTEM SET {name} = '{value}'")  # constants above
        conn.execute("SELECT pg_reload_conf()")
        # shared_buffers is the one that needs a restart; the others follow the reload.
        current = conn.execute("SHOW shared_buffers").fetchone()[0]
    if current != SERVER_SETTINGS["shared_buffers"]:
        dbserver.restart_embedded()


def _ensure_database(config: dict, name: str) -> None:
    import psycopg
    from psycopg import sql

    params = {
        "dbname": config["NAME"],
        "user": config.get("USER") or None,
        "password": config.get("PASSWORD") or None,
        "host": config.get("HOST") or None,
        "port": config.get("PORT") or None,
    }
    with psycopg.connect(**{k: v for k, v in params.items() if v}, autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            return
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


if not os.environ.get("DATABASE_URL"):
    _tune_embedded_server(DATABASES["default"])
if DATABASES["default"]["NAME"] != BENCH_DB:
    _ensure_database(DATABASES["default"], BENCH_DB)
    DATABASES["default"] = {**DATABASES["default"], "NAME": BENCH_DB}
if os.environ.get("AMANAH_BENCH_POOL") == "1":
    DATABASES["default"]["CONN_MAX_AGE"] = 0  # Django refuses a pool with persistent connections
    DATABASES["default"]["OPTIONS"] = {
        **DATABASES["default"].get("OPTIONS", {}),
        "pool": {"min_size": 2, "max_size": 8},
    }

STATIC_ROOT = VAR_DIR / "bench-static"
LOGGING = {**LOGGING, "root": {**LOGGING["root"], "level": "WARNING"}}
