"""The one writer of the audit trail (the chain and its verifier: ``amanah.audit.chain``)."""

from __future__ import annotations

import contextlib
import functools
import hashlib
import hmac
import operator
import threading
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import connection, models
from django.db.models.base import ModelState
from django.utils import timezone

from amanah.audit.chain import GENESIS_HASH, Linker
from amanah.audit.models import BATCH_OBJECT_ID, BATCH_OBJECTS_KEY, AuditAction, AuditLog
from amanah.core import context, scopes

# Any constant works; it only has to be the same for every writer of the chain.
CHAIN_LOCK_KEY = 0x41554449  # "AUDI"

# Keys that would carry raw personal data or secrets. Callers hash or mask such values first.
FORBIDDEN_META_KEYS = frozenset(
    {"password", "secret", "token", "otp", "nik", "phone", "email", "account_no", "query", "q"}
)


def keyed_hash(value: str) -> str:
    """A stable, keyed fingerprint of a value (e.g. a search term) that cannot be reversed."""
    key = settings.AUDIT_HASH_KEY.encode()
    return hmac.new(key, value.strip().lower().encode(), hashlib.sha256).hexdigest()


def _clean_meta(value: Any, path: str = "meta") -> Any:
    if isinstance(value, dict):
        cleaned = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise TypeError(f"{path}: keys must be text")
            if key.lower() in FORBIDDEN_META_KEYS:
                raise ValueError(f"{path}.{key}: raw personal data or secrets are not audited")
            cleaned[key] = _clean_meta(item, f"{path}.{key}")
        return cleaned
    if isinstance(value, list | tuple):
        return [_clean_meta(item, path) for item in value]
    if value is None or isinstance(value, bool | int | str):
        return value
    # Floats, dates, UUIDs and the like are stored as text so the hash is reproducible.
    return str(value)


def _object_ref(obj: models.Model | None, object_type: str | None, object_id: str | None):
    if obj is not None:
        return object_type or obj._meta.label, str(obj.pk)
    return object_type or "SYSTEM", object_id or ""


@functools.cache
def _text_limits() -> dict[str, int]:
    fields = AuditLog._meta.concrete_fields
    return {field.attname: field.max_length for field in fields if field.max_length}


def _fit(value, attname: str):
    """Text cut to its column size before hashing: PostgreSQL would otherwise trim an
    over-long value's trailing spaces on its own, and the stored row would not match."""
    max_length = _text_limits().get(attname)
    if isinstance(value, str) and max_length and len(value) > max_length:
        return value[:max_length]
    return value


def _fit_text_columns(log: AuditLog) -> None:
    # The address is left alone: PostgreSQL's inet keeps it as given, and _append hashes it
    # in the form the database gives back.
    for attname in _text_limits():
        if attname != "ip":
            setattr(log, attname, _fit(getattr(log, attname), attname))


def _new_log(actor, action, obj, object_type, object_id, meta, actor_label) -> AuditLog:
    action = AuditAction(action)
    object_type, object_id = _object_ref(obj, object_type, object_id)
    # A row seen through a row grant (break-glass) carries the grant's id, whatever the caller
    # wrote: one place for every page, API and reveal during the grant.
    grant = scopes.row_grant_of(actor, obj)
    if grant is not None:
        meta = {**(meta or {}), **dict(grant.audit_meta)}
    request = context.current()
    log = AuditLog(
        created_at=timezone.now(),
        action=action.value,
        object_type=object_type,
        object_id=object_id,
        actor_id=str(actor.pk) if actor is not None and actor.pk is not None else "",
        actor_username=actor_label or (actor.username if actor is not None else "system"),
        actor_role=getattr(actor, "active_role", "") or "",
        ip=request.ip,
        user_agent=request.user_agent,
        request_id=request.request_id,
        meta=_clean_meta(meta or {}),
    )
    _fit_text_columns(log)
    return log


