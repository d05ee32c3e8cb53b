"""Handing members to agents: the one place a member's agent changes.

Enrolment, the sweep and a leave hand-over all come here. Each caller, inside its transaction:

1. ``Hand.open(now)`` locks the desk row (one hand-out at a time, so two never both fill an
   agent's last place), reads the agents, who of them is away and who is at work now
   (``calendars``, see "Availability" below), and the load per agent in one GROUP BY, into a
   ``core.roundrobin.Pool``;
2. picks its members (locked by the caller, ``SKIP LOCKED`` in the sweep) and asks
   ``hand.move(...)`` for each — pure Python over the pool, so the thousandth member of a batch
   sees the loads the 999 before it left;
3. ``hand.apply(...)`` writes the whole batch in three statements: the history rows (INSERT …
   SELECT FROM unnest … RETURNING), the members (UPDATE … FROM unnest, which the database's
   guard lets through because each row names its fresh history row), the desk cursor; then the
   event (notifications, deferred) and one audit row per member with ``audit.record_many``.

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
DONE) changes only together with its agent, here in ``apply``, and that write already is what
``transition_apply`` would add: a history line per change (the rotation row, append-only and
guarded by the database) and an audit row, in the same transaction, plus the event. What the
engine would cost: it moves one object at a time (lock, save, history, ``audit.record``,
event); the sweep must move 10,000 members in ≤ 2 s (DESIGN §5), and the per-member loop
baseline in ``docs/benchmarks.md`` took about 300× the set-based sweep in the same run. And
the engine's transitions are data ADMIN may edit (permission, guard, on/off), while nobody may
move a member (DESIGN §6): there is no permission to put on these moves, and a transition
switched off on the workflow page that the sweep still made would misstate the rules. So the
statuses are set in this one module and the database keeps them honest (CHECK: an agent iff
ACTIVE/ROTATED; the trigger: no agent change without its rotation row).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection

from amanah.audit import services as audit
from amanah.audit.models import AuditAction
from amanah.calendars.contract import absent_user_ids, on_duty_user_ids
from amanah.core import events
from amanah.core.actors import IntegrationActor
from amanah.core.roundrobin import Pool
from amanah.followup.models import WITH_AGENT, Desk, DeskAgent, Member, RotationReason
from amanah.followup.policies import DESK_MONITOR

# Not a person: it sees every member of the desk and moves them by the rules, nothing else.
ACTOR = IntegrationActor("followup-rotation", permissions=(DESK_MONITOR,), all_branches=True)
# fn(*, actor, rotation_ids): a batch of rotations was written (notifications, deferred).
MEMBERS_ROTATED = "followup.members_rotated"


@dataclass(frozen=True)
class Move:
    member_id: int
    from_agent_id: uuid.UUID | None
    from_position: int | None
    to_agent_id: uuid.UUID | None
    to_position: int | None
    reason: str
    status: str  # the member's status after the move
    new: bool = False  # a first agent for a new member: moves the desk cursor


@dataclass
class Hand:
    now: datetime
    desk: Desk
    pool: Pool
    agent_of: dict[int, uuid.UUID]  # position → agent id
    position_of: dict[uuid.UUID, int]  # agent id → position
    # Agents away or inactive: they hand their members on (not those merely off duty).
    unavailable_agent_ids: list[uuid.UUID] = field(default_factory=list)
    cursor: int = 0
    loads_counted: bool = False

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
        chain lock) wait for that — harmless only because they all queue at the desk first."""
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
        desk = cls.lock_desk()
        agents = list(
            DeskAgent.objects.values_list(
                "id", "user_id", "position", "capacity", "is_active", "user__is_active"
            )
        )
        users = [a[1] for a in agents]
        away = absent_user_ids(now, users)
        # At work now: only they take members (see "Availability" in the module docstring).
        on_duty = on_duty_user_ids(now, users) if settings.FOLLOWUP_WORKING_HOURS else set(users)
        present = {a[2] for a in agents if a[4] and a[5] and a[1] not in away}
        available = {a[2] for a in agents if a[2] in present and a[1] in on_duty}
        position_of = {a[0]: a[2] for a in agents}
        return cls(
            now=now,
            desk=desk,
            pool=Pool(
                positions=[a[2] for a in agents],
                available=available,
                capacity={a[2]: a[3] for a in agents},
            ),
            agent_of={a[2]: a[0] for a in agents},
            position_of=position_of,
            unavailable_agent_ids=[a[0] for a in agents if a[2] not in present],
            cursor=desk.last_position,
        )

    def _count_loads(self) -> None:
        """The members each agent holds, read once per hand-out (under the desk lock) and only
        when a move is asked for: a batch that finds nothing due costs no count."""
        if self.loads_counted:
            return
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT current_agent_id, count(*) FROM followup_member"
                " WHERE status = ANY(%s) GROUP BY current_agent_id",
                [[str(s) for s in WITH_AGENT]],
            )
            by_agent = dict(cursor.fetchall())
        self.pool.load = {self.position_of[k]: v for k, v in by_agent.items()
                          if k in self.position_of}  # fmt: skip
        self.loads_counted = True

    def has_room(self) -> bool:
        self._count_loads()
        return any(self.pool.load.get(p, 0) < self.pool.capacity.get(p, 0)
                   for p in self.pool.available)  # fmt: skip

    def move(self, *, member_id: int, agent_id, last_position: int, reason: str) -> Move | None:
        """The move of one member (None: it stays as it is — a waiting member still waits).
        ``agent_id`` is its agent now (None when waiting), ``last_position`` the agent it last
        had (0: never had one, a new member)."""
        self._count_loads()
        from_position = self.position_of.get(agent_id) if agent_id else None
        new = last_position == 0 and agent_id is None
        if new:
            to = self.pool.take(after=self.cursor, include_after=True)
            if to is not None:
                self.cursor = to
        else:
            to = self.pool.take(after=from_position or last_position)
        if to is None and agent_id is None:
            return None
        if agent_id is not None:
            self.pool.release(from_position)
        status = "PENDING" if to is None else "ACTIVE" if new else "ROTATED"
        return Move(
            member_id=member_id,
            from_agent_id=agent_id,
            from_position=from_position,
            to_agent_id=self.agent_of.get(to) if to else None,
            to_position=to,
            reason=RotationReason.NEW_MEMBER if new and to else reason,
            status=status,
            new=new,
        )

    def release_member(self, agent_id) -> None:
        """A member left the desk (DONE): its agent has one place more."""
        self._count_loads()
        self.pool.release(self.position_of.get(agent_id))

    def apply(self, moves: list[Move], *, actor=ACTOR, run_id: uuid.UUID | None = None) -> list:
        """Write the moves: history, members, cursor, event, audit. Returns rotation ids."""
        if not moves:
            return []
        hours = self.desk.window_hours
        ids = [m.member_id for m in moves]
        with connection.cursor() as cursor:
            # Positions, not agent ids, travel (ints are cheap to send); the desk's row lock,
            # held since ``open``, keeps the order fixed until commit.
            cursor.execute(
                """
                INSERT INTO followup_rotation
                       (member_id, from_agent_id, to_agent_id, from_position, to_position,
                        reason, at, sweep_run)
                SELECT u.member_id, m.current_agent_id, a.id, u.from_pos, u.to_pos, u.reason,
                       %(now)s, %(run)s
                  FROM unnest(%(ids)s::bigint[], %(from_pos)s::int[], %(to_pos)s::int[],
                              %(reason)s::text[])
                       AS u(member_id, from_pos, to_pos, reason)
                  JOIN followup_member m ON m.id = u.member_id
                  LEFT JOIN followup_deskagent a ON a.position = u.to_pos
                RETURNING member_id, id
                """,
                {
                    "now": self.now,
                    "run": run_id,
                    "ids": ids,
                    "from_pos": [m.from_position for m in moves],
                    "to_pos": [m.to_position for m in moves],
                    "reason": [str(m.reason) for m in moves],
                },
            )
            rotation_of = dict(cursor.fetchall())
            rotation_ids = [rotation_of[m] for m in ids]
            cursor.execute(
                """
                UPDATE followup_member m
                   SET current_agent_id = a.id,
                       last_rotation_id = u.rotation_id,
                       last_position = COALESCE(u.to_pos, u.from_pos, m.last_position),
                       status = u.status,
                       window_start = CASE WHEN a.id IS NULL THEN NULL ELSE %(now)s END,
                       window_end = CASE WHEN a.id IS NULL THEN NULL ELSE %(end)s END,
                       pending_since = CASE WHEN a.id IS NULL
                                            THEN COALESCE(m.pending_since, %(now)s) END
                  FROM unnest(%(ids)s::bigint[], %(rotations)s::bigint[], %(from_pos)s::int[],
                              %(to_pos)s::int[], %(status)s::text[])
                       AS u(member_id, rotation_id, from_pos, to_pos, status)
                  LEFT JOIN followup_deskagent a ON a.position = u.to_pos
                 WHERE m.id = u.member_id
                """,
                {
                    "now": self.now,
                    "end": self.now + timedelta(hours=hours),
                    "ids": ids,
                    "rotations": rotation_ids,
                    "from_pos": [m.from_position for m in moves],
                    "to_pos": [m.to_position for m in moves],
                    "status": [m.status for m in moves],
                },
            )
        if self.cursor != self.desk.last_position:
            self.desk.last_position = self.cursor
            self.desk.updated_at = self.now
            self.desk.save(update_fields=["last_position", "updated_at"])
        events.emit(MEMBERS_ROTATED, actor=actor, rotation_ids=rotation_ids)
        meta = {m.member_id: m for m in moves}
        audit.record_many(
            actor=actor,
            action=AuditAction.ROTATE_FOLLOWUP_MEMBER,
            object_type=Member._meta.label,
            object_ids=ids,
            meta_for=lambda member_id: {
                "reason": str(meta[member_id].reason),
                "from_position": meta[member_id].from_position,
                "to_position": meta[member_id].to_position,
                "run": str(run_id) if run_id else None,
            },
        )
        return rotation_ids
