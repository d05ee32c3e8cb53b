"""Visiting order for a field agent (issue 19, "Route order"): pure functions, no database.

From the agent's current position and N stops, an **open path** that starts at the agent and
ends at the last stop (the agent does not come back): built nearest-first, improved by 2-opt
(reverse a stretch of the path) and Or-opt (move a run of 1–3 consecutive stops, either way
round, elsewhere) until neither finds a shorter path, then by an **iterated local search**:
``KICKS`` times, a double-bridge kick (swap two stretches, cut preferably at long edges —
between a city's clusters) and the same local search again from the nodes next to the cuts,
the kicked path kicked next if at most ``SLACK`` longer than the one before (else that one
again), the best path met returned.
The kicks come from a generator seeded with ``SEED`` and their number is fixed, so the answer
does not depend on the machine's speed: the same input gives the same order. Distances are
great-circle (haversine) kilometres on a sphere of the Earth's mean radius — what a straight
line on the map would be; road distance is not known here.

How: the path is kept as a closed tour with one extra node, ``end``, at distance 0 from every
stop and far below 0 from the agent, so that no move breaks the edge (end, agent) and the tour
read from the agent away from ``end`` is the open path; closed-tour moves then also change
which stop comes last, with no special case. Moves only join a point to one of its
``NEIGHBOURS`` nearest points, and a point is looked at again only when an edge next to it
changed ("don't-look bits"), so a kick costs tens of looks, not a pass over all pairs.

Why written here rather than taken from a library: OR-Tools (the reference in
``bench/route_bench.py``) is a large native dependency for a job that takes a few hundred
lines, and the app needs a deterministic answer in tens of milliseconds on one core. numpy is
not a dependency of the app, so the distance matrix is plain Python (100 stops: ~5,000
haversines, one half of the symmetric matrix).

``route_order(origin, stops)`` is the one entry point: it validates every coordinate (a clear
``ValueError`` naming the offending stop, never a crash on NaN or a string) and returns a
``Route``: ``order`` (indexes into ``stops``, in visiting order), ``legs_km`` and
``total_km``. The answer is deterministic: the same input gives the same order.
"""

from __future__ import annotations

import heapq
import math
import numbers
import random
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from itertools import pairwise

EARTH_RADIUS_KM = 6371.0088  # IUGG mean radius
MAX_STOPS = 1000  # a day's visits are tens; the matrix is O(n²) (1,000 stops: ~0.6 s)
OR_OPT_MAX_RUN = 3
NEIGHBOURS = 10  # moves join a point only to one of its nearest points
KICKS = 150  # rounds of iterated local search (a fixed number: the answer is reproducible)
KICK_FLOOR = 0.03  # a kick cuts an edge with a chance ∝ its length + 3 % of the mean edge
SLACK = 0.01  # a kicked path is kicked next if ≤ 1 % (of the first length) longer than before
SEED = 19  # of the kicks' generator
_EPS = 1e-9  # km: an improvement smaller than this is rounding, not a shorter path
_RUNS_2 = tuple(range(2, OR_OPT_MAX_RUN + 1))  # runs of 2 stops or more


@dataclass(frozen=True)
class Route:
    """A visiting order: ``order[k]`` is the index (into the stops given) of the k-th visit;
    ``legs_km[k]`` the distance to it from the previous point (the origin for k = 0)."""

    order: tuple[int, ...]
    legs_km: tuple[float, ...]
    total_km: float


def _coordinate(value, name: str, low: float, high: float, where: str) -> float:
    # int, float, Decimal, numpy scalars; not a bool, a string or None
    if isinstance(value, bool) or not isinstance(value, numbers.Real | Decimal):
        raise ValueError(f"{where}: {name} is not a number")
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"{where}: {name} is not a finite number")
    if not low <= value <= high:
        raise ValueError(f"{where}: {name} {value} is outside [{low:g}, {high:g}]")
    return value


def validate_point(point, where: str = "point") -> tuple[float, float]:
    """``(lat, lon)`` in degrees as two finite floats, latitude in [-90, 90] and longitude in
    [-180, 180]; anything else raises ``ValueError`` saying which point and why."""
    if isinstance(point, str | bytes) or not isinstance(point, Sequence) or len(point) != 2:
        raise ValueError(f"{where}: expected a (latitude, longitude) pair")
    return (
        _coordinate(point[0], "latitude", -90.0, 90.0, where),
        _coordinate(point[1], "longitude", -180.0, 180.0, where),
    )


