"""Handing members to agents: the one place a member's agent changes.

Enrolment, the sweep, a leave hand-over, a deposit that meets its target and the exits all
come here. Each caller, inside its transaction:

1. ``Hand.open(now)`` locks the desk row (one hand-out at a time, so two never both fill an
   agent's last place) and reads the agents as the database sees them (``sql.agents_at``:
   present or not, their loads) and who of them is at work now (``calendars``, see
   "Availability" below);
2. picks its members (locked by the caller, ``SKIP LOCKED`` in the sweep) and asks
   ``hand.move(ids, reason)``: the database function ``followup_move`` (migration 0006)
   checks that each member is due for that reason, picks each one's next agent itself — 1..N
   after its own, with wrap, skipping agents away, full or (the caller's word, kept on the row)
   off duty; the thousandth member of a batch sees the loads the 999 before it left — and
   writes the rotation rows, the members and the desk cursor;
3. ``record(moves)``: the event (notifications, deferred) and one audit row per rotation with
   ``audit.record_many``, the rotation's id in its meta — the database refuses to COMMIT a
   rotation without it.

**Availability** (issue 20: "availability from calendars (leave, off days, working hours)").
Two questions, answered differently on purpose:

* *May the agent be given a member now?* Only when active on the desk, not away
  (``absent_user_ids``: leave, an off day, sick — ``calendars.StaffAbsence``) and at work
  (``on_duty_user_ids``: inside a working window of the home branch's calendar, so not at
  night, on a weekend, a holiday or *cuti bersama*). Enrolment, a rotation and a waiting
  member all take only such agents; with none, the member waits (PENDING) and the sweep's
  first pass hands it out as soon as someone starts work.
* *Must the agent give its members up at once?* Only when away or inactive (DESIGN §6:
  "an agent who goes on leave or off mid-window hands the member on", AGENT_UNAVAILABLE).
  Being outside working hours does **not** count: the end of a working day, a weekend or a
  holiday would otherwise hand every member on every evening — each window of 48 hours
  would be cut to one working day and every member would rotate nightly. An "off day" in the
  sense of §6 is a recorded absence (kind OFF), not the calendar's closed days.

``settings.FOLLOWUP_WORKING_HOURS`` (default on) switches the working-hours half off for a
desk that works round the clock (and for the end-to-end run, which runs at any hour).

**Member status is not on the workflow engine** — the one documented exception to DESIGN §2
("status changes go through ``workflow``"). A member's status (ACTIVE, ROTATED, PENDING,
DONE) changes only together with its agent, in ``followup_move``, and that write already is what
``transition_apply`` would add: a history line per change (the rotation row, append-only and
guarded by the database) and an audit row, in the same transaction, plus the event. What the
engine would cost: it moves one object at a time (lock, save, history, ``audit.record``,
event); the sweep must move 10,000 members in ≤ 2 s (DESIGN §5), and the per-member loop
baseline in ``docs/benchmarks.md`` took about 300× the set-based sweep in the same run. And
the engine's transitions are data ADMIN may edit (permission, guard, on/off), while nobody may
move a member (DESIGN §6): there is no permission to put on these moves, and a transition
switched off on the workflow page that the sweep still made would misstate the rules. So the
statuses are set by the database's one function and kept honest there (CHECK: an agent iff
ACTIVE/ROTATED; triggers: no agent change without its rotation row, and for the application
role no change of them at all outside the function).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.db import connection

from amanah.audit import services as audit
from amanah.audit.models import AuditAction
from amanah.calendars.contract import on_duty_user_ids
from amanah.core import events
from amanah.core.actors import declare_actor
from amanah.followup import sql
from amanah.followup.models import Desk, Member
from amanah.followup.policies import DESK_MONITOR

# Not a person: it sees every member of the desk and moves them by the rules, nothing else.
ACTOR = declare_actor("followup-rotation", permissions=(DESK_MONITOR,), all_branches=True)
# fn(*, actor, rotation_ids): a batch of rotations was written (notifications, deferred).
MEMBERS_ROTATED = "followup.members_rotated"


@dataclass
class Hand:
    now: datetime
    agents: list[sql.AgentRow]
    # Present (not away) but outside working hours now: given no member, keep their own.
    off_duty: list[uuid.UUID] = field(default_factory=list)

    @property
    def unavailable_agent_ids(self) -> list[uuid.UUID]:
        """Agents away or inactive: they hand their members on (not those merely off duty)."""
        return [a.agent_id for a in self.agents if not a.present]

    @staticmethod
    def lock_desk() -> Desk:
        """The desk's row lock. LOCK ORDER, the same in every transaction of the desk: the
        desk row first, then members (then the audit chain, last, inside ``audit.record``).
        A transaction that may need the desk takes it before it locks any member: enrolment,
        the sweep and the leave hand-over open with it; ``deposit_record`` takes it before
        the member (a deposit that meets its target hands the member back through here);
        ``desk_order_set`` takes it before it remaps members; a follow-up log takes it shared
        (``share_desk``) before its member. Agents come after the desk: a new order changes
        their numbers, which key-locks those rows, and the deferred foreign-key checks at
        COMMIT of logs, deposits and rotations (made while their transaction holds the audit
        chain lock) wait for that — harmless only because they all queue at the desk first.
        The database's functions take the same locks in the same order."""
        return Desk.objects.select_for_update().get(pk=1)

    @staticmethod
    def share_desk() -> None:
        """The desk row ``FOR SHARE``: for a transaction that hands nothing out but locks a
        member and points at an agent (a follow-up log). It waits for a hand-out or a new
        order in progress, not for other such transactions (lock order: ``lock_desk``)."""
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM followup_desk WHERE id = 1 FOR SHARE")

    @classmethod
    def open(cls, now: datetime) -> Hand:
        cls.lock_desk()
        agents = sql.agents_at(now, loads=False)  # the database counts them where it moves
        present = [a.user_id for a in agents if a.present]
        # At work now: only they take members (see "Availability" in the module docstring).
        on_duty = on_duty_user_ids(now, present) if settings.FOLLOWUP_WORKING_HOURS else None
        off_duty = [] if on_duty is None else [
            a.agent_id for a in agents if a.present and a.user_id not in on_duty
        ]  # fmt: skip
        return cls(now=now, agents=agents, off_duty=off_duty)

    def has_room(self) -> bool:
        """Whether anyone may take a member now (present, at work, below capacity): the loads
        are counted only for this question."""
        off = set(self.off_duty)
        loads = {a.agent_id: a.load for a in sql.agents_at(self.now)}
        return any(a.present and a.agent_id not in off and loads[a.agent_id] < a.capacity
                   for a in self.agents)  # fmt: skip

    def move(
        self,
        member_ids: list[int],
        reason: str,
        *,
        run_id: uuid.UUID | None = None,
        exit_reason: str | None = None,
    ) -> list[sql.Moved]:
        """The database moves the members by ``reason`` (see the module docstring); the
        caller records the moves with ``record`` in the same transaction."""
        if not member_ids:
            return []
        return sql.move(
            member_ids,
            reason,
            now=self.now,
            off_duty=self.off_duty,
            run_id=run_id,
            exit_reason=exit_reason,
        )

    def apply(
        self, member_ids: list[int], reason: str, *, actor=ACTOR, run_id=None
    ) -> list[sql.Moved]:
        """``move`` and ``record`` at once (the sweep, a leave hand-over)."""
        moves = self.move(member_ids, reason, run_id=run_id)
        record(moves, actor=actor, run_id=run_id)
        return moves


def record(moves: list[sql.Moved], *, actor=ACTOR, run_id: uuid.UUID | None = None) -> list:
    """The event and the audit rows of the rotations among ``moves`` (one per rotation, its id
    in the meta: the database's deferred check finds it there at COMMIT). Returns their ids."""
    rotated = [m for m in moves if m.rotation_id is not None]
    if not rotated:
        return []
    rotation_ids = [m.rotation_id for m in rotated]
    events.emit(MEMBERS_ROTATED, actor=actor, rotation_ids=rotation_ids)
    meta = {m.member_id: m for m in rotated}
    audit.record_many(
        actor=actor,
        action=AuditAction.ROTATE_FOLLOWUP_MEMBER,
        object_type=Member._meta.label,
        object_ids=list(meta),
        meta_for=lambda member_id: {
            "reason": str(meta[member_id].reason),
            "from_position": meta[member_id].from_position,
            "to_position": meta[member_id].to_position,
            "rotation": meta[member_id].rotation_id,
            "run": str(run_id) if run_id else None,
        },
    )
    return rotation_ids
