"""record_many: a batch job's events, linked by ``chain.Linker`` and written with COPY's text
format (a request's few events: one INSERT of column arrays). Both are fast paths of the
reference (``compute_hash``, a plain INSERT); these tests hold them to it with values that a
hand-made JSON or COPY line would get wrong."""

from datetime import UTC, datetime

import pytest
from django.db import transaction

from amanah.audit import chain, services
from amanah.audit.models import AuditAction, AuditLog
from amanah.core import context
from amanah.core.actors import SystemActor

AWKWARD = [
    "plain",
    'a "quoted" \\ backslash',
    "tab\there, newline\nthere, return\rhere",
    "Jl. Merdeka No. 1 — Medan ✓ 😀",
    "\\N",  # COPY's NULL marker, as text
    "trailing spaces   ",
    "",
]


def _log(**fields) -> AuditLog:
    values = {
        "id": 7,
        "created_at": datetime(2026, 11, 23, 5, 6, 7, 891011, tzinfo=UTC),
        "action": "UPDATE_CASE",
        "object_type": "cases.Case",
        "object_id": "42",
        "actor_id": "",
        "actor_username": "integration:sla",
        "actor_role": "SYSTEM",
        "ip": None,
        "user_agent": "",
        "request_id": "",
        "meta": {"activity": "OJK_DAY_20"},
        "prev_hash": "ab" * 32,
    }
    return AuditLog(**{**values, **fields})


@pytest.mark.parametrize("text", AWKWARD)
@pytest.mark.parametrize("field", ["object_id", "object_type", "user_agent", "actor_username"])
def test_linker_gives_the_hash_compute_hash_gives(db, text, field):
    log = _log(**{field: text})
    assert chain.Linker().link(log, log.prev_hash) == chain.compute_hash(log)


def test_linker_reuses_its_frame_only_for_equal_shared_fields(db):
    """One Linker over rows that differ in a shared field (time, ip, request) still matches."""
    linker = chain.Linker()
    rows = [
        _log(),
        _log(id=8, ip="10.0.0.1", meta={"n": [1, "2", None, True], "é": {"z": 1, "a": 2}}),
        _log(id=9, created_at=datetime(2026, 11, 23, tzinfo=UTC), request_id="r-1"),
        _log(id=10),
    ]
    assert [linker.link(log, log.prev_hash) for log in rows] == [
        chain.compute_hash(log) for log in rows
    ]


def test_linker_follows_the_chain_key(db, settings):
    log = _log()
    before = chain.Linker().link(log, log.prev_hash)
    settings.AUDIT_CHAIN_KEY = "another chain key"
    assert chain.Linker().link(log, log.prev_hash) == chain.compute_hash(log) != before


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["insert", "copy"])
def test_awkward_values_are_stored_as_hashed_and_verify(path, monkeypatch):
    monkeypatch.setattr(services, "_INSERT_AT_MOST", len(AWKWARD) if path == "insert" else 0)
    meta_of = {text: {"note": text, "list": [text, 1]} for text in AWKWARD}
    request = context.RequestMeta(ip="::ffff:1.2.3.4", user_agent="UA\twith tab", request_id="r")
    with context.bound(request), transaction.atomic():
        logs = services.record_many(
            actor=SystemActor("system:test"),
            action=AuditAction.UPDATE_CASE,
            object_type="T\\t",
            object_ids=AWKWARD,
            meta_for=lambda text: meta_of[text],
        )
    stored = {log.pk: log for log in AuditLog.objects.filter(pk__in=[log.pk for log in logs])}
    for log, text in zip(logs, AWKWARD, strict=True):
        row = stored[log.pk]
        assert (row.object_type, row.object_id, row.meta) == ("T\\t", text, meta_of[text])
        assert (row.ip, row.user_agent, row.hash) == ("::ffff:1.2.3.4", "UA\twith tab", log.hash)
        assert chain.compute_hash(row) == row.hash
    assert chain.verify_chain().ok


@pytest.mark.django_db
def test_one_meta_for_every_event_and_over_long_ids_cut_as_stored():
    meta = {"activity": "SLA_BREACH"}
    ids = [1, 2, "x" * 120 + " " * 30]
    with transaction.atomic():
        logs = services.record_many(
            actor=SystemActor("system:sweep"),
            action=AuditAction.UPDATE_CASE,
            object_type="cases.Case",
            object_ids=ids,
            meta=meta,
        )
    rows = list(AuditLog.objects.filter(pk__in=[log.pk for log in logs]).order_by("id"))
    assert [row.object_id for row in rows] == ["1", "2", ("x" * 120 + " " * 30)[:128]]
    assert all(row.meta == meta for row in rows)
    assert [row.hash for row in rows] == [log.hash for log in logs]
    assert chain.verify_chain().ok


@pytest.mark.django_db
def test_forbidden_keys_in_the_shared_meta_are_refused_and_nothing_is_written():
    before = AuditLog.objects.count()
    with pytest.raises(ValueError), transaction.atomic():
        services.record_many(
            actor=None,
            action=AuditAction.UPDATE_CASE,
            object_type="cases.Case",
            object_ids=[1, 2],
            meta={"nik": "3201234567890001"},
        )
    assert AuditLog.objects.count() == before
