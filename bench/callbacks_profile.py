"""Gateway callbacks in-process, the endpoint and the callbacks job: where time and queries go.

    AMANAH_ENV=demo .venv/bin/python -m bench.callbacks_profile            # 200 callbacks
    AMANAH_ENV=demo .venv/bin/python -m bench.callbacks_profile --n 300 --profile 30

On the bench database (``bench.callbacks_bench`` makes the bills and payments the same way):
``--n`` settlement callbacks (70 % Midtrans, 30 % Xendit) and a replay of each tenth, posted
through Django's test client with the lean middleware chain gunicorn serves them with
(``core.lean``), one after another: the endpoint's wall and CPU time per callback and the
statements of one callback (counted and timed by Django's query capture). Then the callbacks
job applies what was stored (``processing.callbacks_process``, batches of 500): its wall and
CPU time and statements per callback. Then the top of a cProfile of ``--profile`` more
callbacks through the endpoint (cumulative time) and of the job applying them. The callbacks
are the fake gateway's own (loopback, served from this process's threads: its CPU is counted
with the job's), which answers the job's status-API questions.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import statistics
import sys
import time
from collections import Counter
from datetime import UTC, datetime

from bench.callbacks_bench import (
    create_payments,
    ensure_bills,
    ensure_gateway_systems,
    settlement_request,
    start_gateway,
)
from bench.search_bench import ensure_branches, setup_django


def _post(client, request):
    headers = {k.lower(): v for k, v in request["headers"].items()}
    extra = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in headers.items()}
    extra.pop("HTTP_CONTENT_TYPE", None)
    return client.post(
        request["path"],
        data=request["body"],
        content_type="application/json",
        REMOTE_ADDR="127.0.0.1",
        **extra,
    )


def _requests(payments, fake):
    for payment in payments:
        yield settlement_request(fake, *payment)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=200)
    parser.add_argument("--profile", type=int, default=40)
    parser.add_argument("--top", type=int, default=45)
    args = parser.parse_args(argv)
    # The gateways' callbacks are the water utility's (payments are hidden in a bank, 404).
    os.environ["AMANAH_PROFILE"] = "pdam"
    setup_django()
    from django.db import connection
    from django.test import Client
    from django.test.client import ClientHandler
    from django.test.utils import CaptureQueriesContext

    from amanah.core.actors import SystemActor
    from amanah.core.lean import lean
    from amanah.payments.processing import callbacks_process
    from bench.billing_bench import ensure_network

    actor = SystemActor("system:bench-callbacks")
    ensure_branches()
    ensure_network(actor)
    ensure_gateway_systems(actor)
    total = args.n + args.profile + 2
    ensure_bills(actor, total)
    tag = "p" + datetime.now(UTC).strftime("%m%d%H%M%S")
    payments, _s = create_payments(total, tag)
    from django.conf import settings

    fake = start_gateway()
    settings.PAYMENT_GATEWAYS = fake.config()  # this process asks it, as the worker would
    requests = list(_requests(payments, fake))
    client = Client(HTTP_HOST="127.0.0.1")
    client.handler = lean(ClientHandler)(enforce_csrf_checks=False)
    callbacks_process()  # whatever an earlier run left RECEIVED

    # Warm-up (imports, caches, the connection), then one settled callback's statements.
    _post(client, requests[0])
    with CaptureQueriesContext(connection) as captured:
        answer = _post(client, requests[1])
    print(f"one settled callback: {answer.status_code} {answer.json()}")
    spent = sum(float(q["time"]) for q in captured.captured_queries) * 1000
    print(f"  {len(captured.captured_queries)} statements, {spent:.2f} ms in them")
    for q in captured.captured_queries:
        print(f"  {float(q['time']) * 1000:6.2f}  {q['sql'][:150]}")
    with CaptureQueriesContext(connection) as captured:
        answer = _post(client, requests[1])
    print(f"its replay: {answer.json()}, {len(captured.captured_queries)} statements")
    callbacks_process()

    walls, cpus, verdicts = [], [], Counter()
    waits: Counter = Counter()
    counts: Counter = Counter()

    def timed(execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            words = sql.split()
            short = {"SAVEPOINT": 1, "RELEASE": 2}.get(words[0], 4)  # not the savepoint's name
            kind = " ".join(words[:short])[:70]
            waits[kind] += time.perf_counter() - started
            counts[kind] += 1

    commit = connection.commit

    def timed_commit():
        started = time.perf_counter()
        try:
            return commit()
        finally:
            waits["COMMIT"] += time.perf_counter() - started
            counts["COMMIT"] += 1

    connection.commit = timed_commit
    wrapper = connection.execute_wrapper(timed)
    wrapper.__enter__()
    for i, request in enumerate(requests[2 : 2 + args.n]):
        wall, cpu = time.perf_counter(), time.process_time()
        verdicts[_post(client, request).json()["verdict"]] += 1
        if i % 10 == 0:  # a replay of each tenth
            verdicts[_post(client, request).json()["verdict"]] += 1
        walls.append((time.perf_counter() - wall) * 1000)
        cpus.append((time.process_time() - cpu) * 1000)
    replays = (args.n + 9) // 10
    per = args.n + replays

    def statements(title):
        print(f"{title}: wall time per callback in each kind of statement (ms), and statements")
        for kind, seconds in waits.most_common():
            print(f"  {seconds * 1000 / per:6.2f}  {counts[kind] / per:5.2f}  {kind}")
        print(f"  {sum(waits.values()) * 1000 / per:6.2f}  {sum(counts.values()) / per:5.2f}  all")
        waits.clear()
        counts.clear()

    statements("the endpoint")
    print(f"{args.n} settlements + {replays} replays: {dict(verdicts)}")
    print(f"  endpoint: wall per callback {sum(walls) / per:.2f} ms (median of pairs/singles "
          f"{statistics.median(walls):.2f}); CPU of this process per callback "
          f"{sum(cpus) / per:.2f} ms")  # fmt: skip
    wall, cpu = time.perf_counter(), time.process_time()
    result = callbacks_process()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    wrapper.__exit__(None, None, None)
    del connection.commit
    statements("the job")
    print(f"  job: {result.as_dict()}")
    print(f"  job: wall per callback {wall * 1000 / per:.2f} ms ({per / wall:.0f}/s); CPU of "
          f"this process per callback {cpu * 1000 / per:.2f} ms")  # fmt: skip

    # CPU only (process_time): the waits for the server are not the web process's cost.
    profiler = cProfile.Profile(time.process_time)
    profiler.enable()
    for request in requests[2 + args.n :]:
        _post(client, request)
    profiler.disable()
    job_profiler = cProfile.Profile(time.process_time)
    job_profiler.enable()
    callbacks_process()
    job_profiler.disable()
    out = io.StringIO()
    pstats.Stats(job_profiler, stream=out).sort_stats("cumulative").print_stats(args.top)
    print("the job:\n" + out.getvalue())
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out).sort_stats("cumulative")
    stats.print_stats(args.top)
    print(out.getvalue())
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(25)
    print(out.getvalue())
    fake.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
