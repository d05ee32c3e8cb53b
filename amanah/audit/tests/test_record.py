"""audit.record: the one writer — in the caller's transaction, no raw PII, reproducible rows."""

import threading
import uuid
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from django.db import connection, transaction

from amanah.audit import chain, services
from amanah.audit.models import AuditAction, AuditLog
from amanah.core import context
from amanah.core.actors import SystemActor
from amanah.core.middleware import client_ip
from amanah.core.roles import RoleKey


def _in_thread(work):
    """Run ``work`` on a fresh connection, outside the test's transaction; return its error."""
    outcome = {}

    def run():
        try:
            work()
        except Exception as error:  # noqa: BLE001 (handed back to the test)
            outcome["error"] = error
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(timeout=30)
    return outcome.get("error")


@pytest.mark.django_db
def test_record_refuses_to_run_outside_a_transaction(marker):
    def autocommit_write():
        assert not connection.in_atomic_block
        services.record(actor=None, action=AuditAction.DEMO_SEED, object_id=marker)

    error = _in_thread(autocommit_write)
    assert isinstance(error, RuntimeError)
    assert "inside the business transaction" in str(error)
    assert not AuditLog.objects.filter(object_id=marker).exists()


@pytest.mark.parametrize(
    "meta",
    [
        {"nik": "3201234567890001"},
        {"NIK": "3201234567890001"},
        {"Phone": "+6281234567890"},
        {"customer": {"email": "budi@bank.co.id"}},
        {"changes": [{"field": "x"}, {"account_no": "1234567890"}]},
        {"deep": {"deeper": ({"password": "rahasia"},)}},
        {"q": "budi santoso"},
        {"query": "budi santoso"},
        {"otp": "123456"},
        {"token": "amk_abc"},
    ],
)
def test_raw_personal_data_in_meta_is_refused(db, marker, meta):
    with transaction.atomic(), pytest.raises(ValueError, match="not audited"):
        services.record(actor=None, action=AuditAction.DEMO_SEED, object_id=marker, meta=meta)
    assert not AuditLog.objects.filter(object_id=marker).exists()


def test_meta_keys_must_be_text(db, marker):
    with transaction.atomic(), pytest.raises(TypeError):
        services.record(actor=None, action=AuditAction.DEMO_SEED, object_id=marker, meta={1: "x"})
    assert not AuditLog.objects.filter(object_id=marker).exists()


def test_allowed_meta_is_kept_as_given(write_event, marker):
    meta = {"reason": "ok", "count": 3, "flag": False, "none": None, "list": [1, "a"]}
    log = write_event(object_id=marker, meta=meta)
    assert AuditLog.objects.get(pk=log.pk).meta == meta


def test_values_that_are_not_json_are_stored_as_text(write_event, marker):
    uid = uuid.uuid4()
    log = write_event(
        object_id=marker,
        meta={
            "amount": Decimal("1500000.50"),
            "ratio": 0.25,
            "day": date(2026, 3, 1),
            "nested": {"at": datetime(2026, 3, 1, 12, 30, tzinfo=UTC), "id": uid},
            "pair": (1, Decimal("2")),
        },
    )
    stored = AuditLog.objects.get(pk=log.pk)
    assert stored.meta == {
        "amount": "1500000.50",
        "ratio": "0.25",
        "day": "2026-03-01",
        "nested": {"at": "2026-03-01 12:30:00+00:00", "id": str(uid)},
        "pair": [1, "2"],
    }
    # What was hashed is exactly what comes back from the database.
    assert chain.compute_hash(stored) == stored.hash == log.hash


def test_unknown_action_is_refused(db, marker):
    with transaction.atomic(), pytest.raises(ValueError):
        services.record(actor=None, action="DELETE_EVERYTHING", object_id=marker)
    assert not AuditLog.objects.filter(object_id=marker).exists()


