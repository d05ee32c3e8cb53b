"""How a production installation starts (issue 50.3 and issue 51.7), each in a process of its
own with ``AMANAH_ENV=production`` and only the environment a deployment gives it.

- Every channel is configured from documented variables in production: the adapters are
  built from them and the webhooks exist (they answered 404 in production before).
- ``amanah check --deploy`` names each channel left out; one configured in part is an error
  naming the missing variables, and ``amanah serve`` refuses to start on it, one line.
- ``CONTACT_WINDOWS_ENFORCED=false`` (every contact window emptied) is for the demo and the
  tests only: production refuses to start with it, one line.
- One settings path for every command: ``DJANGO_SETTINGS_MODULE`` reaches the web server's
  processes and the supervised job workers as it reaches ``amanah shell``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from amanah import cli, supervisor
from amanah.messaging.testing import free_port

KEYS = ("SECRET_KEY", "AUDIT_CHAIN_KEY", "MESSAGING_ADDRESS_KEY", "DOCUMENTS_MASTER_KEY")
CHANNELS = {
    "WHATSAPP_BASE_URL": "https://graph.example.test",
    "WHATSAPP_API_VERSION": "v22.0",
    "WHATSAPP_ACCESS_TOKEN": "token-produksi",
    "WHATSAPP_PHONE_NUMBER_ID": "109876543210",
    "WHATSAPP_APP_SECRET": "rahasia-aplikasi",
    "WHATSAPP_VERIFY_TOKEN": "token-verifikasi",
    "SMS_GATEWAY_URL": "https://sms.example.test/api",
    "SMS_GATEWAY_API_KEY": "kunci-sms",
    "SMS_SENDER_ID": "BANKUJI",
    "SMS_CALLBACK_SECRET": "rahasia-sms",
    "EMAIL_HOST": "smtp.example.test",
    "EMAIL_USE_TLS": "true",
    "EMAIL_HOST_USER": "crm",
    "EMAIL_HOST_PASSWORD": "sandi-smtp",
}


def production(tmp_path: Path, **extra: str) -> dict:
    """What a deployment gives the process: production, its keys, a database URL (never
    reached here), its folder — and nothing of the test run's own configuration."""
    return {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path),
        "LANG": "C.UTF-8",
        "AMANAH_ENV": "production",
        **{key: f"kunci-{key.lower()}" for key in KEYS},
        "INTEGRATIONS_WEBHOOK_KEY": "kunci-webhook",
        "DATABASE_URL": "postgresql://nobody@127.0.0.1:9/none",
        "AMANAH_VAR_DIR": str(tmp_path / "var"),
        "ALLOWED_HOSTS": "testserver",
        "DJANGO_SETTINGS_MODULE": "amanah.settings",
        **extra,
    }


def python(code: str, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=300
    )


def amanah(args: list[str], env: dict, *, refused_within: float = 300):
    """Run an ``amanah`` command that is expected to end (a refusal ends it within seconds; a
    server that starts instead is killed at the deadline and the test fails)."""
    try:
        return subprocess.run(
            [sys.executable, "-m", "amanah.cli", *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=refused_within,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"amanah {' '.join(args)} did not end: it started instead of refusing")


SHOW = """
import django, json
django.setup()
from django.conf import settings
from django.test import Client
client = Client()
handshake = client.get("/webhooks/whatsapp", {"hub.mode": "subscribe",
    "hub.verify_token": "token-verifikasi", "hub.challenge": "siap"}, secure=True)
from amanah.messaging import webhooks
from amanah.messaging.providers import sms
print(json.dumps({
    "providers": settings.MESSAGING_PROVIDERS,
    "smtp": [settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_USE_TLS],
    "whatsapp_webhook": [handshake.status_code, handshake.content.decode()],
    "sms_webhook": webhooks._configured("SMS", sms.HttpSmsProvider) is not None,
}))
"""


def test_every_channel_is_configured_from_the_environment_in_production(tmp_path):
    done = python(SHOW, production(tmp_path, **CHANNELS))
    assert done.returncode == 0, done.stderr
    shown = json.loads(done.stdout.splitlines()[-1])
    assert shown["providers"]["WHATSAPP"] == {
        "class": "amanah.messaging.providers.whatsapp.WhatsAppCloudProvider",
        "access_token": "token-produksi",
        "phone_number_id": "109876543210",
        "app_secret": "rahasia-aplikasi",
        "verify_token": "token-verifikasi",
        "base_url": "https://graph.example.test",
        "version": "v22.0",
    }
    assert shown["providers"]["SMS"] == {
        "class": "amanah.messaging.providers.sms.HttpSmsProvider",
        "base_url": "https://sms.example.test/api",
        "api_key": "kunci-sms",
        "sender_id": "BANKUJI",
        "secret": "rahasia-sms",
    }
    assert "EMAIL" in shown["providers"] and shown["smtp"] == ["smtp.example.test", 587, True]
    # The webhooks exist: WhatsApp's handshake is answered (the go-live test posts signed
    # reports to both over HTTP).
    assert shown["whatsapp_webhook"] == [200, "siap"]
    assert shown["sms_webhook"] is True


def test_without_channel_settings_nothing_is_configured_and_the_webhooks_do_not_exist(tmp_path):
    done = python(SHOW, production(tmp_path))
    shown = json.loads(done.stdout.splitlines()[-1])
    assert set(shown["providers"]) == {"IN_APP"}
    assert shown["whatsapp_webhook"][0] == 404 and shown["sms_webhook"] is False


def test_check_deploy_names_every_channel_left_out(tmp_path):
    done = amanah(["check", "--deploy"], production(tmp_path))
    for channel, variable in (
        ("EMAIL", "EMAIL_HOST"),
        ("WHATSAPP", "WHATSAPP_APP_SECRET"),
        ("SMS", "SMS_CALLBACK_SECRET"),
        ("PUSH", "MESSAGING_VAPID_PRIVATE_KEY"),
    ):
        (line,) = [line for line in done.stderr.splitlines() if f"{channel} is not" in line]
        assert "amanah.W101" in line and variable in line
    assert "amanah.W104" in done.stderr  # the example sender address and public URL


@pytest.mark.parametrize(
    ("given", "message"),
    [
        (
            {"WHATSAPP_ACCESS_TOKEN": "t", "WHATSAPP_PHONE_NUMBER_ID": "1"},
            "WHATSAPP is configured in part: WHATSAPP_APP_SECRET, WHATSAPP_VERIFY_TOKEN missing",
        ),
        ({"SMS_GATEWAY_URL": "https://sms.example.test"}, "SMS is configured in part"),
        ({"EMAIL_HOST": "smtp.example.test", "EMAIL_HOST_USER": "crm"}, "amanah.E103"),
        (
            {"EMAIL_HOST": "smtp.example.test", "EMAIL_USE_TLS": "1", "EMAIL_USE_SSL": "1"},
            "amanah.E102",
        ),
        ({"MESSAGING_VAPID_PRIVATE_KEY": "bukan-kunci"}, "amanah.E104"),
    ],
)
def test_serve_refuses_to_start_on_an_inconsistent_channel_one_line_each(tmp_path, given, message):
    port = free_port()  # should it start after all, on a port of its own
    done = amanah(
        ["serve"],
        production(tmp_path, AMANAH_BIND=f"127.0.0.1:{port}", **given),
        refused_within=120,
    )
    assert done.returncode == 1
    (line,) = [line for line in done.stderr.splitlines() if "refusing to start" in line]
    assert line.startswith("amanah serve: refusing to start: amanah.E1") and message in line
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "var" / "static").exists()  # stopped before anything


