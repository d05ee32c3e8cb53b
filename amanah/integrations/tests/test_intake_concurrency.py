"""Intake under concurrency, on committed data.

* The provider delivers the same inbound message on several connections at once: exactly one
  intake row, the others are no-ops, nobody errors.
* Two different messages of one customer at the same moment (the API, two idempotency keys):
  one case and one note on it, never two cases. Both calls are held at a barrier right after
  matching the customer — both intake rows inserted, neither has decided — so the race is
  forced, not hoped for; the per-customer lock in ``_take`` then lets one decide at a time.

The work commits (threads on connections of their own, as ``cases/tests/test_concurrency``);
the sender matches no customer, so only intake and audit rows are written, and both are taken
out again afterwards (the audit rows as superuser with triggers skipped, as a restore would).
"""

from __future__ import annotations

import threading
import uuid

import pytest
from django.db import connection, transaction
from django.utils import timezone

from amanah.audit.models import AuditLog
from amanah.cases.models import Case, CaseNumberSequence
from amanah.consent.testing import committed  # noqa: F401 (fixture)
from amanah.core.actors import IntegrationActor
from amanah.core.testing import on_own_connection, run_in_threads
from amanah.customers.models import Customer
from amanah.integrations import intake
from amanah.integrations.models import InboundIntake
from amanah.integrations.testing import whatsapp_in

THREADS = 8


@pytest.mark.django_db
def test_the_same_message_at_once_on_many_connections_is_taken_once():
    message_id = f"wamid.race-{uuid.uuid4().hex}"
    first_audit = on_own_connection(lambda: AuditLog.objects.order_by("-id").values("id").first())
    mark = first_audit["id"] if first_audit else 0
    try:
        errors = run_in_threads(
            lambda _n: whatsapp_in(
                from_address="+6281399997777",
                text="Saldo saya terpotong dua kali, mohon dibantu.",
                message_id=message_id,
            ),
            THREADS,
        )
        assert errors == []
        rows = on_own_connection(
            lambda: list(InboundIntake.objects.filter(external_id=message_id).values("status"))
        )
        assert rows == [{"status": "UNMATCHED"}]
    finally:

        def remove():
            with transaction.atomic():
                InboundIntake.objects.filter(external_id=message_id).delete()
                with connection.cursor() as cursor:
                    cursor.execute("SET LOCAL session_replication_role = replica")
                    cursor.execute("DELETE FROM audit_auditlog WHERE id > %s", [mark])

        on_own_connection(remove)


CALL_CENTRE = IntegrationActor(
    "race-call-centre",
    permissions=(
        "case.create",
        "case.update",
        "case.view",
        "case.view.branch",
        "customer.view",
        "customer.view.branch",
    ),
    all_branches=True,
)


def test_two_messages_of_one_customer_at_once_make_one_case_and_one_note(
    committed,  # noqa: F811
    monkeypatch,
):
    customer = committed.customers(1)[0]
    phone = f"+62813{uuid.uuid4().int % 10**8:08d}"
    committed.run(lambda: Customer.objects.filter(pk=customer.pk).update(phone_e164=phone))
    year = timezone.localtime().year
    sequence = committed.run(
        lambda: CaseNumberSequence.objects.filter(year=year).values_list("last", flat=True).first()
    )

    def remove():
        case_ids = list(Case.objects.filter(customer=customer).values_list("pk", flat=True))
        with connection.cursor() as cursor:
            cursor.execute(
                "DELETE FROM procrastinate_jobs WHERE task_name = %s"
                " AND args #>> '{objects,case,pk}' = ANY(%s)",
                ["amanah.core.tasks.run_event_handler", [str(pk) for pk in case_ids]],
            )
        InboundIntake.objects.filter(from_address=phone).delete()
        Case.objects.filter(pk__in=case_ids).delete()
        # The year's numbering as it was: a row the test's cases created goes again (a later
        # test expects its first case to be number 1 of the year).
        if sequence is None:
            CaseNumberSequence.objects.filter(year=year).delete()
        else:
            CaseNumberSequence.objects.filter(year=year).update(last=sequence)

    committed.on_cleanup(remove)
    matched = threading.Barrier(2)
    real_match = intake.match_customer

    def match_then_wait(*args, **kwargs):
        found = real_match(*args, **kwargs)
        matched.wait(timeout=10)  # both have matched, neither has decided
        return found

    monkeypatch.setattr(intake, "match_customer", match_then_wait)
    errors = run_in_threads(
        lambda n: intake.intake_from_api(
            actor=CALL_CENTRE,
            idempotency_key=f"race-{n}-{phone}",
            phone=phone,
            text=f"Pesan ke-{n}: kartu ATM saya tertelan di mesin.",
            channel="CALL_CENTER",
        ),
        2,
        timeout=30,
    )
    assert errors == []
    statuses = on_own_connection(
        lambda: sorted(
            InboundIntake.objects.filter(from_address=phone).values_list("status", "case_id")
        )
    )
    assert [s for s, _ in statuses] == ["CASE_CREATED", "NOTE_ADDED"]
    assert len({case_id for _, case_id in statuses}) == 1  # the note is on that very case

    def receipts():  # the customer's receipt is queued once, for that case (our jobs only)
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM procrastinate_jobs WHERE task_name = %s"
                " AND args #>> '{objects,case,pk}' = %s AND args ->> 'handler_key' = %s",
                [
                    "amanah.core.tasks.run_event_handler",
                    str(statuses[0][1]),
                    "cases.case_created:amanah.messaging.notices.case_receipt",
                ],
            )
            return cursor.fetchone()[0]

    assert on_own_connection(receipts) == 1
