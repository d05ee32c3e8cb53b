"""Two recovery evaluations at once (the scan job and the breach digest's job can overlap)
create one recovery per case and trigger: the INSERT … ON CONFLICT of the second waits on the
unique index entries of the first and then skips them. Real threads on connections of their
own over committed cases (the cases app's concurrency world), removed again afterwards."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.utils import timezone

from amanah.audit.chain import verify_chain
from amanah.audit.models import AuditLog
from amanah.cases import sweep
from amanah.cases.tests.test_concurrency import _build, _overdue_cases, _remove
from amanah.core.testing import on_own_connection, run_in_threads
from amanah.insight.recovery import services
from amanah.insight.recovery.models import ServiceRecovery
from amanah.messaging.models import Message

CASES = 12


@pytest.fixture
def world(db):
    marker = uuid.uuid4().hex[:10].upper()
    built = on_own_connection(lambda: _build(marker, customers=CASES, agents=2))
    yield built
    users = [built.supervisor, *built.agents]

    def remove_recoveries():
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET LOCAL session_replication_role = replica")
            ServiceRecovery.objects.filter(customer__in=built.customers).delete()
            Message.objects.filter(staff_user__in=users).delete()

    on_own_connection(remove_recoveries)
    on_own_connection(lambda: _remove(built))
    assert verify_chain().ok


def test_two_evaluations_at_once_make_one_recovery_per_case(world, monkeypatch):
    monkeypatch.setattr("amanah.cases.tests.test_concurrency.THREADS", CASES)
    monkeypatch.setattr("amanah.cases.tests.test_concurrency.AGENTS", 2)
    made = on_own_connection(lambda: _overdue_cases(world, CASES))
    now = timezone.now()
    assert on_own_connection(lambda: sweep.sla_sweep(now=now, lanes=1)).breached == CASES

    errors = run_in_threads(lambda _n: services.recovery_scan(now=now + timedelta(minutes=1)), 2)

    assert errors == []
    rows = ServiceRecovery.objects.filter(case_id__in=made)
    # each case: its TRX_FAIL breach voucher, and (40 days overdue) the 2× SLA escalation
    assert sorted(rows.values_list("trigger_id", flat=True).distinct()) == [
        "ANY_OVER_2X_SLA",
        "TRX_FAIL_BREACH",
    ]
    assert rows.count() == 2 * CASES
    audited = AuditLog.objects.filter(
        action="CREATE_RECOVERY", object_type="insight.ServiceRecovery"
    )
    assert (
        audited.filter(object_id__in=[str(pk) for pk in rows.values_list("pk", flat=True)]).count()
        == 2 * CASES
    )
    told = Message.objects.filter(staff_user=world.supervisor, source="APPROVAL")
    assert told.count() == 1  # one notice for the one batch that created them
