"""The audit trail's keyed chain, its signed checkpoints, and the verifier.

Each row's ``hash`` is HMAC-SHA256 under ``AUDIT_CHAIN_KEY`` (a key kept out of the database)
over the previous row's hash and the row itself, id included. So:
- an edited, removed or reordered row breaks a link;
- recomputing the hashes after an edit needs the key: without it every MAC is wrong;
- removing the newest rows leaves an intact but shorter chain. That is what the checkpoints are
  for: now and then (a periodic job, or ``amanah audit checkpoint``) the head of the chain
  (id, hash, time) is MAC'd and appended to a file outside the database. A checkpoint whose row
  is gone, or holds another hash, reveals the truncated tail or the replaced chain.
Rows written after the newest checkpoint can still vanish unnoticed; the checkpoint interval
bounds that window, and shipping the files to write-once storage keeps them out of reach.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import operator
import os
from dataclasses import asdict, dataclass
from datetime import UTC
from pathlib import Path

from django.conf import settings
from django.db import connection
from django.utils import timezone

from amanah.audit.models import AuditLog

GENESIS_HASH = "0" * 64


# What json.dumps(sort_keys=True, separators=(",", ":"), ensure_ascii=False) builds on each
# call, built once.
_ENCODER = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _canonical(row) -> str:
    return _ENCODER.encode(row)


def _mac(purpose: str, message: str) -> str:
    # One key, two uses kept apart by a label: a row MAC can never pass as a checkpoint MAC.
    key = settings.AUDIT_CHAIN_KEY.encode()
    return hmac.new(key, f"{purpose}\n{message}".encode(), hashlib.sha256).hexdigest()


def _row_fields(log: AuditLog) -> dict:
    return {
        "id": log.id,
        "created_at": log.created_at.astimezone(UTC).isoformat(),
        "action": log.action,
        "object_type": log.object_type,
        "object_id": log.object_id,
        "actor_id": log.actor_id,
        "actor_username": log.actor_username,
        "actor_role": log.actor_role,
        "ip": log.ip,
        "user_agent": log.user_agent,
        "request_id": log.request_id,
        "meta": log.meta,
    }


def compute_hash(log: AuditLog) -> str:
    """The row's link: HMAC(key, previous hash + the row with its id)."""
    return _mac("row", log.prev_hash + _canonical(_row_fields(log)))


# The fields that differ from row to row in a batch (record_many); the others (time, action,
# actor, request) are the batch's own, so their canonical text is built once.
_PER_ROW_FIELDS = ("id", "meta", "object_id", "object_type")


def _frame(fields: dict) -> list[str]:
    """The canonical text of a row cut around its per-row fields, which ``_canonical`` would put
    in sorted key order: ``frame[0] + id + frame[1] + meta + ... + frame[-1]``. The same text
    ``json.dumps(sort_keys=True, separators=(",", ":"))`` writes, one key at a time."""
    pieces, current = [], "{"
    for n, key in enumerate(sorted(fields)):
        current += ("," if n else "") + _canonical(key) + ":"
        if key in _PER_ROW_FIELDS:
            pieces.append(current)
            current = ""
        else:
            current += _canonical(fields[key])
    pieces.append(current + "}")
    return pieces


