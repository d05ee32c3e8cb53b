"""Queue → dispatch → a real SMTP server on loopback; retries, outages, re-checks."""

from datetime import timedelta

import pytest

from amanah.audit.models import AuditLog
from amanah.consent.services import consent_change
from amanah.messaging import addresses, dispatch
from amanah.messaging.contract import Rendered, message_queue, message_queue_many
from amanah.messaging.models import Message, MessageStatus
from amanah.messaging.ratelimit import paused_until
from amanah.messaging.tests.conftest import TUESDAY_10, TUESDAY_2230

RECEIPT = Rendered(
    subject="Tanda terima pengaduan",
    text="Pengaduan Anda sudah kami terima.",
    html="<p>Pengaduan Anda sudah <b>kami terima</b>.</p>",
)


def _queue(system, customer, *, purpose="SERVICE", step="receipt", at=TUESDAY_10):
    return message_queue(
        actor=system,
        channel="EMAIL",
        purpose=purpose,
        rendered=RECEIPT,
        source="CASE",
        source_id="CASE-1",
        step=step,
        customer=customer,
        at=at,
    )


def test_a_queued_email_reaches_the_smtp_server_once_with_both_parts(
    system, make_customers, smtp_server
):
    (customer,) = make_customers(1)
    message = _queue(system, customer)
    assert message.status == MessageStatus.QUEUED
    assert customer.email not in message.address_sealed
    assert addresses.open_sealed(message.address_sealed) == customer.email
    assert message.address_masked == addresses.mask("EMAIL", customer.email)

    counts = dispatch.dispatch_batch("EMAIL", at=TUESDAY_10)

    assert counts == {"claimed": 1, "sent": 1}
    assert smtp_server.submissions == 1
    (mail,) = smtp_server.mailbox.values()
    assert mail["Message-ID"] == f"<{message.pk}@amanah.local>"
    assert mail["Subject"] == RECEIPT.subject
    assert smtp_server.recipients[mail["Message-ID"]] == [customer.email]
    parts = {
        part.get_content_type(): part.get_content()
        for part in mail.walk()
        if not part.is_multipart()
    }
    assert RECEIPT.text in parts["text/plain"]
    assert RECEIPT.html in parts["text/html"]
    message.refresh_from_db()
    assert message.status == MessageStatus.SENT
    assert message.provider_message_id == mail["Message-ID"]
    assert dispatch.dispatch_batch("EMAIL", at=TUESDAY_10) == {"claimed": 0}
    assert smtp_server.submissions == 1


def test_queueing_twice_queues_once_and_audits_both_calls_without_the_address(
    system, make_customers
):
    (customer,) = make_customers(1)
    first = _queue(system, customer)
    again = _queue(system, customer)
    assert first.pk == again.pk
    assert Message.objects.filter(customer=customer).count() == 1
    logs = list(AuditLog.objects.filter(action="QUEUE_MESSAGES").order_by("id"))[-2:]
    assert [log.meta["queued"] for log in logs] == [1, 0]
    assert [log.meta["already_queued"] for log in logs] == [0, 1]
    assert all(customer.email not in str(log.meta) for log in logs)


def test_an_offer_without_consent_is_kept_cancelled_with_the_reason(system, make_customers):
    (customer,) = make_customers(1)
    message = _queue(system, customer, purpose="OFFER")
    assert message.status == MessageStatus.CANCELLED
    assert message.cancel_reason == "NO_CONSENT"
    assert dispatch.dispatch_batch("EMAIL", at=TUESDAY_10) == {"claimed": 0}


def test_outside_the_window_the_message_waits_for_it(system, make_customers, smtp_server):
    (customer,) = make_customers(1)
    message = _queue(system, customer, at=TUESDAY_2230)
    assert message.status == MessageStatus.QUEUED
    opens = message.next_attempt_at
    assert opens > TUESDAY_2230
    assert dispatch.dispatch_batch("EMAIL", at=TUESDAY_2230) == {"claimed": 0}
    assert dispatch.dispatch_batch("EMAIL", at=opens)["sent"] == 1
    assert smtp_server.submissions == 1


