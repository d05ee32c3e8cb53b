"""Helpers for the audit tests: write events the way services do, and tamper like an intruder."""

from __future__ import annotations

import uuid
from contextlib import contextmanager
from datetime import datetime
from unittest import mock

import pytest
from django.db import connection, transaction

from amanah.audit import services
from amanah.audit.models import AuditAction, AuditLog


@pytest.fixture
def marker():
    """A value no other test uses: committed rows (concurrency test) outlive their test."""
    return f"T{uuid.uuid4().hex[:12]}"


@pytest.fixture
def write_event(db):
    """write_event(object_type=..., at=datetime, **record_kwargs) -> AuditLog, in a transaction."""

    def write(*, at: datetime | None = None, **kwargs) -> AuditLog:
        kwargs.setdefault("actor", None)
        kwargs.setdefault("action", AuditAction.DEMO_SEED)
        with _frozen(at), transaction.atomic():
            return services.record(**kwargs)

    return write


@contextmanager
def _frozen(at: datetime | None):
    if at is None:
        yield
        return
    with mock.patch.object(services.timezone, "now", return_value=at):
        yield


@contextmanager
def triggers_disabled():
    """What only the table owner can do: switch the append-only trigger off for a moment."""
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE audit_auditlog DISABLE TRIGGER audit_no_update_delete")
        # No try/finally: after a failed statement the transaction is aborted anyway, and
        # the test's rollback undoes the ALTER TABLE too.
        yield cursor
        cursor.execute("ALTER TABLE audit_auditlog ENABLE TRIGGER audit_no_update_delete")
