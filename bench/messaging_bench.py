"""Messaging hub at a million customers: queueing a campaign, dispatching to a provider.

    AMANAH_ENV=demo .venv/bin/python -m bench.messaging_bench      # (part of make bench)

Uses the 1,000,000-customer data set of bench.search_bench (database amanah_bench). One run
measures, in the same process and on the same data:

1. **Queue** — ``message_queue_many`` (WHATSAPP, purpose OFFER) over every customer: the
   contact rule per customer in SQL, addresses sealed, rows streamed with COPY; against
   ``message_queue`` called once per customer on a sample, extrapolated.
2. **Dispatch** — ``dispatch_batch("WHATSAPP")`` in a loop (batches of
   ``MESSAGING_BATCH_SIZE``, contactability re-checked per batch under ``FOR SHARE``) to the
   loopback fake WhatsApp provider, run as a separate process (no webhooks, rate limit off);
   against ``dispatch_batch(limit=1)`` — one message per claim/send/audit, the cost a
   one-job-per-message design pays before its job-queue overhead — on a sample.

Fixtures, set-based and idempotent: customers of the data set without a mobile number get a
synthetic one (``+62899`` + 8 digits from their id), in one UPDATE (``give_phones``, kept);
and every customer is made eligible for a WhatsApp offer (``make_everyone_eligible``):
MARKETING consent granted where the data set has none or a withdrawal (a consent record and
the state pointing at it, as the consent models keep them, one INSERT … INSERT statement),
the CLOSED customers set ACTIVE and the sensitive case categories unflagged (an open
fraud/scam case blocks offers) — so the queue figure is for 1,000,000 eligible
customers, as the issue asks. All of it is undone at the end (``undo_eligibility``: the
made-up records deleted, each state back to the record before it, the reopened customers
closed, the categories flagged again), so the other benches find the data set as generated.

The campaign is queued and sent "at" the next Tuesday 10:00 WIB (``at=``), inside every zone's
OFFER window, so the window and frequency-cap checks are evaluated, not skipped. Each run's
outbox rows carry a fresh ``source_id`` (``bench-…``); the previous runs' rows are deleted
first, set-based, so every run meets the same table. The bench PostgreSQL is stopped at the
end.
"""

from __future__ import annotations

import contextlib
import os
import random
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from bench.search_bench import (
    free_port,
    load_average,
    machine,
    server_settings,
    setup_django,
    target_line,
    write_report,
)

QUEUE_SAMPLE = 2_000
DISPATCH_TARGET_SECONDS = 60.0  # dispatch runs at least this long …
DISPATCH_MAX = 100_000  # … or until this many messages were claimed
DISPATCH_SAMPLE = 100  # messages sent one per dispatch_batch call (baseline)
DISPATCH_SHIPPED_SECONDS = 20.0  # the shipped MESSAGING_SEND_CONCURRENCY, beside the measured run
# Calls in flight per batch for the measured run: a loopback fake answers in well under a
# millisecond, so the batch is bound by the client's CPU, and beyond 3–4 threads they mostly
# queue for the GIL (2026-11-25, idle: 1 → 527, 2 → 549, 3 → 641–758, 4 → 586–722, 6 → 483,
# 8 → 466–482 msg/s). A remote API needs about rate × latency in flight instead.
IN_FLIGHT = 4
SOURCE_PREFIX = "bench-"
CHANNEL = "WHATSAPP"


