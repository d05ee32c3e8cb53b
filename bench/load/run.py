"""Mixed load: 50 simulated bank staff for 10 minutes, the current code beside a baseline commit.

    make bench-load                                  # = the command below
    .venv/bin/python -m bench.load.run               # 50 users, 10 min, baseline c61ef37, steps
    .venv/bin/python -m bench.load.run --minutes 1 --customers 20000 --cases 20000 --no-report

For each variant (the baseline commit first, then this checkout) it:
1. prepares a checkout — the baseline as a detached git worktree in ``var/load/`` with a venv of
   its own from its own ``uv.lock`` — and loads the data set with *that* checkout's bench code
   into a database of its own (``amanah_load_base`` / ``amanah_load``) on the bench's embedded
   server (``var/bench-pgdata``, tuned as in ``bench/settings.py``); same generator and seeds,
   so both hold the same 1,000,000 customers and 1,000,000 cases;
2. starts gunicorn on 127.0.0.1 as that checkout's ``amanah serve`` serves (this checkout: the
   sync workers of ``amanah.gunicorn_conf``, three per core; the baseline: 2 workers × 4
   threads; ``--workers``/``--threads`` set one layout for both) and stops it by pid;
3. lets the server settle (the vacuuming an earlier run set off waited for, a CHECKPOINT), then
   runs the mix of ``bench/load/locustfile.py`` with locust (headless, on the same 2 cores) for
   ``--minutes`` at ``--users``, sampling the web processes' memory every 10 s and counting the
   database's deadlocks;
4. then the step test: 60 s at 50, 100, 150, 200, 300, 400 users until p95 crosses 200 ms, then
   steps halving the gap between the last users under and the first over, down to 10 users.
The figures go to docs/benchmarks.md (section "load").
"""

from __future__ import annotations

import argparse
import csv
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "var" / "load"
BASELINE = "c61ef37"
STEPS = (50, 100, 150, 200, 300, 400)
CEILING_RESOLUTION = 10  # users between the last step under the p95 target and the first over
TARGET_P95_MS = 200.0
TARGET_RPS = 100.0
WARM_UP_SECONDS = 60
# c61ef37's `amanah serve` and every earlier run of this bench: the threaded worker
BASELINE_LAYOUT = ["--workers", "2", "--threads", "4"]


@dataclass
class Variant:
    name: str
    checkout: Path
    python: Path
    database: str
    # gunicorn's arguments for the layout the checkout's `amanah serve` serves with
    serve_layout: list[str]

    def env(self) -> dict:
        return {
            **os.environ,
            "AMANAH_ENV": "demo",
            "DJANGO_SETTINGS_MODULE": "bench.settings",
            # the parent's server when it names one (a bench on a server of its own)
            "AMANAH_PGDATA": os.environ.get("AMANAH_PGDATA", str(ROOT / "var" / "bench-pgdata")),
            "AMANAH_BENCH_DB": self.database,
            "PYTHONPATH": str(self.checkout),
        }


@dataclass
class Result:
    users: int
    seconds: int
    requests: int = 0
    failures: int = 0
    rps: float = 0.0
    p50: float = 0.0
    p95: float = 0.0
    p99: float = 0.0
    by_name: list[dict] = field(default_factory=list)
    memory_mb: list[float] = field(default_factory=list)
    deadlocks: int = 0
    # After the warm-up (the logins, cold caches, the first statements prepared): the same
    # percentiles over the answers that started WARM_UP_SECONDS or more after the first one.
    steady: dict[str, float] = field(default_factory=dict)


def run(cmd: list, **kwargs) -> None:
    subprocess.run([str(c) for c in cmd], check=True, **kwargs)


def baseline_variant(commit: str) -> Variant:
    folder = OUT / f"baseline-{commit}"
    if not (folder / "pyproject.toml").exists():
        OUT.mkdir(parents=True, exist_ok=True)
        run(["git", "worktree", "add", "--detach", folder, commit], cwd=ROOT)
    if not (folder / ".venv" / "bin" / "python").exists():
        run([ROOT / ".tools" / "bin" / "uv", "sync", "--frozen", "--quiet"], cwd=folder)
    vendor = folder / "amanah" / "static" / "vendor"
    if not vendor.exists():  # front-end libraries are built, not committed
        shutil.copytree(ROOT / "amanah" / "static" / "vendor", vendor)
    return Variant(
        f"baseline {commit}",
        folder,
        folder / ".venv" / "bin" / "python",
        "amanah_load_base",
        serve_layout=BASELINE_LAYOUT,
    )


def current_variant(database: str = "amanah_load") -> Variant:
    return Variant(
        "this checkout",
        ROOT,
        Path(sys.executable),
        database,
        serve_layout=["--config", "python:amanah.gunicorn_conf"],
    )


