"""Case intake by e-mail: a loopback IMAP mailbox (started and stopped by each test) read by the
job's own code (``mailbox.poll``, ``imaplib``) → a case, a note on the open case, or the
unmatched queue, through the one intake path; attachments kept as documents; the receipt by
e-mail through the hub; once per Message-ID (read twice, killed mid-batch); hostile mail
refused, logged without the body or the address, never a failed run."""

from __future__ import annotations

import logging
from email.message import EmailMessage
from email.utils import make_msgid
from unittest import mock

import pytest
from django.db import transaction
from django.test import Client
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from amanah.audit.models import AuditLog
from amanah.cases.models import Case, CaseActivity
from amanah.conftest import sign_in
from amanah.customers.services import CustomerInput, customer_create
from amanah.documents.models import Document
from amanah.documents.tests.conftest import pdf_bytes
from amanah.integrations import mailbox, monitor
from amanah.integrations.models import InboundIntake, IntakeStatus, SyncCounter
from amanah.integrations.testing import FakeImapServer
from amanah.messaging.models import Message
from amanah.messaging.tests.conftest import TUESDAY_10
from amanah.messaging.tests.test_notices import (  # noqa: F401 — fixtures
    at,
    jobs_before,
    run_jobs,
    seeded,
)

pytestmark = pytest.mark.django_db
EMAIL = "siti.aminah@contoh.co.id"
BODY = "Saya transfer Rp 500.000 tetapi belum masuk ke rekening tujuan. Mohon dibantu."


@pytest.fixture
def imap(settings):
    with FakeImapServer() as server:
        settings.INTEGRATIONS_MAIL_HOST = server.host
        settings.INTEGRATIONS_MAIL_PORT = server.port
        settings.INTEGRATIONS_MAIL_SSL = False
        settings.INTEGRATIONS_MAIL_USER = server.user
        settings.INTEGRATIONS_MAIL_PASSWORD = server.password
        settings.INTEGRATIONS_MAIL_TIMEOUT = 5
        yield server
    assert not server._server  # stopped: nothing listening after the test


@pytest.fixture
def siti(system, branch_a):
    return customer_create(
        actor=system,
        data=CustomerInput(
            full_name="Siti Aminah Nasution",
            home_branch=branch_a,
            email=EMAIL,
            phone="081260001111",
        ),
    )


def mail(
    *, sender=f"Siti Aminah <{EMAIL}>", subject="Transfer belum masuk", body=BODY, files=()
) -> bytes:
    message = EmailMessage()
    message["From"], message["To"] = sender, "pengaduan@bank.test"
    message["Subject"], message["Message-ID"] = subject, make_msgid(domain="contoh.co.id")
    message.set_content(body)
    for name, data, maintype, subtype in files:
        message.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    return bytes(message)


PDF = ("bukti-transfer.pdf", pdf_bytes("Bukti transfer"), "application", "pdf")
EXE = ("hadiah.exe", b"MZ\x90\x00" + b"\x00" * 64, "application", "octet-stream")


@pytest.mark.usefixtures("seeded")  # the approved receipt templates
def test_a_mail_from_a_customer_opens_an_email_case_with_its_files_and_an_email_receipt(
    imap, siti, django_capture_on_commit_callbacks
):
    # Upper case and a display name: matched on the normalised address.
    imap.add(mail(sender="Siti <SITI.Aminah@Contoh.co.id>", files=[PDF, EXE]))
    with at(TUESDAY_10), django_capture_on_commit_callbacks(execute=True):
        counts = mailbox.poll()
    assert counts == {"created": 1, "duplicate": 0, "rejected": 0, "failed": 0}
    (intake,) = InboundIntake.objects.all()
    assert (intake.channel, intake.status, intake.customer) == ("EMAIL", "CASE_CREATED", siti)
    assert intake.from_address == EMAIL and intake.source == "email:email-intake"
    assert intake.refused_attachments == ["file_type_not_allowed"]  # left out, the case still opens
    case = intake.case
    assert case.channel == "EMAIL" and "Transfer belum masuk" in case.description
    assert BODY in case.description
    (evidence,) = Document.objects.filter(owner_kind="cases.Case", owner_id=str(case.pk))
    assert (evidence.title, evidence.doc_type) == ("bukti-transfer.pdf", "EVIDENCE")
    assert AuditLog.objects.get(action="CREATE_CASE").actor_username == "integration:email-intake"
    assert imap.seen == {1} and imap.commands.count("STORE") == 1  # \Seen after the commit
    # The receipt: the hub's own notice, by e-mail (the customer has an address).
    with at(TUESDAY_10):
        run_jobs()
    (receipt,) = Message.objects.filter(source="CASE", source_id=str(case.pk))
    assert (receipt.channel, receipt.purpose, receipt.step) == ("EMAIL", "SERVICE", "receipt")
    # The mailbox is a system on the sync monitor: a successful read.
    counter = SyncCounter.objects.get(system__name="email-intake")
    assert counter.calls == 1 and counter.failures == 0 and counter.last_success_at


