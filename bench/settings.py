"""Settings for the benchmark: the app's own settings, pointed at a database of its own.

Everything is as in ``amanah.settings`` (same server, same code paths) except:
- the database is ``amanah_bench`` (``AMANAH_BENCH_DB``), created on the same server if missing,
  so the main ``amanah`` database is never touched;
- the customer-search rate limit is lifted (the bench searches thousands of times a minute);
- static files are collected into their own folder, and request logging is quiet.
``AMANAH_BENCH_POOL=1`` turns on psycopg's connection pool (to compare with the default of one
new connection per request).
"""

from __future__ import annotations

import os

os.environ.setdefault("SEARCH_RATE_LIMIT_PER_MINUTE", str(10**9))

from amanah.settings import *  # noqa: E402,F403
from amanah.settings import DATABASES, LOGGING, VAR_DIR  # noqa: E402

BENCH_DB = os.environ.get("AMANAH_BENCH_DB", "amanah_bench")


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
