"""Parked status callbacks (no message known for their provider id) older than the setting are
deleted in batches by a periodic job; adopted and recent ones stay."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from amanah.audit.models import AuditLog
from amanah.messaging import addresses, housekeeping, tasks
from amanah.messaging.models import Message, MessageEvent


def _event(n: int, *, days_ago: float, message=None) -> MessageEvent:
    received = timezone.now() - timedelta(days=days_ago)
    return MessageEvent.objects.create(
        message=message,
        provider="whatsapp-cloud",
        provider_message_id=f"wamid.unknown-{n}",
        event_id=f"evt-{n}",
        status="DELIVERED",
        at=received,
        received_at=received,
    )


@pytest.fixture
def message(make_customers):
    (customer,) = make_customers(1)
    return Message.objects.create(
        channel="WHATSAPP",
        purpose="SERVICE",
        customer=customer,
        address_sealed=addresses.seal("+6281370001001"),
        address_masked=addresses.mask("WHATSAPP", "+6281370001001"),
        source="CASE",
        source_id="c1",
        status="DELIVERED",
        provider="whatsapp-cloud",
        provider_message_id="wamid.known",
    )


def _cleanup_jobs() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT status FROM procrastinate_jobs WHERE queueing_lock = %s ORDER BY id",
            [tasks.PARKED_CLEANUP_LOCK],
        )
        return [row[0] for row in cursor.fetchall()]


def test_only_stale_parked_callbacks_are_deleted_and_the_purge_is_audited(message, settings):
    settings.MESSAGING_PARKED_CALLBACK_DAYS = 7
    stale = [_event(n, days_ago=8 + n) for n in range(3)]
    recent = _event(10, days_ago=6)
    adopted = _event(11, days_ago=30, message=message)

    deleted = housekeeping.parked_events_purge()

    assert deleted == 3
    remaining = set(MessageEvent.objects.values_list("pk", flat=True))
    assert {recent.pk, adopted.pk} <= remaining
    assert not remaining & {e.pk for e in stale}
    row = AuditLog.objects.filter(action="PURGE_PARKED_CALLBACKS").latest("id")
    assert row.meta == {"deleted": 3, "older_than_days": 7}
    assert "wamid" not in str(row.meta)

    audits = AuditLog.objects.filter(action="PURGE_PARKED_CALLBACKS").count()
    assert housekeeping.parked_events_purge() == 0  # nothing left: no audit noise
    assert AuditLog.objects.filter(action="PURGE_PARKED_CALLBACKS").count() == audits


def test_the_periodic_job_works_off_a_backlog_in_batches_oldest_first(message, settings):
    settings.MESSAGING_PARKED_CALLBACK_DAYS = 7
    settings.MESSAGING_PARKED_CLEANUP_BATCH = 2
    events = [_event(n, days_ago=20 - n) for n in range(5)]  # oldest first
    with connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM procrastinate_jobs WHERE queueing_lock = %s", [tasks.PARKED_CLEANUP_LOCK]
        )

    assert tasks.parked_callbacks_cleanup(timestamp=0) == 2
    gone = {e.pk for e in events[:2]}
    assert not MessageEvent.objects.filter(pk__in=gone).exists()  # the two oldest went first
    assert _cleanup_jobs() == ["todo"]  # a full batch: the next one is deferred
    assert tasks.parked_callbacks_cleanup(timestamp=0) == 2  # a second full batch …
    assert _cleanup_jobs() == ["todo"]  # … still one job waiting, not two

    with connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM procrastinate_jobs WHERE queueing_lock = %s", [tasks.PARKED_CLEANUP_LOCK]
        )
    assert tasks.parked_callbacks_cleanup(timestamp=0) == 1
    assert _cleanup_jobs() == []  # the backlog is done
    assert not MessageEvent.objects.filter(pk__in=[e.pk for e in events]).exists()


def test_the_job_is_registered_as_a_periodic_housekeeping_task(settings):
    from procrastinate.contrib.django import app

    periodic = {t.task.name: t for t in app.periodic_registry.periodic_tasks.values()}
    entry = periodic["amanah.messaging.tasks.parked_callbacks_cleanup"]
    assert entry.cron == settings.MESSAGING_PARKED_CLEANUP_CRON
    assert entry.task.queue == "housekeeping"
