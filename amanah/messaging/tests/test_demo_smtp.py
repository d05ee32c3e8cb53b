"""The demo's mail server files what it receives in a Maildir and stops on SIGTERM."""

import mailbox
import signal
import smtplib
import subprocess
import sys
import time
from email.message import EmailMessage

from amanah.messaging.testing import free_port


def _connect(port: int, deadline: float) -> smtplib.SMTP:
    while True:
        try:
            return smtplib.SMTP("127.0.0.1", port, timeout=5)
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def test_the_demo_mail_server_files_each_mail_and_stops_on_sigterm(tmp_path):
    port, maildir = free_port(), tmp_path / "mail"
    server = subprocess.Popen(
        [sys.executable, "-m", "amanah.messaging.demo_smtp", "--port", str(port),
         "--maildir", str(maildir)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        mail = EmailMessage()
        mail["From"], mail["To"], mail["Subject"] = "crm@bank.test", "budi@contoh.co.id", "Uji"
        mail.set_content("Isi surat uji")
        with _connect(port, time.monotonic() + 30) as smtp:
            smtp.send_message(mail)
        (filed,) = mailbox.Maildir(maildir).values()
        assert filed["Subject"] == "Uji"
    finally:
        server.send_signal(signal.SIGTERM)
        output, _ = server.communicate(timeout=30)
    assert server.returncode == 0
    assert b"budi@contoh.co.id" not in output
    assert b"Isi surat uji" not in output