def test_many_customers_queue_in_one_statement_with_counts(system, make_customers):
    granted = make_customers(3, granted=True)
    refused = make_customers(2)
    make_customers(1, email=False)
    from amanah.customers.models import Customer

    everyone = Customer.objects.filter(home_branch=granted[0].home_branch)
    kwargs = dict(
        actor=system,
        customers=everyone,
        channel="EMAIL",
        purpose="OFFER",
        rendered=RECEIPT,
        source="CAMPAIGN",
        source_id="C-1",
        at=TUESDAY_10,
    )
    counts = message_queue_many(**kwargs)
    assert counts == {
        "queued": 3,
        "waiting": 0,
        "cancelled": {"NO_CONSENT": 2},
        "no_address": 1,
        "already_queued": 0,
    }
    assert message_queue_many(**kwargs)["already_queued"] == 5
    assert Message.objects.filter(source_id="C-1").count() == 5
    assert set(
        Message.objects.filter(status="CANCELLED", source_id="C-1").values_list(
            "customer", flat=True
        )
    ) == {c.pk for c in refused}
    log = AuditLog.objects.filter(action="QUEUE_MESSAGES").order_by("-id").first()
    assert log.meta["already_queued"] == 5 and "@" not in str(log.meta)


def test_a_withdrawal_before_the_send_cancels_the_message(
    system, make_customers, smtp_server, make_user
):
    (customer,) = make_customers(1, granted=True)
    message = _queue(system, customer, purpose="OFFER")
    assert message.status == MessageStatus.QUEUED
    consent_change(
        actor=system,
        customer=customer,
        consent_type="MARKETING",
        new_status="WITHDRAWN",
        channel="BRANCH",
        verification_method="IN_PERSON",
    )
    counts = dispatch.dispatch_batch("EMAIL", at=TUESDAY_10)
    assert counts == {"claimed": 1, "cancelled": 1}
    message.refresh_from_db()
    assert (message.status, message.cancel_reason) == ("CANCELLED", "NO_CONSENT")
    assert smtp_server.submissions == 0


@pytest.mark.parametrize(
    ("reply", "status", "code"),
    [
        ("451 4.3.0 try again later", "QUEUED", "smtp_451"),
        ("550 5.1.1 no such user", "FAILED", "smtp_550"),
    ],
)
def test_smtp_refusals_retry_with_backoff_or_fail(
    system, make_customers, smtp_server, reply, status, code
):
    (customer,) = make_customers(1)
    message = _queue(system, customer)
    smtp_server.fail_with(reply)
    dispatch.dispatch_batch("EMAIL", at=TUESDAY_10)
    message.refresh_from_db()
    assert (message.status, message.last_error_code, message.attempts) == (status, code, 1)
    if status == "QUEUED":
        assert TUESDAY_10 + timedelta(seconds=15) <= message.next_attempt_at
        assert message.next_attempt_at <= TUESDAY_10 + timedelta(seconds=30)
        assert dispatch.dispatch_batch("EMAIL", at=TUESDAY_10) == {"claimed": 0}
        dispatch.dispatch_batch("EMAIL", at=message.next_attempt_at)
        message.refresh_from_db()
        assert message.status == "SENT" and smtp_server.submissions == 1


def test_retryable_errors_end_in_the_dead_letters(system, make_customers, smtp_server, settings):
    settings.MESSAGING_MAX_ATTEMPTS = 3
    (customer,) = make_customers(1)
    message = _queue(system, customer)
    smtp_server.fail_with("421 4.7.0 slow down", times=3)
    at = TUESDAY_10
    for _attempt in range(3):
        dispatch.dispatch_batch("EMAIL", at=at)
        message.refresh_from_db()
        at = message.next_attempt_at
    assert (message.status, message.attempts) == ("DEAD", 3)


def test_an_outage_pauses_the_provider_and_loses_nothing(system, make_customers, smtp_server):
    customers = make_customers(3)
    for customer in customers:
        _queue(system, customer)
    smtp_server.stop()
    counts = dispatch.dispatch_batch("EMAIL", at=TUESDAY_10)
    assert counts == {"claimed": 3, "released": 3}
    assert paused_until("smtp") > TUESDAY_10
    rows = Message.objects.filter(customer__in=customers)
    assert set(rows.values_list("status", "attempts")) == {("QUEUED", 0)}
    assert dispatch.dispatch_batch("EMAIL", at=TUESDAY_10 + timedelta(seconds=5)) == {"claimed": 0}
    smtp_server.start()
    later = paused_until("smtp") + timedelta(seconds=1)
    assert dispatch.dispatch_batch("EMAIL", at=later) == {"claimed": 3, "sent": 3}
    assert len(smtp_server.mailbox) == 3 and smtp_server.submissions == 3


