"""The provider delivers the same inbound message on several connections at once: exactly one
intake row, the others are no-ops, nobody errors.

The work commits (threads on connections of their own, as ``cases/tests/test_concurrency``);
the sender matches no customer, so only intake and audit rows are written, and both are taken
out again afterwards (the audit rows as superuser with triggers skipped, as a restore would).
"""

from __future__ import annotations

import uuid

import pytest
from django.db import connection, transaction

from amanah.audit.models import AuditLog
from amanah.core.testing import on_own_connection, run_in_threads
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
