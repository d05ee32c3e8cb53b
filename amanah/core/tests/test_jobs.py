"""Background jobs: a killed worker's jobs go back to the queue (retry_stalled_jobs)."""

from __future__ import annotations

import asyncio
import threading
import uuid
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


async def _run_sweep() -> dict:
    retried = await retry_stalled_jobs.func(SimpleNamespace(app=app), 0)
    # The connector ran its queries on asgiref's executor thread: close that connection too.
    await sync_to_async(lambda: connection.close())()
    return retried


def _insert_held_job(
    cursor, heartbeat_age_seconds: int, queueing_lock: str | None = None
) -> tuple[int, int]:
    cursor.execute(
        "INSERT INTO procrastinate_workers (last_heartbeat) "
        "VALUES (NOW() - make_interval(secs => %s)) RETURNING id",
        [heartbeat_age_seconds],
    )
    worker_id = cursor.fetchone()[0]
    cursor.execute(
        "INSERT INTO procrastinate_jobs (queue_name, task_name, status, worker_id, queueing_lock) "
        "VALUES ('default', 'amanah.probe', 'doing', %s, %s) RETURNING id",
        [worker_id, queueing_lock],
    )
    return cursor.fetchone()[0], worker_id


def _insert_waiting_job(cursor, queueing_lock: str) -> int:
    cursor.execute(
        "INSERT INTO procrastinate_jobs (queue_name, task_name, status, queueing_lock) "
        "VALUES ('default', 'amanah.probe', 'todo', %s) RETURNING id",
        [queueing_lock],
    )
    return cursor.fetchone()[0]


def _statuses(job_ids: list[int]) -> dict[int, str]:
    def read(cursor):
        cursor.execute(
            "SELECT id, status FROM procrastinate_jobs WHERE id = ANY(%s)", [list(job_ids)]
        )
        return dict(cursor.fetchall())

    return in_own_connection(read)


def _delete(job_ids: list[int], worker_ids: list[int]) -> None:
    def delete(cursor):
        cursor.execute("DELETE FROM procrastinate_jobs WHERE id = ANY(%s)", [list(job_ids)])
        cursor.execute("DELETE FROM procrastinate_workers WHERE id = ANY(%s)", [list(worker_ids)])

    in_own_connection(delete)


@pytest.mark.django_db
def test_jobs_of_a_dead_worker_are_retried_and_live_ones_left_alone():
    dead_job, dead_worker = in_own_connection(lambda c: _insert_held_job(c, 300))
    live_job, live_worker = in_own_connection(lambda c: _insert_held_job(c, 1))
    try:
        outcome = asyncio.run(_run_sweep())
        assert outcome["retried"] >= 1
        assert _statuses([dead_job, live_job]) == {dead_job: "todo", live_job: "doing"}
    finally:
        _delete([dead_job, live_job], [dead_worker, live_worker])


@pytest.mark.django_db
def test_recovery_survives_a_waiting_next_run_and_goes_on_past_it():
    """The incident: the killed worker's periodic job collides with its next run, already
    queued under the same queueing lock. The old sweep failed on the duplicate key every
    minute and never reached the other stalled jobs."""
    lock = f"probe-{uuid.uuid4().hex[:8]}"
    periodic_job, worker_a = in_own_connection(lambda c: _insert_held_job(c, 300, lock))
    next_run = in_own_connection(lambda c: _insert_waiting_job(c, lock))
    other_job, worker_b = in_own_connection(lambda c: _insert_held_job(c, 300))
    jobs = [periodic_job, next_run, other_job]
    try:
        outcome = asyncio.run(_run_sweep())

        assert _statuses(jobs) == {periodic_job: "failed", next_run: "todo", other_job: "todo"}
        assert outcome["superseded"] >= 1 and outcome["retried"] >= 1
    finally:
        _delete(jobs, [worker_a, worker_b])


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
