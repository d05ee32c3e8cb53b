"""RFM + CLV proxy for every customer: from the monthly rollup vs straight from the transactions.

    AMANAH_ENV=demo .venv/bin/python -m bench.rfm_bench        # full size (part of make bench)
    ... -m bench.rfm_bench --customers 50000 --transactions 1000000   # a quick look (no report)
    ... -m bench.rfm_bench --rebuild                             # regenerate the transactions

Database ``amanah_bench`` of the other benches: the customers loaded by ``bench.search_bench``
are reused (loaded here first, with the same generator, when there are none; ``--customers``
only sizes that first load). The transactions are generated *inside the server* by one
``INSERT … SELECT`` over ``generate_series`` (seeded; nothing crosses the wire, faster than
COPY from Python), with the secondary indexes dropped during the load and rebuilt after it:
per customer a skewed count (mean = transactions / customers, some customers with none),
booking dates over the last 18 months leaning towards recent days (some fall outside the
12-month window), amounts log-uniform from 10,000 to 50,000,000 rupiah, channels and QRIS
categories in realistic shares. The monthly rollup is then built set-based from them.

One run measures, on the same data:
  rollup build   the rollup from every transaction (what the feed keeps current batch by batch);
  rollup run     ``insight.services.rfm_run_compute`` (the nightly path: one INSERT … SELECT
                 over ≤ 12 rollup rows per customer, scores, segment, CLV stored per customer);
  direct run     the same service with ``source="transactions"``: the same statement, but
                 aggregating every transaction of the window per customer (the naive baseline);
  row by row     per customer in Python on a sample (one aggregate query, the Python rule, one
                 INSERT each), the naive application-side way;
after a first rollup run that stands for the previous night (so the measured run inserts into a
table that already holds a run, as every night does). The rollup and direct runs must give the
same segment counts; the bench fails otherwise.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from bench.search_bench import (
    MARKER_TABLE,
    _pg,
    _secondary_indexes,
    ensure_branches,
    load_average,
    machine,
    server_settings,
    setup_django,
    target_line,
    write_report,
)

TARGET_SECONDS = 15
SAMPLE = 2_000
SEED = 0.13  # setseed() for the generator


def rfm_info() -> dict | None:
    row = _pg().execute(f"SELECT value FROM {MARKER_TABLE} WHERE key = 'rfm'").fetchone()  # noqa: S608
    return row[0] if row else None


GENERATE_SQL = """
INSERT INTO insight_transaction
    (customer_id, booked_on, amount, channel, merchant_category, merchant_id, reference,
     created_at)
SELECT c.id,
       %(as_of)s::date - floor(power(random(), 1.6) * 545)::int,
       (floor(exp(ln(10000) + random() * (ln(50000000) - ln(10000))) / 500) * 500)::bigint,
       ch.channel,
       CASE WHEN ch.channel IN ('QRIS', 'EDC') THEN
            (ARRAY['FNB','FNB','FNB','GROCERY','GROCERY','FUEL','FASHION','HEALTH'])
            [1 + floor(random() * 8)::int] ELSE '' END,
       CASE WHEN ch.channel IN ('QRIS', 'EDC') THEN 'QR-' || floor(random() * 100000)::int
            ELSE '' END,
       'B' || c.n || '-' || g.k,
       now()
FROM (SELECT id, row_number() OVER (ORDER BY id) AS n,
             -- E[2.5 U^1.5] = 1; + random() rounds at random, so the total is the mean's
             -- (floor alone lost half a transaction a customer: 19.5M of 20M asked for).
             floor(%(mean)s * 2.5 * power(random(), 1.5) + random())::int AS cnt
      FROM customers_customer WHERE merged_into_id IS NULL) c
