"""CPU per web request of the load mix, measured in-process (no server, no locust).

The load test (``bench/load/run.py``) saturates the CPU long before the database; what it
needs is less Python per request. This script signs in the load's roles (an agent and a
supervisor of one branch, through the real login page, CSRF checks on) with
``django.test.Client`` against the load's database, issues each request of the mix N times
and prints, per endpoint:

- CPU ms per request of this process (``time.process_time``: robust to other load on the
  machine, unlike wall clock, though a busy machine still adds 10-15 %: compare medians and
  minimums of runs made one after the other; the database server's own CPU is not included),
- the number of SQL queries (``CaptureQueriesContext``, in a separate pass: capturing costs
  CPU itself),
- the number of Python function calls per request (cProfile's count, in a further pass): a
  proxy of the CPU that the machine's other load does not move, for before/after comparisons
  made while other work runs,
- with ``--sql``, the statements of one request, a line each,
- with ``--profile``, a cProfile top list (by own time, and by cumulative time) of a
  further pass.

Prepare the data once (as ``run.py`` does, here 20,000 customers and cases), then profile::

    AMANAH_ENV=demo DJANGO_SETTINGS_MODULE=bench.settings AMANAH_BENCH_DB=amanah_load \\
        .venv/bin/python bench/load/prepare.py --out var/load/params-amanah_load.json \\
        --customers 20000 --cases 20000
    AMANAH_ENV=demo .venv/bin/python -m bench.load.profile_requests -n 30 --profile 12 \\
        [--only "360 page"] [--json var/load/profile-after.json] [--compare before.json]

For a before/after table, measure a baseline export first, on the same data and machine::

    rm -rf /tmp/base && mkdir /tmp/base && git archive main amanah | tar -x -C /tmp/base
    AMANAH_ENV=demo .venv/bin/python -m bench.load.profile_requests --checkout /tmp/base \
        --json var/load/profile-before.json
    AMANAH_ENV=demo .venv/bin/python -m bench.load.profile_requests \
        --compare var/load/profile-before.json

Writes happen (cases are created, assigned, answered and closed; consent changes): run it
on the load's database, never on one that matters. The supervisor's actions use open cases
of the queue, so N is bounded by the open cases of the branch (about 60 at 20,000 cases).
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import random
import re
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[2]
CASE_LINK = re.compile(r'href="(/cases/[0-9a-f-]{36}/)"')
COMPLAINT = "Nasabah melaporkan saldo terpotong dua kali saat transfer antarbank."
RESPONSE = "Dana sudah dikembalikan ke rekening nasabah pada hari kerja berikutnya."


def setup(checkout: str | None = None) -> None:
    """Django on the load's database; ``checkout`` (a folder holding an ``amanah`` package,
    e.g. ``git archive main amanah | tar -x -C /tmp/base``) is imported instead of ours, to
    measure a baseline side by side on the same data."""
    os.environ.setdefault("AMANAH_ENV", "demo")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    os.environ.setdefault("AMANAH_BENCH_DB", "amanah_load")
    os.environ.setdefault("SEARCH_RATE_LIMIT_PER_MINUTE", str(10**9))
    sys.path.insert(0, str(ROOT))
    if checkout:
        sys.path.insert(0, str(Path(checkout).resolve()))
    import django

    django.setup()


class Session:
    """One signed-in member of staff: a Client with its cookies and the page just read."""

    def __init__(self, username: str, password: str):
        from django.test import Client

        self.client = Client(enforce_csrf_checks=True, HTTP_HOST="127.0.0.1")
        self.username = username
        self.password = password

    def get(self, url: str, **params):
        response = self.client.get(url, params or None)
        if response.status_code != 200:
            raise RuntimeError(f"GET {url}: HTTP {response.status_code}")
        return response

    def submit(self, page, url: str, suffix: str, **values):
        """Post the page's form whose action ends with ``suffix``, filled as locust does."""
        from bench.load.forms import form_ending

        form = form_ending(page.content.decode(), suffix, page_path=urlsplit(url).path)
        if form is None:
            raise RuntimeError(f"no form ending {suffix} on {url}")
        response = self.client.post(form.action, form.filled(**values))
        if response.status_code not in (200, 302, 303, 400, 409):
            raise RuntimeError(f"POST {form.action}: HTTP {response.status_code}")
        return response

    def login_page(self):
        return self.get("/login/")

    def login(self):
        self.client.cookies.clear()
        self.login_page()
        token = self.client.cookies["csrftoken"].value
        response = self.client.post(
            "/login/",
            {"csrfmiddlewaretoken": token, "username": self.username, "password": self.password},
        )
        if response.status_code != 302:
            raise RuntimeError(f"login {self.username}: HTTP {response.status_code}")
        return response


