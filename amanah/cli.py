"""The ``amanah`` console command.

amanah demo              migrate, load demo data if empty, run web server + worker
amanah serve             production web server (gunicorn) + AMANAH_SERVE_WORKERS workers (1)
amanah worker            background worker with periodic tasks (procrastinate), restarted
                         with back-off when it exits (e.g. the database went away)
amanah migrate           apply database migrations (as the owner role; all else: app role),
                         then install the default message templates that are missing
amanah createuser ...    create a user (e.g. the first ADMIN)
amanah audit verify      check the keyed audit chain against its signed checkpoints
amanah audit checkpoint  write a signed checkpoint of the audit chain's head now
amanah db start|stop|url the embedded PostgreSQL
amanah <anything else>   passed to Django's manage.py
"""

from __future__ import annotations

import os
import subprocess
import sys

from amanah import supervisor
from amanah.supervisor import Program

SETTINGS = "amanah.settings"
# Access log without query strings, identifier masking on every gunicorn handler.
GUNICORN_CONFIG = ["--config", "python:amanah.gunicorn_conf"]


def _django(args: list[str]) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", SETTINGS)
    from django.core.management import execute_from_command_line

    execute_from_command_line(["amanah", *args])


def _bind() -> str:
    return os.environ.get("AMANAH_BIND", "127.0.0.1:8000")


def _gunicorn(*args: str) -> Program:
    return Program(
        name="web server",
        args=["gunicorn", "amanah.wsgi", *GUNICORN_CONFIG, "--bind", _bind(), *args],
        restart=False,  # gunicorn revives its own workers; its master exiting stops us
        env={"DJANGO_SETTINGS_MODULE": SETTINGS},
    )


def _supervise(programs: list[Program]) -> int:
    supervisor.configure_logging()
    return supervisor.Supervisor(programs).run()


def serve(extra: list[str]) -> None:
    # sync workers, WEB_CONCURRENCY of them (three per CPU): see amanah.gunicorn_conf
    web = _gunicorn("--access-logfile", "-", *extra)
    job_workers = int(os.environ.get("AMANAH_SERVE_WORKERS", "1"))
    sys.exit(_supervise([web, *supervisor.worker_programs(job_workers)]))


def worker(extra: list[str]) -> None:
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
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": SETTINGS}
    env.pop("AMANAH_DB_ROLE", None)
    subprocess.run(
        [sys.executable, "-m", "django", "messaging_install_defaults", "-v", "0"],
        env=env,
        check=True,
    )


def _migrate_as_owner() -> None:
    # Its own process: this one keeps the application role for what follows.
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": SETTINGS, "AMANAH_DB_ROLE": "owner"}
    subprocess.run(
        [sys.executable, "-m", "django", "migrate", "--no-input", "-v", "0"], env=env, check=True
    )


def _fake_provider(webhook_url: str) -> Program:
    """The loopback WhatsApp/SMS provider the demo sends to (settings.FAKE_PROVIDER_URL)."""
    port = os.environ.get("AMANAH_FAKE_PROVIDER_URL", "http://127.0.0.1:8790").rsplit(":", 1)[1]
    return Program(
        name="fake WhatsApp/SMS provider",
        args=["amanah.messaging.fakeprovider", "--port", port, "--webhook-url", webhook_url],
    )


def _fake_gateway_url() -> str:
    from django.conf import settings  # configured: ``seed_demo`` ran in this process

    return getattr(settings, "FAKE_GATEWAY_URL", "")


def _fake_gateway(project_url: str) -> Program | None:
    """The loopback payment gateway (Midtrans/Xendit VA and QRIS, settings.FAKE_GATEWAY_URL)
    when the payments point at it — a deployment with real gateway keys has none. Its
    callbacks come back to ``project_url``; ``/simulator`` is where the demo's payer pays."""
    url = _fake_gateway_url()
    if not url:
        return None
    port = url.rsplit(":", 1)[1].split("/", 1)[0]
    return Program(
        name="fake payment gateway", args=["amanah.payments.fakegateway", port, project_url]
    )


def _demo_mail_server() -> Program:
    """The loopback SMTP server the demo's e-mail goes to (settings.EMAIL_PORT), filing each
    message in var/demo-mail (a Maildir)."""
    return Program(
        name="demo mail server",
        args=["amanah.messaging.demo_smtp", "--port", os.environ.get("EMAIL_PORT", "2525")],
    )


def demo(extra: list[str]) -> None:
    os.environ.setdefault("AMANAH_ENV", "demo")
    _migrate_as_owner()
    _django(["messaging_install_defaults", "-v", "0"])  # as ``amanah migrate`` does
    _django(["collectstatic", "--no-input", "-v", "0"])
    _django(["seed_demo"])
    # A SELF-SIGNED organisation certificate (it says so): receipts and documents are signed.
    _django(["documents_demo_certificate"])
    from amanah.demo.management.commands.seed_demo import demo_module

    demo_data = demo_module()  # the profile's (AMANAH_PROFILE): bank or pdam

    host, port = _bind().rsplit(":", 1)
    programs = [
        _gunicorn("--workers", "2", "--threads", "4"),
        *supervisor.worker_programs(1),
        _fake_provider(f"http://{host}:{port}/webhooks/"),
        _demo_mail_server(),
    ]
    gateway = _fake_gateway(f"http://{host}:{port}")
    if gateway is not None:
        programs.append(gateway)
    print(f"\n  Amanah CRM demo is running at  http://{host}:{port}/\n")
    print(f"  Demo logins (password for all: {demo_data.DEMO_PASSWORD})")
    for u in demo_data.USERS:
        print(f"    {u.username:<11} {', '.join(u.roles):<11} {u.full_name}")
    mfa_users = getattr(demo_data, "MFA_USERS", "admin and compliance")
    print(f"\n  {mfa_users} need a TOTP code: add key {demo_data.DEMO_TOTP_BASE32}")
    print("  to an authenticator app (demo only).")
    if gateway is not None:
        print(f"  VA/QRIS payments are paid on the fake gateway: {_fake_gateway_url()}/simulator")
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
    if command == "audit" and extra[:1] and extra[0] in AUDIT_COMMANDS:
        _django([AUDIT_COMMANDS[extra[0]], *extra[1:]])
    elif command in COMMANDS:
        COMMANDS[command](extra)
    else:
        _django(argv)


if __name__ == "__main__":
    main()