CROSS JOIN LATERAL generate_series(1, c.cnt) AS g(k)
CROSS JOIN LATERAL (
    SELECT (ARRAY['QRIS','QRIS','QRIS','QRIS','MOBILE','MOBILE','ATM','TELLER','EDC',
                  'TRANSFER','PAYROLL'])[1 + floor(random() * 11 + g.k * 0)::int] AS channel
) ch
"""

ROLLUP_SQL = """
INSERT INTO insight_monthlyrollup (customer_id, month, tx_count, amount_total, last_booked_on)
SELECT customer_id, date_trunc('month', booked_on)::date, count(*), sum(amount), max(booked_on)
FROM insight_transaction GROUP BY 1, 2 ORDER BY 1, 2
"""


def load_transactions(n_transactions: int, as_of: date) -> dict:
    pg = _pg()
    started = time.perf_counter()
    customers = pg.execute(
        "SELECT count(*) FROM customers_customer WHERE merged_into_id IS NULL"
    ).fetchone()[0]
    mean = n_transactions / max(customers, 1)
    with pg.transaction():
        pg.execute(
            "TRUNCATE insight_rfmscore, insight_rfmrun, insight_monthlyrollup, insight_transaction"
        )
        dropped = []
        for table in ("insight_transaction", "insight_monthlyrollup"):
            for name, definition in _secondary_indexes(pg, table):
                pg.execute(f'DROP INDEX "{name}"')
                dropped.append(definition)
        pg.execute("SET LOCAL maintenance_work_mem = '512MB'")
        if pg.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user").fetchone()[0]:
            pg.execute("SET LOCAL session_replication_role = replica")  # no FK triggers per row
        pg.execute("SELECT setseed(%s)", [SEED])
        pg.execute(GENERATE_SQL, {"as_of": as_of, "mean": mean})
        generated = time.perf_counter() - started
        print(f"  generated in {generated:.0f} s; rebuilding indexes", flush=True)
        for definition in dropped:
            pg.execute(definition)
    pg.execute("VACUUM (ANALYZE) insight_transaction")
    count = pg.execute("SELECT count(*) FROM insight_transaction").fetchone()[0]
    return {
        "transactions": count,
        "customers": customers,
        "as_of": as_of.isoformat(),
        "load_seconds": round(time.perf_counter() - started, 1),
    }


def build_rollup() -> float:
    pg = _pg()
    started = time.perf_counter()
    with pg.transaction():
        pg.execute("TRUNCATE insight_monthlyrollup")
        pg.execute("SET LOCAL work_mem = '256MB'")
        # A bulk build from rows that exist by construction: FK triggers off, as for the load.
        if pg.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user").fetchone()[0]:
            pg.execute("SET LOCAL session_replication_role = replica")
        pg.execute(ROLLUP_SQL)
    seconds = time.perf_counter() - started
    pg.execute("VACUUM (ANALYZE) insight_monthlyrollup")
    return seconds


def row_by_row(actor, sample_ids: list, run) -> float:
    """The naive way: per customer one aggregate query, the Python rule, one INSERT."""
    from django.db import connection, transaction

    from amanah.insight import rules
    from amanah.insight.models import RfmRun
    from amanah.insight.services import window_for

    start, end = window_for(run.as_of)
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        own = RfmRun.objects.create(
            as_of=run.as_of, window_start=start, trigger="MANUAL", started_by="bench:row-by-row"
        )
        for customer_id in sample_ids:
            cursor.execute(
                "SELECT count(*), COALESCE(sum(amount), 0), max(booked_on) "
                "FROM insight_transaction "
                "WHERE customer_id = %s AND booked_on >= %s AND booked_on < %s",
                [customer_id, start, end],
            )
            count, amount, last = cursor.fetchone()
            days = (run.as_of - last).days if last else None
            s = rules.score(recency_days=days, frequency=count, monetary=amount)
            cursor.execute(
                "INSERT INTO insight_rfmscore (customer_id, run_id, recency_days, "
                "frequency_count, monetary_value, r, f, m, total, segment, clv_proxy) "
                "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
                [customer_id, own.pk, days, count, amount, s.r, s.f, s.m, s.total, s.segment,
                 s.clv_proxy],
            )  # fmt: skip
        transaction.set_rollback(True)  # measure only; leave the set-based result alone
    return time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--customers", type=int, default=1_000_000, help="first load only")
    parser.add_argument("--transactions", type=int, default=20_000_000)
    parser.add_argument("--rebuild", action="store_true", help="regenerate the transactions")
    parser.add_argument("--no-report", action="store_true", help="do not write docs/benchmarks.md")
    args = parser.parse_args(argv)

    setup_django()
    from django.core.management import call_command
    from django.utils import timezone

    from amanah.core.actors import SystemActor
    from amanah.insight.services import rfm_run_compute
    from bench.cases_bench import ensure_customers

    print("bench: migrating the amanah_bench database")
    call_command("migrate", verbosity=0, interactive=False)
    branches, regions = ensure_branches()
    ensure_customers(args.customers, branches, regions)
    pg = _pg()
    as_of = timezone.localdate()
    info = rfm_info()
    customers = pg.execute(
        "SELECT count(*) FROM customers_customer WHERE merged_into_id IS NULL"
    ).fetchone()[0]
    stale = (
        not info
        or info.get("wanted") != args.transactions
        or info.get("customers") != customers
        or date.fromisoformat(info["as_of"]) < as_of - timedelta(days=2)
    )
    if args.rebuild or stale:
        print(f"bench: generating about {args.transactions:,} transactions for "
              f"{customers:,} customers (in the server)", flush=True)  # fmt: skip
        info = {"wanted": args.transactions, **load_transactions(args.transactions, as_of)}
        pg.execute(
            f"INSERT INTO {MARKER_TABLE} VALUES ('rfm', %s) "  # noqa: S608
            "ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
            [json.dumps(info)],
        )
        print(f"  loaded in {info['load_seconds']} s: {info['transactions']:,} transactions")
    else:
        print(f"bench: reusing {info['transactions']:,} transactions (as of {info['as_of']})")
    pg.execute("TRUNCATE insight_rfmscore, insight_rfmrun")
    load_at_start = load_average()

    rollup_seconds = build_rollup()
    rollup_rows = pg.execute("SELECT count(*) FROM insight_monthlyrollup").fetchone()[0]
    print(f"  rollup built: {rollup_rows:,} rows in {rollup_seconds:.1f} s", flush=True)
    actor = SystemActor("system:bench")
    # MANUAL: the same statement as the nightly path; a NIGHTLY run is written once a day, so
    # three of them on one day would return the first.
    rfm_run_compute(actor=actor, trigger="MANUAL")  # the previous night
    pg.execute("VACUUM (ANALYZE) insight_rfmscore")

    started = time.perf_counter()
    run = rfm_run_compute(actor=actor, trigger="MANUAL")
    rollup_run = time.perf_counter() - started
    print(f"  rollup run: {run.customers:,} customers in {rollup_run:.1f} s", flush=True)

    started = time.perf_counter()
    direct = rfm_run_compute(actor=actor, trigger="MANUAL", source="transactions")
    direct_run = time.perf_counter() - started
    print(f"  direct run: {direct.customers:,} customers in {direct_run:.1f} s", flush=True)
    pg.execute("ANALYZE insight_rfmscore")
    differing = pg.execute(
        """SELECT count(*) FROM (
               SELECT customer_id, r, f, m, segment, monetary_value FROM insight_rfmscore
               WHERE run_id = %s
               EXCEPT
               SELECT customer_id, r, f, m, segment, monetary_value FROM insight_rfmscore
               WHERE run_id = %s) AS d""",
        [run.pk, direct.pk],
    ).fetchone()[0]

    ids = [
        r[0]
        for r in pg.execute(
            "SELECT customer_id FROM insight_rfmscore WHERE run_id = %s", [run.pk]
        ).fetchall()
    ]
    sample = random.Random(7).sample(ids, min(SAMPLE, len(ids)))
    python_seconds = row_by_row(actor, sample, run)
    per_python = python_seconds / max(len(sample), 1) * 1e6
    per_rollup = rollup_run / max(run.customers, 1) * 1e6
    per_direct = direct_run / max(direct.customers, 1) * 1e6
    # Keep the bench database from growing run after run (1M score rows per run).
    pg.execute("DELETE FROM insight_rfmscore WHERE run_id = %s", [direct.pk])
    pg.execute("DELETE FROM insight_rfmrun WHERE id = %s", [direct.pk])
    if differing or run.counts != direct.counts:
        print(f"bench: FAILED — rollup and direct runs differ for {differing:,} customers")
        return 1

    full = run.customers >= 1_000_000 and info["transactions"] >= 20_000_000 * 0.98
    seconds = rollup_run if full else float("inf")  # a smaller run never counts
    verdict = target_line(
        f"RFM for {run.customers:,} customers / {info['transactions']:,} transactions from the "
        f"rollup in {rollup_run:.1f} s",
        seconds,
        TARGET_SECONDS,
        " s",
    )
    by_segment = ", ".join(f"{k} {v:,}" for k, v in run.counts.items())
    command = "AMANAH_ENV=demo .venv/bin/python -m bench.rfm_bench" + (
        "" if full else f" --customers {args.customers} --transactions {args.transactions}"
    )
    title = f"{run.customers:,} customers / {info['transactions']:,} transactions"
    section = f"""## RFM + CLV proxy at {title}

