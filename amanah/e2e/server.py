"""A throwaway copy of the whole app for end-to-end tests: own database, migrated and seeded
with the demo data, served by a real gunicorn on a free loopback port with a procrastinate
worker on every queue (campaign batches, the messaging hub's dispatch, periodic jobs), and the
loopback servers the hub sends to — an SMTP server (aiosmtpd) and the fake WhatsApp/SMS
provider, whose signed status webhooks go back to the gunicorn — all stopped afterwards. Web
Push is configured with a fresh VAPID key (browsers cannot reach a push service here: the push
test hands its payload to the service worker through the DevTools protocol).

``demo_server()`` yields a ``DemoInstance``: the base URL, and the two loopback servers so a
test can assert on what they received.

Both profiles' databases are copies of one migrated database (``MigratedTemplate``): migrating
took as long as seeding.

``prepare(profile="pdam")`` makes the water utility's instead (``AMANAH_PROFILE=pdam``, its
own demo seed, kept small): beside the messaging servers a loopback fake payment gateway
(``payments.fakegateway``) answers the instance's VA/QRIS requests and posts its signed
callbacks back to the gunicorn, applied by the gateways' integrations systems (payment grants
only) that the PDAM demo seed registers — what ``DemoInstance.gateway`` lets a test pay with.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psycopg
from django.conf import settings

from amanah.core.testing import stop_process
from amanah.messaging.fakeprovider.environment import channel_environment
from amanah.messaging.fakeprovider.server import FakeProvider
from amanah.messaging.providers.webpush import generate_vapid_private_key
from amanah.messaging.testing import LoopbackSmtp
from amanah.payments.fakegateway.environment import gateway_environment
from amanah.payments.fakegateway.server import FakeGateway


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@functools.cache
def _server_settings() -> dict:
    """The test database server's address, read once — in the main thread, before the
    preparations' threads start (``Preparation``): a test may re-point the live settings for a
    moment (``core/tests/test_health.py`` points them at a dead address), and a preparation
    running meanwhile in its thread must not follow them there."""
    return dict(settings.DATABASES["default"])


def _admin_connection():
    db = _server_settings()
    return psycopg.connect(
        dbname="postgres",
        user=db.get("USER") or None,
        password=db.get("PASSWORD") or None,
        host=db.get("HOST") or None,
        port=db.get("PORT") or None,
        autocommit=True,
    )


def _start(args: list[str], env: dict) -> subprocess.Popen:
    # Below the test run's priority: a preparation in the background (``prepare``) takes
    # the CPU the tests leave idle rather than slowing them.
    process = subprocess.Popen(
        [sys.executable, "-m", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    with contextlib.suppress(OSError):
        os.setpriority(os.PRIO_PROCESS, process.pid, 10)
    return process


def _finish(process: subprocess.Popen, args: list[str], timeout: float = 600) -> None:
    try:
        output, _ = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate()
        raise
    if process.returncode:
        raise subprocess.CalledProcessError(process.returncode, args, output)


def _run(args: list[str], env: dict) -> None:
    _finish(_start(args, env), args)


# Generous: on a shared, busy machine gunicorn's first import of the project (with the worker
# starting beside it) has taken over a minute. A healthy start answers within seconds.
def _wait_until_up(url: str, process: subprocess.Popen, seconds: float = 180) -> None:
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


@dataclass(frozen=True)
class DemoInstance:
    base: str  # the app's base URL
    smtp: LoopbackSmtp  # what the outbox e-mailed (``mailbox``, ``recipients``)
    provider: FakeProvider  # what it sent over WhatsApp/SMS (``delivered("whatsapp")``)
    database: str = ""  # the instance's own database
    env: dict | None = None  # the environment its processes run with
    gateway: FakeGateway | None = None  # the pdam profile's fake payment gateway

    def manage(self, *args: str) -> str:
        """Run a management command against the instance (as its application role)."""
        done = subprocess.run(
            [sys.executable, "-m", "django", *args],
            env=self.env,
            check=True,
            capture_output=True,
            timeout=300,
            text=True,
        )
        return done.stdout

    def execute(self, sql: str, params=()) -> int:
        """One statement on the instance's database as the server's admin (a test's way to
        move time for a row: e.g. a window that ended); returns the rows it touched."""
        db = _server_settings()
        with psycopg.connect(
            dbname=self.database,
            user=db.get("USER") or None,
            password=db.get("PASSWORD") or None,
            host=db.get("HOST") or None,
            port=db.get("PORT") or None,
            autocommit=True,
        ) as connection:
            return connection.execute(sql, params).rowcount


@dataclass
class Prepared:
    """A migrated and seeded database with its loopback servers, not served yet."""

    name: str
    port: int
    base: str
    smtp: LoopbackSmtp
    provider: FakeProvider
    env: dict
    gateway: FakeGateway | None = None

    def discard(self) -> None:
        if self.gateway is not None:
            self.gateway.stop()
        self.provider.stop()
        self.smtp.stop()
        with _admin_connection() as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


# The PDAM demo's size in the browser tests: enough pelanggan for its pages, quick to seed.
PDAM_ENV = {
    "AMANAH_PROFILE": "pdam",
    "DEMO_PDAM_CUSTOMERS": "120",
    "DEMO_PDAM_COMPLAINTS": "12",
}


class MigratedTemplate:
    """One migrated, not yet seeded database that the run's demo databases are copied from
    (``CREATE DATABASE … TEMPLATE``, a second at most): every profile has the same schema and
    migration graph (core.profiles), and migrating took as long as seeding, so the bank's and
    the PDAM's preparations migrate once between them. It is migrated under the default
    profile; the PDAM seed adds its profile's grants (``rbac_profile_grants_apply``), as for
    a bank database switched to pdam. ``uses``: the copies the run will make; the template is
    dropped after the last one (or by ``discard``)."""

    def __init__(self, uses: int = 1) -> None:
        self.uses = uses
        self.name: str | None = None
        self._lock = threading.Lock()

    def _migrate(self) -> str:
        name = f"amanah_e2e_{uuid.uuid4().hex[:8]}_migrated"
        with _admin_connection() as admin:
            admin.execute(f'CREATE DATABASE "{name}"')
        env = {
            **os.environ,
            "AMANAH_ENV": "demo",
            "AMANAH_PROFILE": "bank",
            "AMANAH_DB_NAME": name,
            "AMANAH_DB_ROLE": "owner",  # as in `amanah demo` (dbserver: "two roles")
            "AMANAH_VAR_DIR": tempfile.mkdtemp(prefix="amanah-e2e-migrate-"),
            "DJANGO_SETTINGS_MODULE": "amanah.settings",
        }
        self.name = name
        _run(["django", "migrate", "--no-input"], env)
        return name

    def copy_to(self, name: str) -> None:
        """Create database ``name`` as a copy of the migrated template (migrating it first
        if no preparation has yet)."""
        with self._lock:
            try:
                template = self.name or self._migrate()
            except BaseException:
                self._drop()
                raise
            try:
                with _admin_connection() as admin:
                    admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
            finally:  # a failed copy counts too: the last use drops the template
                self.uses -= 1
                if self.uses <= 0:
                    self._drop()

    def discard(self) -> None:
        with self._lock:
            self._drop()

    def _drop(self) -> None:
        if self.name is not None:
            with _admin_connection() as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
            self.name = None


def prepare(profile: str = "bank", template: MigratedTemplate | None = None) -> Prepared:
    """Create (a copy of the migrated ``template``, made here when none is given) and seed a
    demo database of ``profile`` (``bank`` or ``pdam``): the slow part of ``demo_server``,
    ~1 min."""
    name = f"amanah_e2e_{uuid.uuid4().hex[:8]}"
    var_dir = Path(tempfile.mkdtemp(prefix="amanah-e2e-"))
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    smtp = LoopbackSmtp()
    provider = FakeProvider(
        whatsapp_webhook_url=f"{base}/webhooks/whatsapp", sms_webhook_url=f"{base}/webhooks/sms"
    )
    env = {
        **os.environ,
        "AMANAH_ENV": "demo",
        "AMANAH_DB_NAME": name,
        "AMANAH_VAR_DIR": str(var_dir),
        "DJANGO_SETTINGS_MODULE": "amanah.settings",
        "SEARCH_RATE_LIMIT_PER_MINUTE": "100",
        "DEMO_GENERATED_CUSTOMERS": "300",  # enough to crowd the searches, quick to seed
        "CONTACT_WINDOWS_ENFORCED": "false",  # the script runs at any hour; campaigns send
        "FOLLOWUP_WORKING_HOURS": "false",  # and the follow-up desk hands members out at night
        # The NPS schedule (daily at SURVEY_NPS_CRON, 03:30 UTC) would invite every demo
        # customer on the same WhatsApp template as the CSAT invitation the script waits for,
        # when a run happens to cross that minute: no NPS here.
        "SURVEY_NPS_INTERVAL_DAYS": "0",
        # The hub sends to the loopback servers above (their variables set once the provider
        # has its port); links in e-mail point at this instance.
        "AMANAH_PUBLIC_URL": base,
        # Web Push is configured (a fresh key per run): staff browsers can turn it on.
        "MESSAGING_VAPID_PRIVATE_KEY": generate_vapid_private_key(),
    }
    gateway = None
    if profile == "pdam":
        env.update(PDAM_ENV)
        gateway = FakeGateway(
            midtrans_callback_url=f"{base}/webhooks/payments/midtrans",
            xendit_callback_url=f"{base}/webhooks/payments/xendit",
        )
    prepared = Prepared(name, port, base, smtp, provider, env, gateway)
    # aiosmtpd logs every envelope (addresses included) at INFO.
    logging.getLogger("mail.log").setLevel(logging.WARNING)
    try:
        smtp.start()
        env.update(channel_environment(provider.start().url, smtp_port=smtp.port))
        if gateway is not None:
            env.update(gateway_environment(gateway.start().url))
        (template or MigratedTemplate()).copy_to(name)
        # collectstatic needs no tables: it runs beside the seeding. (Not before the copy:
        # the settings of the embedded server create a database that does not exist yet.)
        collect = ["django", "collectstatic", "--no-input"]
        collecting = _start(collect, env)
        try:
            _run(["django", "seed_demo"], env)  # the pdam demo registers the gateways' systems
        finally:
            _finish(collecting, collect)
    except BaseException:
        prepared.discard()
        raise
    return prepared


# The preparations still migrating or seeding in the background. A test that restarts the
# embedded server (core/tests/test_worker_faults.py) waits for them first: a restart under a
# seeding demo kills its connections, and every browser test of the run fails with it.
_running = threading.Condition()
_running_count = 0


def wait_for_preparations(timeout: float = 900) -> None:
    """Return once no preparation is running (or after ``timeout`` seconds)."""
    with _running:
        _running.wait_for(lambda: _running_count == 0, timeout=timeout)


class Preparation:
    """``prepare()`` in a thread of its own, started as soon as the run knows it has e2e tests
    (amanah/e2e/tests/conftest.py), so that the minute it takes overlaps the other tests.
    ``take()`` waits for it and hands the result over (once); ``discard()`` cleans up one that
    nobody took."""

    def __init__(self, profile: str = "bank", template: MigratedTemplate | None = None) -> None:
        global _running_count
        self.profile = profile
        self.template = template
        self._result: Prepared | None = None
        self._error: BaseException | None = None
        self._taken = False
        with _running:  # counted before the thread starts: no test can slip in between
            _running_count += 1
        _server_settings()  # read here, in the main thread (see there)
        self._thread = threading.Thread(target=self._prepare, name="e2e-prepare", daemon=True)
        self._thread.start()

    def _prepare(self) -> None:
        global _running_count
        try:
            self._result = prepare(self.profile, self.template)
        except BaseException as error:  # handed to the test that takes it
            self._error = error
        finally:
            with _running:
                _running_count -= 1
                _running.notify_all()

    def take(self) -> Prepared:
        self._thread.join()
        if self._taken:
            raise RuntimeError("the prepared demo database was already taken")
        self._taken = True
        if self._error is not None:
            raise self._error
        return self._result

    def discard(self) -> None:
        self._thread.join()
        if not self._taken and self._result is not None:
            self._taken = True
            self._result.discard()


@contextmanager
def demo_server(preparation: Preparation | None = None, profile: str = "bank"):
    """Yield a ``DemoInstance`` of a freshly seeded demo of ``profile`` with its loopback
    servers (prepared here, or taken from a ``Preparation`` started earlier)."""
    prepared = preparation.take() if preparation is not None else prepare(profile)
    env, base, port = prepared.env, prepared.base, prepared.port
    server = worker = None
    try:
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
        # Every queue, as `amanah demo` runs it: campaign batches queue into the outbox, the
        # hub's dispatch jobs send to the loopback servers.
        worker = subprocess.Popen(
            [sys.executable, "-m", "django", "procrastinate", "worker"], env=env
        )
        _wait_until_up(base, server)
        yield DemoInstance(
            base=base,
            smtp=prepared.smtp,
            provider=prepared.provider,
            database=prepared.name,
            env=env,
            gateway=prepared.gateway,
        )
    finally:
        for process in (worker, server):
            if process is not None:
                stop_process(process)
        prepared.discard()
