"""The drill's own mechanisms (bench/rollback_drill.py, issue 19): Django's executor undoing an
app's latest migration and ``migrate`` applying it again, each migration timed by a
``Stopwatch``; the schema and what is applied are as before. Inside the test's transaction
(PostgreSQL's DDL is transactional), so nothing is left behind."""

from __future__ import annotations

from django.contrib.contenttypes.models import ContentType
from django.db import connection

from amanah.core import migration_drill as drill


def test_latest_migration_back_and_forward_timed_migration_by_migration(db):
    schema, migrations = drill.schema_fingerprint(), drill.applied()
    step = drill.latest_step("calendars")
    assert step.target is not None and (step.app, step.latest) in step.plan
    drill.hold_off_autovacuum(connection)

    back = drill.Stopwatch()
    assert drill.migrate_back([(step.app, step.target)], progress=back) == list(step.plan)
    assert not set(step.plan) & drill.applied()
    assert set(back.seconds) == set(step.plan)  # every migration undone was timed

    forward = drill.Stopwatch()
    drill.migrate_forward(progress=forward)
    ContentType.objects.clear_cache()
    assert set(forward.seconds) == set(step.plan)  # and every one applied again
    assert drill.applied() == migrations
    assert drill.schema_fingerprint() == schema
