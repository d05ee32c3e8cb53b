"""Where one journey engine tick spends its time: cProfile plus every statement timed.

    AMANAH_ENV=demo .venv/bin/python -m bench.journeys_profile                 # 1M / 100k
    AMANAH_ENV=demo .venv/bin/python -m bench.journeys_profile --due 20000 --limit 10000

On the bench's data (``bench.journeys_bench.build``: a fresh ACTIVE journey, ``--enrollments``
at its wait, ``--due`` of them due), one ``engine.tick`` runs under cProfile with Django's
``execute_wrapper`` timing each statement, grouped by its first words. Prints the wall time,
the SQL time per kind of statement and the top of the profile (cumulative time). The figures
are for finding the costs, not for the report (the profiler slows Python down).
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import re
import sys
import time
import zlib
from collections import defaultdict

from bench.search_bench import setup_django

_SPACES = re.compile(r"\s+")


def _kind(sql: str) -> str:
    """A statement's first words (its shape, without the values), and a short digest of the
    whole of it (statements that begin alike stay apart)."""
    text = _SPACES.sub(" ", sql.strip())
    return f"{zlib.crc32(text.encode()) % 1000:03d} {text[:90]}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--enrollments", type=int, default=1_000_000)
    parser.add_argument("--due", type=int, default=100_000)
    parser.add_argument("--limit", type=int, default=None, help="batch size (engine default)")
    parser.add_argument("--top", type=int, default=45)
    parser.add_argument("--sort", default="cumulative", help="the profile's order (tottime …)")
    parser.add_argument("--no-profile", action="store_true", help="SQL timing only")
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="reset the last built journey (``journeys_bench.reset``) instead of building anew",
    )
    args = parser.parse_args(argv)
    setup_django()
    from django.db import connection
    from django.utils import timezone

    from amanah.journeys import engine
    from bench.journeys_bench import build, reset, warm_up

    now = timezone.now().replace(microsecond=0)
    if not (args.reuse and reset(args.enrollments, args.due, now)):
        build(args.enrollments, args.due, now)
    print(f"warm-up (once a worker process): {warm_up(now):.2f} s")
    sql_time: dict[str, list[float]] = defaultdict(lambda: [0, 0.0])

    def timed(execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            entry = sql_time[_kind(sql)]
            entry[0] += 1
            entry[1] += time.perf_counter() - started

    # The commit is not a statement through the wrapper: timed on its own (the deferred
    # constraint checks run there).
    commit = connection._commit

    def timed_commit():
        started = time.perf_counter()
        try:
            return commit()
        finally:
            entry = sql_time["COMMIT"]
            entry[0] += 1
            entry[1] += time.perf_counter() - started

    connection._commit = timed_commit
    limit = {"limit": args.limit} if args.limit else {}
    profiler = cProfile.Profile()
    started = time.perf_counter()
    with connection.execute_wrapper(timed):
        if args.no_profile:
            counts = engine.tick(now=now, **limit)
        else:
            counts = profiler.runcall(engine.tick, now=now, **limit)
    wall = time.perf_counter() - started
    print(f"tick: {counts['picked']:,} advanced in {wall:.2f} s, {counts['batches']} batches")
    total = sum(t for _n, t in sql_time.values())
    print(f"SQL through Django's cursor: {total:.2f} s (COPY and streams not included)")
    for kind, (n, t) in sorted(sql_time.items(), key=lambda kv: -kv[1][1])[:25]:
        print(f"{t:8.2f} s {n:6d}×  {kind}")
    if not args.no_profile:
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats(args.sort).print_stats(args.top)
        print(out.getvalue())
    return 0


if __name__ == "__main__":
    sys.exit(main())