def test_emptying_every_contact_window_is_refused_in_production_one_line(tmp_path):
    env = production(tmp_path, CONTACT_WINDOWS_ENFORCED="false")
    env["AMANAH_BIND"] = f"127.0.0.1:{free_port()}"
    for command in (["serve"], ["worker"], ["migrate"], ["shell", "-c", "pass"]):
        done = amanah(command, env, refused_within=120)
        assert done.returncode == 1
        assert done.stderr.strip() == (
            f"amanah {command[0]}: CONTACT_WINDOWS_ENFORCED=false is for AMANAH_ENV=demo or "
            "test only; production changes the hours per purpose (CONTACT_WINDOW_<PURPOSE>)"
        )
    shown = python(
        "import django; django.setup(); from django.conf import settings;"
        "print(settings.CONTACT_WINDOWS)",
        {**env, "AMANAH_ENV": "demo"},
    )
    assert shown.returncode == 0 and shown.stdout.strip() == "{}"  # the demo may


def test_a_production_deployment_changes_the_hours_per_purpose(tmp_path):
    shown = python(
        "import django; django.setup(); from django.conf import settings;"
        "print(sorted(settings.CONTACT_WINDOWS), settings.CONTACT_WINDOWS['OFFER']['hours'])",
        production(
            tmp_path, CONTACT_WINDOW_SERVICE="00:00-24:00", CONTACT_WINDOW_OFFER="9:00-17:30"
        ),
    )
    assert shown.stdout.strip() == "['COLLECTION', 'OFFER'] ['09:00', '17:30']"
    refused = amanah(["check"], production(tmp_path, CONTACT_WINDOW_COLLECTION="00:00-24:00"))
    assert refused.returncode == 1
    assert refused.stderr.strip() == (
        "amanah check: CONTACT_WINDOW_COLLECTION must be HH:MM-HH:MM with start before end"
    )


def test_every_process_runs_with_the_deployments_settings_module(monkeypatch):
    monkeypatch.setenv("DJANGO_SETTINGS_MODULE", "bank_sumut.settings")
    monkeypatch.setenv("AMANAH_SERVE_WORKERS", "2")
    started: list[supervisor.Program] = []
    monkeypatch.setattr(cli, "_preflight", lambda command: None, raising=False)
    monkeypatch.setattr(cli, "_supervise", lambda programs: started.extend(programs) or 0)
    with pytest.raises(SystemExit):
        cli.serve([])
    assert [p.name for p in started] == ["web server", "worker 1", "worker 2"]
    for program in started:
        assert program.env["DJANGO_SETTINGS_MODULE"] == "bank_sumut.settings"
    ran = []
    monkeypatch.setattr(cli.subprocess, "run", lambda args, env, **kw: ran.append(env))
    cli._install_defaults()
    cli._migrate_as_owner()
    assert [env["DJANGO_SETTINGS_MODULE"] for env in ran] == ["bank_sumut.settings"] * 2


def test_a_settings_module_of_the_deployment_is_what_a_served_process_reads(tmp_path, monkeypatch):
    """The real thing: a module that changes a value, named in DJANGO_SETTINGS_MODULE, read by
    a process started the way ``amanah serve`` starts its job workers."""
    (tmp_path / "bank_settings.py").write_text(
        "from amanah.settings import *  # noqa\nCASE_REOPEN_DAYS = 3\n"
    )
    env = production(tmp_path, PYTHONPATH=str(tmp_path))
    monkeypatch.setenv("DJANGO_SETTINGS_MODULE", "bank_settings")  # as the deployment sets it
    (worker,) = supervisor.worker_programs(1)
    done = subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); from django.conf import "
         "settings; print(settings.SETTINGS_MODULE, settings.CASE_REOPEN_DAYS)"],
        env={**env, **worker.env}, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.stdout.strip() == "bank_settings 3", done.stderr