class Linker:
    """``compute_hash`` for a batch of rows (a sweep's thousands of events) at a fraction of its
    cost, with the same result (the tests hold the two together): the keyed HMAC state after
    the label is computed once and copied per row, the constant part of the canonical text is
    built once per batch, and a meta shared by many rows is serialized once."""

    def __init__(self) -> None:
        key = settings.AUDIT_CHAIN_KEY.encode()
        self._start = hmac.new(key, b"row\n", hashlib.sha256)  # as _mac("row", ...)
        self._frames: dict[tuple, list[str]] = {}
        # id(meta) -> (meta, its text); holding the dict keeps its id from being reused.
        self._metas: dict[int, tuple[dict, str]] = {}
        self._texts: dict[str, str] = {}  # an object type (a batch has one or two) -> its JSON

    def meta_text(self, meta) -> str:
        """The canonical JSON of ``meta`` (also valid jsonb input for COPY), once per object."""
        found = self._metas.get(id(meta))
        if found is None:
            found = self._metas[id(meta)] = (meta, _canonical(meta))
        return found[1]

    def _text(self, value: str) -> str:
        self._texts[value] = _canonical(value)
        return self._texts[value]

    def link(self, log: AuditLog, prev: str) -> str:
        """The hash of ``log`` chained after ``prev`` (== compute_hash with prev_hash=prev)."""
        key = _frame_key(log)
        frame = self._frames.get(key)
        if frame is None:
            frame = self._frames[key] = _frame(_row_fields(log))
        values = (
            str(log.id),  # an int: its JSON is its decimal digits
            self.meta_text(log.meta),
            _canonical(log.object_id),
            self._texts.get(log.object_type) or self._text(log.object_type),
        )
        text = frame[0]
        for value, piece in zip(values, frame[1:], strict=True):
            text += value + piece
        mac = self._start.copy()
        mac.update((prev + text).encode())
        return mac.hexdigest()


# The attributes that _row_fields reads apart from the per-row ones: one frame per combination.
_frame_key = operator.attrgetter(
    "created_at", "action", "actor_id", "actor_username", "actor_role", "ip", "user_agent",
    "request_id",
)  # fmt: skip


# --- checkpoints -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Checkpoint:
    database: str
    id: int
    hash: str
    at: str

    def mac(self) -> str:
        return _mac("checkpoint", _canonical(asdict(self)))


def _database() -> str:
    return connection.settings_dict["NAME"]


def _checkpoint_files() -> list[Path]:
    folder = Path(settings.AUDIT_CHECKPOINT_DIR)
    return sorted(folder.glob(f"{_database()}-*.jsonl"))


def _read_lines() -> list[tuple[str, int, str]]:
    return [
        (path.name, number, line)
        for path in _checkpoint_files()
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if line.strip()
    ]


class ForgedCheckpoint(Exception):
    """A checkpoint line that the chain key did not sign (altered, or written by someone else)."""


def checkpoints_load() -> list[Checkpoint]:
    """This database's checkpoints, oldest first; ForgedCheckpoint names a line that fails."""
    checkpoints = []
    for file_name, number, line in _read_lines():
        try:
            data = json.loads(line)
            mac = data.pop("mac")
            checkpoint = Checkpoint(**data)
            valid = hmac.compare_digest(mac, checkpoint.mac())
        except (ValueError, TypeError, KeyError):
            valid = False
        if not valid or checkpoint.database != _database():
            raise ForgedCheckpoint(f"{file_name} line {number}")
        checkpoints.append(checkpoint)
    return sorted(checkpoints, key=lambda c: c.id)


def _append_line(checkpoint: Checkpoint) -> None:
    folder = Path(settings.AUDIT_CHECKPOINT_DIR)
    folder.mkdir(parents=True, exist_ok=True)
    month = checkpoint.at[:7]
    line = json.dumps({**asdict(checkpoint), "mac": checkpoint.mac()}, sort_keys=True) + "\n"
    # O_APPEND: never rewrite what is there. One short write, then to disk before we return.
    fd = os.open(
        folder / f"{checkpoint.database}-{month}.jsonl",
        os.O_WRONLY | os.O_APPEND | os.O_CREAT,
        0o640,
    )
    try:
        os.write(fd, line.encode())
        os.fsync(fd)
    finally:
        os.close(fd)


def checkpoint_write(*, only_if_moved: bool = False) -> Checkpoint | None:
    """Append a signed checkpoint of the chain's newest committed row; None for an empty trail
    (or, with ``only_if_moved``, when the newest checkpoint already names that row)."""
    head = AuditLog.objects.order_by("-id").values_list("id", "hash").first()
    if head is None:
        return None
    if only_if_moved:
        known = checkpoints_load()
        if known and known[-1].id == head[0]:
            return None
    checkpoint = Checkpoint(
        database=_database(),
        id=head[0],
        hash=head[1],
        at=timezone.now().astimezone(UTC).isoformat(timespec="seconds"),
    )
    _append_line(checkpoint)
    return checkpoint


