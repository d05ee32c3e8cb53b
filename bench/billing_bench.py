"""Monthly water billing run (utility, issue 17) for N connections with the journal, beside
the row-by-row way (``billing.bill_connection`` per connection) on a sample, in the same run.

    AMANAH_ENV=demo nice -n 19 .venv/bin/python -m bench.billing_bench --connections 200000
    ... --connections 1000000            # the target size (≤ 5 minutes with the journal)
    ... --connections 1000000 --build-only   # the data set and next month's readings only
                                             # (niced, outside the bench lock); then the
                                             # measured run, un-niced under the lock, bills it
    ... --connections 20000 --no-report  # a quick look

Database ``amanah_bench`` of the other benches (its own embedded server, ``bench.settings``).
The data set is generated set-based (INSERT … SELECT over ``generate_series``): persons
(customers named ``Pelanggan Air …``, spread over the bench's branches), their connections
(numbers ``BB-…``, 80 % R1 / 15 % R2 / 5 % N1, three service areas on two SPAM) and two meter
readings each (the previous and the billed month, usage 0–60 m³). Connections of an earlier
run are left in place and billed again for a new period (the journal is append-only, so the
bench never deletes; each run bills the month after the last one it billed).

Measured, in-process (the job's function called directly, as a worker would):
  row by row  ``bill_connection`` per connection of a sample (ORM reads, Python block
              arithmetic, ``Bill.objects.create``, ``ledger.post_for``, its own transaction);
  run         ``billing.billing_run`` for the period: per slice of 10,000 connection ids one
              INSERT … SELECT (usage and the tariff blocks in SQL, ON CONFLICT DO NOTHING),
              the slice's journal entries through ``ledger.post_many_for`` (set-based insert of
              entries and lines, the database's deferred balance check, audit rows), commit;
  again       the same period a second time (idempotency: nothing created).
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from bench.search_bench import (
    _pg,
    code_version,
    ensure_branches,
    load_average,
    machine,
    server_settings,
    setup_django,
    write_report,
)

TARGET = 1_000_000
TARGET_SECONDS = 300
SAMPLE = 2_000
PREFIX = "BB-"
FIRST_PERIOD = dt.date(2024, 1, 1)


def timed(fn, *args, **kwargs):
    started = time.perf_counter()
    result = fn(*args, **kwargs)
    return result, time.perf_counter() - started


def ensure_network(actor) -> None:
    from amanah.utility import services
    from amanah.utility.models import ServiceArea, TariffGroup

    if not TariffGroup.objects.filter(code="R1").exists():
        for code, name, fixed, blocks in (
            ("R1", "Rumah tangga 1", 10_000, [(0, 10, 2_500), (10, 20, 3_500), (20, None, 5_000)]),
            ("R2", "Rumah tangga 2", 15_000, [(0, 10, 3_500), (10, 20, 4_500), (20, None, 6_500)]),
            ("N1", "Niaga kecil", 25_000, [(0, 10, 5_000), (10, None, 8_000)]),
        ):
            services.tariff_group_save(
                actor=actor, code=code, name=name, fixed_charge=fixed, blocks=blocks
            )
    if not ServiceArea.objects.filter(code="BW1").exists():
        services.spam_save(actor=actor, code="BSPAM1", name="SPAM Kota", capacity_lps="9000")
        services.spam_save(actor=actor, code="BSPAM2", name="SPAM Timur", capacity_lps="4000")
        for code, spam, lat in (
            ("BW1", "BSPAM1", "3.59"),
            ("BW2", "BSPAM1", "3.62"),
            ("BW3", "BSPAM2", "3.55"),
        ):
            services.area_save(actor=actor, code=code, name=f"Wilayah {code}", centre_lat=lat,
                               centre_lon="98.67", radius_m=5_000, spam_code=spam)  # fmt: skip


def generate(n: int, branches) -> tuple[int, int, float]:
    """Up to ``n`` bench connections (with their persons), created set-based when missing."""
    pg = _pg()
    have = pg.execute(
        "SELECT count(*) FROM utility_connection WHERE number LIKE %s", [PREFIX + "%"]
    ).fetchone()[0]
    missing = n - have
    if missing <= 0:
        return have, 0, 0.0
    started = time.perf_counter()
    branch_ids = [b.pk for b in branches]
    with pg.transaction():
        pg.execute(
            """CREATE TEMP TABLE bench_people ON COMMIT DROP AS
               SELECT gen_random_uuid() AS id, %s + g AS k,
                      (%s::uuid[])[1 + (%s + g) %% %s] AS branch_id
                 FROM generate_series(1, %s) g""",
            [have, branch_ids, have, len(branch_ids), missing],
        )
        pg.execute(
            """INSERT INTO customers_customer (id, full_name, name_search, gender, phone_e164,
                      email, segment_code, status, is_vip, fraud_flag, home_branch_id,
                      has_savings, has_mobile_banking, has_loan, has_credit_card, created_at,
                      updated_at)
               SELECT id, 'Pelanggan Air ' || k, 'pelanggan air ' || k, 'U', '', '', '',
                      'ACTIVE', false, false, branch_id, false, false, false, false, now(), now()
                 FROM bench_people"""
        )
        pg.execute(
            """INSERT INTO utility_connection (customer_id, number, tariff_group_id,
                      meter_number, street, house_number, rt, rw, village, district, lat, lon,
                      area_id, branch_id, status, address_incomplete, credit, activated_on,
                      created_at, updated_at)
               SELECT p.id, %s || lpad(p.k::text, 8, '0'),
                      CASE WHEN p.k %% 20 = 0 THEN n1.id WHEN p.k %% 7 = 0 THEN r2.id
                           ELSE r1.id END,
                      'M' || p.k, 'Jl. Bench', (p.k %% 200)::text, '001', '002', '', '',
                      3.55 + (p.k %% 1000) / 10000.0, 98.60 + (p.k %% 997) / 10000.0,
                      (ARRAY[a1.id, a2.id, a3.id])[1 + p.k %% 3], p.branch_id, 'ACTIVE', false,
                      0, DATE '2023-12-01', now(), now()
                 FROM bench_people p,
                      (SELECT id FROM utility_tariffgroup WHERE code = 'R1') r1,
                      (SELECT id FROM utility_tariffgroup WHERE code = 'R2') r2,
                      (SELECT id FROM utility_tariffgroup WHERE code = 'N1') n1,
                      (SELECT id FROM utility_servicearea WHERE code = 'BW1') a1,
                      (SELECT id FROM utility_servicearea WHERE code = 'BW2') a2,
                      (SELECT id FROM utility_servicearea WHERE code = 'BW3') a3""",
            [PREFIX],
        )
    pg.execute("VACUUM ANALYZE customers_customer")
    pg.execute("VACUUM ANALYZE utility_connection")
    return n, missing, time.perf_counter() - started


def next_period() -> dt.date:
    """The month after the last one this bench billed (or read)."""
    pg = _pg()
    last = pg.execute("SELECT max(period) FROM utility_meterreading").fetchone()[0]
    if last is None:
        return FIRST_PERIOD
    return (last.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


def prepared_period(n: int) -> dt.date | None:
    """The last month read for at least ``n`` bench connections and not billed yet (left by
    ``--build-only``), or None."""
    pg = _pg()
    last = pg.execute("SELECT max(period) FROM utility_meterreading").fetchone()[0]
    if last is None:
        return None
    if pg.execute("SELECT 1 FROM utility_bill WHERE period = %s LIMIT 1", [last]).fetchone():
        return None
    read = pg.execute(
        "SELECT count(*) FROM utility_meterreading WHERE period = %s", [last]
    ).fetchone()[0]
    return last if read >= n else None


def readings(period: dt.date) -> float:
    """The billed month's reading for every bench connection (and the month before when the
    connection has none yet): usage 0–60 m³, set-based."""
    pg = _pg()
    before = (period - dt.timedelta(days=1)).replace(day=1)
    started = time.perf_counter()
    with pg.transaction():
        pg.execute(
            """INSERT INTO utility_meterreading (connection_id, period, reading, replacement,
                                                 created_at)
               SELECT c.id, %s, 1000 + (c.id %% 50), false, now() FROM utility_connection c
                WHERE c.number LIKE %s
               ON CONFLICT DO NOTHING""",
            [before, PREFIX + "%"],
        )
        pg.execute(
            """INSERT INTO utility_meterreading (connection_id, period, reading, replacement,
                                                 created_at)
               SELECT c.id, %s, r.reading + ((c.id * 7919) %% 61), false, now()
                 FROM utility_connection c
                 JOIN utility_meterreading r ON r.connection_id = c.id AND r.period = %s
                WHERE c.number LIKE %s
               ON CONFLICT DO NOTHING""",
            [period, before, PREFIX + "%"],
        )
    pg.execute("VACUUM ANALYZE utility_meterreading")
    return time.perf_counter() - started


def row_by_row(actor, period: dt.date, sample: int) -> tuple[int, float]:
    from amanah.utility import billing

    ids = [
        row[0]
        for row in _pg()
        .execute(
            "SELECT id FROM utility_connection WHERE number LIKE %s ORDER BY id DESC LIMIT %s",
            [PREFIX + "%", sample],
        )
        .fetchall()
    ]
    started = time.perf_counter()
    made = 0
    for connection_id in ids:
        if billing.bill_connection(actor=actor, connection_id=connection_id, period=period):
            made += 1
    return made, time.perf_counter() - started


def check_books(period: dt.date) -> dict:
    pg = _pg()
    bills, billed = pg.execute(
        "SELECT count(*), coalesce(sum(total), 0) FROM utility_bill WHERE period = %s", [period]
    ).fetchone()
    journalled = pg.execute(
        """SELECT count(DISTINCT e.id), coalesce(sum(l.debit), 0), coalesce(sum(l.credit), 0)
             FROM ledger_journalentry e JOIN ledger_journalline l ON l.entry_id = e.id
            WHERE e.source_type = 'utility.bill' AND e.source_key IN (
                  SELECT 'utility.bill:' || id FROM utility_bill WHERE period = %s)""",
        [period],
    ).fetchone()
    return {"bills": bills, "billed": billed, "entries": journalled[0],
            "debit": journalled[1], "credit": journalled[2]}  # fmt: skip


def report(n, period, run, run_s, again, again_s, sample, books, context) -> str:
    sample_n, sample_s = sample
    per_row = sample_s / sample_n if sample_n else 0
    projected = run_s * TARGET / max(run.bills_created, 1)
    verdict = "met" if projected <= TARGET_SECONDS else "MISSED"
    rows = [
        ("data: new persons + connections (INSERT … SELECT)", context["gen_s"],
         context["generated"]),
        ("data: two readings each (INSERT … SELECT)", context["read_s"], n),
        (f"row by row: `bill_connection` per connection (sample of {sample_n:,})", sample_s,
         sample_n),
        ("billing run: bills (INSERT … SELECT per 10,000) + journal (`post_many_for`)", run_s,
         run.bills_created),
        ("same period again (nothing created)", again_s, n),
    ]  # fmt: skip
    table = "\n".join(
        ["| Step | rows | seconds | rows/s |", "|---|---:|---:|---:|"]
        + [f"| {name} | {r:,} | {s:.1f} | {r / s if s else 0:,.0f} |" for name, s, r in rows]
    )
    return f"""## Monthly water billing run with the journal ({n:,} connections)

