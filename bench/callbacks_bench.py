"""Payment gateway callbacks through the HTTP endpoint (payments, issue 17): a sustained rate of
signed Midtrans/Xendit notifications with 10 % replays and late out-of-order ones, beside the
same mix at a low rate in the same run, then the books checked from the database.

    flock /work/helpers/bench.lock env AMANAH_ENV=demo .venv/bin/python -m bench.callbacks_bench
    ... --rate 500 --seconds 60 --baseline-rate 50 --baseline-seconds 10   # the defaults
    ... --rate 200 --seconds 10 --no-report                                # a quick look

Database ``amanah_bench`` of the other benches (embedded server ``var/bench-pgdata``,
``bench.settings``). What it does:

1. **Bills first, set-based**: the water connections of ``bench.billing_bench`` (``BB-…``) are
   generated when fewer than the run needs, and a month is billed by ``billing.billing_run``
   when too few open bills are left (so the bills and their journal entries are real).
2. **Payment requests, set-based**: one pending VA payment per connection for its oldest open
   bill (payable ``utility.bill``, amount the bill's open amount, 70 % Midtrans / 30 % Xendit),
   one INSERT … SELECT (the gateway is not asked for a charge: the callbacks are the subject).
3. **The plan**: a settlement callback per payment, made by the fake gateway of the run (in
   this process, ``start_gateway``), which then holds the payment as paid and answers the
   callbacks job's status-API questions about it (Midtrans ``signature_key`` =
   SHA512(order_id + status_code + gross_amount + server key); Xendit's Fixed VA *paid*
   callback with ``x-callback-token``, confirmed by its VA payment), plus a late ``pending``
   after the settlement for 5 % of the Midtrans payments (out of order: ignored), plus 10 % of
   all callbacks byte-identical replays of an earlier settlement (half within the next 20 callbacks,
   racing the original on the payment's row lock; half later).
4. gunicorn (``bench.load.run.Web``: 2 workers × 4 threads, as the other HTTP benches) on
   127.0.0.1; ``bench.callbacks_fire`` (gevent, a process of its own on the same 2 cores) posts
   the baseline plan at ``--baseline-rate`` and then the main plan at ``--rate`` (open loop:
   latency counted from when a callback was due).
5. **The books, from the database**: per payment exactly one ACCEPTED callback and one receipt,
   every replay a DUPLICATE, every late pending IGNORED, no REJECTED; each receipt's journal
   entry balanced; the bills paid by exactly the allocations.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

from bench.billing_bench import PREFIX, ensure_network, generate, next_period, readings
from bench.search_bench import (
    ROOT,
    _pg,
    code_version,
    ensure_branches,
    load_average,
    machine,
    server_settings,
    setup_django,
    write_report,
)

TARGET_RATE = 500
REPLAY_SHARE = 0.10
LATE_PENDING_SHARE = 0.05  # of the Midtrans payments
XENDIT_SHARE = 0.3
MIDTRANS_KEY = "fake-midtrans-server-key"  # payments.fakegateway.environment's keys
ORDER_PREFIX = "BCB"


# ------------------------------------------------------------------------------ data set


def ensure_gateway_systems(actor) -> None:
    """The two gateways' integrations systems (a key each, payment grants only)."""
    from amanah.integrations import services as integrations
    from amanah.integrations.models import ExternalSystem
    from amanah.payments.policies import PAYMENT_CALLBACK_APPLY, PAYMENT_VIEW

    for name in ("midtrans", "xendit"):
        if not ExternalSystem.objects.filter(name=name).exists():
            integrations.external_system_create(
                actor=actor, name=name, label=name.title(),
                permissions=[PAYMENT_CALLBACK_APPLY, PAYMENT_VIEW], all_branches=True,
            )  # fmt: skip


# The oldest open bill of each bench connection that no pending payment names: a payment for
# it pays exactly that bill (payments are applied oldest first).
POOL_SQL = """
SELECT b.id FROM utility_bill b JOIN utility_connection c ON c.id = b.connection_id
 WHERE c.number LIKE %(prefix)s AND b.status = 'OPEN' AND b.total > b.paid
   AND NOT EXISTS (SELECT 1 FROM utility_bill o WHERE o.connection_id = b.connection_id
                      AND o.status = 'OPEN' AND (o.period, o.id) < (b.period, b.id))
   AND NOT EXISTS (SELECT 1 FROM payments_payment p
                    WHERE p.payable_type = 'utility.bill' AND p.payable_key = b.id::text
                      AND p.status = 'PENDING')
 LIMIT %(n)s"""


