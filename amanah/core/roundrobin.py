"""Round robin with skips: who gets the next item, given an order, who is available and how
full each one is. Pure (no database, no clock): the automatic assignment of new cases
(``cases.routing``) asks it. The follow-up desk runs the same rule inside the database
(``followup_next_position``, asked by ``followup_move``: the database moves members), held to
``next_position`` by a test (``followup/tests/test_guard.py``).

Positions are the agents' numbers 1..N. ``next_position(after=k, ...)`` walks k+1, k+2, …, N,
1, 2, … and answers the first position that is available and below its capacity. The position
``after`` itself is the answer only with ``include_after`` and only when nobody else is
eligible (a rotation moves a member *away* from its agent; a new item may go back to the one
served last); with nobody eligible the answer is ``None`` and the caller keeps the item
waiting. ``after=0`` (nobody served yet) starts at 1.

``least_loaded_position(after=k, ...)`` is the other way to hand out a new item: among the
eligible positions (available, below capacity) the one with the fewest items; among equal
loads the first going round after ``after`` (``after`` itself last), so ties take turns.

``Pool`` keeps the loads while a batch is handed out, so the tenth member given to agent 7 in
one sweep sees the nine before it; the caller reads the loads once per batch, not per item.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field


def next_position(
    *,
    after: int,
    positions: Iterable[int],
    available: Iterable[int],
    load: Mapping[int, int],
    capacity: Mapping[int, int],
    include_after: bool = False,
) -> int | None:
    """The first position after ``after`` (wrapping past the last) that is available and
    whose load is below its capacity; ``None`` when there is none. ``after`` itself comes
    last when ``include_after`` (a new item may go to the one served last if nobody else
    can take it); never otherwise (a rotation must move the item away)."""
    order = sorted(set(positions))
    if not order:
        return None
    free = set(available)
    # Start after ``after``: the positions greater than it, then from the start again.
    start = next((i for i, p in enumerate(order) if p > after), len(order))
    walk = [p for p in order[start:] + order[:start] if p != after]
    if after in order:
        walk.append(after)
    for p in walk:
        if p == after and not include_after:
            continue
        if p in free and load.get(p, 0) < capacity.get(p, 0):
            return p
    return None


def least_loaded_position(
    *,
    after: int,
    positions: Iterable[int],
    available: Iterable[int],
    load: Mapping[int, int],
    capacity: Mapping[int, int],
) -> int | None:
    """The eligible position (available, load below capacity) with the smallest load; among
    equal loads the first going round after ``after``, ``after`` itself last. ``None`` when
    nobody is eligible. Always a new item's choice: ``after`` may get it again."""
    order = sorted(set(positions))
    free = set(available)
    start = next((i for i, p in enumerate(order) if p > after), len(order))
    walk = [p for p in order[start:] + order[:start] if p != after]
    if after in order:
        walk.append(after)
    eligible = [p for p in walk if p in free and load.get(p, 0) < capacity.get(p, 0)]
    if not eligible:
        return None
    # min() keeps the first of equal loads: the walk's order breaks the tie.
    return min(eligible, key=lambda p: load.get(p, 0))


@dataclass
class Pool:
    """Positions with their availability, capacity and current load, handed out one by one."""

    positions: list[int]
    available: set[int]
    capacity: dict[int, int]
    load: dict[int, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.positions = sorted(self.positions)
        if self.positions != list(range(1, len(self.positions) + 1)):
            raise ValueError("positions must be 1..N without gaps or duplicates")

    def take(self, *, after: int, include_after: bool = False) -> int | None:
        """Give the next item to the next eligible position after ``after`` and count it."""
        position = next_position(
            after=after,
            include_after=include_after,
            positions=self.positions,
            available=self.available,
            load=self.load,
            capacity=self.capacity,
        )
        return self._count(position)

    def take_least_loaded(self, *, after: int) -> int | None:
        """Give the next item to the least loaded eligible position (ties: the next after
        ``after``) and count it."""
        position = least_loaded_position(
            after=after,
            positions=self.positions,
            available=self.available,
            load=self.load,
            capacity=self.capacity,
        )
        return self._count(position)

    def _count(self, position: int | None) -> int | None:
        if position is not None:
            self.load[position] = self.load.get(position, 0) + 1
        return position

    def release(self, position: int | None) -> None:
        """An item left ``position`` (rotated away, done): its load goes down by one."""
        if position is not None and self.load.get(position, 0) > 0:
            self.load[position] -= 1