def _append(logs: list[AuditLog]) -> list[AuditLog]:
    """Extend the chain with ``logs`` under the chain lock, in one insert.

    Every transaction that audits waits for this lock in turn (a search and a profile view
    audit too), and holds it until its commit: so what it does under the lock is kept to two
    round trips before the commit — the lock with the chain's head, then the rows."""
    if not connection.in_atomic_block:
        raise RuntimeError("audit.record must run inside the business transaction")
    if not logs:
        return logs
    # A batch's rows share their address: each distinct one is asked about once.
    given = list({log.ip: None for log in logs})
    last_hash, stored, ids = _lock_and_read_head(given, len(logs))
    stored_ip = dict(zip(given, stored, strict=True))
    prev = last_hash if last_hash is not None else GENESIS_HASH
    linker = Linker()
    for log, log_id in zip(logs, ids, strict=True):
        log.id, log.ip = log_id, stored_ip[log.ip]
        log.prev_hash = prev
        log.hash = prev = linker.link(log, prev)
    if len(logs) <= _INSERT_AT_MOST:
        _insert(logs, linker)
    else:
        _copy_in(logs, linker)
    alias = connection.alias
    for log in logs:  # saved, as bulk_create would have marked them
        log._state.adding, log._state.db = False, alias
    return logs


_TABLE = AuditLog._meta.db_table
# The chain's head, the addresses as stored and the new ids, in one statement. Sent after the
# lock in the same round trip (a pipeline): PostgreSQL runs it once the lock is held, with a
# snapshot of its own taken then, so it sees the head the previous writer committed.
# Addresses are hashed as PostgreSQL's inet gives them back (e.g. ::ffff:1.2.3.4, no %scope),
# or verify_chain would see a row it cannot reproduce.
_HEAD_SQL = (
    f"SELECT (SELECT hash FROM {_TABLE} ORDER BY id DESC LIMIT 1), "  # noqa: S608 (our table)
    "ARRAY(SELECT host(ip::inet) FROM unnest(%s::text[]) WITH ORDINALITY AS t(ip, n) "
    "ORDER BY n), "
    f"ARRAY(SELECT nextval(pg_get_serial_sequence('{_TABLE}', 'id')) "
    "FROM generate_series(1, %s) ORDER BY 1)"
)


def _lock_and_read_head(ips: list, count: int) -> tuple:
    """Take the chain lock (one writer at a time extends the chain; released at commit or
    rollback, so ids taken under it follow the chain order) and read the head, in one round
    trip."""
    ip_field = AuditLog._meta.get_field("ip")
    params = [[ip_field.get_db_prep_value(ip, connection) for ip in ips], count]
    connection.ensure_connection()
    raw = connection.connection
    with (
        connection.wrap_database_errors,
        raw.pipeline(),
        raw.cursor() as lock,
        raw.cursor() as head,
    ):
        lock.execute("SELECT pg_advisory_xact_lock(%s)", [CHAIN_LOCK_KEY])
        head.execute(_HEAD_SQL, params)
        return head.fetchone()


# The per-row columns first, then the ones a batch shares (their text is built once).
_COPY_ROW_COLUMNS = ("id", "object_type", "object_id", "meta", "prev_hash", "hash")
_COPY_SHARED_COLUMNS = (
    "created_at", "action", "actor_id", "actor_username", "actor_role", "ip", "user_agent",
    "request_id",
)  # fmt: skip
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
_COPY_CHUNK = 2000  # rows per write to the COPY stream
# Up to this many rows (a request's events) go in one INSERT: one round trip under the chain
# lock where COPY takes two; more (a batch job's) go by COPY, the cheaper the more rows.
_INSERT_AT_MOST = 50
_INSERT_TYPES = {
    "id": "bigint", "meta": "jsonb", "created_at": "timestamptz", "ip": "inet",
}  # fmt: skip
_INSERT_COLUMNS = _COPY_ROW_COLUMNS + _COPY_SHARED_COLUMNS
# One statement text for any number of rows (a column an array): prepared once per connection.
_INSERT_SQL = (
    f"INSERT INTO {_TABLE} ({', '.join(_INSERT_COLUMNS)}) "  # noqa: S608 (our table, our columns)
    "SELECT * FROM unnest("
    + ", ".join(f"%s::{_INSERT_TYPES.get(name, 'text')}[]" for name in _INSERT_COLUMNS)
    + ")"
)