def give_phones() -> int:
    """Every customer gets a mobile number (idempotent: only empty ones are filled)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE customers_customer SET phone_e164 = '+62899'"
            " || lpad((abs(hashtext(id::text)) % 100000000)::text, 8, '0')"
            " WHERE phone_e164 = ''"
        )
        return cursor.rowcount


# The consent records the bench makes up carry this reason (and nothing else does).
FIXTURE_REASON = "bench:messaging — granted for the bench, withdrawn at its end"
FIXTURE_EFFECTIVE = datetime(2026, 5, 2, 3, 0, tzinfo=UTC)  # after every record of the data set
# What the fixture changed, to put back: the customers it reopened, the states it replaced.
REOPENED_TABLE = "bench_messaging_reopened"
REPLACED_TABLE = "bench_messaging_replaced_consent"
UNFLAGGED_TABLE = "bench_messaging_unflagged_categories"
CATEGORY_TABLE, CATEGORY_KEY = "cases_casecategory", "code"  # cases.models.CaseCategory
FIXTURE_DDL = [
    f"CREATE TABLE IF NOT EXISTS {REOPENED_TABLE} (customer_id uuid PRIMARY KEY)",
    f"CREATE TABLE IF NOT EXISTS {UNFLAGGED_TABLE} (category_id text PRIMARY KEY)",
    f"""CREATE TABLE IF NOT EXISTS {REPLACED_TABLE} (
        customer_id uuid PRIMARY KEY, status text, effective_at timestamptz, record_id uuid)""",
]


def make_everyone_eligible() -> dict:
    """Every customer may receive a WhatsApp OFFER: set-based and idempotent, undone at the end
    (``undo_eligibility``) so the other benches keep the data set as it was generated.

    - MARKETING consent GRANTED for everyone whose state is missing or WITHDRAWN: a record
      (``old_status`` the state it replaces) and the state pointing at it, as the consent
      service keeps them, in one INSERT … INSERT … ON CONFLICT (the consent service's path
      audits each change; a million audit rows are not what the bench measures); the states
      replaced are kept aside;
    - the CLOSED customers (an inactive customer is never offered anything) are set ACTIVE,
      their ids kept aside to close them again;
    - the sensitive case categories (an open fraud/scam case blocks offers; the data set of
      ``bench.cases_bench``, when loaded, has such cases) are unflagged, kept aside likewise.
    Per-channel withdrawals and suppressions: the data set has none; the report shows how
    many rows were cancelled and why, whatever the data holds."""
    from django.db import connection, transaction

    with transaction.atomic(), connection.cursor() as cursor:
        for ddl in FIXTURE_DDL:
            cursor.execute(ddl)
        cursor.execute(
            f"""WITH reopened AS (
                   UPDATE customers_customer SET status = 'ACTIVE'
                    WHERE status = 'CLOSED' AND merged_into_id IS NULL RETURNING id)
               INSERT INTO {REOPENED_TABLE} SELECT id FROM reopened ON CONFLICT DO NOTHING"""  # noqa: S608
        )
        reopened = cursor.rowcount
        cursor.execute(
            f"""WITH unflagged AS (
                   UPDATE {CATEGORY_TABLE} SET is_sensitive = false
                    WHERE is_sensitive RETURNING {CATEGORY_KEY} AS key)
               INSERT INTO {UNFLAGGED_TABLE} SELECT key::text FROM unflagged
               ON CONFLICT DO NOTHING"""  # noqa: S608
        )
        unflagged = cursor.rowcount
        cursor.execute(
            f"""WITH missing AS (
                   SELECT c.id, s.status AS old, s.effective_at, s.record_id
                     FROM customers_customer c
                     LEFT JOIN consent_consentstate s
                       ON s.customer_id = c.id AND s.consent_type = 'MARKETING'
                    WHERE s.status IS DISTINCT FROM 'GRANTED'),
               kept AS (
                   INSERT INTO {REPLACED_TABLE}
                   SELECT id, old, effective_at, record_id FROM missing),
               records AS (
                   INSERT INTO consent_consentrecord (
                       id, customer_id, consent_type, old_status, new_status, effective_at,
                       captured_channel, captured_by_id, verification_method, reason,
                       contact_channel, created_at)
                   SELECT gen_random_uuid(), id, 'MARKETING', coalesce(old, ''), 'GRANTED', %(at)s,
                          'BRANCH', NULL, 'IN_PERSON', %(reason)s, '', %(at)s
                     FROM missing
                   RETURNING id, customer_id)
               INSERT INTO consent_consentstate (customer_id, consent_type, status, effective_at,
                                                 record_id)
               SELECT customer_id, 'MARKETING', 'GRANTED', %(at)s, id FROM records
               ON CONFLICT (customer_id, consent_type) DO UPDATE
                  SET status = EXCLUDED.status, effective_at = EXCLUDED.effective_at,
                      record_id = EXCLUDED.record_id""",  # noqa: S608
            {"at": FIXTURE_EFFECTIVE, "reason": FIXTURE_REASON},
        )
        granted = cursor.rowcount
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE consent_consentstate")
        cursor.execute("ANALYZE customers_customer")
    return {"granted": granted, "reopened": reopened, "unflagged_categories": unflagged}


def undo_eligibility() -> dict:
    """The data set as it was: the replaced states back (or none, where there was none), the
    made-up records deleted, the reopened customers closed."""
    from django.db import connection, transaction

    with transaction.atomic(), connection.cursor() as cursor:
        for ddl in FIXTURE_DDL:
            cursor.execute(ddl)
        cursor.execute(
            f"""UPDATE consent_consentstate s
                  SET status = r.status, effective_at = r.effective_at, record_id = r.record_id
                 FROM {REPLACED_TABLE} r
                WHERE s.customer_id = r.customer_id AND s.consent_type = 'MARKETING'
                  AND r.record_id IS NOT NULL"""  # noqa: S608
        )
        restored = cursor.rowcount
        cursor.execute(
            """DELETE FROM consent_consentstate s USING consent_consentrecord b
                WHERE s.record_id = b.id AND b.reason = %s""",
            [FIXTURE_REASON],
        )
        cursor.execute("DELETE FROM consent_consentrecord WHERE reason = %s", [FIXTURE_REASON])
        withdrawn = cursor.rowcount
        cursor.execute(
            f"""UPDATE customers_customer c SET status = 'CLOSED' FROM {REOPENED_TABLE} r
                 WHERE c.id = r.customer_id"""  # noqa: S608
        )
        closed = cursor.rowcount
        cursor.execute(
            f"""UPDATE {CATEGORY_TABLE} c SET is_sensitive = true FROM {UNFLAGGED_TABLE} r
                 WHERE c.{CATEGORY_KEY}::text = r.category_id"""  # noqa: S608
        )
        cursor.execute(f"DROP TABLE {REOPENED_TABLE}, {REPLACED_TABLE}, {UNFLAGGED_TABLE}")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE consent_consentstate")
    return {"withdrawn": withdrawn, "restored": restored, "closed_again": closed}


def forget_earlier_runs() -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM messaging_message WHERE source = 'CAMPAIGN' AND source_id LIKE %s",
            [SOURCE_PREFIX + "%"],
        )
        deleted = cursor.rowcount
        cursor.execute("VACUUM (ANALYZE) messaging_message")
    return deleted


def next_tuesday_morning(now: datetime) -> datetime:
    """10:00 WIB on the next Tuesday at least a day away: inside the OFFER window everywhere."""
    local = now.astimezone(ZoneInfo("Asia/Jakarta")) + timedelta(days=1)
    while local.weekday() != 1:
        local += timedelta(days=1)
    return local.replace(hour=10, minute=0, second=0, microsecond=0)


@contextlib.contextmanager
def fake_provider_process(port: int):
    """The loopback fake WhatsApp API in a process of its own (its own GIL, same 2 cores)."""
    proc = subprocess.Popen(  # noqa: S603 (our own interpreter and module)
        [
            sys.executable,
            "-m",
            "amanah.messaging.fakeprovider",
            "--port",
            str(port),
            "--max-recorded",
            "100",
        ],  # fmt: skip
        stdout=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 1):
                break
            if time.monotonic() > deadline or proc.poll() is not None:
                raise RuntimeError("the fake provider did not start")
            time.sleep(0.2)
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        print("bench: fake provider stopped")


def measure_queue(actor, rendered, source_id: str, at: datetime) -> dict:
    from amanah.customers.models import Customer
    from amanah.messaging.contract import message_queue, message_queue_many

    load_before = load_average()
    started = time.perf_counter()
    counts = message_queue_many(
        actor=actor,
        customers=Customer.objects.all(),
        channel=CHANNEL,
        purpose="OFFER",
        rendered=rendered,
        source="CAMPAIGN",
        source_id=source_id,
        at=at,
    )
    many_seconds = time.perf_counter() - started
    load_after = load_average()

    ids = list(Customer.objects.order_by().values_list("id", flat=True)[:200_000])
    sample = random.Random(12).sample(ids, QUEUE_SAMPLE)
    customers = Customer.objects.in_bulk(sample)
    started = time.perf_counter()
    for customer in customers.values():
        message_queue(
            actor=actor,
            channel=CHANNEL,
            purpose="OFFER",
            rendered=rendered,
            source="CAMPAIGN",
            source_id=source_id + "-one",
            customer=customer,
            at=at,
        )
    one_seconds = time.perf_counter() - started
    # The baseline's rows are not the campaign's: out of the dispatch's way.
    from amanah.messaging.models import Message

    Message.objects.filter(source_id=source_id + "-one").update(status="CANCELLED")
    return {
        "counts": counts,
        "many_seconds": many_seconds,
        "one_seconds": one_seconds,
        "load_before": load_before,
        "load_after": load_after,
    }


def _dispatch_loop(at: datetime, seconds: float) -> tuple[dict, int, float]:
    """``dispatch_batch`` back to back for ``seconds`` (or DISPATCH_MAX claimed, or nothing
    left): (summed counts, batches, wall seconds)."""
    from amanah.messaging.dispatch import dispatch_batch

    totals: dict[str, int] = {}
    started = time.perf_counter()
    batches = 0
    while totals.get("claimed", 0) < DISPATCH_MAX:
        if time.perf_counter() - started >= seconds:
            break
        counts = dispatch_batch(CHANNEL, at=at)
        if not counts["claimed"]:
            break
        batches += 1
        for key, value in counts.items():
            totals[key] = totals.get(key, 0) + value
    return totals, batches, time.perf_counter() - started


def measure_dispatch(at: datetime, in_flight: int) -> dict:
    """The measured loop with ``in_flight`` calls per batch in flight, then a shorter one with
    the shipped default beside it, then the one-message-per-call baseline."""
    from django.conf import settings

    from amanah.messaging.dispatch import dispatch_batch

    shipped = settings.MESSAGING_SEND_CONCURRENCY
    load_before = load_average()
    settings.MESSAGING_SEND_CONCURRENCY = in_flight
    try:
        totals, batches, batch_seconds = _dispatch_loop(at, DISPATCH_TARGET_SECONDS)
        load_after = load_average()
        settings.MESSAGING_SEND_CONCURRENCY = shipped
        shipped_totals, _, shipped_seconds = _dispatch_loop(at, DISPATCH_SHIPPED_SECONDS)
    finally:
        settings.MESSAGING_SEND_CONCURRENCY = shipped

    one: dict[str, int] = {}
    started = time.perf_counter()
    for _ in range(DISPATCH_SAMPLE):
        counts = dispatch_batch(CHANNEL, at=at, limit=1)
        for key, value in counts.items():
            one[key] = one.get(key, 0) + value
    one_seconds = time.perf_counter() - started
    return {
        "totals": totals,
        "batches": batches,
        "batch_seconds": batch_seconds,
        "in_flight": in_flight,
        "shipped": shipped,
        "shipped_sent": shipped_totals.get("sent", 0),
        "shipped_seconds": shipped_seconds,
        "one": one,
        "one_seconds": one_seconds,
        "load_before": load_before,
        "load_after": load_after,
    }


def main() -> None:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--in-flight", type=int, default=IN_FLIGHT, help="HTTP calls in flight per batch"
    )
    args = parser.parse_args()
    port = free_port()
    from amanah.messaging.fakeprovider.environment import channel_environment

    # WhatsApp/SMS at the fake provider started below, as a deployment points at its own.
    os.environ.update(channel_environment(f"http://127.0.0.1:{port}", smtp_port=free_port()))
    os.environ["MESSAGING_RATE_LIMITS_OFF"] = "1"
    setup_django()
    from django.conf import settings
    from django.core.management import call_command

    from amanah import dbserver
    from amanah.core.actors import SystemActor
    from amanah.customers.models import Customer
    from amanah.messaging.contract import Rendered

    call_command("migrate", verbosity=0)
    eligible = None
    try:
        phones = give_phones()
        deleted = forget_earlier_runs()
        print(f"bench: {phones:,} phones given, {deleted:,} earlier outbox rows deleted")
        eligible = {}  # from here on, undo at the end whatever happens
        eligible = make_everyone_eligible()
        print(f"bench: made eligible: {eligible}")
        population = Customer.objects.count()
        actor = SystemActor("system:bench")
        # A template message, as every WhatsApp offer must be: free text reaches only a
        # customer who wrote in the last 24 hours (the service window).
        rendered = Rendered(
            text="Bench: penawaran tabungan berjangka dengan bagi hasil kompetitif.",
            provider_template="campaign_offer",
            parameters=("Tabungan Berjangka", "BENCH26"),
            category="MARKETING",
        )
        at = next_tuesday_morning(datetime.now(UTC))
        source_id = f"{SOURCE_PREFIX}{time.time():.0f}"
        queue = measure_queue(actor, rendered, source_id, at)
        print(f"bench: queue {queue['counts']} in {queue['many_seconds']:.1f} s")
        with fake_provider_process(port):
            dispatch = measure_dispatch(at, args.in_flight)
        print(f"bench: dispatch {dispatch['totals']} in {dispatch['batch_seconds']:.1f} s")
        section = report(population, queue, dispatch, settings.MESSAGING_BATCH_SIZE, at, eligible)
        print(section)
        write_report(Path("docs/benchmarks.md"), "messaging", section)
    finally:
        from django.db import connections

        if eligible is not None:
            print(f"bench: eligibility fixture undone: {undo_eligibility()}")
        connections.close_all()
        if not os.environ.get("DATABASE_URL"):
            dbserver.stop_embedded()
            print("bench: embedded PostgreSQL stopped")


def report(
    population: int,
    queue: dict,
    dispatch: dict,
    batch_size: int,
    at: datetime,
    fixture: dict | None = None,
) -> str:
    counts = queue["counts"]
    cancelled = sum(counts["cancelled"].values())
    written = counts["queued"] + counts["waiting"] + cancelled
    per_many = queue["many_seconds"] / max(written, 1) * 1e6
    per_one = queue["one_seconds"] / QUEUE_SAMPLE * 1e6
    extrapolated = per_one * population / 1e6
    eligible = counts["queued"] + counts["waiting"]
    fixture = fixture or {}
    queue_seconds = queue["many_seconds"] if eligible >= 1_000_000 else float("inf")
    by_reason = ", ".join(f"{k} {v:,}" for k, v in sorted(counts["cancelled"].items())) or "none"

    totals, one = dispatch["totals"], dispatch["one"]
    sent = totals.get("sent", 0)
    rate = sent / dispatch["batch_seconds"] if dispatch["batch_seconds"] else 0.0
    one_rate = one.get("sent", 0) / dispatch["one_seconds"] if dispatch["one_seconds"] else 0.0
    shipped_rate = dispatch["shipped_sent"] / max(dispatch["shipped_seconds"], 1e-9)
    other = {k: v for k, v in totals.items() if k not in ("claimed", "sent")}
    verdicts = "\n".join(
        [
            target_line(
                f"{written:,} customers queued (one row each, {eligible:,} eligible) in "
                f"{queue['many_seconds']:.1f} s",
                queue_seconds,
                60,
                " s",
            ),
            f"- dispatch ({dispatch['in_flight']} calls in flight): {sent:,} messages sent in "
            f"{dispatch['batch_seconds']:.1f} s = "
            f"**{rate:,.0f} messages/s** (target ≥ 500/s): "
            f"{'met' if rate >= 500 else f'MISSED by {500 - rate:,.0f}/s ({rate / 500:.0%})'}",
        ]
    )
    return f"""## Messaging hub (issue 12) — queueing a campaign and dispatching it