Command (from the repository root):

```
{command}
```

- Date: {datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")}
- Machine: {machine()}; load average {load_at_start} at start, {load_average()} at the end
- Database: {server_settings()}; embedded server of the bench (`var/bench-pgdata`), database
  `amanah_bench`, customers of `bench.search_bench`
- Transactions generated in the server (seeded), 18 months back from {info["as_of"]};
  rolling window of 12 calendar months; {rollup_rows:,} rollup rows

| Computation | customers | wall time | per customer |
|---|---:|---:|---:|
| rollup from scratch (set-based, FK triggers off) | — | {rollup_seconds:.1f} s | — |
| `rfm_run_compute` from the rollup (nightly path, stored) \
| {run.customers:,} | {rollup_run:.1f} s | {per_rollup:.1f} µs |
| same statement straight from the transactions (baseline) \
| {direct.customers:,} | {direct_run:.1f} s | {per_direct:.1f} µs |
| row by row in Python (sample; query + rule + INSERT each) \
| {len(sample):,} | {python_seconds:.1f} s | {per_python:.0f} µs |

From the rollup vs straight from the transactions: **{direct_run / rollup_run:.1f}×**; vs row
by row: **{per_python / per_rollup:.0f}×** per customer. Both set-based runs agree on every
customer ({differing} differ). Target: 1,000,000 customers / 20,000,000 transactions ≤
{TARGET_SECONDS} s. This run:

{verdict}

Segments: {by_segment}.
"""
    print(section)
    if not args.no_report:
        write_report(Path("docs/benchmarks.md"), "rfm", section)
    return 0


if __name__ == "__main__":
    sys.exit(main())