def open_bills_without_payment(needed: int) -> int:
    query = f"SELECT count(*) FROM ({POOL_SQL}) pool"  # noqa: S608 (constant SQL)
    return _pg().execute(query, {"prefix": PREFIX + "%", "n": needed}).fetchone()[0]


def expire_stale_payments() -> None:
    """Payments of an interrupted earlier run, never called back: expired (as the gateway's
    expiry would), so their bills can be asked for again."""
    _pg().execute(
        "UPDATE payments_payment SET status = 'EXPIRED', status_changed_at = now()"
        " WHERE order_id LIKE %s AND status = 'PENDING'",
        [ORDER_PREFIX + "-%"],
    )


def ensure_bills(actor, needed: int) -> dict:
    """Enough open bills for ``needed`` payments: connections and a billing run if short."""
    from amanah.utility import billing

    if open_bills_without_payment(needed) >= needed:
        return {"billed": 0, "bill_s": 0.0}
    have = (
        _pg()
        .execute("SELECT count(*) FROM utility_connection WHERE number LIKE %s", [PREFIX + "%"])
        .fetchone()[0]
    )
    generate(max(have, int(needed * 1.1)), ensure_branches()[0])
    period = next_period()
    readings(period)
    started = time.perf_counter()
    run = billing.billing_run(actor=actor, period=period)
    return {"billed": run.bills_created, "bill_s": time.perf_counter() - started}


def create_payments(n: int, tag: str) -> tuple[list[tuple], float]:
    """``n`` pending VA payments for open bills, one INSERT … SELECT; (order, provider, amount,
    va number) each."""
    started = time.perf_counter()
    rows = _pg().execute(
        f"""WITH pool AS ({POOL_SQL}),
                 numbered AS (SELECT b.id, b.total - b.paid AS amount, c.branch_id,
                                     row_number() OVER (ORDER BY b.id) AS k
                                FROM pool JOIN utility_bill b ON b.id = pool.id
                                JOIN utility_connection c ON c.id = b.connection_id)
            INSERT INTO payments_payment (id, order_id, provider, method, amount, status,
                   payable_type, payable_key, branch_id, va_bank, va_number, qris_payload,
                   provider_reference, amount_mismatch, created_at, expires_at,
                   status_changed_at)
            SELECT gen_random_uuid(), %(order)s || id,
                   CASE WHEN k %% 10 < %(xendit)s THEN 'XENDIT' ELSE 'MIDTRANS' END, 'VA',
                   amount, 'PENDING', 'utility.bill', id::text, branch_id, 'BNI',
                   '8808' || lpad(id::text, 12, '0'), '', '', false, now(),
                   now() + interval '1 day', now()
              FROM numbered
            RETURNING order_id, provider, amount, va_number""",  # noqa: S608 (constant SQL)
        {"prefix": PREFIX + "%", "n": n, "order": f"{ORDER_PREFIX}-{tag}-",
         "xendit": int(XENDIT_SHARE * 10)},
    ).fetchall()  # fmt: skip
    return rows, time.perf_counter() - started


# ---------------------------------------------------------------------------------- plan


def midtrans_request(order_id: str, amount: int, word: str) -> dict:
    status_code = {"settlement": "200", "pending": "201"}[word]
    gross = f"{amount}.00"
    signature = hashlib.sha512(f"{order_id}{status_code}{gross}{MIDTRANS_KEY}".encode())
    body = {
        "transaction_time": datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S"),
        "transaction_status": word,
        "transaction_id": "mt-" + hashlib.md5(order_id.encode()).hexdigest(),  # noqa: S324 (an id, not a secret)
        "status_message": "midtrans payment notification",
        "status_code": status_code,
        "signature_key": signature.hexdigest(),
        "payment_type": "bank_transfer",
        "order_id": order_id,
        "merchant_id": "G000000001",
        "gross_amount": gross,
        "fraud_status": "accept",
        "currency": "IDR",
        "va_numbers": [{"va_number": "8808" + order_id[-12:].rjust(12, "0"), "bank": "bni"}],
    }
    return {"path": "/webhooks/payments/midtrans", "body": json.dumps(body),
            "headers": {"Content-Type": "application/json", "User-Agent": "Veritrans"}}  # fmt: skip


