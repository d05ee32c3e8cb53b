"""The outbox under faults, on a real database with real threads and the loopback SMTP
server: consent withdrawn while batches are being sent (nothing reaches a customer after
their withdrawal committed), and concurrent dispatchers (every message exactly once)."""

import random
import threading
import time

from django.db import connection

from amanah.consent.models import ConsentRecord
from amanah.consent.services import consent_change
from amanah.consent.testing import committed, run_in_threads  # noqa: F401 (fixture)
from amanah.customers.models import Customer
from amanah.messaging import dispatch
from amanah.messaging.contract import Rendered, message_queue_many
from amanah.messaging.models import Message, ProviderBucket
from amanah.messaging.tests.conftest import TUESDAY_10, grant

CUSTOMERS = 120
SENDERS = 3
WITHDRAWERS = 3
WITHDRAWALS_EACH = 12
OFFER = Rendered(subject="Promo tabungan", text="Buka tabungan, dapat hadiah.")


def _emails(customers) -> None:
    for customer in customers:
        customer.email = f"konkuren.{customer.pk.hex[:12]}@contoh.co.id"
    Customer.objects.bulk_update(customers, ["email"])


def _remove_messages(branch) -> None:
    Message.objects.filter(customer__home_branch=branch).delete()
    ProviderBucket.objects.filter(provider="smtp").delete()
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM procrastinate_jobs WHERE queue_name = 'messaging'")


def test_withdrawals_during_dispatch_are_honoured_and_nothing_is_sent_twice(
    committed,  # noqa: F811
    smtp_server,
    settings,
):
    settings.MESSAGING_BATCH_SIZE = 15
    smtp_server.delay = 0.005
    customers = committed.customers(CUSTOMERS)
    committed.on_cleanup(lambda: _remove_messages(committed.branch))
    committed.run(lambda: (_emails(customers), grant(customers)))
    counts = committed.run(
        lambda: message_queue_many(
            actor=committed.system,
            customers=Customer.objects.filter(home_branch=committed.branch),
            channel="EMAIL",
            purpose="OFFER",
            rendered=OFFER,
            source="CAMPAIGN",
            source_id="konkuren",
            at=TUESDAY_10,
        )
    )
    assert counts["queued"] == CUSTOMERS
    emails = {c.pk: c.email for c in customers}
    chosen = random.Random(7).sample(customers, WITHDRAWERS * WITHDRAWALS_EACH)
    withdrawn_at: dict = {}
    lock = threading.Lock()

    def send() -> None:
        while dispatch.dispatch_batch("EMAIL", at=TUESDAY_10)["claimed"]:
            pass

    def withdraw(n: int) -> None:
        for customer in chosen[n * WITHDRAWALS_EACH : (n + 1) * WITHDRAWALS_EACH]:
            time.sleep(random.uniform(0, 0.02))  # noqa: S311
            consent_change(
                actor=committed.system,
                customer=customer,
                consent_type="MARKETING",
                new_status="WITHDRAWN",
                channel="CALL_CENTER",
                verification_method="PHONE_OTP",
            )
            with lock:
                withdrawn_at[customer.pk] = time.monotonic()  # committed by now

    def work(n: int) -> None:
        send() if n < SENDERS else withdraw(n - SENDERS)

    assert run_in_threads(work, SENDERS + WITHDRAWERS, timeout=180) == []

    rows = dict(Message.objects.filter(source_id="konkuren").values_list("customer_id", "status"))
    reasons = set(
        Message.objects.filter(source_id="konkuren", status="CANCELLED").values_list(
            "cancel_reason", flat=True
        )
    )
    assert set(rows.values()) <= {"SENT", "CANCELLED"} and reasons <= {"NO_CONSENT"}
    sent = {pk for pk, status in rows.items() if status == "SENT"}
    cancelled = set(rows) - sent
    assert cancelled <= set(withdrawn_at), "cancelled only for a withdrawal"
    by_address = {smtp_server.recipients[key][0]: at for key, at in smtp_server.received_at.items()}
    assert smtp_server.submissions == len(smtp_server.mailbox) == len(sent), "once each"
    assert set(by_address) == {emails[pk] for pk in sent}
    for customer_id, committed_at in withdrawn_at.items():
        received = by_address.get(emails[customer_id])
        if received is not None:
            # Sent although withdrawn: only when the mail left before the withdrawal
            # committed (it waited for the batch's FOR SHARE lock).
            assert received < committed_at, "a mail left after the withdrawal committed"
    assert ConsentRecord.objects.filter(
        customer_id__in=withdrawn_at, new_status="WITHDRAWN"
    ).count() == len(withdrawn_at)


def test_the_token_bucket_is_shared_by_concurrent_dispatchers(
    committed,  # noqa: F811
    smtp_server,
    settings,
):
    """Four dispatchers at the same moment share one bucket of 10 tokens: 10 mails, not 40."""
    settings.MESSAGING_RATE_LIMITS_OFF = False
    settings.MESSAGING_RATE_LIMITS = {"smtp": {"per_second": 1, "burst": 10}}
    settings.MESSAGING_BATCH_SIZE = 10
    customers = committed.customers(40)
    committed.on_cleanup(lambda: _remove_messages(committed.branch))

    def prepare():
        _emails(customers)
        message_queue_many(
            actor=committed.system,
            customers=Customer.objects.filter(home_branch=committed.branch),
            channel="EMAIL",
            purpose="SERVICE",
            rendered=OFFER,
            source="CASE",
            source_id="bucket",
            at=TUESDAY_10,
        )
        ProviderBucket.objects.update_or_create(
            provider="smtp", defaults={"tokens": 10, "refilled_at": TUESDAY_10}
        )

    committed.run(prepare)
    claimed: list[int] = []
    assert (
        run_in_threads(
            lambda _n: claimed.append(dispatch.dispatch_batch("EMAIL", at=TUESDAY_10)["claimed"]),
            4,
        )
        == []
    )
    assert sum(claimed) == 10
    assert smtp_server.submissions == 10
    assert Message.objects.filter(source_id="bucket", status="SENT").count() == 10
