"""Committed test data for concurrency tests (real threads, real transactions).

Threads run on connections of their own, so they only see data that has *committed*. The
usual ``db`` fixture keeps the test's own connection in one rolled-back transaction, and
``transaction=True`` cannot be used here: its teardown TRUNCATEs every table, which the
append-only audit trail refuses (and it would also wipe the rows migrations seed). So the
``committed`` fixture writes on a connection of its own (a helper thread), on a branch of its
own, and deletes exactly what it made afterwards; the test's connection only reads (READ
COMMITTED: each statement sees what has committed). The audit rows written meanwhile (the
tail of the trail) are taken out again as ``audit/tests/test_concurrency`` does, so later
tests see the trail they expect.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone

from amanah.audit.chain import verify_chain
from amanah.audit.models import AuditLog
from amanah.consent.models import ConsentRecord, ConsentState
from amanah.core.actors import SystemActor
from amanah.core.testing import on_own_connection, run_in_threads
from amanah.customers.models import Customer
from amanah.iam import services as iam
from amanah.iam.models import Branch, TimeZoneChoice

_codes = itertools.count(1)


def withdraw_offers_on(actor, customer, *channels: str):
    """The customer withdraws marketing on each of ``channels`` (a call to the call centre,
    verified by an OTP), through the consent service; returns the customer."""
    from amanah.consent.services import consent_withdraw_channel

    for channel in channels:
        consent_withdraw_channel(
            actor=actor,
            customer=customer,
            consent_type="MARKETING",
            channel=channel,
            source="CALL_CENTER",
            reason="Tidak mau promo lewat kanal ini",
            verification_method="PHONE_OTP",
        )
    return customer


def object_to_profiling(actor, customer, *, status: str = "WITHDRAWN"):
    """The customer objects to profiling (UU PDP Pasal 10) at the branch, verified in person,
    through the consent service; ``status="GRANTED"`` lifts the objection. Returns the
    customer."""
    from amanah.consent.services import consent_change

    consent_change(
        actor=actor,
        customer=customer,
        consent_type="PROFILING",
        new_status=status,
        channel="BRANCH",
        verification_method="IN_PERSON",
        reason="Nasabah menolak profiling" if status == "WITHDRAWN" else "",
    )
    return customer


class CommittedWorld:
    def __init__(self) -> None:
        self.system = SystemActor("system:test")
        self._audit_mark = on_own_connection(
            lambda: AuditLog.objects.aggregate(last=Max("id"))["last"] or 0
        )
        code = f"T{os.getpid() % 10000}{next(_codes)}"[:10]
        self.branch = on_own_connection(
            lambda: iam.branch_save(
                actor=self.system,
                code=code,
                name="KC Uji Konkuren",
                timezone_name=TimeZoneChoice.WIB,
            )
        )
        self._cleanups: list[Callable[[], None]] = []

    def run(self, work: Callable[[], object]) -> object:
        """Run ``work()`` so that what it writes commits."""
        return on_own_connection(work)

    def customers(self, count: int) -> list[Customer]:
        """``count`` active customers of the test branch, in one statement."""

        def make():
            return Customer.objects.bulk_create(
                Customer(
                    full_name=f"Nasabah Uji {n}",
                    name_search=f"nasabah uji {n}",
                    home_branch=self.branch,
                )
                for n in range(count)
            )

        return sorted(on_own_connection(make), key=lambda c: c.pk)

    def on_cleanup(self, remove: Callable[[], None]) -> None:
        """Run ``remove`` (newest first) before the world's customers are deleted."""
        self._cleanups.append(remove)

    def remove(self) -> None:
        def remove_all():
            with transaction.atomic():
                for remove in reversed(self._cleanups):
                    remove()
                # The state points at its record with PROTECT: states go first.
                ConsentState.objects.filter(customer__home_branch=self.branch).delete()
                Customer.objects.filter(home_branch=self.branch).delete()
                Branch.objects.filter(pk=self.branch.pk).delete()
                with connection.cursor() as cursor:
                    # Superuser-only, for this cleanup alone: the trail refuses deletes.
                    cursor.execute("SET LOCAL session_replication_role = replica")
                    cursor.execute("DELETE FROM audit_auditlog WHERE id > %s", [self._audit_mark])

        on_own_connection(remove_all)


@pytest.fixture
def committed(db):
    """A :class:`CommittedWorld` whose writes commit; removed again after the test."""
    world = CommittedWorld()
    yield world
    world.remove()
    assert verify_chain().ok


def grant_marketing(customers) -> None:
    """MARKETING consent GRANTED (a day ago) for every customer, in two statements: test
    data for sends over many customers, not the service path (which audits each change)."""
    effective = timezone.now() - timedelta(days=1)
    records = ConsentRecord.objects.bulk_create(
        ConsentRecord(
            customer=c,
            consent_type="MARKETING",
            old_status="",
            new_status="GRANTED",
            effective_at=effective,
            captured_channel="BRANCH",
            verification_method="IN_PERSON",
        )
        for c in customers
    )
    ConsentState.objects.bulk_create(
        ConsentState(
            customer_id=r.customer_id,
            consent_type="MARKETING",
            status="GRANTED",
            effective_at=effective,
            record=r,
        )
        for r in records
    )


__all__ = [
    "CommittedWorld",
    "committed",
    "grant_marketing",
    "object_to_profiling",
    "on_own_connection",
    "run_in_threads",
]
