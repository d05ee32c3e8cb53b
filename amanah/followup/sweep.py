"""The rotation sweep (every five minutes, DESIGN §6): set-based, batched, ``SKIP LOCKED``,
idempotent — after ``cases/sweep.py``.

Three passes, each in batches of ``BATCH_SIZE`` members, each batch its own short transaction
(``assign.Hand``: desk lock, the agents and who is at work, the database's ``followup_move``
for the batch — it checks each member is due, picks the next agents and writes the history and
the members — then one ``audit.record_many`` and one event for the notifications):

1. **waiting** members (PENDING, longest waiting first) get an agent as soon as someone is
   available and below capacity — they have waited longest, so they go before this run's
   rotations take the free places. Walked by key (``id > last``), so those still waiting are
   not picked again in the same run.
2. **agent away**: members whose agent is on leave/off now, inactive on the desk or disabled
   move on at once (AGENT_UNAVAILABLE); the absence's event does the same in its own
   transaction, this pass catches absences that start later and anything missed.
3. **window over**: members whose 48-hour window ended without a deposit move to the next
   agent (NO_DEPOSIT). A follow-up alone does not extend a window.

A member that nobody can take goes PENDING (with a history row: its agent changed to none).
Idempotent: a second run finds nothing due. Lock order, the same everywhere (``Hand.lock_desk``):
the desk row, then members. Deposits and follow-up logs take the desk before their member, so
they wait for the batch instead of holding a member it needs; ``SKIP LOCKED`` stays as the
guard for anything else holding a member (seen by the next run, five minutes later), so no
window runs longer than 48 hours plus the sweep interval and that lock. Concurrent sweeps are
kept apart by the task's lock; the desk row lock keeps hand-outs from enrolment and the leave
hand-over in between.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from django.db import connection, transaction
from django.utils import timezone

from amanah.followup import sql
from amanah.followup.assign import Hand
from amanah.followup.models import WITH_AGENT, RotationReason

BATCH_SIZE = 5000
EPOCH = datetime(2000, 1, 1, tzinfo=UTC)  # before any member's waiting time
ACTIVE = [str(s) for s in WITH_AGENT]

WAITING_SQL = """
    SELECT id, pending_since FROM followup_member
     WHERE status = 'PENDING' AND (pending_since, id) > (%(since)s, %(id)s)
     ORDER BY pending_since, id LIMIT %(limit)s
       FOR NO KEY UPDATE SKIP LOCKED
"""
# Members of agents away now (on their partial index by agent).
AWAY_SQL = """
    SELECT id FROM followup_member
     WHERE status = ANY(%(active)s) AND current_agent_id = ANY(%(agents)s::uuid[])
     ORDER BY window_end, id LIMIT %(limit)s
       FOR NO KEY UPDATE SKIP LOCKED
"""
# Windows over (on the partial index of window ends, oldest first).
OVER_SQL = """
    SELECT id FROM followup_member
     WHERE status = ANY(%(active)s) AND window_end <= %(now)s
     ORDER BY window_end, id LIMIT %(limit)s
       FOR NO KEY UPDATE SKIP LOCKED
"""


@dataclass
class SweepResult:
    assigned: int = 0
    unavailable: int = 0
    no_deposit: int = 0
    pending: int = 0  # of the moves, how many left the member waiting

    def as_dict(self) -> dict:
        return self.__dict__.copy()


def _select(sql: str, params: dict) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _count(result: SweepResult, moves: list[sql.Moved], attr: str) -> None:
    setattr(result, attr, getattr(result, attr) + len(moves))
    result.pending += sum(1 for m in moves if m.to_position is None)


def _waiting(clock, run_id, result: SweepResult) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT EXISTS (SELECT 1 FROM followup_member WHERE status = 'PENDING')")
        if not cursor.fetchone()[0]:
            return
    last = None  # (pending_since, id) of the last member seen
    while True:
        with transaction.atomic():
            hand = Hand.open(clock())
            if not hand.has_room():
                return
            rows = _select(
                WAITING_SQL,
                {
                    "since": last[0] if last else EPOCH,
                    "id": last[1] if last else 0,
                    "limit": BATCH_SIZE,
                },
            )
            if not rows:
                return
            last = (rows[-1][1], rows[-1][0])
            moves = hand.apply([r[0] for r in rows], RotationReason.PENDING_ASSIGNED, run_id=run_id)
            result.assigned += len(moves)
        if len(rows) < BATCH_SIZE:
            return


def _due(clock, run_id, result: SweepResult, *, away: bool) -> None:
    while True:
        with transaction.atomic():
            now = clock()
            hand = Hand.open(now)
            if away:
                if not hand.unavailable_agent_ids:
                    return
                select, reason, attr = AWAY_SQL, RotationReason.AGENT_UNAVAILABLE, "unavailable"
            else:
                select, reason, attr = OVER_SQL, RotationReason.NO_DEPOSIT, "no_deposit"
            rows = _select(
                select,
                {
                    "active": ACTIVE,
                    "now": now,
                    "agents": hand.unavailable_agent_ids,
                    "limit": BATCH_SIZE,
                },
            )
            moves = hand.apply([r[0] for r in rows], reason, run_id=run_id)
            _count(result, moves, attr)
        if len(rows) < BATCH_SIZE:
            return


def rotation_sweep(now=None) -> SweepResult:
    """One run of the three passes. Without ``now`` each batch moves at the clock's time when
    it runs (the database's clock is the only one the application role may move members by,
    ``followup_move``; a long run stays on it); with ``now`` (the tests, the bench) every
    batch moves at that moment."""
    clock = (lambda: now) if now is not None else timezone.now
    run_id = uuid.uuid4()
    result = SweepResult()
    _waiting(clock, run_id, result)
    _due(clock, run_id, result, away=True)
    _due(clock, run_id, result, away=False)
    return result


def hand_over_agent(*, agent_id, now=None) -> int:
    """Move every member of one agent on at once (the agent just went away); inside the
    caller's transaction. Returns how many moved."""
    now = now or timezone.now()
    # Lock order (``Hand.lock_desk``): the desk, then the members. It may wait for a member
    # (no SKIP LOCKED: "at once"); whoever holds one got the desk before it and does not ask
    # for it again, so that wait ends. Deposits and logs take the desk before their member.
    hand = Hand.open(now)
    if agent_id not in hand.unavailable_agent_ids:
        return 0
    rows = _select(
        """
        SELECT id FROM followup_member
         WHERE status = ANY(%(active)s) AND current_agent_id = %(agent)s
         ORDER BY window_end, id FOR NO KEY UPDATE
        """,
        {"active": ACTIVE, "agent": agent_id},
    )
    moves = hand.apply([r[0] for r in rows], RotationReason.AGENT_UNAVAILABLE, run_id=uuid.uuid4())
    return len(moves)
