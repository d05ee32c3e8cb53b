"""The batch import's sweeper: a step whose worker died is resumed (or failed after a few
tries), never left running; finished and abandoned batches lose their file and staged rows
after the retention period, in batches, idempotently."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connection, connections
from django.utils import timezone

from amanah.audit.models import AuditAction, AuditLog
from amanah.integrations import imports
from amanah.integrations.models import ImportBatch, ImportFile, ImportStagedRow, ImportStatus
from amanah.integrations.tests.test_import_pipeline import (
    HEADER,
    ROWS,
    dry_run,
    mapped,
    run,
    steward,  # noqa: F401 (fixture)
)


def jobs(batch, task: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM procrastinate_jobs WHERE task_name = %s"
            " AND args ->> 'batch_id' = %s",
            [f"amanah.integrations.tasks.{task}", str(batch.pk)],
        )
        return cursor.fetchone()[0]


def stale(batch, status, *, minutes=60):
    ImportBatch.objects.filter(pk=batch.pk).update(
        status=status, heartbeat_at=timezone.now() - timedelta(minutes=minutes)
    )
    batch.refresh_from_db()
    return batch


def test_a_real_run_whose_worker_died_is_queued_again_and_then_completes(steward):  # noqa: F811
    batch = stale(dry_run(mapped(steward, HEADER + "".join(ROWS))), ImportStatus.IMPORTING)
    assert imports.sweep()["resumed"] == 1
    batch.refresh_from_db()
    assert (batch.status, batch.resumed) == (ImportStatus.QUEUED, 1)
    assert jobs(batch, "import_run") == 1
    assert imports.batch_run(batch.pk) == ImportStatus.DONE  # the staged rows were kept
    assert imports.sweep()["resumed"] == 0  # nothing left to do: idempotent
    assert AuditLog.objects.filter(
        action=AuditAction.IMPORT_RUN, meta__step="resumed", object_id=str(batch.pk)
    ).exists()


def test_a_dry_run_whose_worker_died_starts_again(steward):  # noqa: F811
    batch = stale(mapped(steward, HEADER + "".join(ROWS)), ImportStatus.CHECKING)
    before = jobs(batch, "import_check")
    assert imports.sweep()["resumed"] == 1
    assert jobs(batch, "import_check") == before + 1
    assert dry_run(batch).status == ImportStatus.VALID


def test_a_fresh_or_live_step_is_left_alone(steward, settings):  # noqa: F811
    batch = stale(mapped(steward, HEADER + "".join(ROWS)), ImportStatus.CHECKING, minutes=1)
    assert imports.sweep()["resumed"] == 0  # heartbeat younger than the stale limit
    stale(batch, ImportStatus.CHECKING)
    holding, release = threading.Event(), threading.Event()

    def worker():  # another connection holds the batch's lock, as a live job does
        try:
            with imports.working_on(batch.pk):
                holding.set()
                release.wait(10)
        finally:
            connections.close_all()

    thread = threading.Thread(target=worker)
    thread.start()
    try:
        assert holding.wait(10)
        assert imports.sweep()["resumed"] == 0
    finally:
        release.set()
        thread.join()
    batch.refresh_from_db()
    assert batch.resumed == 0


def test_a_step_that_keeps_dying_fails_the_batch(steward, settings):  # noqa: F811
    settings.INTEGRATIONS_IMPORT_MAX_RESUMES = 1
    batch = stale(dry_run(mapped(steward, HEADER + "".join(ROWS))), ImportStatus.IMPORTING)
    imports.sweep()
    stale(batch, ImportStatus.IMPORTING)
    assert imports.sweep()["failed"] == 1
    batch.refresh_from_db()
    assert batch.status == ImportStatus.FAILED and "berhenti" in batch.failure
    assert not ImportStagedRow.objects.filter(batch=batch).exists()


def test_finished_and_abandoned_batches_are_purged_after_retention(steward, settings):  # noqa: F811
    settings.INTEGRATIONS_IMPORT_PURGE_BATCH = 2  # several delete steps for three rows
    done = run(steward, dry_run(mapped(steward, HEADER + "".join(ROWS))))
    abandoned = dry_run(mapped(steward, HEADER + "".join(ROWS)))
    recent = dry_run(mapped(steward, HEADER + "".join(ROWS)))
    old = timezone.now() - timedelta(days=settings.INTEGRATIONS_IMPORT_RETENTION_DAYS + 1)
    ImportBatch.objects.filter(pk=done.pk).update(finished_at=old)
    ImportBatch.objects.filter(pk=abandoned.pk).update(created_at=old)
    assert ImportStagedRow.objects.filter(batch=done).count() == 3

    counts = imports.sweep()
    assert (counts["purged"], counts["staged_rows"]) == (2, 3 + 3)
    done.refresh_from_db()
    abandoned.refresh_from_db()
    assert done.status == ImportStatus.DONE and done.purged_at
    assert (done.created_rows, done.total_rows) == (3, 3)  # the counts stay
    assert abandoned.status == ImportStatus.FAILED and abandoned.purged_at
    assert not ImportFile.objects.filter(batch__in=[done, abandoned]).exists()
    assert not ImportStagedRow.objects.filter(batch__in=[done, abandoned]).exists()
    assert ImportFile.objects.filter(batch=recent).exists()  # within retention: kept
    assert imports.sweep()["purged"] == 0  # idempotent

    with pytest.raises(imports.ServiceError) as refused:  # no file left to check again
        imports.import_mapping_set(actor=steward, batch_id=abandoned.pk, mapping={})
    assert refused.value.code == "import_purged"


def test_a_purged_batch_page_says_so_and_offers_no_mapping(steward, settings):  # noqa: F811
    from django.test import Client
    from django.urls import reverse

    from amanah.conftest import sign_in

    done = run(steward, dry_run(mapped(steward, HEADER + "".join(ROWS))))
    old = timezone.now() - timedelta(days=settings.INTEGRATIONS_IMPORT_RETENTION_DAYS + 1)
    ImportBatch.objects.filter(pk=done.pk).update(finished_at=old)
    imports.sweep()
    page = sign_in(Client(), steward).get(
        reverse("integrations:import_detail", kwargs={"batch_id": done.pk})
    )
    body = page.content.decode()
    assert page.status_code == 200 and "setelah masa simpannya" in body
    assert "Unduh hasil (CSV)" not in body
