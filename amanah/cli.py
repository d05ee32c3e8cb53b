"""The ``amanah`` console command.

amanah demo              migrate, load demo data if empty, run web server + worker
amanah serve             production web server (gunicorn) + AMANAH_SERVE_WORKERS workers (1),
                         after the deployment checks (an error stops it, one line each) and
                         collecting the static files (when they changed)
amanah worker            background worker with periodic tasks (procrastinate), restarted
                         with back-off when it exits (e.g. the database went away)
amanah migrate           apply database migrations (as the owner role; all else: app role),
                         then install the default message templates that are missing
amanah createuser ...    create a user (e.g. the first ADMIN)
amanah audit verify      check the keyed audit chain against its signed checkpoints
amanah audit checkpoint  write a signed checkpoint of the audit chain's head now
amanah db start|stop|url the embedded PostgreSQL
amanah <anything else>   passed to Django's manage.py

Every process runs with DJANGO_SETTINGS_MODULE when it is set (a deployment's own settings
module), else amanah.settings: the web server's workers and the supervised job workers too.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from amanah import supervisor
from amanah.supervisor import Program

# Access log without query strings, identifier masking on every gunicorn handler.
GUNICORN_CONFIG = ["--config", "python:amanah.gunicorn_conf"]


def _django(args: list[str]) -> None:
    _setup_django()  # a settings error stops here, its reason in one line (``main``)
    from django.core.management import execute_from_command_line

    execute_from_command_line(["amanah", *args])


def _setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", supervisor.settings_module())
    import django

    django.setup()


def _bind() -> str:
    return os.environ.get("AMANAH_BIND", "127.0.0.1:8000")


def _gunicorn(*args: str) -> Program:
    return Program(
        name="web server",
        args=["gunicorn", "amanah.wsgi", *GUNICORN_CONFIG, "--bind", _bind(), *args],
        restart=False,  # gunicorn revives its own workers; its master exiting stops us
        env={"DJANGO_SETTINGS_MODULE": supervisor.settings_module()},
    )


def _supervise(programs: list[Program]) -> int:
    supervisor.configure_logging()
    return supervisor.Supervisor(programs).run()


def serve(extra: list[str]) -> None:
    _preflight("serve")
    # sync workers, WEB_CONCURRENCY of them (three per CPU): see amanah.gunicorn_conf
    web = _gunicorn("--access-logfile", "-", *extra)
    job_workers = int(os.environ.get("AMANAH_SERVE_WORKERS", "1"))
    sys.exit(_supervise([web, *supervisor.worker_programs(job_workers)]))


def _preflight(command: str) -> None:
    """Before ``serve`` (or ``worker``): Django's system checks with the deployment ones (``amanah
    check --deploy``) — a settings error or a check's error stops the start, one line each,
    never a traceback nor a child restarted for ever — then, to serve, the static files
    collected into STATIC_ROOT when their sources changed (without them every page fails while
    /healthz would say ok), then the warnings."""
    _setup_django()
    from django.core import checks

    from amanah.core import staticfiles

    found = [m for m in checks.run_checks(include_deployment_checks=True) if not m.is_silenced()]
    serious = [message for message in found if message.is_serious()]
    for message in serious:
        print(f"amanah {command}: refusing to start: {message.id}: {message.msg}", file=sys.stderr)
    if serious:
        sys.exit(1)
    if command != "serve":
        return
    try:
        if staticfiles.collect():
            print("amanah serve: static files collected", file=sys.stderr)
    except (OSError, ValueError) as error:
        sys.exit(f"amanah serve: collecting the static files into STATIC_ROOT failed: {error}")
    for message in found:
        if message.id != staticfiles.NOT_COLLECTED:  # collected just now
            print(f"amanah serve: warning: {message.id}: {message.msg}", file=sys.stderr)
    sys.stderr.flush()


def worker(extra: list[str]) -> None:
    _preflight("worker")
    sys.exit(_supervise(supervisor.worker_programs(1, extra)))


def migrate(extra: list[str]) -> None:
    """Migrations alone run as the owner role (dbserver: "two roles"); then, after a plain
    migrate to the latest schema, the installation's defaults (``_install_defaults``)."""
    os.environ["AMANAH_DB_ROLE"] = "owner"
    _django(["migrate", *extra])
    if _to_latest(extra):
        _install_defaults()