def build_mix(params: dict, rng: random.Random, branch_no: int = 0):
    """The requests of the mix: name → callable issuing one request (plus its set-up)."""
    branch = params["branches"][branch_no]
    agent = Session(branch["agents"][0], params["password"])
    supervisor = Session(branch["supervisor"], params["password"])
    login_user = Session(branch["agents"][1], params["password"])
    agent.login()
    supervisor.login()
    customer = lambda: rng.choice(branch["customers"])  # noqa: E731
    state = {"cases": [], "detail": None}

    def queue():
        page = supervisor.get("/cases/queue/")
        state["cases"] = CASE_LINK.findall(page.content.decode()) or state["cases"]
        return page

    def pop_case() -> str:
        if not state["cases"]:
            queue()
        return state["cases"].pop(rng.randrange(len(state["cases"])))

    def intake_post_setup():
        url = f"/cases/new/{customer()}/"
        return url, agent.get(url)

    def consent_setup():
        url = f"/customers/{customer()}/"
        return url, agent.get(url, tab="marketing")

    def case_setup(suffix: str = "/assign/"):
        """An open case of the queue whose page offers the form ending ``suffix``."""
        from bench.load.forms import form_ending

        for _ in range(50):
            url = pop_case()
            page = supervisor.get(url)
            if form_ending(page.content.decode(), suffix, page_path=url):
                return url, page
        raise RuntimeError(f"no case in the queue offers {suffix}")

    def assign(prepared):
        from bench.load.forms import form_ending

        url, page = prepared
        form = form_ending(page.content.decode(), "/assign/")
        choice = next(o for o in form.choices["assignee"] if o)
        return supervisor.submit(page, url, "/assign/", assignee=choice)

    def final_response_and_close_setup():
        url, page = case_setup("/final-response/")
        supervisor.submit(
            page,
            url,
            "/final-response/",
            final_response=RESPONSE,
            resolution_code="REFUND",
            confirm="on",
        )
        return url, supervisor.get(url)

    # name → (set-up run outside the measure or None, the measured request)
    return {
        "search (name)": (
            None,
            lambda _: agent.get("/customers/", q=rng.choice(branch["queries"]["name"])),
        ),
        "search (phone/CIF)": (
            None,
            lambda _: agent.get(
                "/customers/", q=rng.choice(branch["queries"][rng.choice(["phone", "cif"])])
            ),
        ),
        "360 page": (None, lambda _: agent.get(f"/customers/{customer()}/")),
        "360 timeline": (None, lambda _: agent.get(f"/customers/{customer()}/timeline/")),
        "360 consent tab": (
            None,
            lambda _: agent.get(f"/customers/{customer()}/", tab="marketing"),
        ),
        "case intake form": (None, lambda _: agent.get(f"/cases/new/{customer()}/")),
        "case create": (
            intake_post_setup,
            lambda p: agent.submit(
                p[1], p[0], p[0], description=COMPLAINT, contact_preference="Telepon siang hari"
            ),
        ),
        "consent change": (
            consent_setup,
            lambda p: agent.submit(
                p[1],
                p[0],
                "/consent/",
                consent_type="MARKETING",
                new_status=rng.choice(["GRANTED", "WITHDRAWN"]),
                reason="Permintaan nasabah di kantor cabang",
            ),
        ),  # fmt: skip
        "case queue": (None, lambda _: queue()),
        "case detail": (
            None,
            lambda _: supervisor.get(rng.choice(state["cases"] or [queue() and pop_case()])),
        ),
        "case assign": (case_setup, assign),
        "final response": (
            lambda: case_setup("/final-response/"),
            lambda p: supervisor.submit(
                p[1],
                p[0],
                "/final-response/",
                final_response=RESPONSE,
                resolution_code="REFUND",
                confirm="on",
            ),
        ),
        "case close": (
            final_response_and_close_setup,
            lambda p: supervisor.submit(p[1], p[0], "/close/", confirm="on"),
        ),
        "login page": (None, lambda _: login_user.login_page()),
        "login": (lambda: login_user.client.cookies.clear(), lambda _: login_user.login()),
    }