# --- verification ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    rows_checked: int
    first_broken_id: int | None = None
    reason: str = ""
    checkpoints_checked: int = 0

    def __str__(self) -> str:
        if not self.ok:
            where = f" at audit row {self.first_broken_id}" if self.first_broken_id else ""
            return f"BROKEN{where}: {self.reason} ({self.rows_checked} rows checked)"
        if not self.checkpoints_checked:
            return (
                f"OK: {self.rows_checked} audit rows, chain intact; no checkpoint yet, so a "
                "truncated tail could not be checked (amanah audit checkpoint)"
            )
        return (
            f"OK: {self.rows_checked} audit rows, chain intact; "
            f"{self.checkpoints_checked} checkpoints match"
        )


def _walk(expected: dict[int, str], batch_size: int) -> ChainReport | tuple[int, int, dict]:
    """Recompute every link; returns a broken report, or (rows, newest id, checkpoint hits)."""
    expected_prev, checked, newest, seen = GENESIS_HASH, 0, 0, {}
    for log in AuditLog.objects.order_by("id").iterator(chunk_size=batch_size):
        checked += 1
        if log.prev_hash != expected_prev:
            reason = "previous hash does not match (row removed or moved)"
            return ChainReport(False, checked, log.id, reason)
        if not hmac.compare_digest(compute_hash(log), log.hash):
            reason = (
                "content does not match its MAC (edited, or the chain was recomputed "
                "without the key)"
            )
            return ChainReport(False, checked, log.id, reason)
        if log.id in expected:
            seen[log.id] = log.hash
        expected_prev, newest = log.hash, log.id
    return checked, newest, seen


def _check_against(checkpoints: list[Checkpoint], rows: int, newest: int, seen: dict):
    for checkpoint in checkpoints:
        if checkpoint.id > newest:
            reason = (
                f"tail truncated: the chain ends at row {newest or 'none'}, but the checkpoint "
                f"of {checkpoint.at} recorded row {checkpoint.id}"
            )
            return ChainReport(False, rows, checkpoint.id, reason, len(checkpoints))
        if seen.get(checkpoint.id) != checkpoint.hash:
            reason = (
                f"the checkpoint of {checkpoint.at} is not in the chain (rows removed or the "
                "chain replaced)"
            )
            return ChainReport(False, rows, checkpoint.id, reason, len(checkpoints))
    return ChainReport(True, rows, checkpoints_checked=len(checkpoints))


def verify_chain(batch_size: int = 5000) -> ChainReport:
    """Walk the trail in id order, recompute every MAC, then hold it against the checkpoints."""
    try:
        checkpoints = checkpoints_load()
    except ForgedCheckpoint as error:
        return ChainReport(False, 0, None, f"checkpoint not signed with the chain key: {error}")
    walked = _walk({c.id: c.hash for c in checkpoints}, batch_size)
    if isinstance(walked, ChainReport):
        return walked
    return _check_against(checkpoints, *walked)


@dataclass(frozen=True)
class RowCheck:
    """One row's place in the chain, checked on its own (the detail page)."""

    content_ok: bool  # its MAC recomputed with compute_hash matches
    link_ok: bool  # its prev_hash is the hash of the row before it (genesis for the first)

    @property
    def ok(self) -> bool:
        return self.content_ok and self.link_ok


def verify_row(log: AuditLog) -> RowCheck:
    """Recompute one row's MAC and hold its link against the row before it (one query).
    The whole trail and the checkpoints are ``verify_chain``'s job."""
    previous = AuditLog.objects.filter(id__lt=log.id).order_by("-id").values_list("hash").first()
    expected_prev = previous[0] if previous else GENESIS_HASH
    return RowCheck(
        content_ok=hmac.compare_digest(compute_hash(log), log.hash),
        link_ok=hmac.compare_digest(log.prev_hash, expected_prev),
    )