Command (from the repository root):

```
AMANAH_ENV=demo .venv/bin/python -m bench.messaging_bench
```

- Date: {datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")}
- Machine: {machine()}; load average {queue["load_before"]} before the queue,
  {queue["load_after"]} after it, {dispatch["load_before"]} before the dispatch,
  {dispatch["load_after"]} after it
- Database: {server_settings()}; embedded server of the bench (`var/bench-pgdata`), data set
  of `bench.search_bench` (database `amanah_bench`), {population:,} customers; every customer
  given a mobile number where the data set had none (one set-based UPDATE), and made eligible
  for a WhatsApp offer for the run (set-based, undone at the end: MARKETING consent granted to
  {fixture.get("granted", 0):,} customers without it, {fixture.get("reopened", 0):,} CLOSED
  customers set ACTIVE, {fixture.get("unflagged_categories", 0)} sensitive case categories
  unflagged)
- Campaign: WHATSAPP, purpose OFFER, template message (`campaign_offer`, 2 parameters), queued and sent at {at.isoformat()} (a
  Tuesday 10:00 WIB, inside the OFFER window of every zone; window and frequency-cap checks
  evaluated)

| Queue | customers | wall time | per customer |
|---|---:|---:|---:|
| `message_queue_many` (all customers, one call) \
| {written:,} | {queue["many_seconds"]:.1f} s | {per_many:.1f} µs |
| `message_queue`, one call per customer (sample) \
| {QUEUE_SAMPLE:,} | {queue["one_seconds"]:.1f} s | {per_one:.0f} µs |

Every customer is checked (consent, channel withdrawal, do-not-contact, blockers, window,
frequency cap) and gets a row; {eligible:,} of them eligible.
Queued {counts["queued"]:,} due now, {counts["waiting"]:,} waiting for their window;
cancelled with a reason: {by_reason}; without an address {counts["no_address"]:,}.
One call per customer over the whole population would take about {extrapolated:,.0f} s
(**{per_one / per_many:.0f}×** slower per customer).

| Dispatch to the loopback WhatsApp fake | messages | wall time | messages/s |
|---|---:|---:|---:|
| `dispatch_batch` loop, batches of {batch_size:,} ({dispatch["batches"]} batches), \
{dispatch["in_flight"]} calls in flight \
| {sent:,} sent | {dispatch["batch_seconds"]:.1f} s | {rate:,.0f} |
| the same loop with the shipped `MESSAGING_SEND_CONCURRENCY` = {dispatch["shipped"]} \
| {dispatch["shipped_sent"]:,} sent | {dispatch["shipped_seconds"]:.1f} s | {shipped_rate:,.0f} |
| `dispatch_batch(limit=1)`, one message per claim, send and audit (sample) \
| {one.get("sent", 0):,} sent | {dispatch["one_seconds"]:.1f} s | {one_rate:,.0f} |

Batch outcomes besides `sent`: {other or "none"}. One process dispatching, the fake provider
in a second process on the same two cores (no webhooks, `max_recorded` 100),
`MESSAGING_RATE_LIMITS_OFF`. Calls in flight: the fake answers on loopback in well under a
millisecond, so a batch is bound by the dispatcher's own CPU (httpx's per-request work), and
more than 3–4 sending threads mostly wait for each other on the GIL; the measured run uses
`--in-flight` {dispatch["in_flight"]} (`MESSAGING_SEND_CONCURRENCY` for this process), the
second row the shipped default, which is meant for a remote API, where about rate × latency
calls must be in flight (500/s at 100 ms: 50, i.e. more dispatch workers). The baseline is
one `dispatch_batch` call per message, **not** one procrastinate job per message: the job
queue's own cost (defer, fetch, finish) comes on top of it, so a real one-job-per-message
design is slower still.