def test_actor_object_and_request_are_recorded_as_text(make_user, write_event):
    user = make_user(RoleKey.AGENT, username="siti.agen")
    meta = context.RequestMeta(ip="10.1.2.3", user_agent="Firefox/140", request_id="req-42")
    with context.bound(meta):
        log = write_event(actor=user, action=AuditAction.UPDATE_USER, obj=user)
    stored = AuditLog.objects.get(pk=log.pk)
    assert (stored.actor_id, stored.actor_username, stored.actor_role) == (
        str(user.pk),
        "siti.agen",
        "AGENT",
    )
    assert (stored.object_type, stored.object_id) == ("iam.User", str(user.pk))
    assert (stored.ip, stored.user_agent, stored.request_id) == (
        "10.1.2.3",
        "Firefox/140",
        "req-42",
    )
    assert stored.action == "UPDATE_USER"


def test_system_and_labelled_actors(write_event, marker):
    system = write_event(actor=SystemActor("cli:root"), object_id=marker)
    nobody = write_event(actor=None, object_id=marker)
    labelled = write_event(actor=None, actor_label="unknown:abcd", object_id=marker)
    assert (system.actor_id, system.actor_username, system.actor_role) == ("", "cli:root", "SYSTEM")
    assert (nobody.actor_username, nobody.actor_role) == ("system", "")
    assert labelled.actor_username == "unknown:abcd"
    # Outside a request there is no ip or request id, and that is recorded as such.
    assert (nobody.ip, nobody.request_id) == (None, "")


def test_each_row_links_to_the_one_before(write_event, marker):
    first = write_event(object_id=marker)
    second = write_event(object_id=marker)
    assert second.id > first.id
    assert second.prev_hash == first.hash
    assert first.hash != second.hash
    for log in (first, second):
        assert chain.compute_hash(AuditLog.objects.get(pk=log.pk)) == log.hash


@pytest.mark.parametrize(
    ("remote_addr", "stored"),
    [
        ("127.0.0.1", "127.0.0.1"),
        ("2001:db8::1", "2001:db8::1"),
        # A dual-stack server sees IPv4 clients like this; Python 3.11 writes it back as
        # ::ffff:102:304 while PostgreSQL gives ::ffff:1.2.3.4.
        ("::ffff:1.2.3.4", "::ffff:1.2.3.4"),
        ("fe80::1%eth0", "fe80::1"),
        ("::1.2.3.4", "::1.2.3.4"),
    ],
)
def test_addresses_are_hashed_as_stored(rf, write_event, marker, remote_addr, stored):
    ip = client_ip(rf.get("/", REMOTE_ADDR=remote_addr))
    with context.bound(context.RequestMeta(ip=ip, request_id="r")):
        log = write_event(object_id=marker)
    row = AuditLog.objects.get(pk=log.pk)
    assert row.ip == stored
    assert chain.compute_hash(row) == row.hash
    assert chain.verify_chain().ok


def test_keyed_hash_is_stable_and_keyed(settings):
    value = services.keyed_hash("  Budi Santoso ")
    assert value == services.keyed_hash("budi santoso")
    assert len(value) == 64 and "budi" not in value
    assert value != services.keyed_hash("budi santosa")
    settings.AUDIT_HASH_KEY = "another-key"
    assert services.keyed_hash("budi santoso") != value


def test_over_long_text_is_cut_before_hashing_so_the_row_still_verifies(write_event):
    from amanah.audit.chain import compute_hash

    log = write_event(object_type="T", object_id="x" * 120 + " " * 30)
    stored = AuditLog.objects.get(pk=log.pk)
    assert len(stored.object_id) == 128
    assert compute_hash(stored) == stored.hash


def test_record_many_chains_every_event_in_one_write(db):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from amanah.audit.chain import verify_chain
    from amanah.audit.services import record_many
    from amanah.core.actors import SystemActor

    objects = [AuditLog(id=n) for n in range(1, 51)]  # any model instances with a pk will do
    with CaptureQueriesContext(connection) as queries, transaction.atomic():
        logs = record_many(
            actor=SystemActor("system:sweep"),
            action=AuditAction.ESCALATE_CASE,
            objects=objects,
            meta_for=lambda o: {"n": o.pk},
        )
    assert len(logs) == 50 and len(queries) <= 6  # lock, last hash, ids, one insert
    assert [log.meta["n"] for log in logs] == list(range(1, 51))
    assert all(b.prev_hash == a.hash for a, b in zip(logs, logs[1:], strict=False))
    assert verify_chain().ok
