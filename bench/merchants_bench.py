"""Nearest merchants (seed 001 §2, issue 13): the 10 nearest partner merchants with a live promo
in a customer's spending categories, among 100,000, through the GiST index on ``ll_to_earth``
(cube's ``<->``), side by side with the brute-force scan over the same rows in the same run.

    AMANAH_ENV=demo .venv/bin/python -m bench.merchants_bench  # ~100k merchants, report
    ... -m bench.merchants_bench --merchants 20000 --queries 200 --no-report   # a quick look

Its own database (``AMANAH_BENCH_DB``, default ``amanah_bench_merchants``; bench/settings.py
creates it on the server and this migrates it), so it neither needs nor disturbs the 1M-customer
data of the other benches. The merchants are generated *inside the server* by one
``INSERT … SELECT`` over ``generate_series`` (seeded): 12 Indonesian city centres, each
merchant at a Gaussian offset (σ ≈ 5 km) from one of them; nine categories; 5 % without
coordinates, 10 % inactive, 15 % with an ended promo.

Measured in-process, on the same ``--queries`` seeded origins (a point near one of the cities)
and category sets (1–3 of the nine):
  indexed   ``insight.merchants.selectors.nearest_ids`` — the 360 tab's own call (one
            ``ORDER BY ll_to_earth(…) <-> ll_to_earth(origin) LIMIT 10`` walk per category on
            the partial GiST index on (category, ``ll_to_earth``), merged by distance);
  brute     the same filters, every eligible row's ``earth_distance`` computed and sorted
            (the plan has no index to use: a sequential scan and a top-10 sort).
Both must return the same ten merchants in the same order; the bench fails otherwise.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

os.environ.setdefault("AMANAH_BENCH_DB", "amanah_bench_merchants")

from bench.search_bench import (  # noqa: E402
    _pg,
    load_average,
    machine,
    server_settings,
    setup_django,
    target_line,
    write_report,
)

TARGET_P95_MS = 5.0
SEED = 0.42
CATEGORIES = ["FNB", "GROCERY", "FUEL", "FASHION", "HEALTH", "EDUCATION", "UTILITY", "TRAVEL",
              "OTHER"]  # fmt: skip
CITIES = {
    "Medan": (3.5952, 98.6722),
    "Jakarta": (-6.2088, 106.8456),
    "Bandung": (-6.9175, 107.6191),
    "Surabaya": (-7.2575, 112.7521),
    "Semarang": (-6.9667, 110.4167),
    "Makassar": (-5.1477, 119.4327),
    "Palembang": (-2.9761, 104.7754),
    "Pekanbaru": (0.5071, 101.4478),
    "Denpasar": (-8.6705, 115.2126),
    "Balikpapan": (-1.2379, 116.8529),
    "Padang": (-0.9471, 100.4172),
    "Pematangsiantar": (2.9595, 99.0687),
}

GENERATE_SQL = """
INSERT INTO insight_merchant
    (id, code, name, category, city, latitude, longitude, promo_text, promo_ends_on, active,
     created_at, updated_at)
SELECT gen_random_uuid(), 'QRB' || lpad(g::text, 7, '0'), 'Merchant ' || g,
       (%(categories)s::text[])[1 + floor(random() * 9)::int],
       c.name,
       CASE WHEN u.r < 0.05 THEN NULL ELSE c.lat + 0.045 * z.a END,
       CASE WHEN u.r < 0.05 THEN NULL ELSE c.lon + 0.045 * z.b END,
       'Diskon ' || (5 + floor(random() * 6) * 5) || '%% bayar pakai QRIS',
       %(today)s::date + CASE WHEN random() < 0.15 THEN -1 - floor(random() * 60)::int
                              ELSE floor(random() * 90)::int END,
       random() >= 0.10,
       now(), now()
FROM generate_series(1, %(n)s) g
-- Both subqueries name g: uncorrelated, the server would draw their random() once for all rows.
CROSS JOIN LATERAL (SELECT random() AS r, 1 + floor(random() * %(ncities)s)::int AS k
                    WHERE g > 0) u
