"""The load generator of ``bench.callbacks_bench``: posts a prepared plan of callbacks at a
fixed rate (open loop) over keep-alive connections, and writes what each one got back.

    python -m bench.callbacks_fire PLAN.jsonl RESULTS.json --url http://127.0.0.1:PORT
                                   --rate 500 --connections 64

A process of its own (gevent patches the standard library; nothing of Django here). Each plan
line is ``{"path", "headers", "body"}``; the i-th is due at ``start + i / rate``. When every
connection is busy a due callback waits: its latency is counted from when it was *due*, not
from when it was sent, so a server that falls behind shows it (no coordinated omission).
Results: per callback ``[status, latency from due (s), service time (s), verdict]`` and the
run's start and end on the same clock.
"""

from gevent import monkey

monkey.patch_all()

import argparse  # noqa: E402
import json  # noqa: E402
import time  # noqa: E402

import gevent  # noqa: E402
import gevent.queue  # noqa: E402
from geventhttpclient import HTTPClient  # noqa: E402


def fire(url: str, plan: list[dict], rate: float, connections: int) -> dict:
    due_queue: gevent.queue.Queue = gevent.queue.Queue()
    results: list = [None] * len(plan)

    def sender() -> None:
        client = HTTPClient.from_url(url, concurrency=1, connection_timeout=10, network_timeout=60)
        while (item := due_queue.get()) is not None:
            index, due = item
            request = plan[index]
            sent = time.perf_counter()
            verdict = ""
            try:
                response = client.post(
                    request["path"], body=request["body"].encode(), headers=request["headers"]
                )
                content = response.read()
                status = response.status_code
                if status == 200:
                    verdict = json.loads(content).get("verdict", "")
            except Exception as error:  # noqa: BLE001 (counted as an error, the run goes on)
                status, verdict = 0, type(error).__name__
                client.close()
            done = time.perf_counter()
            results[index] = [status, done - due, done - sent, verdict]
        client.close()

    senders = [gevent.spawn(sender) for _ in range(connections)]
    start = time.perf_counter() + 0.5
    for index in range(len(plan)):
        due = start + index / rate
        wait = due - time.perf_counter()
        if wait > 0:
            gevent.sleep(wait)
        due_queue.put((index, due))
    for _ in senders:
        due_queue.put(None)
    gevent.joinall(senders)
    return {"start": start, "end": time.perf_counter(), "results": results}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("plan")
    parser.add_argument("out")
    parser.add_argument("--url", required=True)
    parser.add_argument("--rate", type=float, required=True)
    parser.add_argument("--connections", type=int, default=64)
    args = parser.parse_args()
    with open(args.plan) as handle:
        plan = [json.loads(line) for line in handle]
    outcome = fire(args.url, plan, args.rate, args.connections)
    with open(args.out, "w") as handle:
        json.dump(outcome, handle)


if __name__ == "__main__":
    main()