Command (from the repository root):

```
{context["command"]}
```

- Date: {context["date"]}; code: {context["code"]}
- Machine: {context["machine"]}; load average {context["load"]} at start, {context["load_end"]} at
  the end (1/5/15 min); 2 cores shared with other engineers' test suites and servers; the run
  un-niced under the shared bench lock, the data set and the month's readings built before it
  (`--build-only`, niced, outside the lock)
- Database: {context["server"]}; embedded server of the bench (`var/bench-pgdata`), database
  `amanah_bench`
- Period billed: {period:%Y-%m}; {run.bills_created:,} bills by the run (Rp {run.amount:,}) +
  {sample_n:,} by the row-by-row sample; {run.skipped_no_reading:,} active connections without a
  reading; journal: {books["entries"]:,} entries for {books["bills"]:,} bills, debit
  {books["debit"]:,} = credit {books["credit"]:,} = billed {books["billed"]:,}

{table}

Target: 1,000,000 connections billed with their journal entries ≤ {TARGET_SECONDS} s. This run
billed {run.bills_created:,} in {run_s:.1f} s; scaled linearly that is **{projected:.0f} s for
1,000,000** ({verdict}{"" if n >= TARGET else ", as a projection"}). Row by row,
`bill_connection` took {per_row * 1000:.1f} ms a connection: {per_row * TARGET / 60:.0f} min for
1,000,000, {per_row * run.bills_created / run_s if run_s else 0:.0f}× the set-based run.
Re-running the period created {again.bills_created} bills in {again_s:.1f} s.
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--connections", type=int, default=200_000)
    parser.add_argument("--sample", type=int, default=SAMPLE)
    parser.add_argument("--no-report", action="store_true")
    parser.add_argument(
        "--build-only",
        action="store_true",
        help="generate the connections and the next month's readings, then stop (run it "
        "niced, outside the bench lock; the measured run then bills that month)",
    )
    args = parser.parse_args(argv)

    setup_django()
    from django.core.management import call_command

    from amanah.core.actors import SystemActor
    from amanah.utility import billing

    call_command("migrate", verbosity=0, interactive=False)
    load_start = load_average()
    branches, _regions = ensure_branches()
    actor = SystemActor("system:bench-billing")
    ensure_network(actor)
    generated, created, gen_s = generate(args.connections, branches)
    print(f"connections: {generated:,} (generated in {gen_s:.1f} s)", flush=True)
    period = prepared_period(args.connections)
    if period is None:
        period = next_period()
        read_s = readings(period)
        print(f"readings for {period:%Y-%m} in {read_s:.1f} s", flush=True)
    else:
        read_s = 0.0
        print(f"readings for {period:%Y-%m} were there (--build-only)", flush=True)
    if args.build_only:
        return 0
    sample = row_by_row(actor, period, args.sample)
    print(f"row by row: {sample[0]:,} in {sample[1]:.1f} s", flush=True)
    run, run_s = timed(billing.billing_run, actor=actor, period=period)
    print(
        f"run: {run.status} {run.bills_created:,} bills in {run_s:.1f} s {run.failure}", flush=True
    )
    again, again_s = timed(billing.billing_run, actor=actor, period=period)
    print(f"again: {again.bills_created} bills in {again_s:.1f} s", flush=True)
    books = check_books(period)
    print(f"books: {books}", flush=True)
    command = (
        "AMANAH_ENV=demo nice -n 19 .venv/bin/python -m bench.billing_bench --connections "
        f"{args.connections} --build-only\n"
        "flock /work/helpers/bench.lock env AMANAH_ENV=demo .venv/bin/python -m "
        f"bench.billing_bench --connections {args.connections} --sample {args.sample}"
    )
    context = {
        "command": command,
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "code": code_version(),
        "machine": machine(),
        "load": load_start,
        "load_end": load_average(),
        "server": server_settings(),
        "gen_s": gen_s,
        "generated": created,  # the rest were there from an earlier run
        "read_s": read_s,
    }
    section = report(args.connections, period, run, run_s, again, again_s, sample, books, context)
    print(section)
    if not args.no_report:
        write_report(Path("docs/benchmarks.md"), "billing", section)
    return 0 if run.status == "DONE" else 1


if __name__ == "__main__":
    sys.exit(main())