def measure(
    mix: dict, names: list[str], n: int, profile: int, top: int, sql: bool, dump: str = ""
) -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    results = {}
    for name in names:
        setup_fn, request = mix[name]
        for _ in range(2):  # warm-up: first use of templates, translations, URL patterns
            request(setup_fn() if setup_fn else None)
        cpu = []
        for _ in range(n):
            prepared = setup_fn() if setup_fn else None
            started = time.process_time()
            request(prepared)
            cpu.append((time.process_time() - started) * 1000)
        queries = []
        for _ in range(max(3, n // 5)):
            prepared = setup_fn() if setup_fn else None
            with CaptureQueriesContext(connection) as captured:
                request(prepared)
            queries.append(len(captured.captured_queries))
        statements = [q["sql"] for q in captured.captured_queries]
        calls = []  # Python function calls per request: unlike CPU time, the same on a busy machine
        for _ in range(3):
            prepared = setup_fn() if setup_fn else None
            counter = cProfile.Profile()
            counter.enable()
            request(prepared)
            counter.disable()
            calls.append(pstats.Stats(counter).total_calls)
        report = ""
        if profile:
            profiler = cProfile.Profile(time.process_time)  # CPU, not waiting on the database
            for _ in range(profile):
                prepared = setup_fn() if setup_fn else None
                profiler.enable()
                request(prepared)
                profiler.disable()
            out = io.StringIO()
            stats = pstats.Stats(profiler, stream=out)
            stats.sort_stats("tottime").print_stats(top)
            stats.sort_stats("cumulative").print_stats(top)
            if dump:  # for pstats' callers / callees views, one file per endpoint
                stats.dump_stats(f"{dump}-{re.sub(r'[^a-z0-9]+', '-', name.lower())}.pstats")
            report = out.getvalue()
        results[name] = {
            "n": n,
            "cpu_ms_median": statistics.median(cpu),
            "cpu_ms_mean": statistics.fmean(cpu),
            "cpu_ms_min": min(cpu),
            "queries": statistics.median(queries),
            "queries_max": max(queries),
            "calls": statistics.median(calls),
        }
        row = results[name]
        print(
            f"{name:20} cpu {row['cpu_ms_median']:7.1f} ms median {row['cpu_ms_mean']:7.1f} mean "
            f"{row['cpu_ms_min']:7.1f} min  queries {row['queries']:5.0f} "
            f"(max {row['queries_max']})  calls {row['calls']:7.0f}",
            flush=True,
        )
        if report:
            print(_trim(report), flush=True)
        if sql:  # the statements of the last captured request, each shortened to a line
            for number, statement in enumerate(statements, 1):
                print(f"  {number:3}. {' '.join(statement.split())[:200]}", flush=True)
    return results


def _trim(report: str) -> str:
    """pstats output without its blank lines and with paths shortened."""
    lines = [line for line in report.splitlines() if line.strip()]
    text = "\n".join(lines)
    return text.replace(str(ROOT) + "/", "").replace(sys.prefix + "/", "")


def compare(before: dict, after: dict) -> str:
    lines = [
        "| request | CPU ms before | CPU ms after | min before | min after | queries before "
        "| queries after | Python calls before | Python calls after |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, row in after.items():
        old = before.get(name)
        if not old:
            continue
        lines.append(
            f"| {name} | {old['cpu_ms_median']:.1f} | {row['cpu_ms_median']:.1f} "
            f"| {old['cpu_ms_min']:.1f} | {row['cpu_ms_min']:.1f} "
            f"| {old['queries']:.0f} | {row['queries']:.0f} "
            f"| {old.get('calls', 0):,.0f} | {row['calls']:,.0f} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("-n", type=int, default=20, help="measured requests per endpoint")
    parser.add_argument("--params", default=str(ROOT / "var/load/params-amanah_load.json"))
    parser.add_argument("--only", action="append", help="endpoint name (repeatable)")
    parser.add_argument("--profile", type=int, default=0, help="requests profiled per endpoint")
    parser.add_argument("--top", type=int, default=25, help="lines per cProfile list")
    parser.add_argument("--sql", action="store_true", help="print one request's statements")
    parser.add_argument("--dump", default="", help="with --profile: save the stats to PREFIX-*")
    parser.add_argument("--json", help="write the figures here")
    parser.add_argument("--compare", help="a --json file of an earlier run: print a table")
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--checkout", help="import the amanah package from this folder")
    parser.add_argument(
        "--branch", type=int, default=0, help="which of params' branches (each run closes cases)"
    )
    args = parser.parse_args(argv)

    setup(args.checkout)
    import amanah

    print(f"code: {Path(amanah.__file__).parent}", flush=True)
    params = json.loads(Path(args.params).read_text(encoding="utf-8"))
    mix = build_mix(params, random.Random(args.seed), args.branch)
    names = args.only or list(mix)
    results = measure(mix, names, args.n, args.profile, args.top, args.sql, args.dump)
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1), encoding="utf-8")
    if args.compare:
        before = json.loads(Path(args.compare).read_text(encoding="utf-8"))
        print(compare(before, results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