def test_a_second_mail_is_a_note_and_an_unknown_sender_waits_unmatched_with_its_file(
    imap, siti, admin, agent
):
    imap.add(mail())
    imap.add(mail(subject="Susulan", body="Mohon kabarnya, sudah dua hari belum ada jawaban."))
    imap.add(mail(sender="orang.lain@contoh.co.id", files=[PDF]))
    assert mailbox.poll()["created"] == 3
    assert Case.objects.count() == 1
    note = InboundIntake.objects.get(status=IntakeStatus.NOTE_ADDED)
    assert note.case == Case.objects.get()
    assert CaseActivity.objects.filter(message__contains="sudah dua hari").exists()
    queued = InboundIntake.objects.get(status=IntakeStatus.UNMATCHED)
    assert queued.from_address == "orang.lain@contoh.co.id" and queued.masked_from != (
        queued.from_address
    )
    (kept,) = Document.objects.filter(owner_kind="integrations.InboundIntake")
    assert kept.owner_id == str(queued.pk) and kept.doc_type == "EVIDENCE"
    (line,) = [x for x in monitor.health(actor=admin) if x.system.name == "email-intake"]
    assert line.unmatched == 1
    # The agent working the queue sees the mail's file beside its text.
    client = Client()
    sign_in(client, agent)
    page = client.get(f"/integrasi/pesan-masuk/{queued.pk}/").content.decode()
    assert 'data-testid="intake-files"' in page and "bukti-transfer.pdf" in page


class Killed(BaseException):
    """The worker dies (SIGKILL is no exception the job could catch)."""


def test_a_mailbox_read_twice_or_a_worker_killed_mid_batch_files_nothing_twice(imap, siti):
    for n in range(3):
        imap.add(mail(sender=f"nasabah{n}@contoh.co.id"))
    real = mailbox._mark_seen
    calls = []

    def dies_on_the_second(client, num):
        calls.append(num)
        if len(calls) == 2:
            raise Killed  # after the second mail's intake committed, before its \Seen
        real(client, num)

    with mock.patch.object(mailbox, "_mark_seen", dies_on_the_second), pytest.raises(Killed):
        mailbox.poll()
    assert InboundIntake.objects.count() == 2 and imap.seen == {1}
    assert mailbox.poll() == {"created": 1, "duplicate": 1, "rejected": 0, "failed": 0}
    assert InboundIntake.objects.count() == 3 and imap.seen == {1, 2, 3}
    imap.seen.clear()  # the whole mailbox again (a restored backup, another client)
    assert mailbox.poll() == {"created": 0, "duplicate": 3, "rejected": 0, "failed": 0}
    assert InboundIntake.objects.count() == 3
    assert AuditLog.objects.filter(action="RECEIVE_INTAKE").count() == 3


def _raw(headers: str, body: bytes = BODY.encode()) -> bytes:
    return headers.replace("\n", "\r\n").encode() + b"\r\n" + body


HOSTILE = {
    "nul_byte": _raw(f"From: {EMAIL}\nSubject: a\x00b\nMessage-ID: <n1@x>\n"),
    "nul_in_text": _raw(f"From: {EMAIL}\nMessage-ID: <n2@x>\n", b"Halo\x00dunia"),
    "header_injection": _raw(
        f"From: {EMAIL}\nSubject: =?utf-8?b?SGFsbw0KQmNjOiBzZW11YUBiYW5rLnRlc3Q=?=\n"
        "Message-ID: <n3@x>\n"
    ),
    "two_senders": _raw(f"From: {EMAIL}\nFrom: lain@contoh.co.id\nMessage-ID: <n4@x>\n"),
    "no_sender": _raw("Subject: tanpa pengirim\nMessage-ID: <n5@x>\n"),
    "bad_charset": _raw(
        f"From: {EMAIL}\nMessage-ID: <n6@x>\nContent-Type: text/plain; charset=x-klingon\n"
    ),
    "bad_encoding": _raw(
        f"From: {EMAIL}\nMessage-ID: <n7@x>\nContent-Type: text/plain; charset=utf-8\n",
        b"Saldo \xff\xfe terpotong",
    ),
    "too_large": _raw(f"From: {EMAIL}\nMessage-ID: <n8@x>\n", b"x" * 20_000),
}


