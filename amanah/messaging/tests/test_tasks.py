"""The dispatch job: one waiting job per channel, a follower while there is more, and no
busy loop while the provider is paused."""

from datetime import timedelta

from django.db import connection
from django.utils import timezone

from amanah.messaging import tasks
from amanah.messaging.contract import Rendered, message_queue
from amanah.messaging.ratelimit import pause


def _jobs() -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT status, scheduled_at FROM procrastinate_jobs"
            " WHERE queueing_lock = 'messaging-dispatch-EMAIL' ORDER BY id"
        )
        return cursor.fetchall()


def _queue(system, customers):
    for customer in customers:
        message_queue(
            actor=system,
            channel="EMAIL",
            purpose="SERVICE",
            rendered=Rendered(subject="S", text="T"),
            source="CASE",
            source_id="jobs",
            customer=customer,
            at=timezone.now(),
        )


def test_queueing_many_messages_leaves_one_waiting_job(system, make_customers, settings):
    settings.CONTACT_WINDOWS = {}
    _queue(system, make_customers(3))
    assert [status for status, _at in _jobs()] == ["todo"]


def test_a_paused_provider_is_come_back_to_when_the_pause_ends(system, make_customers, settings):
    settings.CONTACT_WINDOWS = {}
    _queue(system, make_customers(2))
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM procrastinate_jobs WHERE queueing_lock LIKE 'messaging-%%'")
    until = pause("smtp", timezone.now(), 120)
    assert tasks.dispatch(channel="EMAIL") == {"claimed": 0}
    ((status, scheduled_at),) = _jobs()
    assert status == "todo"
    assert until - timedelta(seconds=5) <= scheduled_at <= until + timedelta(seconds=5)
