"""``staff.staff_queue_many``: one insert (``RETURNING`` the new rows) per thousand, counts that
tell new from already queued, no COUNT of the key, one audit row."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext

from amanah.audit.models import AuditAction, AuditLog
from amanah.core.roles import RoleKey as R
from amanah.messaging import addresses
from amanah.messaging.content import Rendered
from amanah.messaging.models import Message
from amanah.messaging.staff import staff_queue_many


def _queue(system, notices, channel="IN_APP", step="pending"):
    return staff_queue_many(
        actor=system, channel=channel, source="APPROVAL", source_id="template:1", step=step,
        notices=notices,
    )  # fmt: skip


def test_new_rows_are_counted_from_the_insert_itself(system, make_user):
    users = [make_user(R.SUPERVISOR, email=f"spv{n}@bank.test") for n in range(3)]
    retired = make_user(R.SUPERVISOR)
    retired.is_active = False  # as the caller loaded a deactivated user
    notice = Rendered(subject="Templat menunggu persetujuan", media_url="/messaging/templates/")
    with CaptureQueriesContext(connection) as captured:
        counts = _queue(system, [(users[0], notice), (users[1], notice), (retired, notice)])
    assert counts == {"queued": 2, "no_address": 1, "already_queued": 0}
    assert not [q for q in captured.captured_queries if "COUNT(" in q["sql"].upper()]
    inserts = [q for q in captured.captured_queries if "INSERT INTO" in q["sql"]]
    assert sum('"messaging_message"' in q["sql"] for q in inserts) == 1
    counts = _queue(system, [(user, notice) for user in users])  # two of three again
    assert counts == {"queued": 1, "no_address": 0, "already_queued": 2}
    rows = Message.objects.filter(source="APPROVAL", staff_user__in=users)
    assert rows.count() == 3
    row = rows.get(staff_user=users[2])
    assert (row.channel, row.purpose, row.status, row.step) == (
        "IN_APP",
        "STAFF",
        "QUEUED",
        "pending",
    )
    assert row.subject == "Templat menunggu persetujuan" and row.attachments == []
    assert addresses.open_sealed(row.address_sealed) == str(users[2].pk)
    audits = AuditLog.objects.filter(
        action=AuditAction.QUEUE_MESSAGES, object_id="APPROVAL:template:1"
    )
    assert [a.meta["queued"] for a in audits.order_by("id")] == [2, 1]


def test_email_to_staff_needs_an_address(system, make_user):
    with_mail, without = (
        make_user(R.SUPERVISOR, email="spv@bank.test"),
        make_user(R.AGENT, email=""),
    )
    notice = Rendered(subject="Ringkasan SLA", text="2 kasus terlambat")
    counts = _queue(
        system, [(with_mail, notice), (without, notice)], channel="EMAIL", step="breach"
    )
    assert counts == {"queued": 1, "no_address": 1, "already_queued": 0}
    (row,) = Message.objects.filter(channel="EMAIL", source="APPROVAL")
    assert addresses.open_sealed(row.address_sealed) == "spv@bank.test"