def start_gateway():
    """The fake gateway of the run (loopback, in this process): it holds every payment the
    bench made as paid, so the callbacks job's questions to its status APIs (the
    confirmation every settlement needs before it is applied) are answered as a gateway's
    would be. gunicorn and the worker reach it through ``MIDTRANS_BASE_URL`` (the variables
    a deployment sets for the real gateway)."""
    import os

    from amanah.payments.fakegateway.environment import gateway_environment
    from amanah.payments.fakegateway.server import FakeGateway

    fake = FakeGateway().start()
    os.environ.update(gateway_environment(fake.url))
    return fake


def settlement_request(fake, order_id: str, provider: str, amount: int, va_number: str) -> dict:
    """The gateway's own signed settlement callback of a payment it now holds as paid
    (Midtrans HTTP notification; Xendit Fixed VA *paid* callback with its token)."""
    body, headers = fake.paid_order(
        order_id, provider=provider, amount=amount, va_number=va_number, va_bank="BNI"
    )
    path = "/webhooks/payments/" + provider.lower()
    return {"path": path, "body": body.decode(), "headers": headers}


def build_plan(payments: list[tuple], rng: random.Random, fake) -> tuple[list[dict], dict]:
    """Settlements in payment order (each the fake gateway's own callback of a payment it holds
    as paid), late pendings and replays inserted at later positions."""
    plan = [settlement_request(fake, *payment) for payment in payments]
    settlements = len(plan)
    later: list[tuple[int, dict]] = []  # (after this position, request)
    late = 0
    for position, (order_id, provider, amount, _va) in enumerate(payments):
        if provider == "MIDTRANS" and rng.random() < LATE_PENDING_SHARE:
            later.append((position + rng.randint(1, 200),
                          midtrans_request(order_id, amount, "pending")))  # fmt: skip
            late += 1
    replays = round(REPLAY_SHARE * (settlements + late) / (1 - REPLAY_SHARE))
    for i in range(replays):
        position = rng.randrange(settlements)
        gap = rng.randint(0, 20) if i % 2 == 0 else rng.randint(21, 5_000)
        later.append((position + gap, plan[position]))
    later.sort(key=lambda item: item[0])
    merged, cursor = [], 0
    for position, request in enumerate(plan):
        merged.append(request)
        while cursor < len(later) and later[cursor][0] <= position:
            merged.append(later[cursor][1])
            cursor += 1
    merged.extend(request for _p, request in later[cursor:])
    return merged, {"settlements": settlements, "late_pendings": late, "replays": replays}


# ------------------------------------------------------------------------------ the run


def fire(url: str, plan: list[dict], rate: float, connections: int) -> dict:
    with tempfile.TemporaryDirectory() as folder:
        plan_file, out_file = Path(folder) / "plan.jsonl", Path(folder) / "out.json"
        plan_file.write_text("".join(json.dumps(request) + "\n" for request in plan))
        subprocess.run(
            [sys.executable, "-m", "bench.callbacks_fire", plan_file, out_file, "--url", url,
             "--rate", str(rate), "--connections", str(connections)],
            check=True, cwd=ROOT,
        )  # fmt: skip
        return json.loads(out_file.read_text())