def drop_database(variant: Variant) -> None:
    """Start the variant from an empty database (its data set is loaded again)."""
    with _connect(variant, "postgres", role="admin") as conn:  # the app role owns nothing
        conn.execute(f'DROP DATABASE IF EXISTS "{variant.database}" WITH (FORCE)')


def prepare(variant: Variant, args) -> Path:
    params = OUT / f"params-{variant.database}.json"
    OUT.mkdir(parents=True, exist_ok=True)
    if args.fresh:
        drop_database(variant)
    run(
        [variant.python, ROOT / "bench" / "load" / "prepare.py", "--out", params,
         "--customers", args.customers, "--cases", args.cases],
        cwd=variant.checkout, env=variant.env(),
    )  # fmt: skip
    return params


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Web:
    """gunicorn for one variant, on a free loopback port; stopped by pid."""

    def __init__(self, variant: Variant, layout: list[str] | None = None):
        self.port = free_port()
        self.proc = subprocess.Popen(
            [str(variant.python), "-m", "gunicorn", "amanah.wsgi",
             "--bind", f"127.0.0.1:{self.port}", *(layout or variant.serve_layout),
             "--log-level", "warning", "--keep-alive", "5"],
            cwd=variant.checkout, env=variant.env(),
        )  # fmt: skip
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("gunicorn exited early")
            try:
                with urllib.request.urlopen(f"{self.url}/login/", timeout=5) as response:  # noqa: S310 (loopback)
                    if response.status == 200:
                        return
            except OSError:
                time.sleep(0.5)
        self.stop()
        raise RuntimeError("gunicorn did not answer within 90 s")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def memory_mb(self) -> float:
        import psutil

        try:
            root = psutil.Process(self.proc.pid)
            procs = [root, *root.children(recursive=True)]
            return sum(p.memory_info().rss for p in procs) / 2**20
        except psutil.Error:
            return 0.0

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def _connect(variant: Variant, database: str, role: str | None = None):
    import psycopg

    os.environ["AMANAH_PGDATA"] = variant.env()["AMANAH_PGDATA"]
    from amanah import dbserver

    config = dbserver.database_settings(role)
    return psycopg.connect(
        dbname=database, user=config["USER"], host=config["HOST"] or None,
        port=config["PORT"] or None, password=config.get("PASSWORD") or None, autocommit=True,
    )  # fmt: skip


def deadlocks(variant: Variant) -> int:
    with _connect(variant, variant.database) as conn:
        row = conn.execute(
            "SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()"
        ).fetchone()
    return int(row[0])


def settle(variant: Variant, wait_seconds: float = 90) -> None:
    """Start each run on a quiet server: the vacuuming that an earlier run (the other
    variant's, on the same server) set off is waited for (up to ``wait_seconds``), and what it
    left dirty is written out (CHECKPOINT), so that no run pays for the one before it."""
    with _connect(variant, "postgres", role="admin") as conn:
        deadline = time.monotonic() + wait_seconds
        while (
            time.monotonic() < deadline
            and conn.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'autovacuum worker'"
            ).fetchone()[0]
        ):
            time.sleep(5)
        conn.execute("CHECKPOINT")