def _copy_value(value) -> str:
    """A value in COPY's text format: NULL as \\N, backslash and the separators escaped."""
    if value is None:
        return "\\N"
    if isinstance(value, datetime):
        value = value.isoformat()
    return str(value).translate(_COPY_ESCAPES)


def _insert(logs: list[AuditLog], linker: Linker) -> None:
    """Insert the chained rows in one statement, each column an array: the values just hashed,
    meta as the canonical JSON text that was hashed (as ``_copy_in`` writes them)."""
    shared_values = operator.attrgetter(*_COPY_SHARED_COLUMNS)
    rows = [
        (log.id, log.object_type, log.object_id, linker.meta_text(log.meta), log.prev_hash,
         log.hash, *shared_values(log))
        for log in logs
    ]  # fmt: skip
    # Straight to psycopg, as the lock, the head and COPY are: the writer's statements are one
    # unit, and a batch's statements look the same to Django whichever way its rows go.
    with connection.wrap_database_errors, connection.connection.cursor() as cursor:
        cursor.execute(_INSERT_SQL, [list(column) for column in zip(*rows, strict=True)])


def _copy_in(logs: list[AuditLog], linker: Linker) -> None:
    """Insert the chained rows with COPY in its text format: one stream, no statement or
    parameter to build per row (the app's role needs INSERT only). The values are the ones
    just hashed; meta goes as the canonical JSON text that was hashed, which reads back as the
    same dict."""
    columns = ", ".join(_COPY_ROW_COLUMNS + _COPY_SHARED_COLUMNS)
    copy_sql = f"COPY {AuditLog._meta.db_table} ({columns}) FROM STDIN"
    shared: dict[tuple, str] = {}
    shared_values = operator.attrgetter(*_COPY_SHARED_COLUMNS)
    # A batch shares its object type and most often its meta: each escaped once.
    escaped: dict[object, str] = {}
    with connection.connection.cursor() as cursor, cursor.copy(copy_sql) as copy:
        for start in range(0, len(logs), _COPY_CHUNK):
            lines = []
            for log in logs[start : start + _COPY_CHUNK]:
                values = shared_values(log)
                tail = shared.get(values)
                if tail is None:
                    tail = shared[values] = "\t".join(_copy_value(v) for v in values)
                object_type = escaped.get(log.object_type)
                if object_type is None:
                    object_type = escaped[log.object_type] = _copy_value(log.object_type)
                meta = escaped.get(id(log.meta))  # linker holds each meta: ids stay unique
                if meta is None:
                    meta = escaped[id(log.meta)] = _copy_value(linker.meta_text(log.meta))
                lines.append(
                    f"{log.id}\t{object_type}\t{_copy_value(log.object_id)}\t"
                    f"{meta}\t{log.prev_hash}\t{log.hash}\t{tail}\n"
                )
            copy.write("".join(lines))


def record(
    *,
    actor,
    action: AuditAction | str,
    obj: models.Model | None = None,
    object_type: str | None = None,
    object_id: str | None = None,
    meta: dict | None = None,
    actor_label: str | None = None,
) -> AuditLog:
    """Append one event to the trail, inside the caller's transaction.

    ``actor`` is a user (its active role is recorded) or None for the system; ``actor_label``
    names an actor that is not a user row (e.g. a hashed unknown login name).
    """
    log = _new_log(actor, action, obj, object_type, object_id, meta, actor_label)
    if getattr(_gathering, "logs", None) is not None:
        _gathering.logs.append(log)
        return log
    return _append([log])[0]


_gathering = threading.local()