def test_hostile_mail_is_refused_logged_without_body_or_address_and_the_run_goes_on(
    imap, siti, settings, caplog
):
    settings.INTEGRATIONS_MAIL_MAX_BYTES = 10_000
    caplog.set_level(logging.DEBUG)
    for raw in HOSTILE.values():
        imap.add(raw)
    good = imap.add(mail())
    counts = mailbox.poll()
    assert counts == {"created": 1, "duplicate": 0, "rejected": len(HOSTILE), "failed": 0}
    (intake,) = InboundIntake.objects.all()  # only the good one
    assert intake.status == IntakeStatus.CASE_CREATED and Case.objects.count() == 1
    assert imap.seen == set(range(1, good + 1))  # refused ones are not read again
    assert len(HOSTILE) not in imap.fetched  # the oversized one was refused unread
    reasons = {r.getMessage().split("(")[-1].rstrip(")") for r in caplog.records}
    assert {"nul_byte", "header_injection", "bad_sender", "bad_charset", "too_large"} <= reasons
    assert "bad_encoding" in reasons
    for secret in (EMAIL, "siti.aminah", "terpotong", "Halo", "semua@bank.test", "lain@"):
        assert secret not in caplog.text
    counter = SyncCounter.objects.get(system__name="email-intake")
    assert counter.failures == len(HOSTILE) and counter.last_failure_reason.startswith("mail_")


def test_a_refused_login_or_a_mailbox_down_is_a_failure_on_the_sync_monitor(imap, settings, admin):
    assert mailbox.poll()["created"] == 0  # configured, empty: a successful read
    settings.INTEGRATIONS_MAIL_PASSWORD = "salah"
    assert mailbox.poll()["error"] == "mailbox_refused"
    imap.stop()
    assert mailbox.poll()["error"] == "mailbox_down"
    (line,) = [x for x in monitor.health(actor=admin) if x.system.name == "email-intake"]
    assert line.failures == 2 and line.last_failure_reason == "mailbox_down"
    assert AuditLog.objects.filter(action="CREATE_EXTERNAL_SYSTEM").count() == 1  # made once
    # The monitor shows the mailbox's settings, never its password.
    client = Client()
    sign_in(client, admin)
    page = client.get("/integrasi/monitor/").content.decode()
    assert 'id="sync-mailbox"' in page and f"{imap.host}:{imap.port}" in page
    assert "salah" not in page and imap.user not in page
    imap.start()  # the fixture stops it again


def test_without_a_mailbox_the_job_does_nothing(settings):
    settings.INTEGRATIONS_MAIL_HOST = ""
    assert mailbox.poll() == {"configured": False}
    with transaction.atomic():
        assert not SyncCounter.objects.exists()


_MAILISH = st.builds(
    lambda sender, subject, charset, body: (
        b"From: " + sender + b"\r\nSubject: " + subject + b"\r\nMessage-ID: <f@x>\r\n"
        b"Content-Type: text/plain; charset=" + charset + b"\r\n\r\n" + body
    ),
    st.one_of(st.just(EMAIL.encode()), st.binary(max_size=60)),
    st.binary(max_size=80),
    st.sampled_from([b"utf-8", b"iso-8859-1", b"x-unknown", b'"', b"utf-7"]),
    st.binary(max_size=300),
)


@given(raw=st.one_of(st.binary(max_size=600), _MAILISH))
@hsettings(max_examples=80, deadline=None)
def test_any_bytes_are_parsed_or_refused_with_a_known_code(raw):
    """No input makes the parser fail otherwise: a poison mail would be retried for ever."""
    try:
        parsed = mailbox.parse_mail(raw)
    except mailbox.MailRejected as refused:
        assert refused.code in mailbox.REASONS
    else:
        assert "\x00" not in parsed.text and "@" in parsed.from_address
        assert len(parsed.message_id) <= 200