def locust(variant: Variant, web: Web, params: Path, users: int, seconds: int, tag: str) -> Result:
    prefix = OUT / f"{variant.database}-{tag}"
    settle(variant)
    before = deadlocks(variant)
    result = Result(users, seconds)
    stop = threading.Event()

    def sample():
        while not stop.wait(10):
            result.memory_mb.append(web.memory_mb())

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        run(
            [ROOT / ".venv" / "bin" / "locust", "-f", ROOT / "bench" / "load" / "locustfile.py",
             "--headless", "--only-summary", "-u", users, "-r", max(users // 5, 10),
             "-t", f"{seconds}s", "--stop-timeout", "10", "--host", web.url,
             "--csv", prefix, "--exit-code-on-error", "0"],
            cwd=ROOT,
            env={**os.environ, "LOAD_PARAMS": str(params), "PYTHONPATH": str(ROOT),
                 "LOAD_TIMES": f"{prefix}_times.csv"},
        )  # fmt: skip
    finally:
        stop.set()
        sampler.join()
    result.deadlocks = deadlocks(variant) - before
    with open(f"{prefix}_stats.csv", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    for row in rows:
        if row["Name"] == "Aggregated":
            result.requests = int(row["Request Count"])
            result.failures = int(row["Failure Count"])
            result.rps = float(row["Requests/s"])
            result.p50, result.p95, result.p99 = (float(row[k] or 0) for k in ("50%", "95%", "99%"))
        else:
            result.by_name.append(row)
    result.steady = steady_state(Path(f"{prefix}_times.csv"), seconds)
    return result


def steady_state(times: Path, seconds: int) -> dict[str, float]:
    """req/s and p50/p95/p99 of the answers after the warm-up, for runs long enough to have one
    (at least three times the warm-up); empty otherwise."""
    if seconds < 3 * WARM_UP_SECONDS or not times.exists():
        return {}
    rows = [tuple(map(float, line.split(","))) for line in times.read_text().splitlines()]
    if not rows:
        return {}
    first = min(start for start, _ in rows)
    kept = sorted(ms for start, ms in rows if start >= first + WARM_UP_SECONDS)
    if not kept:
        return {}
    span = max(start for start, _ in rows) - first - WARM_UP_SECONDS

    def at(share: float) -> float:  # nearest rank
        return kept[min(len(kept) - 1, max(0, round(share * len(kept)) - 1))]

    return {"requests": len(kept), "rps": len(kept) / span if span > 0 else 0.0,
            "p50": at(0.50), "p95": at(0.95), "p99": at(0.99)}  # fmt: skip


def chosen_layout(args) -> list[str] | None:
    """``--workers``/``--threads`` when given (one layout for both variants), else None: each
    variant as its ``amanah serve`` serves."""
    if args.workers is None:
        return None
    return ["--workers", str(args.workers), "--threads", str(args.threads)]


def describe_layout(args) -> str:
    if args.workers is not None:
        return f"{args.workers} workers × {args.threads} threads for both variants"
    from amanah import gunicorn_conf

    return (
        f"as each checkout's `amanah serve` serves: this checkout {gunicorn_conf.workers} sync "
        "workers (`amanah.gunicorn_conf`), the baseline 2 workers × 4 threads"
    )


def measure(variant: Variant, args) -> tuple[Result, list[Result]]:
    print(f"load: preparing {variant.name}", flush=True)
    params = prepare(variant, args)
    web = Web(variant, chosen_layout(args))
    try:
        print(f"load: {variant.name}: {args.users} users for {args.minutes} min", flush=True)
        main = locust(variant, web, params, args.users, int(args.minutes * 60), "main")
        steps = []
        users = STEPS[0] if args.steps else None
        while users is not None:
            step = locust(variant, web, params, users, args.step_seconds, f"step{users}")
            steps.append(step)
            print(f"load: step {users} users: p95 {step.p95:.0f} ms, {step.rps:.0f} req/s")
            users = next_step(steps)
    finally:
        web.stop()
    return main, steps


# Memory samples every 10 s; each web process fills its caches (templates, kept statements)
# in its first minutes, the more processes the longer: growth is also given from here on.
WARM_MEMORY_SAMPLES = 12  # 2 minutes


def growth(memory: list[float]) -> str:
    if len(memory) < 6:
        return "n/a (too short)"
    first, last = sum(memory[:3]) / 3, sum(memory[-3:]) / 3
    text = f"{first:.0f} → {last:.0f} MiB ({(last - first) / first * 100:+.1f} %)"
    if len(memory) >= WARM_MEMORY_SAMPLES + 6:
        warm = sum(memory[WARM_MEMORY_SAMPLES : WARM_MEMORY_SAMPLES + 3]) / 3
        text += f"; after 2 min {warm:.0f} → {last:.0f} ({(last - warm) / warm * 100:+.1f} %)"
    return text


def bracket(steps: list[Result]) -> tuple[int | None, int | None]:
    """The most users with p95 within the target below the fewest users over it, and those
    fewest users over it (None where no step was on that side)."""
    crossed = min((s.users for s in steps if s.p95 > TARGET_P95_MS), default=None)
    under = [s.users for s in steps if s.p95 <= TARGET_P95_MS]
    if crossed is not None:
        under = [u for u in under if u < crossed]
    return max(under, default=None), crossed


def next_step(steps: list[Result]) -> int | None:
    """Up the fixed steps until p95 crosses the target, then halve the gap between the last
    step under it and the first over it until the ceiling is known to CEILING_RESOLUTION."""
    under, crossed = bracket(steps)
    if crossed is None:
        later = [users for users in STEPS if users > steps[-1].users]
        return later[0] if later else None
    if under is None or crossed - under <= CEILING_RESOLUTION:
        return None
    return under + (crossed - under) // 2


def ceiling(steps: list[Result]) -> str:
    if not steps:
        return "not measured"
    under, crossed = bracket(steps)
    if under is None:
        return f"p95 over {TARGET_P95_MS:.0f} ms at the first step ({crossed} users)"
    if crossed is not None:
        return f"p95 ≤ {TARGET_P95_MS:.0f} ms up to {under} users; crossed at {crossed}"
    return f"p95 ≤ {TARGET_P95_MS:.0f} ms at every step up to {under} users"


def render(results: dict[str, tuple[Result, list[Result]]]) -> str:
    lines = [
        "| Variant | users | requests | errors | deadlocks | req/s | p50 ms | p95 ms | p99 ms "
        "| web memory (first → last minute) | step-test ceiling |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---|",
    ]
    for name, (main, steps) in results.items():
        lines.append(
            f"| {name} | {main.users} | {main.requests:,} | {main.failures} | {main.deadlocks} "
            f"| {main.rps:.0f} | {main.p50:.0f} | {main.p95:.0f} | {main.p99:.0f} "
            f"| {growth(main.memory_mb)} | {ceiling(steps)} |"
        )
    for name, (main, _steps) in results.items():
        if main.steady:
            s = main.steady
            lines.append(
                f"| {name}, after the first {WARM_UP_SECONDS} s | {main.users} "
                f"| {s['requests']:,.0f} | | | {s['rps']:.0f} | {s['p50']:.0f} | {s['p95']:.0f} "
                f"| {s['p99']:.0f} | | |"
            )
    for name, (main, _steps) in results.items():
        lines += ["", f"{name}, per request:", "",
                  "| request | n | errors | p50 ms | p95 ms | p99 ms |",
                  "|---|---:|---:|---:|---:|---:|"]  # fmt: skip
        for row in sorted(main.by_name, key=lambda r: -int(r["Request Count"])):
            lines.append(
                f"| {row['Name']} | {row['Request Count']} | {row['Failure Count']} "
                f"| {row['50%']} | {row['95%']} | {row['99%']} |"
            )
    return "\n".join(lines)


def verdict(main: Result) -> str:
    checks = [
        (f"errors {main.failures}", main.failures == 0),
        (f"deadlocks {main.deadlocks}", main.deadlocks == 0),
        (f"p95 {main.p95:.0f} ms (≤ {TARGET_P95_MS:.0f})", main.p95 <= TARGET_P95_MS),
        (f"{main.rps:.0f} req/s (≥ {TARGET_RPS:.0f})", main.rps >= TARGET_RPS),
    ]
    if main.steady:  # the same two, on the answers after the warm-up
        p95, rps = main.steady["p95"], main.steady["rps"]
        checks += [
            (f"after the first {WARM_UP_SECONDS} s: p95 {p95:.0f} ms", p95 <= TARGET_P95_MS),
            (f"after the first {WARM_UP_SECONDS} s: {rps:.0f} req/s", rps >= TARGET_RPS),
        ]
    return "\n".join(f"- {text}: {'met' if ok else 'MISSED'}" for text, ok in checks)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--baseline", default=BASELINE, help="commit to compare with ('' for none)")
    parser.add_argument("--no-steps", dest="steps", action="store_false")
    parser.add_argument("--step-seconds", type=int, default=60)
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--workers", type=int, help="one layout for both (default: as served)")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--fresh", action="store_true", help="drop and reload both databases")
    parser.add_argument(
        "--database", default="amanah_load", help="this checkout's database (e.g. one kept at 1M)"
    )
    parser.add_argument("--no-report", action="store_true")
    args = parser.parse_args(argv)

    from bench.search_bench import code_version, load_average, machine, write_report

    started = datetime.now(UTC)
    load_at_start = load_average()
    variants = ([baseline_variant(args.baseline)] if args.baseline else []) + [
        current_variant(args.database)
    ]
    results = {v.name: measure(v, args) for v in variants}
    table = render(results)
    current = results[variants[-1].name][0]
    text = verdict(current)
    print("\n" + table + "\n\n" + text)
    if not args.no_report and args.customers == 1_000_000:
        section = f"""## Mixed load: 50 staff for 10 minutes at 1,000,000 customers

Command (from the repository root): `make bench-load` (= `.venv/bin/python -m bench.load.run`)

- Date: {started:%Y-%m-%d %H:%M} UTC; code: {code_version()}; baseline: {args.baseline}
- Machine: {machine()}; load average {load_at_start} at start, {load_average()} at the end;
  the load generator (locust, one process) shares the 2 cores with gunicorn and PostgreSQL
- Web: gunicorn, {describe_layout(args)}; `AMANAH_ENV=demo`
- Mix (`bench/load/locustfile.py`): 4 agents per supervisor; agents search (by name 2/3, by
  phone/CIF 1/3), open the 360 and its timeline, register complaints and record consent
  changes; supervisors open the queue and cases, assign, answer and close; 0.1–0.5 s between
  actions; each variant measured on its own copy of the same data set

{table}

This checkout against the targets (0 errors, 0 deadlocks, p95 < 200 ms, ≥ 100 req/s; memory
flat):

{text}
"""
        write_report(ROOT / "docs" / "benchmarks.md", "load", section)
        print("load: wrote docs/benchmarks.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
