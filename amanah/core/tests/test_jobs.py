"""Background jobs: a killed worker's jobs go back to the queue (retry_stalled_jobs)."""

from __future__ import annotations

import asyncio
import threading
from types import SimpleNamespace

import pytest
from asgiref.sync import sync_to_async
from django.db import connection
from procrastinate.contrib.django import app

from amanah.core.tasks import retry_stalled_jobs


def in_own_connection(fn):
    """Run fn on a separate, autocommitting connection (what a worker process would see)."""
    result = {}

    def run():
        try:
            with connection.cursor() as cursor:
                result["value"] = fn(cursor)
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    return result.get("value")


async def _run_sweep() -> int:
    retried = await retry_stalled_jobs.func(SimpleNamespace(app=app), 0)
    # The connector ran its queries on asgiref's executor thread: close that connection too.
    await sync_to_async(lambda: connection.close())()
    return retried


def _insert_held_job(cursor, heartbeat_age_seconds: int) -> tuple[int, int]:
    cursor.execute(
        "INSERT INTO procrastinate_workers (last_heartbeat) "
        "VALUES (NOW() - make_interval(secs => %s)) RETURNING id",
        [heartbeat_age_seconds],
    )
    worker_id = cursor.fetchone()[0]
    cursor.execute(
        "INSERT INTO procrastinate_jobs (queue_name, task_name, status, worker_id) "
        "VALUES ('default', 'amanah.probe', 'doing', %s) RETURNING id",
        [worker_id],
    )
    return cursor.fetchone()[0], worker_id


@pytest.mark.django_db
def test_jobs_of_a_dead_worker_are_retried_and_live_ones_left_alone():
    dead_job, dead_worker = in_own_connection(lambda c: _insert_held_job(c, 300))
    live_job, live_worker = in_own_connection(lambda c: _insert_held_job(c, 1))
    try:
        retried = asyncio.run(_run_sweep())
        assert retried >= 1

        def statuses(cursor):
            cursor.execute(
                "SELECT id, status FROM procrastinate_jobs WHERE id IN (%s, %s)",
                [dead_job, live_job],
            )
            return dict(cursor.fetchall())

        assert in_own_connection(statuses) == {dead_job: "todo", live_job: "doing"}
    finally:

        def cleanup(cursor):
            cursor.execute(
                "DELETE FROM procrastinate_jobs WHERE id IN (%s, %s)", [dead_job, live_job]
            )
            cursor.execute(
                "DELETE FROM procrastinate_workers WHERE id IN (%s, %s)", [dead_worker, live_worker]
            )

        in_own_connection(cleanup)


def test_stalled_job_recovery_runs_every_minute():
    periodic = {t.task.name: t for t in app.periodic_registry.periodic_tasks.values()}
    entry = periodic["amanah.core.tasks.retry_stalled_jobs"]
    assert entry.cron == "* * * * *"


def test_workers_beat_often_enough_to_be_judged_alive():
    from django.conf import settings

    defaults = settings.PROCRASTINATE_WORKER_DEFAULTS
    assert defaults["update_heartbeat_interval"] < defaults["stalled_worker_timeout"] <= 30


def _queued(task_name: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM procrastinate_jobs WHERE task_name = %s", [task_name])
        return cursor.fetchone()[0]


@pytest.mark.django_db
def test_a_job_deferred_in_a_rolled_back_transaction_never_exists():
    from django.db import transaction

    name = retry_stalled_jobs.name
    before = _queued(name)
    with pytest.raises(RuntimeError), transaction.atomic():
        retry_stalled_jobs.defer(timestamp=1)
        assert _queued(name) == before + 1  # written on the business connection…
        raise RuntimeError("the business change fails")
    assert _queued(name) == before  # …and gone with it: nothing runs for a change that failed