# Options of ``migrate`` that take a value; any other bare word names a target (app, migration).
_VALUE_OPTIONS = {"-v", "--verbosity", "--database", "--settings", "--pythonpath"}


def _to_latest(extra: list[str]) -> bool:
    """A migrate of everything to the latest schema (no target, no dry run or fake)."""
    if {"--plan", "--check", "--fake", "--fake-initial", "--prune"} & set(extra):
        return False
    previous = ""
    for arg in extra:
        if not arg.startswith("-") and previous not in _VALUE_OPTIONS:
            return False
        previous = arg
    return True


def _install_defaults() -> None:
    """What every installation needs beyond the schema: the default SERVICE/STAFF message
    templates (``messaging.template_defaults`` says why here and not in a migration). Its own
    process, as the application role: this one is the owner's."""
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": supervisor.settings_module()}
    env.pop("AMANAH_DB_ROLE", None)
    subprocess.run(
        [sys.executable, "-m", "django", "messaging_install_defaults", "-v", "0"],
        env=env,
        check=True,
    )


def _migrate_as_owner() -> None:
    # Its own process: this one keeps the application role for what follows.
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": supervisor.settings_module(),
        "AMANAH_DB_ROLE": "owner",
    }
    subprocess.run(
        [sys.executable, "-m", "django", "migrate", "--no-input", "-v", "0"], env=env, check=True
    )


# The demo's loopback servers sit next to its web port (AMANAH_BIND), so two demos with
# different AMANAH_BIND ports (at least 4 apart) run side by side.
DEMO_PORT_OFFSETS = {"provider": 1, "gateway": 2, "mail": 3}


def demo_ports(bind: str) -> dict[str, int]:
    """The fake WhatsApp/SMS provider, the fake payment gateway and the mail server of a demo
    served on ``bind``: its port + 1, + 2, + 3."""
    port = int(bind.rsplit(":", 1)[1])
    return {name: port + offset for name, offset in DEMO_PORT_OFFSETS.items()}


def demo_environment(bind: str) -> dict[str, str]:
    """The demo as a configuration: every channel pointed at its loopback servers through the
    variables a deployment sets for its real endpoints (``messaging.channel_settings``), and
    the payments at the fake gateway."""
    from amanah.messaging.fakeprovider.environment import channel_environment
    from amanah.payments.fakegateway.environment import gateway_environment, is_fake

    ports = demo_ports(bind)
    environment = channel_environment(
        f"http://127.0.0.1:{ports['provider']}", smtp_port=ports["mail"]
    )
    real = os.environ.get("MIDTRANS_SERVER_KEY") or os.environ.get("XENDIT_SECRET_KEY")
    if is_fake(os.environ) or not real:
        # A real gateway given by hand wins over the whole fake, not key by key.
        environment.update(gateway_environment(f"http://127.0.0.1:{ports['gateway']}"))
    return environment