CROSS JOIN LATERAL (
    -- Box-Muller: two standard normal offsets
    SELECT sqrt(-2 * ln(1 - w.u1)) * cos(2 * pi() * w.u2) AS a,
           sqrt(-2 * ln(1 - w.u1)) * sin(2 * pi() * w.u2) AS b
    FROM (SELECT random() AS u1, random() AS u2 WHERE g > 0) w
) z
JOIN (SELECT row_number() OVER () AS k, name, lat, lon
      FROM unnest(%(names)s::text[], %(lats)s::float8[], %(lons)s::float8[])
           AS t(name, lat, lon)) c ON c.k = u.k
"""

BRUTE_SQL = """
SELECT m.id,
       earth_distance(ll_to_earth(%(lat)s, %(lon)s), ll_to_earth(m.latitude, m.longitude)) AS d
FROM insight_merchant m
WHERE m.latitude IS NOT NULL AND m.active
  AND m.promo_text <> '' AND m.promo_ends_on >= %(today)s
  AND m.category = ANY(%(categories)s)
ORDER BY d
LIMIT %(limit)s
"""


INDEX = "merchant_category_earth_gist"


def load(n: int, today) -> float:
    pg = _pg()
    started = time.perf_counter()
    pg.execute("TRUNCATE insight_merchantrecommendation, insight_merchant")
    pg.execute("SELECT setseed(%s)", [SEED])
    pg.execute(
        GENERATE_SQL,
        {
            "categories": CATEGORIES,
            "today": today,
            "n": n,
            "ncities": len(CITIES),
            "names": list(CITIES),
            "lats": [c[0] for c in CITIES.values()],
            "lons": [c[1] for c in CITIES.values()],
        },
    )
    pg.execute("ANALYZE insight_merchant")
    return time.perf_counter() - started


def workload(queries: int) -> list[tuple[float, float, list[str]]]:
    rng = random.Random(20261125)
    out = []
    centres = list(CITIES.values())
    for _ in range(queries):
        lat, lon = rng.choice(centres)
        out.append(
            (
                lat + rng.gauss(0, 0.03),
                lon + rng.gauss(0, 0.03),
                rng.sample(CATEGORIES, rng.randint(1, 3)),
            )
        )
    return out


def same(fast: list, slow: list) -> bool:
    """The same merchants at the same distances (a tie at the tenth place may pick either)."""
    if len(fast) != len(slow):
        return False
    if any(abs(a[1] - b[1]) > 1e-6 * max(b[1], 1.0) for a, b in zip(fast, slow, strict=True)):
        return False
    return {pk for pk, _d in fast} == {pk for pk, _d in slow} or fast[-1][1] == slow[-1][1]


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--merchants", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=500)
    parser.add_argument("--no-report", action="store_true", help="do not write docs/benchmarks.md")
    args = parser.parse_args(argv)

    setup_django()
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from amanah.insight.merchants.selectors import NEAREST_SQL, nearest_ids

    print(f"bench: migrating the {os.environ['AMANAH_BENCH_DB']} database", flush=True)
    call_command("migrate", verbosity=0, interactive=False)
    today = timezone.localdate()
    pg = _pg()
    have = pg.execute("SELECT count(*) FROM insight_merchant").fetchone()[0]
    spread = pg.execute(
        "SELECT count(DISTINCT (latitude, longitude)) > 1 FROM insight_merchant"
    ).fetchone()[0]
    stale = pg.execute(
        "SELECT count(*) = 0 FROM insight_merchant WHERE promo_ends_on >= %s", [today]
    ).fetchone()[0]
    if have != args.merchants or stale or not spread:
        print(f"bench: generating {args.merchants:,} merchants (in the server)", flush=True)
        seconds = load(args.merchants, today)
        print(f"  loaded in {seconds:.1f} s", flush=True)
    eligible = pg.execute(
        "SELECT count(*) FROM insight_merchant WHERE latitude IS NOT NULL AND active "
        "AND promo_text <> '' AND promo_ends_on >= %s",
        [today],
    ).fetchone()[0]
    load_at_start = load_average()
    queries = workload(args.queries)

    def brute(lat, lon, categories):
        with connection.cursor() as cursor:
            cursor.execute(
                BRUTE_SQL,
                {"lat": lat, "lon": lon, "categories": categories, "today": today, "limit": 10},
            )
            return [(str(pk), float(d)) for pk, d in cursor.fetchall()]

    for lat, lon, cats in queries[:20]:  # warm both paths
        nearest_ids(lat, lon, cats, today=today)
        brute(lat, lon, cats)
    timings: dict[str, list[float]] = {"indexed": [], "brute": []}
    mismatches = 0
    for lat, lon, cats in queries:
        t0 = time.perf_counter()
        fast = nearest_ids(lat, lon, cats, limit=10, today=today)  # one day for the run
        t1 = time.perf_counter()
        slow = brute(lat, lon, cats)
        t2 = time.perf_counter()
        timings["indexed"].append((t1 - t0) * 1000)
        timings["brute"].append((t2 - t1) * 1000)
        # Same merchants at the same distances (two merchants at exactly the same distance may
        # come in either order).
        mismatches += not same(fast, slow)
    with connection.cursor() as cursor:
        lat, lon, cats = queries[0]
        cursor.execute(
            "EXPLAIN " + NEAREST_SQL,
            {"lat": lat, "lon": lon, "categories": cats, "today": today, "limit": 10},
        )
        plan = "\n".join(r[0] for r in cursor.fetchall())
    uses_index = INDEX in plan
    # What the server itself spends on the indexed query (EXPLAIN ANALYZE's execution time),
    # on the first 100 queries: apart from the waiting for a core that a loaded machine adds.
    knn = NEAREST_SQL
    server_ms = []
    with connection.cursor() as cursor:
        for lat, lon, cats in queries[:100]:
            cursor.execute(
                "EXPLAIN (ANALYZE, FORMAT JSON) " + knn,
                {"lat": lat, "lon": lon, "categories": cats, "today": today, "limit": 10},
            )
            doc = cursor.fetchone()[0]
            doc = json.loads(doc) if isinstance(doc, str) else doc
            server_ms.append(doc[0]["Execution Time"])

    rows = []
    for name, values in timings.items():
        rows.append(
            f"| {name} | {statistics.median(values):.2f} | {pct(values, 95):.2f} | "
            f"{max(values):.2f} |"
        )
    p95 = pct(timings["indexed"], 95)
    ratio = statistics.median(timings["brute"]) / max(statistics.median(timings["indexed"]), 1e-9)
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    section = f"""## Nearest merchants (insight, issue 13)

