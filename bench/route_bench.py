"""Route order (issue 19): ``amanah.fieldops.routing.route_order`` against OR-Tools.

    .tools/bin/uv sync --frozen --group bench --python python3.11 --quiet   # OR-Tools
    flock /work/helpers/bench.lock .venv/bin/python -m bench.route_bench  # ~9 min, report
    nice -n 19 .venv/bin/python -m bench.route_bench --instances 5 --ortools-seconds 2 --no-report

50 random instances (``--instances``) of 100 stops (``--stops``), shaped like a city's
customers in arrears: each instance picks 6–10 kelurahan centres of Medan (approximate
coordinates, below) and puts most stops in a cluster around one of them (σ 250–600 m), with
10 % scattered anywhere in the city; the agent starts at another centre (the office or the
last visit). Seeded: every run builds the same instances.

For each instance:
  ours     ``route_order(origin, stops)`` (nearest-first, 2-opt and Or-opt, then a fixed
           number of seeded double-bridge kicks: iterated local search); the time is the
           median of 3 runs, validation and the distance matrix included, as wall-clock and
           as the process's CPU time (the machine is shared: waiting for a core shows in the
           first only);
  ortools  OR-Tools' routing solver on the same haversine matrix (integer decimetres), open
           path from the agent (every arc back to the start costs 0), first solution
           PATH_CHEAPEST_ARC, then GUIDED_LOCAL_SEARCH for ``--ortools-seconds`` (10);
           its path is measured again on our float matrix, so both lengths are comparable.
Reported: time per instance (median, p95, max), and our length over OR-Tools' (mean, p95,
worst). OR-Tools lives in the ``bench`` dependency group only; the app never imports it.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime

from amanah.fieldops import routing
from amanah.fieldops.routing import distance_matrix, nearest_first, path_length, route_order
from bench.search_bench import ROOT, load_average, machine, target_line, write_report

SEED = 20261125
TARGET_MS = 50.0
TARGET_LONGER_PCT = 3.0

# Approximate centres of kelurahan in Medan (lat, lon), spread over the city's kecamatan.
KELURAHAN = {
    "Kesawan": (3.5897, 98.6797),
    "Petisah Tengah": (3.5905, 98.6645),
    "Sei Sikambing B": (3.5780, 98.6430),
    "Helvetia Timur": (3.6000, 98.6390),
    "Sei Agul": (3.6066, 98.6602),
    "Glugur Darat I": (3.6130, 98.6860),
    "Sidorejo": (3.5930, 98.7060),
    "Bantan": (3.5930, 98.7280),
    "Tegal Sari Mandala": (3.5720, 98.7100),
    "Teladan Barat": (3.5700, 98.6880),
    "Sitirejo": (3.5620, 98.6830),
    "Harjosari": (3.5420, 98.6920),
    "Pangkalan Masyhur": (3.5440, 98.6700),
    "Titi Kuning": (3.5320, 98.6760),
    "Padang Bulan": (3.5620, 98.6570),
    "Tanjung Rejo": (3.5700, 98.6370),
    "Sunggal": (3.5800, 98.6160),
    "Tanjung Mulia": (3.6350, 98.6800),
    "Mabar": (3.6530, 98.6950),
    "Martubung": (3.6720, 98.6700),
}
CITY_BOX = ((3.52, 3.68), (98.61, 98.73))


def instance(rng: random.Random, stops: int):
    names = rng.sample(sorted(KELURAHAN), rng.randint(6, 10))
    centres = [KELURAHAN[n] for n in names]
    sigmas = [rng.uniform(0.25, 0.6) / 111.0 for _ in centres]  # km → degrees (approx.)
    points = []
    for _ in range(stops):
        if rng.random() < 0.10:
            points.append((rng.uniform(*CITY_BOX[0]), rng.uniform(*CITY_BOX[1])))
        else:
            k = rng.randrange(len(centres))
            lat, lon = centres[k]
            points.append((rng.gauss(lat, sigmas[k]), rng.gauss(lon, sigmas[k])))
    origin = KELURAHAN[rng.choice(sorted(KELURAHAN))]
    return origin, points


def ortools_length(origin, stops, seconds: float) -> float:
    from ortools.constraint_solver import pywrapcp, routing_enums_pb2

    points = [origin, *stops]
    matrix = distance_matrix(points)
    n = len(points)
    manager = pywrapcp.RoutingIndexManager(n, 1, 0)
    routing = pywrapcp.RoutingModel(manager)
    dm = [[0 if j == 0 else round(matrix[i][j] * 10_000) for j in range(n)] for i in range(n)]

    def cost(from_index, to_index):
        return dm[manager.IndexToNode(from_index)][manager.IndexToNode(to_index)]

    callback = routing.RegisterTransitCallback(cost)
    routing.SetArcCostEvaluatorOfAllVehicles(callback)
    params = pywrapcp.DefaultRoutingSearchParameters()
    params.first_solution_strategy = routing_enums_pb2.FirstSolutionStrategy.PATH_CHEAPEST_ARC
    params.local_search_metaheuristic = (
        routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH
    )
    params.time_limit.FromMilliseconds(int(seconds * 1000))
    solution = routing.SolveWithParameters(params)
    if solution is None:
        raise RuntimeError("OR-Tools found no solution")
    path, index = [], routing.Start(0)
    while not routing.IsEnd(index):
        path.append(manager.IndexToNode(index))
        index = solution.Value(routing.NextVar(index))
    return path_length(path, matrix)


def pct(values, q):
    values = sorted(values)
    return values[min(len(values) - 1, round(q * (len(values) - 1)))]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--instances", type=int, default=50)
    parser.add_argument("--stops", type=int, default=100)
    parser.add_argument("--ortools-seconds", type=float, default=10.0)
    parser.add_argument("--no-report", action="store_true", help="print only")
    args = parser.parse_args(argv)

    niceness = os.nice(0)
    rng = random.Random(SEED)
    started = datetime.now(UTC)
    load_start = load_average()
    rows = []
    for k in range(args.instances):
        origin, stops = instance(rng, args.stops)
        route_order(origin, stops)  # warm-up
        times, cpu, route = [], [], None
        for _ in range(3):
            t, c = time.perf_counter(), time.process_time()
            route = route_order(origin, stops)
            times.append((time.perf_counter() - t) * 1000)
            cpu.append((time.process_time() - c) * 1000)
        matrix = distance_matrix([origin, *stops])
        nn = path_length(nearest_first(matrix), matrix)
        ref = ortools_length(origin, stops, args.ortools_seconds)
        longer = (route.total_km / ref - 1) * 100
        rows.append(
            (statistics.median(times), route.total_km, nn, ref, longer, statistics.median(cpu))
        )
        print(
            f"{k + 1:3d}: {rows[-1][0]:6.1f} ms  ours {route.total_km:7.2f} km  "
            f"nearest-first {nn:7.2f}  OR-Tools {ref:7.2f}  {longer:+.2f} %",
            flush=True,
        )

    ms = [r[0] for r in rows]
    cpu_ms = [r[5] for r in rows]
    longer = [r[4] for r in rows]
    nn_longer = [(r[2] / r[3] - 1) * 100 for r in rows]
    table = "\n".join(
        [
            "| measure | median | mean | p95 | worst |",
            "|---|---:|---:|---:|---:|",
            f"| `route_order` time per instance (ms) | {statistics.median(ms):.1f} | "
            f"{statistics.mean(ms):.1f} | {pct(ms, 0.95):.1f} | {max(ms):.1f} |",
            f"| the same, CPU time of the process (ms) | {statistics.median(cpu_ms):.1f} | "
            f"{statistics.mean(cpu_ms):.1f} | {pct(cpu_ms, 0.95):.1f} | {max(cpu_ms):.1f} |",
            f"| ours vs OR-Tools, % longer | {statistics.median(longer):+.2f} | "
            f"{statistics.mean(longer):+.2f} | {pct(longer, 0.95):+.2f} | {max(longer):+.2f} |",
            f"| nearest-first alone vs OR-Tools, % longer | {statistics.median(nn_longer):+.2f} "
            f"| {statistics.mean(nn_longer):+.2f} | {pct(nn_longer, 0.95):+.2f} | "
            f"{max(nn_longer):+.2f} |",
        ]
    )
    verdict = "\n".join(
        [
            target_line(
                f"time per instance (CPU), worst {max(cpu_ms):.1f} ms",
                max(cpu_ms),
                TARGET_MS,
                " ms",
            ),
            target_line(
                f"time per instance (wall clock{', niced' if niceness else ''} on a shared "
                f"machine), median "
                f"{statistics.median(ms):.1f} ms",
                statistics.median(ms),
                TARGET_MS,
                " ms",
            ),
            target_line(
                f"length vs OR-Tools, mean {statistics.mean(longer):+.2f} %",
                statistics.mean(longer),
                TARGET_LONGER_PCT,
                " %",
            ),
            target_line(
                f"length vs OR-Tools, worst instance {max(longer):+.2f} %",
                max(longer),
                TARGET_LONGER_PCT,
                " %",
            ),
        ]
    )
    print(table)
    print(verdict)
    if args.no_report:
        return 0
    code = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT
    ).stdout.strip()
    import ortools

    prefix = f"nice -n {niceness} " if niceness else ""
    command = " ".join([f"{prefix}.venv/bin/python -m bench.route_bench", *(argv or [])])
    section = f"""## Route order (issue 19)