def percentile(values: list[float], share: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def summarise(outcome: dict, rate: float) -> dict:
    results = outcome["results"]
    ok = [r for r in results if r[0] == 200]
    latencies = [r[1] * 1000 for r in ok]
    service = [r[2] * 1000 for r in ok]
    elapsed = outcome["end"] - outcome["start"]
    verdicts: dict[str, int] = {}
    for r in results:
        verdicts[r[3] or str(r[0])] = verdicts.get(r[3] or str(r[0]), 0) + 1
    return {
        "sent": len(results),
        "ok": len(ok),
        "errors": len(results) - len(ok),
        "offered": rate,
        "elapsed": elapsed,
        "achieved": len(ok) / elapsed if elapsed else 0.0,
        "p50": statistics.median(latencies) if latencies else 0.0,
        "p95": percentile(latencies, 0.95),
        "p99": percentile(latencies, 0.99),
        "max": max(latencies, default=0.0),
        "service_p50": statistics.median(service) if service else 0.0,
        "service_p95": percentile(service, 0.95),
        "verdicts": verdicts,
    }


# ----------------------------------------------------------------------------- the books


def check_books(tag: str, counts: dict) -> dict:
    """What the database says about the run's payments (``tag``)."""
    pg = _pg()
    like = f"{ORDER_PREFIX}-{tag}-%"
    row = pg.execute(
        """SELECT count(*), count(*) FILTER (WHERE status = 'SETTLED'),
                  count(*) FILTER (WHERE amount_mismatch)
             FROM payments_payment WHERE order_id LIKE %s""",
        [like],
    ).fetchone()
    verdicts = dict(
        pg.execute(
            """SELECT verdict || ':' || reason, count(*)
                 FROM payments_rawcallback WHERE order_id LIKE %s GROUP BY 1""",
            [like],
        ).fetchall()
    )
    accepted_twice = pg.execute(
        """SELECT count(*) FROM (SELECT payment_id FROM payments_rawcallback
                                  WHERE order_id LIKE %s AND verdict = 'ACCEPTED'
                                  GROUP BY payment_id HAVING count(*) > 1) x""",
        [like],
    ).fetchone()[0]
    receipts = pg.execute(
        """SELECT count(*), count(DISTINCT reference), coalesce(sum(amount), 0)
             FROM utility_receipt WHERE reference LIKE %s""",
        [like],
    ).fetchone()
    journal = pg.execute(
        """SELECT count(DISTINCT e.id), coalesce(sum(l.debit), 0), coalesce(sum(l.credit), 0)
             FROM utility_receipt r
             JOIN ledger_journalentry e ON e.source_key = 'utility.receipt:' || r.id
             JOIN ledger_journalline l ON l.entry_id = e.id
            WHERE r.reference LIKE %s""",
        [like],
    ).fetchone()
    unbalanced = pg.execute(
        """SELECT count(*) FROM (
              SELECT e.id FROM utility_receipt r
                JOIN ledger_journalentry e ON e.source_key = 'utility.receipt:' || r.id
                JOIN ledger_journalline l ON l.entry_id = e.id
               WHERE r.reference LIKE %s GROUP BY e.id HAVING sum(l.debit) <> sum(l.credit)) x""",
        [like],
    ).fetchone()[0]
    bills = pg.execute(
        """SELECT count(*) FILTER (WHERE b.status = 'PAID'),
                  count(*) FILTER (WHERE b.paid <> coalesce(a.allocated, 0))
             FROM payments_payment p
             JOIN utility_bill b ON b.id = p.payable_key::bigint
             LEFT JOIN (SELECT bill_id, sum(amount) AS allocated FROM utility_allocation
                         GROUP BY bill_id) a ON a.bill_id = b.id
            WHERE p.order_id LIKE %s""",
        [like],
    ).fetchone()
    books = {
        "payments": row[0], "settled": row[1], "mismatch": row[2], "verdicts": verdicts,
        "accepted_twice": accepted_twice, "receipts": receipts[0],
        "receipt_references": receipts[1], "received": receipts[2], "entries": journal[0],
        "debit": journal[1], "credit": journal[2], "unbalanced": unbalanced,
        "bills_paid": bills[0], "bills_off": bills[1],
    }  # fmt: skip
    books["ok"] = (
        books["settled"] == books["payments"] == counts["settlements"]
        and verdicts.get("ACCEPTED:to:settled", 0) == counts["settlements"]
        and verdicts.get("DUPLICATE:already:settled", 0) == counts["replays"]
        # a late pending that overtook its settlement (64 connections at once) finds the
        # payment still pending: a duplicate of its state, equally a no-op
        and verdicts.get("IGNORED:out_of_order:settled", 0)
        + verdicts.get("DUPLICATE:already:pending", 0)
        == counts["late_pendings"]
        and sum(verdicts.values())
        == counts["settlements"] + counts["replays"] + counts["late_pendings"]
        and accepted_twice == 0
        and books["receipts"] == books["receipt_references"] == counts["settlements"]
        and books["entries"] == counts["settlements"]
        and books["debit"] == books["credit"]
        and unbalanced == 0
        and books["bills_paid"] == counts["settlements"]
        and books["bills_off"] == 0
    )
    return books


# ---------------------------------------------------------------------------------- report


def report(runs: list[tuple[str, dict]], context: dict) -> str:
    def line(name, s):
        cpu = s["cpu_ms"]
        return (f"| {name} | {s['offered']:.0f} | {s['sent']:,} | {s['achieved']:.0f} | "
                f"{s['errors']} | {s['p50']:.0f} | {s['p95']:.0f} | {s['p99']:.0f} | "
                f"{s['service_p50']:.0f} | {s['service_p95']:.0f} | {cpu['web']:.1f} | "
                f"{cpu['db']:.1f} | {cpu['worker']:.1f} | {cpu['generator']:.1f} | "
                f"{cpu.get('gateway', 0.0):.1f} |")  # fmt: skip

    endpoint = "\n".join([
        "| Run | offered /s | callbacks | accepted by the endpoint /s | errors | p50 ms | p95 ms "
        "| p99 ms | service p50 ms | service p95 ms | CPU ms/callback: web | PostgreSQL "
        "| worker | generator | fake gateway (status API) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        *(line(name, r["run"]) for name, r in runs),
    ])  # fmt: skip

    def apply_line(name, r):
        s, a = r["run"], r["run"]["apply"]
        if "alone" in s:
            alone = s["alone"]
            return (f"| {name} | {a['applied']:,} | job alone afterwards: {alone['backlog']:,} "
                    f"waiting, drained in {alone['drain_s']:.1f} s with the worker's start-up, "
                    f"{a['job_span_s']:.1f} s from its first batch to its last "
                    f"| **{a['job_per_s']:.0f}** | {s['backlog_max']:,} | — | — + "
                    f"{alone['db_cpu_ms']:.1f} | — |")  # fmt: skip
        return (f"| {name} | {a['applied']:,} | {a['receive_span_s']:.1f} s received, "
                f"{a['apply_span_s']:.1f} s to the last applied | **{a['applied_per_s']:.0f}** "
                f"| {s['backlog_max']:,} | {s['drain_after_s']:.1f} | — | "
                f"{a['lag_p50_ms']:.0f} / {a['lag_p95_ms']:.0f} |")  # fmt: skip

    applying = "\n".join([
        "| Run | callbacks applied | time | applied /s | backlog max (sampled) "
        "| backlog drained after the generator stopped, s | job alone, CPU ms/callback: worker "
        "+ PostgreSQL (the worker's: the endpoint-and-worker runs' column) "
        "| received → applied p50 / p95 ms |",
        "|---|---:|---|---:|---:|---:|---:|---:|",
        *(apply_line(name, r) for name, r in runs),
    ])  # fmt: skip

    def books_line(name, r):
        b, c = r["books"], r["counts"]
        duplicates = b["verdicts"].get("DUPLICATE:already:settled", 0)
        ignored = b["verdicts"].get("IGNORED:out_of_order:settled", 0)
        overtook = b["verdicts"].get("DUPLICATE:already:pending", 0)
        right = "yes" if b["ok"] else "**NO**"
        return (f"| {name} | {c['settlements']:,} | {b['settled']:,} | {b['receipts']:,} | "
                f"{b['entries']:,} | {c['replays']:,} / {duplicates:,} | "
                f"{c['late_pendings']:,} / {ignored:,} + {overtook:,} | "
                f"{b['accepted_twice']} | {b['unbalanced']} | {right} |")  # fmt: skip

    books = "\n".join([
        "| Run | payments | settled | receipts | journal entries | replays sent / DUPLICATE "
        "| late pendings sent / IGNORED + overtook their settlement (DUPLICATE of pending) "
        "| applied twice | unbalanced entries | books right |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|",
        *(books_line(name, r) for name, r in runs),
    ])  # fmt: skip
    target = next(r for name, r in runs if r["worker_during"] and name.startswith("target"))
    accepted = target["run"]["achieved"]
    applied = target["run"]["apply"]["applied_per_s"]
    all_right = all(r["books"]["ok"] for _n, r in runs)
    verdict = (
        "met"
        if accepted >= TARGET_RATE * 0.98 and applied >= TARGET_RATE * 0.98 and all_right
        else "MISSED"
    )
    return f"""## Gateway callbacks through the HTTP endpoint (payments, issue 17)

Command (from the repository root):

```
{context["command"]}
```

- Date: {context["date"]}; code: {context["code"]}
- Machine: {context["machine"]}; load average {context["load"]} at start, {context["load_end"]}
  at the end (1/5/15 min); the bench ran un-niced under the shared bench lock; the load
  generator (`bench/callbacks_fire.py`, gevent, {context["connections"]} keep-alive connections)
  shares the 2 cores with gunicorn ({context["workers"]} workers × {context["threads"]} threads),
  one procrastinate worker (the callbacks job, queue `payments`) and PostgreSQL
- Database: {context["server"]}; embedded server of the bench (`var/bench-pgdata`), database
  `amanah_bench`
- Data: open water bills of the billing bench's connections ({context["bills_note"]});
  {context["payments"]:,} pending VA payment requests for them made set-based in
  {context["payments_s"]:.1f} s (70 % Midtrans, 30 % Xendit)

Each payment gets one settlement callback, the fake gateway's own (Midtrans HTTP notification
signed with `signature_key`, or Xendit's Fixed VA *paid* callback with `x-callback-token`),
and the job confirms each with the fake gateway's status API (loopback, served from the
bench's own process: its CPU is the last column) before it applies it; 5 % of the
Midtrans payments also get a `pending` after their settlement (out of order); 10 % of all
callbacks are byte-identical replays of an earlier settlement, half of them within the next 20
callbacks. Open loop: the i-th callback is due at start + i / rate; latency is from when it was
due (queueing included), "service" from when it was sent.

The endpoint checks the signature/token and the gateway's integrations system, stores the raw
callback RECEIVED (one INSERT, its own commit), asks for the callbacks job and answers 200.
The job (`payments.processing`) asks the status API about each payment the next batch would
settle (concurrently, before the batch's transaction), claims RECEIVED callbacks 500 at a time
(`FOR UPDATE SKIP LOCKED`), locks their payments, judges each callback in arrival order (idempotent,
monotonic), writes the payments and verdicts in one UPDATE each, the status audit rows in one
chained write, emits the events, and the water bills are applied to the whole batch at once
(`utility.payments_batch`: bills, receipts, allocations, credits, journal entries and lines,
audit rows — a constant number of statements per batch), one commit per batch.

"Sustained" needs both: the endpoint accepting the offered rate, and the job applying it so
that no backlog grows (applied /s = callbacks / time from the first received to the last
applied). The last run fires with no worker (the endpoint alone) and then starts the worker on
the backlog (the job alone).

**The endpoint:**

{endpoint}

**The application (the callbacks job):**

{applying}

**The books afterwards, from the database:**

{books}

Target: 500 callbacks/s sustained with 0 duplicates under 10 % replays. This run, with the
worker applying while the generator fired: **{accepted:.0f} callbacks/s accepted** by the
endpoint and **{applied:.0f}/s applied** over {target["run"]["elapsed"]:.0f} s offered at
{target["run"]["offered"]:.0f}/s; {target["run"]["errors"]} errors,
{target["books"]["accepted_twice"]} payments applied twice, books right in every run:
{"yes" if all_right else "**NO**"} ({verdict}).
"""


def tree_cpu_seconds(pid: int) -> float:
    """CPU time of a process and its descendants, the exited ones included (their time is in
    the parent's ``children_*``)."""
    import psutil

    try:
        root = psutil.Process(pid)
        total = root.cpu_times().children_user + root.cpu_times().children_system
        for process in [root, *root.children(recursive=True)]:
            times = process.cpu_times()
            total += times.user + times.system
        return total
    except psutil.Error:
        return 0.0


def postmaster_pid() -> int:
    from amanah import dbserver

    return int((dbserver.pgdata_dir() / "postmaster.pid").read_text().split()[0])


def cpu_now(web, worker=None) -> dict:
    import resource

    children = resource.getrusage(resource.RUSAGE_CHILDREN)  # finished generators and workers
    own = resource.getrusage(resource.RUSAGE_SELF)  # the fake gateway answering the job
    return {"web": tree_cpu_seconds(web.proc.pid), "db": tree_cpu_seconds(postmaster_pid()),
            "worker": tree_cpu_seconds(worker.proc.pid) if worker else 0.0,
            "generator": children.ru_utime + children.ru_stime,
            "gateway": own.ru_utime + own.ru_stime}  # fmt: skip


class Worker:
    """One procrastinate worker on the ``payments`` queue (the callbacks job), as deployed."""

    def __init__(self, variant):
        self.proc = subprocess.Popen(
            [str(variant.python), "-m", "django", "procrastinate", "worker", "--queues",
             "payments", "--concurrency", "1"],
            cwd=variant.checkout, env=variant.env(),
        )  # fmt: skip

    def wait_ready(self, limit: float = 120) -> None:
        """Until its start-up (importing the project) is over: its CPU time stops growing, so
        neither the run's clock nor its CPU per callback includes it."""
        deadline = time.monotonic() + limit
        spent = tree_cpu_seconds(self.proc.pid)
        while time.monotonic() < deadline:
            time.sleep(1)
            now = tree_cpu_seconds(self.proc.pid)
            if now - spent < 0.05:
                return
            spent = now

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def backlog() -> int:
    """Callbacks stored and not applied yet (RECEIVED)."""
    return (
        _pg()
        .execute("SELECT count(*) FROM payments_rawcallback WHERE verdict = 'RECEIVED'")
        .fetchone()[0]
    )


class BacklogProbe(threading.Thread):
    """The backlog sampled every half second while the generator fires."""

    def __init__(self):
        super().__init__(daemon=True)
        self.samples: list[tuple[float, int]] = []
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.is_set():
            self.samples.append((time.monotonic(), backlog()))
            self.done.wait(0.5)


def apply_timing(tag: str) -> dict:
    """From the stored rows: when the run's callbacks were received and applied."""
    row = (
        _pg()
        .execute(
            """SELECT count(*), min(received_at), max(received_at), max(processed_at),
                  percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM
                      processed_at - received_at)),
                  percentile_cont(0.95) WITHIN GROUP (ORDER BY extract(epoch FROM
                      processed_at - received_at))
             FROM payments_rawcallback WHERE order_id LIKE %s AND processed_at IS NOT NULL""",
            [f"{ORDER_PREFIX}-{tag}-%"],
        )
        .fetchone()
    )
    count, first, last_in, last_out, lag50, lag95 = row
    span = (last_out - first).total_seconds() if count else 0.0
    # The job's own pace: a batch's rows share the moment it judged them, so from the first
    # batch's moment to the last one's, the callbacks after the first batch were applied.
    first_out, first_batch = _pg().execute(
        """SELECT processed_at, count(*) FROM payments_rawcallback
                WHERE order_id LIKE %s AND processed_at IS NOT NULL
                GROUP BY 1 ORDER BY 1 LIMIT 1""",
        [f"{ORDER_PREFIX}-{tag}-%"],
    ).fetchone() or (None, 0)
    pace_span = (last_out - first_out).total_seconds() if count else 0.0
    return {
        "job_per_s": (count - first_batch) / pace_span if pace_span else 0.0,
        "job_span_s": pace_span,
        "applied": count,
        "receive_span_s": (last_in - first).total_seconds() if count else 0.0,
        "apply_span_s": span,
        "applied_per_s": count / span if span else 0.0,
        "lag_p50_ms": float(lag50 or 0) * 1000,
        "lag_p95_ms": float(lag95 or 0) * 1000,
    }


def drain(worker: Worker | None, timeout: float = 600) -> float:
    """Wait until nothing is RECEIVED (the worker applying the rest); seconds it took."""
    started = time.monotonic()
    while backlog() and time.monotonic() - started < timeout:
        if worker is not None and worker.proc.poll() is not None:
            raise RuntimeError("the callbacks worker exited")
        time.sleep(0.2)
    return time.monotonic() - started


def one_run(web, variant, tag, payments, rate, connections, seed, *, fake, worker_during=True):
    """The plan fired at ``rate``; the worker applying during the run (``worker_during``),
    or only afterwards (the endpoint alone, then the job alone on the backlog)."""
    plan, counts = build_plan(payments, random.Random(seed), fake)
    worker = Worker(variant) if worker_during else None
    if worker:
        worker.wait_ready()  # its start-up (imports) before the clock starts
    before = cpu_now(web, worker)
    probe = BacklogProbe()
    probe.start()
    try:
        run = summarise(fire(web.url, plan, rate, connections), rate)
        probe.done.set()
        probe.join()
        if worker is None:
            after_fire = cpu_now(web, worker)
            run["cpu_ms"] = {
                k: (after_fire[k] - before[k]) * 1000 / max(run["sent"], 1) for k in after_fire
            }
            waiting = backlog()
            worker = Worker(variant)  # applies the backlog as soon as it is up
            before_job = cpu_now(web, worker)
            drained = drain(worker)
            run["alone"] = {
                "backlog": waiting,
                "drain_s": drained,  # the worker's start-up included
                "db_cpu_ms": (cpu_now(web, worker)["db"] - before_job["db"])
                * 1000
                / max(waiting, 1),
            }
        else:
            run["drain_after_s"] = drain(worker)
            after = cpu_now(web, worker)
            run["cpu_ms"] = {k: (after[k] - before[k]) * 1000 / max(run["sent"], 1) for k in after}
    finally:
        probe.done.set()
        if worker is not None:
            worker.stop()
    run["backlog_max"] = max((n for _t, n in probe.samples), default=0)
    run["backlog_end_of_fire"] = probe.samples[-1][1] if probe.samples else 0
    run["apply"] = apply_timing(tag)
    books = check_books(tag, counts)
    print(f"{tag}: {json.dumps(run)}\n{tag} books: {json.dumps(books, default=str)}", flush=True)
    return {"run": run, "books": books, "counts": counts, "worker_during": worker_during}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rate", type=float, default=TARGET_RATE)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--baseline-rate", type=float, default=50)
    parser.add_argument("--baseline-seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--no-report", action="store_true")
    parser.add_argument(
        "--no-alone", dest="alone", action="store_false",
        help="skip the third run (the endpoint alone, then the job alone on the backlog)",
    )  # fmt: skip
    args = parser.parse_args(argv)

    # The gateways' callbacks are the water utility's (payments are hidden in a bank, 404):
    # this process and the gunicorn it starts (which inherits the environment) run as a PDAM.
    os.environ["AMANAH_PROFILE"] = "pdam"
    setup_django()
    from django.core.management import call_command

    from amanah.core.actors import SystemActor
    from bench.load.run import Web, current_variant
    from bench.settings import BENCH_DB

    call_command("migrate", verbosity=0, interactive=False)
    call_command("collectstatic", verbosity=0, interactive=False)  # gunicorn serves its pages
    load_start = load_average()
    actor = SystemActor("system:bench-callbacks")
    ensure_branches()
    ensure_network(actor)
    ensure_gateway_systems(actor)
    # callbacks per payment ≈ 1 + 5 % × 70 % late + replays: about 1.17
    main_n = int(args.rate * args.seconds / 1.17)
    base_n = int(args.baseline_rate * args.baseline_seconds / 1.17)
    expire_stale_payments()
    bills = ensure_bills(actor, main_n * (2 if args.alone else 1) + base_n)
    tag = datetime.now(UTC).strftime("%m%d%H%M%S")
    base_payments, _s = create_payments(base_n, tag + "b")
    main_payments, payments_s = create_payments(main_n, tag + "m")
    alone_payments = create_payments(main_n, tag + "a")[0] if args.alone else []
    _pg().execute("ANALYZE payments_payment")
    print(
        f"payments: {len(base_payments)} + {len(main_payments)} + {len(alone_payments)}"
        f" in {payments_s:.1f} s",
        flush=True,
    )
    fake = start_gateway()  # before gunicorn and the worker start: they read its address
    variant = current_variant(BENCH_DB)
    for attempt in range(3):  # gunicorn's first import can pass 90 s on a loaded machine
        try:
            web = Web(variant, ["--workers", str(args.workers), "--threads", str(args.threads)])
            break
        except RuntimeError:
            if attempt == 2:
                raise
    runs = []
    try:
        runs.append(
            (
                f"baseline: the same mix at a low rate ({args.baseline_seconds} s)",
                one_run(
                    web,
                    variant,
                    tag + "b",
                    base_payments,
                    args.baseline_rate,
                    args.connections,
                    1,
                    fake=fake,
                ),
            )
        )
        runs.append(
            (
                f"target rate ({args.seconds} s), the worker applying meanwhile",
                one_run(
                    web,
                    variant,
                    tag + "m",
                    main_payments,
                    args.rate,
                    args.connections,
                    2,
                    fake=fake,
                ),
            )
        )
        if args.alone:
            runs.append((
                f"target rate ({args.seconds} s), the endpoint alone; then the job alone",
                one_run(web, variant, tag + "a", alone_payments, args.rate, args.connections,
                        3, fake=fake, worker_during=False),
            ))  # fmt: skip
    finally:
        web.stop()
        fake.stop()
    command = (
        "flock /work/helpers/bench.lock env AMANAH_ENV=demo .venv/bin/python -m "
        f"bench.callbacks_bench --rate {args.rate:g} --seconds {args.seconds} "
        f"--baseline-rate {args.baseline_rate:g} --baseline-seconds {args.baseline_seconds}"
        + ("" if args.alone else " --no-alone")
    )
    context = {
        "command": command, "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "code": code_version(), "machine": machine(), "load": load_start,
        "load_end": load_average(), "server": server_settings(),
        "connections": args.connections, "workers": args.workers, "threads": args.threads,
        "seconds": args.seconds, "baseline_seconds": args.baseline_seconds,
        "payments": len(base_payments) + len(main_payments) + len(alone_payments),
        "payments_s": payments_s,
        "bills_note": (f"{bills['billed']:,} bills made by `billing_run` in "
                       f"{bills['bill_s']:.0f} s for this run" if bills["billed"]
                       else "billed by an earlier run"),
    }  # fmt: skip
    section = report(runs, context)
    print(section)
    if not args.no_report:
        write_report(Path("docs/benchmarks.md"), "callbacks", section)
    return 0 if all(r["books"]["ok"] for _n, r in runs) else 1


if __name__ == "__main__":
    sys.exit(main())
