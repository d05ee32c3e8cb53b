"""A provider that declares ``concurrent_sends`` gets several calls in flight at once
(``dispatch._hand_over``), and an outage found midway still loses and duplicates nothing."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from amanah.customers.models import Customer
from amanah.messaging import dispatch
from amanah.messaging.contract import Rendered, message_queue_many
from amanah.messaging.models import Message, MessageStatus
from amanah.messaging.providers.base import Accepted, ProviderUnavailable
from amanah.messaging.ratelimit import paused_until
from amanah.messaging.tests.conftest import TUESDAY_10

RECEIPT = Rendered(subject="Tanda terima", text="Pengaduan Anda sudah kami terima.")


class HttpLikeProvider:
    """Stands in for an HTTP API adapter; records which thread took which message."""

    name = "smtp"
    channel = "EMAIL"
    concurrent_sends = True

    def __init__(self, *, meet: int = 0, away_on_call: int | None = None):
        self._lock = threading.Lock()
        self._calls = 0
        self._meet = threading.Barrier(meet, timeout=5) if meet else None
        self._away_on_call = away_on_call
        self.accepted: list[str] = []
        self.threads: set[str] = set()

    def send(self, message):
        with self._lock:
            self._calls += 1
            call = self._calls
            self.threads.add(threading.current_thread().name)
        if self._meet is not None and call <= self._meet.parties:
            self._meet.wait()  # only returns if that many calls are in flight together
        if call == self._away_on_call:
            raise ProviderUnavailable("smtp_unreachable")
        with self._lock:
            self.accepted.append(message.message_id)
        return Accepted(provider_message_id=f"p-{message.message_id}")


def _queue(system, customers) -> list:
    message_queue_many(
        actor=system,
        customers=Customer.objects.filter(pk__in=[c.pk for c in customers]),
        channel="EMAIL",
        purpose="SERVICE",
        rendered=RECEIPT,
        source="CASE",
        source_id="CASE-CONC",
        at=TUESDAY_10,
    )
    return list(Message.objects.filter(source_id="CASE-CONC").values_list("pk", flat=True))


@pytest.fixture
def provider(monkeypatch):
    def use(**options) -> HttpLikeProvider:
        chosen = HttpLikeProvider(**options)
        monkeypatch.setattr(dispatch, "provider_for", lambda channel: chosen)
        return chosen

    return use


def test_calls_overlap_for_a_provider_that_allows_it(system, make_customers, provider, settings):
    settings.MESSAGING_SEND_CONCURRENCY = 4
    ids = _queue(system, make_customers(6))
    fake = provider(meet=3)  # three sends must be waiting at once, or the barrier breaks

    counts = dispatch.dispatch_batch("EMAIL", at=TUESDAY_10)

    assert counts == {"claimed": 6, "sent": 6}
    assert sorted(fake.accepted) == sorted(str(pk) for pk in ids)
    assert len(fake.threads) >= 3 and threading.current_thread().name not in fake.threads
    assert set(Message.objects.filter(pk__in=ids).values_list("status", flat=True)) == {"SENT"}


def test_one_lane_sends_one_after_the_other(system, make_customers, provider, settings):
    settings.MESSAGING_SEND_CONCURRENCY = 1
    _queue(system, make_customers(3))
    fake = provider()

    assert dispatch.dispatch_batch("EMAIL", at=TUESDAY_10) == {"claimed": 3, "sent": 3}
    assert fake.threads == {threading.current_thread().name}


def test_an_outage_midway_keeps_every_message_and_sends_none_twice(
    system, make_customers, provider, settings
):
    settings.MESSAGING_SEND_CONCURRENCY = 4
    ids = _queue(system, make_customers(40))
    fake = provider(away_on_call=10)

    counts = dispatch.dispatch_batch("EMAIL", at=TUESDAY_10)

    sent_first = set(fake.accepted)
    assert counts["claimed"] == 40 and counts["sent"] + counts["released"] == 40
    assert 9 <= counts["sent"] < 40  # the calls before the outage, and those already in flight
    assert paused_until("smtp") > TUESDAY_10
    rows = dict(Message.objects.filter(pk__in=ids).values_list("pk", "status"))
    assert {str(pk) for pk, status in rows.items() if status == MessageStatus.SENT} == sent_first
    held = Message.objects.filter(pk__in=ids, status=MessageStatus.QUEUED)
    assert set(held.values_list("attempts", flat=True)) == {0}  # the attempt is not counted

    fake._away_on_call = None
    later = paused_until("smtp") + timedelta(seconds=1)
    waiting = held.count()
    assert dispatch.dispatch_batch("EMAIL", at=later) == {"claimed": waiting, "sent": waiting}
    assert sorted(fake.accepted) == sorted(str(pk) for pk in ids)  # each exactly once