Command (from the repository root; OR-Tools comes from the `bench` dependency group:
`.tools/bin/uv sync --frozen --group bench --python python3.11`):

```
{command.strip()}
```

- Date: {started:%Y-%m-%d %H:%M} UTC; code: commit {code} (plus the working tree)
- Machine: {machine()}; load average {load_start} at start, {load_average()} at the end
- Instances: {args.instances} seeded random instances of {args.stops} stops shaped like a
  city's customers in arrears (6–10 Medan kelurahan centres each, clusters of σ 250–600 m,
  10 % scattered over the city), the agent starting at another centre; an open path (no
  return to the start)
- `route_order` (`amanah/fieldops/routing.py`, pure Python): nearest-first, then 2-opt and
  Or-opt to a local optimum of both, then {routing.KICKS} double-bridge kicks (iterated local
  search, seeded: reproducible); time = median of 3 runs per instance, validation and the
  haversine matrix included, one process, {"niced" if niceness else "not niced"}, on a machine
  shared with other work
- Reference: OR-Tools {ortools.__version__} routing solver, same haversine matrix
  (decimetres), PATH_CHEAPEST_ARC then GUIDED_LOCAL_SEARCH with a {args.ortools_seconds:g} s
  limit per instance (a wall-clock limit: on a loaded machine the solver gets less CPU in
  it); its path re-measured on the float matrix

{table}

{verdict}
"""
    write_report(ROOT / "docs" / "benchmarks.md", "route", section)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
