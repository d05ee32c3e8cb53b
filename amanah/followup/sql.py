"""The desk's calls of its database functions (migration 0006): every change of a member's agent,
window or deposits, and of the agents' order, is made by the database, which checks it against
the rotation rules first (``followup_move``: the next agent is its choice, not the caller's).

``agents_at`` reads the agents as ``followup_move`` sees them (present: active, an active user,
not away — ``calendars``' absences; and the load of each); ``tests/test_guard.py`` holds it to
the ORM's and ``calendars.absent_user_ids``' answer.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.db import connection


@dataclass(frozen=True)
class AgentRow:
    agent_id: uuid.UUID
    user_id: uuid.UUID
    position: int
    capacity: int
    present: bool  # active on the desk, an active user, not away now
    load: int | None  # members held now (None: not counted)


@dataclass(frozen=True)
class Moved:
    """One member the database moved (``rotation_id`` None: it left the desk while waiting, so
    no agent changed and no rotation row was written)."""

    member_id: int
    rotation_id: int | None
    from_position: int | None
    to_position: int | None
    reason: str
    status: str


@dataclass(frozen=True)
class Accepted:
    deposit_id: int
    reset_window: bool
    target_met: bool
    # The member reached its target and left its agent (MEMBER_DONE): that rotation.
    done: Moved | None


def agents_at(now: datetime, *, loads: bool = True) -> list[AgentRow]:
    """The agents in order (``loads=False``: their loads not counted, ``load`` None)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM followup_agents(%s, %s)", [now, loads])
        return [AgentRow(*row) for row in cursor.fetchall()]


def move(
    member_ids: list[int],
    reason: str,
    *,
    now: datetime,
    off_duty=(),
    run_id: uuid.UUID | None = None,
    exit_reason: str | None = None,
) -> list[Moved]:
    """Hand the members on by ``reason``, in the order given (the database locks the desk and
    them, picks each one's next agent, writes the rotation rows and the members, and refuses
    the whole call if one of them is not due for ``reason``). ``off_duty``: agent ids present
    but outside working hours now, skipped. Only the members that moved come back."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT * FROM followup_move(%s::bigint[], %s, %s, %s::uuid[], %s, %s)",
            [list(member_ids), str(reason), now, list(off_duty), run_id,
             str(exit_reason) if exit_reason else None],
        )  # fmt: skip
        return [Moved(*row) for row in cursor.fetchall()]


def deposit_accept(
    *, member_id: int, external_ref: str, amount: Decimal, deposited_at: datetime, now: datetime
) -> Accepted:
    """The deposit written, the member's totals and window with it, and the member done when
    it reached its target (one call: the database decides whether the window restarts)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT * FROM followup_deposit_accept(%s, %s, %s, %s, %s)",
            [member_id, external_ref, amount, deposited_at, now],
        )
        deposit_id, reset, met, rotation_id, from_position = cursor.fetchone()
    done = None
    if rotation_id is not None:
        done = Moved(member_id, rotation_id, from_position, None, "MEMBER_DONE", "DONE")
    return Accepted(deposit_id, reset, met, done)


def order_set(order: dict[uuid.UUID, int]) -> int:
    """A whole new order of the agents; returns how many open members were remapped."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT followup_desk_order_set(%s::uuid[], %s::integer[])",
            [list(order), list(order.values())],
        )
        return cursor.fetchone()[0]