def haversine_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance in km between two validated ``(lat, lon)`` points."""
    lat1, lon1 = math.radians(a[0]), math.radians(a[1])
    lat2, lon2 = math.radians(b[0]), math.radians(b[1])
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


def distance_matrix(points: Sequence[tuple[float, float]]) -> list[list[float]]:
    """Symmetric matrix of haversine km between validated points (radians and cosines once per
    point; the upper triangle computed, mirrored)."""
    n = len(points)
    lat = [math.radians(p[0]) for p in points]
    lon = [math.radians(p[1]) for p in points]
    cos_lat = [math.cos(x) for x in lat]
    sin, asin, sqrt = math.sin, math.asin, math.sqrt
    two_r = 2 * EARTH_RADIUS_KM
    matrix = [[0.0] * n for _ in range(n)]
    for i in range(n):
        row_i, lat_i, lon_i, cos_i = matrix[i], lat[i], lon[i], cos_lat[i]
        for j in range(i + 1, n):
            h = sin((lat[j] - lat_i) / 2) ** 2 + cos_i * cos_lat[j] * sin((lon[j] - lon_i) / 2) ** 2
            d = two_r * asin(min(1.0, sqrt(h)))
            row_i[j] = d
            matrix[j][i] = d
    return matrix


def path_length(path: Sequence[int], matrix: Sequence[Sequence[float]]) -> float:
    """Length of the open path visiting ``path`` in order (no return leg)."""
    return sum(matrix[path[k]][path[k + 1]] for k in range(len(path) - 1))


def nearest_first(matrix: Sequence[Sequence[float]], start: int = 0) -> list[int]:
    """Open path from ``start`` always going to the nearest unvisited point (ties: the lower
    index). Returns every index of the matrix, ``start`` first."""
    n = len(matrix)
    unvisited = set(range(n))
    unvisited.discard(start)
    path = [start]
    current = start
    while unvisited:
        row = matrix[current]
        current = min(unvisited, key=lambda j: (row[j], j))
        unvisited.discard(current)
        path.append(current)
    return path


def neighbours(matrix: Sequence[Sequence[float]], k: int = NEIGHBOURS) -> list[list[int]]:
    """For each point, the ``k`` nearest other points (ties: the lower index)."""
    n = len(matrix)
    out = []
    for i in range(n):
        row = matrix[i]
        others = [j for j in range(n) if j != i]
        out.append(heapq.nsmallest(k, others, key=row.__getitem__))
    return out


class _Tour:
    """A closed tour over the points plus one extra node ``end`` that stands for "the path
    ends here": its distance to every stop is 0 and to the start is ``-big`` (more negative
    than any move could gain), so every move keeps the edge (end, start) and the tour read
    from the start away from ``end`` is the open path. Closed-tour moves (2-opt, Or-opt) then
    also change where the path ends, with no special case.

    ``tour`` is the cyclic order, ``pos[node]`` its index there; ``near[node]`` the candidate
    neighbours of a node (``end`` first: ending the path after a node costs nothing)."""

    def __init__(self, path: Sequence[int], matrix: Sequence[Sequence[float]], k: int):
        n = len(matrix)
        self.start = path[0]
        self.end = n
        biggest = max((max(row) for row in matrix), default=0.0)
        big = 4.0 * biggest + 1.0
        d = [[*row, 0.0] for row in matrix]
        d[self.start][n] = -big
        d.append([0.0] * (n + 1))
        d[n][self.start] = -big
        self.d = d
        self.near = [[n, *row] for row in neighbours(matrix, k)] + [[]]
        self.tour = [*path, n]
        self.pos = [0] * (n + 1)
        self.change = 0.0  # length change of the moves since it was last set to 0
        for index, node in enumerate(self.tour):
            self.pos[node] = index

    def path(self) -> list[int]:
        """The open path: from the start, in the direction away from ``end``."""
        tour = self.tour
        at = self.pos[self.start]
        if tour[at - 1] == self.end:
            return tour[at:] + tour[: at - 1] if at else tour[:-1]
        # the other way round: from the start backwards
        path = tour[at::-1] + tour[:at:-1]
        path.pop()
        return path

    def length(self) -> float:
        """Length of the open path (the edge to ``end`` and back left out)."""
        d, tour = self.d, self.tour
        end = self.end
        total = 0.0
        for k in range(len(tour)):
            a, b = tour[k - 1], tour[k]
            if a != end and b != end:
                total += d[a][b]
        return total

    def _reverse(self, i: int, j: int) -> None:
        """Reverse the cyclic stretch tour[i..j] (forward from i to j); the shorter of it and
        its complement is turned, which is the same tour."""
        tour, pos = self.tour, self.pos
        size = len(tour)
        inner = (j - i) % size + 1
        if 2 * inner > size:
            i, j, inner = (j + 1) % size, (i - 1) % size, size - inner
        for _ in range(inner // 2):
            a, b = tour[i], tour[j]
            tour[i], tour[j] = b, a
            pos[b], pos[a] = i, j
            i += 1
            if i == size:
                i = 0
            j -= 1
            if j < 0:
                j = size - 1

    def _two_opt(self, a: int) -> tuple[int, ...] | None:
        d, tour, pos, near_a = self.d, self.tour, self.pos, self.near[a]
        size = len(tour)
        row_a = d[a]
        at = pos[a]
        # a with its successor b: new edges (a, c), (b, e) with e the successor of c
        b = tour[at + 1 if at + 1 < size else 0]
        d_ab = row_a[b]
        row_b = d[b]
        for c in near_a:
            g1 = d_ab - row_a[c]
            if g1 <= _EPS:
                break
            pc = pos[c]
            e = tour[pc + 1 if pc + 1 < size else 0]
            if c == b or e == a:
                continue
            gain = g1 + d[c][e] - row_b[e]
            if gain > _EPS:
                self._reverse(pos[b], pc)
                self.change -= gain
                return a, b, c, e
        # a with its predecessor b: new edges (a, c), (b, e) with e the predecessor of c
        b = tour[at - 1]
        d_ab = row_a[b]
        row_b = d[b]
        for c in near_a:
            g1 = d_ab - row_a[c]
            if g1 <= _EPS:
                break
            e = tour[pos[c] - 1]
            if c == b or e == a:
                continue
            gain = g1 + d[c][e] - row_b[e]
            if gain > _EPS:
                self._reverse(at, pos[e])
                self.change -= gain
                return a, b, c, e
        return None

    def _or_opt(self, a: int) -> tuple[int, ...] | None:
        d, tour, pos, near = self.d, self.tour, self.pos, self.near
        size = len(tour)
        if size < 4:
            return None
        at = pos[a]
        # the run of one stop, a: its neighbours p, q joined, a put between c and e
        p, q = tour[at - 1], tour[at + 1 if at + 1 < size else 0]
        row_a, row_p = d[a], d[p]
        removed = row_p[a] + row_a[q] - row_p[q]
        gain = removed - _EPS
        if gain > 0.0:
            for c in near[a]:  # never a itself
                d_ac = row_a[c]
                if d_ac >= gain:
                    break
                row_c = d[c]
                pc = pos[c]
                e = tour[pc + 1 if pc + 1 < size else 0]  # c a e
                added = d_ac + row_a[e] - row_c[e]
                if added < gain and e != a:
                    self._move([a], at, c, e, a)
                    self.change += added - removed
                    return p, q, a, a, c, e
                e = tour[pc - 1]  # e a c
                added = d_ac + row_a[e] - row_c[e]
                if added < gain and e != a:
                    self._move([a], at, e, c, a)
                    self.change += added - removed
                    return p, q, a, a, c, e
        for run in _RUNS_2:
            if size - run < 3:
                break
            # the run starting at a, then the run ending at a (both: the other end of a run is
            # looked at only if its don't-look bit is off, so one end only would find other moves)
            for first_at in (at, at - run + 1):
                if first_at < 0:
                    first_at += size
                after = first_at + run
                if after >= size:
                    after -= size
                s1, s2 = tour[first_at], tour[after - 1]
                p, q = tour[first_at - 1], tour[after]
                row_p, row_s2 = d[p], d[s2]
                removed = row_p[s1] + row_s2[q] - row_p[q]
                gain = removed - _EPS
                if gain <= 0.0:
                    continue
                seg = tour[first_at:after] if after > first_at else tour[first_at:] + tour[:after]
                for head, tail in ((s1, s2), (s2, s1)):
                    row_h, row_t = d[head], d[tail]
                    for c in near[head]:
                        d_hc = row_h[c]
                        if d_hc >= gain:
                            break
                        if c in seg:
                            continue
                        row_c = d[c]
                        pc = pos[c]
                        # c head .. tail e   (e after c)
                        e = tour[pc + 1 if pc + 1 < size else 0]
                        added = d_hc + row_t[e] - row_c[e]
                        if added < gain and e not in seg:
                            self._move(seg, first_at, c, e, head)
                            self.change += added - removed
                            return p, q, s1, s2, c, e
                        # e tail .. head c   (e before c)
                        e = tour[pc - 1]
                        added = d_hc + row_t[e] - row_c[e]
                        if added < gain and e not in seg:
                            self._move(seg, first_at, e, c, tail)
                            self.change += added - removed
                            return p, q, s1, s2, c, e
        return None

    def _move(self, seg: list[int], first_at: int, u: int, v: int, after_u: int) -> None:
        """Take the run ``seg`` (at ``tour[first_at]`` onwards) out and put it between the
        neighbours u → v, ``after_u`` (one end of the run) next to u. In place: the shorter
        of the two stretches between the run's old and new places shifts by the run's
        length (the tour keeps its direction; only its starting index may differ)."""
        tour, pos = self.tour, self.pos
        size, run = len(tour), len(seg)
        rest_size = size - run
        start = first_at + run  # the rest of the tour, read from just after the run
        if start >= size:
            start -= size
        if seg[0] != after_u:
            seg = seg[::-1]
        k = (pos[u] - start) % size + 1  # the run goes in after rest[:k]
        if (pos[v] - start) % size != k % rest_size:  # u → v runs the other way round
            k -= 1
            seg = seg[::-1]
        if k <= rest_size - k:
            # rest[:k] moves back by `run` into the run's old place; the run goes after it
            at = first_at
            source = start
            for _ in range(k):
                node = tour[source]
                tour[at] = node
                pos[node] = at
                at += 1
                if at == size:
                    at = 0
                source += 1
                if source == size:
                    source = 0
        else:
            # rest[k:] moves on by `run` (its last ones into the run's old place), from its end
            at = (first_at + run - 1) % size
            source = (first_at - 1) % size
            for _ in range(rest_size - k):
                node = tour[source]
                tour[at] = node
                pos[node] = at
                at -= 1
                if at < 0:
                    at = size - 1
                source -= 1
                if source < 0:
                    source = size - 1
            at = (start + k) % size
        for node in seg:
            tour[at] = node
            pos[node] = at
            at += 1
            if at == size:
                at = 0

    def local_search(self, todo: Iterable[int]) -> int:
        """2-opt and Or-opt moves from the nodes in ``todo`` (don't-look bits: a node is looked
        at again only when an edge next to it changed) until no move shortens the tour.
        Each move adds its length change to ``change``. Returns the number of looks (the
        work done)."""
        looks = 0
        queue = deque()
        queued = [False] * len(self.tour)
        for node in todo:
            if not queued[node]:
                queued[node] = True
                queue.append(node)
        two_opt, or_opt = self._two_opt, self._or_opt
        popleft, append = queue.popleft, queue.append
        while queue:
            looks += 1
            a = popleft()
            queued[a] = False
            touched = two_opt(a) or or_opt(a)
            if touched:
                for node in touched:
                    if not queued[node]:
                        queued[node] = True
                        append(node)
                if not queued[a]:
                    queued[a] = True
                    append(a)
        return looks

    def kick(self, rng: random.Random) -> list[int]:
        """Double bridge: cut the tour (read from the start, ``end`` last) in three places
        into A B C D and join it as A C B D; the edge (end, start) stays. The edges cut are
        drawn with a chance that grows with their length (plus a floor, so that every edge
        can be drawn): in a city's clusters the long edges are the hops between clusters, and
        swapping two stretches there tries another order of the clusters, which the local
        search alone does not. Adds the length change to ``change``; returns the nodes next
        to a cut."""
        path = self.path()
        path.append(self.end)
        size = len(path)
        d = self.d
        edges = [d[x][y] for x, y in pairwise(path)]
        floor = KICK_FLOOR * sum(edges) / len(edges) or 1.0
        weights = [e + floor for e in edges]
        cuts: set[int] = set()
        while len(cuts) < 3:
            cuts.update(rng.choices(range(1, size), weights, k=3 - len(cuts)))
        i, j, k = sorted(cuts)
        a, b, c, e, f, g = path[i - 1], path[i], path[j - 1], path[j], path[k - 1], path[k]
        self.change += d[a][e] + d[f][b] + d[c][g] - edges[i - 1] - edges[j - 1] - edges[k - 1]
        tour = path[:i] + path[j:k] + path[i:j] + path[k:]
        self.tour = tour
        pos = self.pos
        for index, node in enumerate(tour):
            pos[node] = index
        return [a, b, c, e, f, g]


def improve(
    path: list[int],
    matrix: Sequence[Sequence[float]],
    *,
    kicks: int = KICKS,
    slack: float = SLACK,
    seed: int = SEED,
    k: int = NEIGHBOURS,
) -> list[int]:
    """Shorten the open path ``path`` (``path[0]`` stays first): 2-opt and Or-opt to a local
    optimum of both, then ``kicks`` rounds of iterated local search — a double-bridge kick, the
    local search again from the nodes next to the cuts; the result is the path kicked next if
    it is at most ``slack`` (a fraction of the first local optimum's length) longer than the
    path it came from, else that one is kicked again; the best path met is returned. A fixed
    number of
    rounds and a seeded generator: the same input gives the same path, whatever the machine's
    speed. ``kicks=0`` is the plain local search. Returns the path (a new list).

    The length is summed once, after the first local search; after that each kick and move
    adds its change (no pass over the path per round)."""
    if len(path) < 3:
        return list(path)
    tour = _Tour(path, matrix, k)
    tour.local_search(tour.tour)
    best = current = tour.tour[:]
    current_pos = tour.pos[:]
    best_length = current_length = tour.length()
    if len(path) < 5:
        kicks = 0  # a double bridge needs four pieces
    rng = random.Random(seed)
    slack *= best_length
    kick, local_search = tour.kick, tour.local_search
    for _ in range(kicks):
        tour.change = 0.0
        local_search(kick(rng))
        length = current_length + tour.change
        if length <= current_length + slack:
            current, current_length = tour.tour[:], length
            current_pos = tour.pos[:]
            if length < best_length:
                best, best_length = current, length
        else:  # back to the path it came from
            tour.tour[:] = current
            tour.pos[:] = current_pos
    tour.tour = best
    for index, node in enumerate(best):
        tour.pos[node] = index
    return tour.path()


def _points(origin, stops: Iterable) -> list[tuple[float, float]]:
    points = [validate_point(origin, "origin")]
    for k, stop in enumerate(stops):
        if len(points) > MAX_STOPS:
            raise ValueError(f"too many stops: at most {MAX_STOPS}")
        points.append(validate_point(stop, f"stop {k}"))
    return points


def route_order(origin, stops: Iterable) -> Route:
    """The visiting order of ``stops`` (``(lat, lon)`` pairs) for an agent standing at
    ``origin``: nearest-first, improved by 2-opt and Or-opt and ``KICKS`` rounds of iterated
    local search; an open path (no return).

    Raises ``ValueError`` for a malformed, non-finite or out-of-range coordinate or more than
    ``MAX_STOPS`` stops. No stops: an empty route of 0 km. Duplicate points are fine (the
    distance between them is 0)."""
    points = _points(origin, stops)
    if len(points) == 1:
        return Route(order=(), legs_km=(), total_km=0.0)
    matrix = distance_matrix(points)
    path = improve(nearest_first(matrix, 0), matrix)
    legs = tuple(matrix[path[k]][path[k + 1]] for k in range(len(path) - 1))
    return Route(
        order=tuple(p - 1 for p in path[1:]),
        legs_km=legs,
        total_km=sum(legs),
    )