def test_rows_left_sending_by_a_dead_worker_are_sent_again_with_the_same_id(
    system, make_customers, smtp_server, settings
):
    (customer,) = make_customers(1)
    message = _queue(system, customer)
    # A worker claimed the row and died before its send transaction committed — after the
    # provider had already taken the mail.
    assert dispatch._claim("EMAIL", "smtp", TUESDAY_10, 1000) == [message.pk]
    from amanah.messaging.providers import provider_for

    provider_for("EMAIL").send(dispatch._outgoing(Message.objects.get(pk=message.pk)))
    early = TUESDAY_10 + timedelta(seconds=settings.MESSAGING_STALLED_SECONDS - 1)
    assert dispatch.dispatch_batch("EMAIL", at=early) == {"claimed": 0}
    late = TUESDAY_10 + timedelta(seconds=settings.MESSAGING_STALLED_SECONDS + 1)
    assert dispatch.dispatch_batch("EMAIL", at=late) == {"claimed": 1, "sent": 1}
    assert smtp_server.submissions == 2  # sent twice over SMTP …
    assert list(smtp_server.mailbox) == [f"<{message.pk}@amanah.local>"]  # … received once


def test_the_rate_limit_is_shared_through_the_bucket(system, make_customers, smtp_server, settings):
    settings.MESSAGING_RATE_LIMITS_OFF = False
    settings.MESSAGING_RATE_LIMITS = {"smtp": {"per_second": 2, "burst": 2}}
    for customer in make_customers(5):
        _queue(system, customer)
    dispatch.dispatch_batch("EMAIL", at=TUESDAY_10)  # creates the bucket empty
    assert dispatch.dispatch_batch("EMAIL", at=TUESDAY_10 + timedelta(seconds=1))["sent"] == 2
    assert dispatch.dispatch_batch("EMAIL", at=TUESDAY_10 + timedelta(seconds=1)) == {"claimed": 0}
    assert dispatch.dispatch_batch("EMAIL", at=TUESDAY_10 + timedelta(seconds=60))["sent"] == 2


def test_no_address_or_body_in_the_logs(system, make_customers, smtp_server, caplog):
    customers = make_customers(2)
    with caplog.at_level("DEBUG"):
        for customer in customers:
            _queue(system, customer)
        smtp_server.stop()
        dispatch.dispatch_batch("EMAIL", at=TUESDAY_10)
        smtp_server.start()
        dispatch.dispatch_batch("EMAIL", at=TUESDAY_10 + timedelta(hours=1))
    text = caplog.text
    assert "unavailable" in text
    for customer in customers:
        assert customer.email not in text
    assert RECEIPT.text not in text and RECEIPT.subject not in text


def test_a_timeout_is_retried_later(system, make_customers, smtp_server, settings):
    settings.EMAIL_TIMEOUT = 1
    smtp_server.delay = 2.5  # the server answers DATA after the client gave up
    (customer,) = make_customers(1)
    message = _queue(system, customer)
    assert dispatch.dispatch_batch("EMAIL", at=TUESDAY_10) == {"claimed": 1, "queued": 1}
    message.refresh_from_db()
    assert (message.status, message.last_error_code, message.attempts) == (
        "QUEUED",
        "smtp_timeout",
        1,
    )
    assert message.next_attempt_at > TUESDAY_10


def test_the_smtp_provider_sends_attachments(smtp_server):
    from amanah.messaging.providers.base import Attachment, OutgoingMessage
    from amanah.messaging.providers.email import SmtpProvider

    pdf = b"%PDF-1.4 tanda terima"
    accepted = SmtpProvider().send(
        OutgoingMessage(
            message_id="3f1c2b7e-0000-4000-8000-000000000001",
            channel="EMAIL",
            to="penerima@contoh.co.id",
            subject="Tanda terima",
            text="Terlampir tanda terima Anda.",
            html="<p>Terlampir tanda terima Anda.</p>",
            attachments=(Attachment("tanda-terima.pdf", pdf, "application/pdf"),),
        )
    )
    mail = smtp_server.mailbox[accepted.provider_message_id]
    (attached,) = list(mail.iter_attachments())
    assert attached.get_filename() == "tanda-terima.pdf"
    assert attached.get_content() == pdf