def demo_programs(bind: str, *, gateway: bool = True) -> list[Program]:
    """The demo's loopback servers: the fake WhatsApp/SMS provider (its webhooks back to the
    demo), the mail server filing e-mail in var/demo-mail (a Maildir) and, unless the payments
    have real gateway keys, the fake payment gateway (Midtrans/Xendit VA and QRIS;
    ``/simulator`` is where the demo's payer pays)."""
    host, port = bind.rsplit(":", 1)
    base = f"http://{'127.0.0.1' if host in ('', '0.0.0.0') else host}:{port}"  # noqa: S104
    ports = {name: str(number) for name, number in demo_ports(bind).items()}
    maildir = str(Path(os.environ.get("AMANAH_VAR_DIR", "var")).resolve() / "demo-mail")
    programs = [
        Program(
            name="fake WhatsApp/SMS provider",
            args=[
                "amanah.messaging.fakeprovider",
                *("--port", ports["provider"], "--webhook-url", f"{base}/webhooks/"),
            ],
        ),
        Program(
            name="demo mail server",
            args=["amanah.messaging.demo_smtp", "--port", ports["mail"], "--maildir", maildir],
        ),
    ]
    if gateway:
        programs.append(
            Program(
                name="fake payment gateway",
                args=["amanah.payments.fakegateway", ports["gateway"], base],
            )
        )
    return programs


def demo(extra: list[str]) -> None:
    os.environ.setdefault("AMANAH_ENV", "demo")
    bind = _bind()
    for name, value in demo_environment(bind).items():
        os.environ.setdefault(name, value)  # a variable given by hand wins
    _migrate_as_owner()
    _django(["messaging_install_defaults", "-v", "0"])  # as ``amanah migrate`` does
    _setup_django()
    from amanah.core import staticfiles

    staticfiles.collect()
    _django(["seed_demo"])
    # A SELF-SIGNED organisation certificate (it says so): receipts and documents are signed.
    _django(["documents_demo_certificate"])
    from django.conf import settings

    from amanah.demo.management.commands.seed_demo import demo_module

    demo_data = demo_module()  # the profile's (AMANAH_PROFILE): bank or pdam
    from amanah.payments.fakegateway.environment import fake_url

    fake_gateway = fake_url(settings.PAYMENT_GATEWAYS)  # "" with real gateway keys

    host, port = bind.rsplit(":", 1)
    programs = [
        _gunicorn("--workers", "2", "--threads", "4"),
        *supervisor.worker_programs(1),
        *demo_programs(bind, gateway=bool(fake_gateway)),
    ]
    print(f"\n  Amanah CRM demo is running at  http://{host}:{port}/\n")
    print(f"  Demo logins (password for all: {demo_data.DEMO_PASSWORD})")
    for u in demo_data.USERS:
        print(f"    {u.username:<11} {', '.join(u.roles):<11} {u.full_name}")
    mfa_users = getattr(demo_data, "MFA_USERS", "admin and compliance")
    print(f"\n  {mfa_users} need a TOTP code: add key {demo_data.DEMO_TOTP_BASE32}")
    print("  to an authenticator app (demo only).")
    if fake_gateway:
        print(f"  VA/QRIS payments are paid on the fake gateway: {fake_gateway}/simulator")
    print(
        "  E-mail the demo sends is filed in var/demo-mail (a Maildir).  Stop with Ctrl-C.\n",
        flush=True,
    )
    code = _supervise(programs)
    from amanah import dbserver

    if not os.environ.get("DATABASE_URL") and dbserver.stop_embedded():
        print("embedded PostgreSQL stopped")
    sys.exit(code)


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


COMMANDS = {"demo": demo, "serve": serve, "worker": worker, "db": db, "migrate": migrate}
AUDIT_COMMANDS = {"verify": "audit_verify", "checkpoint": "audit_checkpoint"}


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help", "help"):
        print(__doc__)
        return
    command, extra = argv[0], argv[1:]
    from django.core.exceptions import ImproperlyConfigured

    try:
        if command == "audit" and extra[:1] and extra[0] in AUDIT_COMMANDS:
            _django([AUDIT_COMMANDS[extra[0]], *extra[1:]])
        elif command in COMMANDS:
            COMMANDS[command](extra)
        else:
            _django(argv)
    except ImproperlyConfigured as error:  # a setting refused at start: its reason, one line
        sys.exit(f"amanah {command}: {error}")


if __name__ == "__main__":
    main()