{verdicts}

Where the time goes (cProfile and per-statement timing of one batch, 2026-11-23):
- With the fake provider as the app ships it, a batch of 1,000 took 47 s under cProfile
  (≈ 21 messages/s; the first, unprofiled run sent about 2,000 in its first minute):
  45.6 s of it in `httpx` waiting for each answer's body, ≈ 42 ms a message. The fake's
  handler writes the headers and the body in two writes, and with Nagle's algorithm on the
  body waits for the client's delayed ACK (40 ms on Linux) on the kept-alive connection. A
  defect of the fake (`fakeprovider/server.py`, `_Handler`: `disable_nagle_algorithm = True`
  — since set in the fake itself; this run set it from the bench) and not of the dispatcher:
  with TCP_NODELAY the figures measure the dispatcher.
- The claim statement cost ≈ 0.3–0.5 s per call whatever the batch size (with 460,000 rows
  due): `QUEUED … OR SENDING …` ordered by `next_attempt_at` made the planner OR the two
  partial indexes in a bitmap and sort every due row before the LIMIT. Since 382733f the
  stalled rows and the due rows are claimed in two statements, each reading its partial
  index in order and stopping at its LIMIT; this run is the first measurement with it.
- Queueing, profiled on 2026-11-23 (cProfile, and each phase timed with the commit; the
  machine's load average was 5–7 on its 2 cores from other work, so every figure is about 3×
  what an idle machine gives — compare them with each other, not with the target):
  - before (the code of a3f939d: server-side cursor, `seal` per row, `write_row` per row,
    INSERT … ON CONFLICT … RETURNING): 301.6 s under cProfile without the commit. The
    INSERT ≈ 120 s; fetching the verdicts ≈ 45 s, during which Python waited (a server-side
    cursor computes a chunk only when asked, so server and Python took turns on the two
    cores); per row in Python: sealing 46 s (9 s of it reading the key through Django's lazy
    settings on every call), `write_row` 34 s, masking 15 s (a regex per number);
  - after (this code): the verdicts streamed from a client-side cursor while Python seals
    the rows already received, in chunks (nonces from one `os.urandom` call, the cipher
    looked up once), masked without the regex for E.164 numbers, written as COPY text into
    a spool: 23.7 s; COPY of the spool into the staging table 7.0 s; the INSERT … SELECT into
    the outbox, plain (a key new to these customers: no ON CONFLICT speculative insertion,
    no RETURNING, the counts come from the staging pass; ON CONFLICT is kept for customers
    queued with the key before, and taken under a savepoint if the plain INSERT meets a
    duplicate) 118.5 s; the commit 51.8 s;
    201.3 s in all at a load average of 6.7;
  - back to back, committed, phase by phase, on the same data (consent as generated: the
    same 1,000,000 rows written, 473,289 of them queued and 526,711 cancelled), as the
    machine's load fell: the code of a3f939d took 174.9 s (load 8.6 → 4.7) and 120.0 s
    (load 2.4 → 3.5; 104.9 s in the call, 15.2 s the commit); this code 72.7 s (load 3.6 →
    2.3; verdicts and sealing 15.0 s, COPY 3.2 s, INSERT 37.9 s, commit 16.5 s) and 61.8 s
    (load 3.2 → 2.0; 12.4 s, 2.4 s, 33.4 s, commit 13.6 s) — about half the time;
  - what remains is PostgreSQL's: writing 1,000,000 rows (heap ≈ 330 MB) and four indexes
    (primary key, `message_once`, `message_due`, `message_customer`; the two redundant
    foreign-key indexes are gone) with their WAL, then at the commit the deferred foreign-key
    checks — one `SELECT … FOR KEY SHARE` per row on `customers_customer` (each locks, and so
    writes, the customer's row) and one per row for the empty `staff_user`. A fifth to a
    quarter of the time is those checks; dropping the database constraint
    (`db_constraint=False`) would save it, at the price of integrity the app relies on, so it
    is not done here.

Not measured: webhooks (status callbacks) coming back while sending, e-mail over SMTP, two
or more dispatch workers side by side, the procrastinate worker around `dispatch_batch`,
rendering of templates per customer (the campaign content is the same for everyone).
"""  # noqa: S608 (a report, not SQL)


if __name__ == "__main__":
    main()
