"""A real worker SIGKILLed in the middle of a dispatch batch: after recovery every message
reached the SMTP server exactly once (per Message-ID), and no address or body was logged.

Real ``procrastinate`` workers on the test database (see ``core/tests/test_worker_faults``
for the harness), the loopback SMTP server slowed down so that a batch is surely half sent
when the first worker is killed. The second worker finds the killed job through
``retry_stalled_jobs`` and the rows left SENDING through the stall threshold, and sends them
again with the same Message-ID: the server stores each Message-ID once, and we count the
SMTP submissions apart to see that copies were in fact sent.
"""

import signal

from django.db import connection

from amanah.consent.testing import committed  # noqa: F401 (fixture)
from amanah.core.tests.conftest import on_own_connection  # noqa: F401 (fixture)
from amanah.core.tests.test_worker_faults import (  # noqa: F401 (fixtures)
    database,
    processes,
    wait_until,
)
from amanah.customers.models import Customer
from amanah.messaging.contract import Rendered, message_queue_many
from amanah.messaging.models import Message, ProviderBucket

COUNT = 120
BODY = "Kabar kasus Anda: sedang diproses oleh petugas kami."


def _remove_messages(branch) -> None:
    Message.objects.filter(customer__home_branch=branch).delete()
    ProviderBucket.objects.filter(provider="smtp").delete()
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM procrastinate_jobs WHERE queue_name = 'messaging'")


def _worker(processes, name):  # noqa: F811
    return processes.start(
        name, "django", "procrastinate", "worker", "-q", "messaging,housekeeping", "-c", "1"
    )


def test_a_worker_killed_mid_batch_loses_and_duplicates_nothing(
    committed,  # noqa: F811
    database,  # noqa: F811
    processes,  # noqa: F811
    smtp_server,
    settings,
):
    settings.CONTACT_WINDOWS = {}
    smtp_server.delay = 0.03  # a batch of 40 takes over a second
    processes.env.update(
        {
            "EMAIL_HOST": "127.0.0.1",
            "EMAIL_PORT": str(smtp_server.port),
            "CONTACT_WINDOWS_ENFORCED": "0",
            "MESSAGING_BATCH_SIZE": "40",
            "MESSAGING_RATE_LIMITS_OFF": "1",
            "MESSAGING_STALLED_SECONDS": "3",
            "MESSAGING_DISPATCH_CRON": "* * * * * */2",
        }
    )
    customers = committed.customers(COUNT)
    committed.on_cleanup(lambda: _remove_messages(committed.branch))

    def queue():
        for customer in customers:
            customer.email = f"kill.{customer.pk.hex[:12]}@contoh.co.id"
        Customer.objects.bulk_update(customers, ["email"])
        return message_queue_many(
            actor=committed.system,
            customers=Customer.objects.filter(home_branch=committed.branch),
            channel="EMAIL",
            purpose="SERVICE",
            rendered=Rendered(subject="Kabar kasus", text=BODY),
            source="CASE",
            source_id="kill-test",
        )

    assert committed.run(queue)["queued"] == COUNT
    first = _worker(processes, "worker-1")
    wait_until(lambda: smtp_server.submissions >= 10, "worker 1 is sending", processes)
    first.send_signal(signal.SIGKILL)
    first.wait()
    halfway = smtp_server.submissions
    assert halfway < COUNT, "killed in the middle, not after the end"

    _worker(processes, "worker-2")

    def all_sent() -> bool:
        return (
            database.scalar(
                "SELECT count(*) FROM messaging_message WHERE source_id = 'kill-test'"
                " AND status = 'SENT'"
            )
            == COUNT
        )

    wait_until(all_sent, "worker 2 sends the rest", processes)
    ids = {
        f"<{pk}@amanah.local>"
        for pk in committed.run(
            lambda: list(Message.objects.filter(source_id="kill-test").values_list("pk", flat=True))
        )
    }
    assert set(smtp_server.mailbox) == ids, "every message arrived, each Message-ID once"
    assert sorted(r[0] for r in smtp_server.recipients.values()) == sorted(
        c.email for c in Customer.objects.filter(pk__in=[c.pk for c in customers])
    )
    assert smtp_server.submissions >= COUNT  # copies of the killed batch were re-sent …
    logs = processes.logs()
    assert BODY not in logs
    assert "@contoh.co.id" not in logs