Command (from the repository root; the data lives in its own database):

    AMANAH_ENV=demo .venv/bin/python -m bench.merchants_bench

{args.merchants:,} partner merchants around 12 Indonesian cities ({eligible:,} eligible: with
coordinates, active, promo live), {args.queries} seeded queries: an origin near a city and 1–3
categories, the nearest 10. In-process (one Django connection, the selector's own SQL),
milliseconds:

| path | median | p95 | max |
|---|---|---|---|
{chr(10).join(rows)}
| indexed, server execution only (EXPLAIN ANALYZE, 100 queries) | {statistics.median(server_ms):.2f} | {pct(server_ms, 95):.2f} | {max(server_ms):.2f} |

- indexed = `insight.merchants.selectors.nearest_ids` (one `<->` nearest-neighbour walk per
  category on the partial GiST index on (category, `ll_to_earth`), merged by distance);
  brute = the same filters, `earth_distance` for every eligible row and a sort. Same ten
  merchants at the same distances for every query: {"yes" if not mismatches else f"NO ({mismatches} differ)"}.
  The plan uses `{INDEX}`: {"yes" if uses_index else "NO"}. Median speed-up {ratio:.0f}×.
{target_line(f"Nearest 10 of {args.merchants:,}, p95 {p95:.2f} ms", p95, TARGET_P95_MS, " ms")}

Run {when} on {machine()}; {server_settings()}. Load average {load_at_start} at the
start, {load_average()} at the end (the machine is shared: under load the figures are an upper
bound).
"""  # noqa: E501
    print(section)
    print(plan)
    if not args.no_report:
        write_report(Path("docs/benchmarks.md"), "merchants", section)
    return 1 if mismatches or not uses_index else 0


if __name__ == "__main__":
    sys.exit(main())
