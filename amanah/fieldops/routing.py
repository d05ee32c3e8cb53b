"""Visiting order for a field agent (issue 19, "Route order"): pure functions, no database.

From the agent's current position and N stops, an **open path** that starts at the agent and
ends at the last stop (the agent does not come back): built nearest-first, then improved by
2-opt (reverse a stretch of the path) and Or-opt (move a run of 1–3 consecutive stops, either
way round, elsewhere) until neither finds a shorter path. Distances are great-circle
(haversine) kilometres on a sphere of the Earth's mean radius — what a straight line on the map
would be; road distance is not known here.

Why written here rather than taken from a library: OR-Tools (the reference in
``bench/route_bench.py``) is a large native dependency for a job that takes a few dozen lines,
and the app needs a deterministic answer in tens of milliseconds on one core. numpy is not a
dependency of the app, so the distance matrix is plain Python (100 stops: ~5,000 haversines).

``route_order(origin, stops)`` is the one entry point: it validates every coordinate (a clear
``ValueError`` naming the offending stop, never a crash on NaN or a string) and returns a
``Route``: ``order`` (indexes into ``stops``, in visiting order), ``legs_km`` and
``total_km``. The answer is deterministic: the same input gives the same order.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

EARTH_RADIUS_KM = 6371.0088  # IUGG mean radius
MAX_STOPS = 1000  # a day's visits are tens; the improvement is O(n²) per pass
OR_OPT_MAX_RUN = 3
NEIGHBOURS = 12  # Or-opt tries to put a run next to these nearest points of its ends
_EPS = 1e-9  # km: an improvement smaller than this is rounding, not a shorter path


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


def two_opt(path: list[int], matrix: Sequence[Sequence[float]]) -> bool:
    """Improve the open path in place by reversing stretches ``path[i..j]`` (1 ≤ i < j); the
    first point stays first, the last one may change. Returns whether anything improved.

    Reversing ``path[i..j]`` replaces the edges (i-1, i) and (j, j+1) by (i-1, j) and
    (i, j+1); when j is the last point there is no edge after it, so the reversal only swaps
    which end of the stretch is joined to i-1 (the open-path move a closed-tour 2-opt lacks).
    """
    n = len(path)
    improved_any = False
    improved = True
    while improved:
        improved = False
        for i in range(1, n - 1):
            a = path[i - 1]
            b = path[i]
            row_a = matrix[a]
            d_ab = row_a[b]
            row_b = matrix[b]
            for j in range(i + 1, n):
                c = path[j]
                if j + 1 < n:
                    d = path[j + 1]
                    row_c = matrix[c]
                    delta = row_a[c] + row_b[d] - d_ab - row_c[d]
                else:
                    delta = row_a[c] - d_ab
                if delta < -_EPS:
                    path[i : j + 1] = path[i : j + 1][::-1]
                    improved = improved_any = True
                    b = path[i]
                    d_ab = row_a[b]
                    row_b = matrix[b]
    return improved_any


def neighbours(matrix: Sequence[Sequence[float]], k: int = NEIGHBOURS) -> list[list[int]]:
    """For each point, the ``k`` nearest other points (ties: the lower index)."""
    n = len(matrix)
    return [
        sorted((j for j in range(n) if j != i), key=lambda j: (matrix[i][j], j))[:k]
        for i in range(n)
    ]


def or_opt(
    path: list[int], matrix: Sequence[Sequence[float]], near: list[list[int]] | None = None
) -> bool:
    """Improve the open path in place by moving a run of 1..3 consecutive points (never the
    first point) between two other neighbours, as it is or reversed, or to the end of the path.
    Where it may go: next to one of the ``near`` points (the nearest neighbours) of either end
    of the run — a move elsewhere is hardly ever shorter, and checking only those keeps a pass
    linear in practice. The best such move for a run is applied and the search goes on.
    Returns whether anything improved."""
    n = len(path)
    if near is None:
        near = neighbours(matrix)
    pos = [0] * n
    for k, node in enumerate(path):
        pos[node] = k
    improved_any = False
    improved = True
    while improved:
        improved = False
        for run in range(1, OR_OPT_MAX_RUN + 1):
            i = 1
            while i + run <= n:
                # the run is path[i .. i+run-1]; p before it, q after it (None at the end)
                first, last = path[i], path[i + run - 1]
                p = path[i - 1]
                q = path[i + run] if i + run < n else None
                row_first, row_last = matrix[first], matrix[last]
                if q is None:
                    gain = matrix[p][first]
                else:
                    gain = matrix[p][first] + row_last[q] - matrix[p][q]
                if gain <= _EPS:
                    i += 1
                    continue
                best = None
                # insertion edges (u, v) = (path[k], path[k+1]), v None past the end; the edges
                # touching the run, and (p, q) where it came from, are not candidates
                candidates = {n - 1}  # the end of the path
                for c in near[first] + near[last]:
                    k = pos[c]
                    candidates.add(k)
                    candidates.add(k - 1)
                for k in candidates:
                    if k < 0 or i - 1 <= k < i + run:
                        continue  # before the agent, the run's own edges, or where it was
                    u = path[k]
                    v = path[k + 1] if k + 1 < n else None
                    row_u = matrix[u]
                    if v is None:
                        fwd, rev, base = row_u[first], row_u[last], 0.0
                    else:
                        fwd = row_u[first] + row_last[v]
                        rev = row_u[last] + row_first[v]
                        base = row_u[v]
                    cost = (fwd if fwd <= rev else rev) - base
                    if cost < gain - _EPS and (best is None or cost < best[0]):
                        best = (cost, k, rev < fwd)
                if best is None:
                    i += 1
                    continue
                _, k, flip = best
                segment = path[i : i + run]
                if flip:
                    segment.reverse()
                rest = path[:i] + path[i + run :]
                at = k + 1 if k < i else k + 1 - run  # index in rest after which it goes
                path[:] = rest[:at] + segment + rest[at:]
                for j, node in enumerate(path):
                    pos[node] = j
                improved = improved_any = True
                # the path changed around i: look at the same position again
    return improved_any


def improve(path: list[int], matrix: Sequence[Sequence[float]]) -> list[int]:
    """2-opt and Or-opt in turn until neither shortens the path (a local optimum of both)."""
    near = neighbours(matrix)
    two_opt(path, matrix)
    while or_opt(path, matrix, near) and two_opt(path, matrix):
        pass
    return path


def _points(origin, stops: Iterable) -> list[tuple[float, float]]:
    points = [validate_point(origin, "origin")]
    for k, stop in enumerate(stops):
        if len(points) > MAX_STOPS:
            raise ValueError(f"too many stops: at most {MAX_STOPS}")
        points.append(validate_point(stop, f"stop {k}"))
    return points


def route_order(origin, stops: Iterable) -> Route:
    """The visiting order of ``stops`` (``(lat, lon)`` pairs) for an agent standing at
    ``origin``: nearest-first, improved by 2-opt and Or-opt; an open path (no return).

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
