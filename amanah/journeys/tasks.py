"""The journey jobs: thin, batched, idempotent (``engine``, ``triggers``)."""

from __future__ import annotations

from datetime import UTC, datetime

from procrastinate.contrib.django import app


@app.periodic(cron="* * * * *", periodic_id="journeys_tick")
@app.task(queue="journeys", queueing_lock="journeys_tick", lock="journeys_tick")
def journeys_tick_job(timestamp: int) -> dict:
    """Every minute: run the SCHEDULE triggers that are due, advance every due enrollment,
    batch by batch (``engine.tick``). The lock keeps two ticks of this job apart; several
    workers could share the work all the same (``SKIP LOCKED``), and a re-run after a crash
    does nothing twice."""
    from django.db import transaction

    from amanah.journeys.engine import tick
    from amanah.journeys.services import promote_winners
    from amanah.journeys.triggers import scheduled_entries

    now = datetime.fromtimestamp(timestamp, tz=UTC)
    # SCHEDULE triggers whose moment came: their segment's members enter, then walk on.
    with transaction.atomic():
        counts = {"scheduled": sum(scheduled_entries(now=now).values())}
    counts.update(tick(now=now))
    # A/B tests whose plan asks for it: a decided WINNER rolled out (audited).
    with transaction.atomic():
        counts["promoted"] = promote_winners(now=now)
    return counts


@app.periodic(cron="*/15 * * * *", periodic_id="journeys_segment_entries")
@app.task(queue="journeys", queueing_lock="journeys_segments", lock="journeys_segments")
def journeys_segment_entries_job(timestamp: int) -> dict:
    """Every quarter of an hour: the segments of segment-triggered journeys evaluated again;
    their new members enter (``triggers.segment_entries``; at most once per version)."""
    from django.db import transaction

    from amanah.journeys.triggers import segment_entries

    with transaction.atomic():
        return segment_entries(now=datetime.fromtimestamp(timestamp, tz=UTC))