@contextlib.contextmanager
def gathered():
    """Inside the caller's transaction: the events recorded in the block are chained in one
    write when the block ends, rather than one by one. The chain's lock is then taken just
    before the commit, not at the first event, so concurrent transactions (payment callbacks)
    wait on it for one statement instead of for the rest of each other's work. A record inside
    the block answers its row unsaved (no id yet). An error in the block writes nothing (the
    transaction rolls back). Use it only where no savepoint inside the block is rolled back and
    recovered from with events recorded in it."""
    if not connection.in_atomic_block:
        raise RuntimeError("audit.gathered must run inside the business transaction")
    if getattr(_gathering, "logs", None) is not None:  # an outer block writes them
        yield
        return
    _gathering.logs = []
    try:
        yield
        logs = _gathering.logs
    finally:
        _gathering.logs = None
    _append(logs)


def record_many(
    *,
    actor,
    action: AuditAction | str,
    objects=(),
    meta_for=None,
    object_type=None,
    object_ids=(),
    meta: dict | None = None,
) -> list[AuditLog]:
    """One event per object (e.g. every case a sweep escalated), chained in one write.

    Either ``objects`` (model instances) or ``object_type`` and ``object_ids`` (a batch job's
    ids, without building an instance each); ``meta_for(obj or id)`` gives each event's meta,
    or ``meta`` the one meta of every event (checked and serialized once).
    Used by batch jobs, where one lock and one COPY per batch keep thousands of events cheap.
    """
    if object_type:
        refs = [(object_type, str(object_id), object_id) for object_id in object_ids]
    else:
        refs = [(*_object_ref(obj, None, None), obj) for obj in objects]
    template = _new_log(actor, action, None, "", "", meta, None)
    limits = _text_limits()  # text cut to its column, as _fit_text_columns does for the rest
    type_max, id_max = limits["object_type"], limits["object_id"]
    logs = []
    for ref_type, ref_id, item in refs:
        log = _like(template)
        log.object_type, log.object_id = ref_type[:type_max], ref_id[:id_max]
        if meta_for:
            log.meta = _clean_meta(meta_for(item))
        logs.append(log)
    return _append(logs)


def record_batch(
    *, actor, action: AuditAction | str, object_type: str, object_ids, meta: dict | None = None
) -> AuditLog:
    """ONE event about many objects of ``object_type`` (a batch of a catch-up that would
    otherwise write thousands of identical rows), chained like any other row: its object id is
    ``BATCH_OBJECT_ID``, its meta ``meta`` plus ``count`` and the objects' ids (sorted) under
    ``BATCH_OBJECTS_KEY``. The trail finds it by any of those ids
    (``audit.selectors.rows_about``), as it finds an object's own rows."""
    ids = sorted(str(object_id) for object_id in object_ids)
    return record(
        actor=actor,
        action=action,
        object_type=object_type,
        object_id=BATCH_OBJECT_ID,
        meta={**(meta or {}), "count": len(ids), BATCH_OBJECTS_KEY: ids},
    )


def _like(template: AuditLog) -> AuditLog:
    """A new unsaved row with the template's values, without Model.__init__ (most of the cost
    of a batch's thousands of rows); the batch shares one event time."""
    log = AuditLog.__new__(AuditLog)
    log.__dict__.update(template.__dict__)
    log._state = ModelState()
    return log


EXPORT_MAX_ROWS = 100_000


def audit_export(*, actor, filters) -> tuple[list, int]:
    """Rows for a CSV export of the trail, recorded as EXPORT_AUDIT in the same transaction."""
    from django.db import transaction

    from amanah.audit.policies import AUDIT_EXPORT
    from amanah.audit.selectors import audit_events
    from amanah.core import access

    access.require(actor, AUDIT_EXPORT)
    with transaction.atomic():
        rows = list(audit_events(actor=actor, filters=filters)[:EXPORT_MAX_ROWS])
        record(
            actor=actor,
            action=AuditAction.EXPORT_AUDIT,
            object_type="AUDIT_LOG",
            object_id="export",
            meta={"filters": filters.as_meta(), "rows": len(rows)},
        )
    return rows, len(rows)
