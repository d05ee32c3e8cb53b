"""The dashboards at a million customers and a million cases: summary table vs live, at HTTP.

    AMANAH_ENV=demo .venv/bin/python -m bench.dashboards_bench          # the report run
    ... -m bench.dashboards_bench --pgdata /tmp/dash-pgdata --customers 20000 --cases 20000 \\
        --queries 30 --live-runs 5                                      # a quick look (no report)

The data set is the one of ``bench.cases_bench`` in the same database (``amanah_bench``): the
search bench's customers and branches, the cases bench's 1,000,000 cases over 100 branches
(both loaded here first when missing or of another size, with their own generators and seeds).
``--pgdata`` points the bench's embedded server at another data directory (the default is the
checkout's ``var/bench-pgdata``); ``--customers`` and ``--cases`` set the size; a run at another
size than 1,000,000 / 1,000,000 writes no report.

One run, after ``dashboards.refresh.dashboards_refresh`` has filled the summary table (timed: the
refresh job's cost over every branch):
  summary   the director's dashboard as the pages read it, in-process
            (``dashboards.selectors.director_dashboard``: one indexed query per widget on
            ``WidgetFigure``, presented and suppressed), and each widget on its own (its CSV);
  live      the same figures computed from the base tables in the same process and run — each
            widget's own ``compute`` over the director's branches, then the same presentation
            and suppression — which is what a page would cost without the summary table; the
            live tables are checked equal to the summary's before anything is timed;
  http      every dashboard page on a real gunicorn (started and stopped here), session login:
            the director's dashboard, the director's home page (the same dashboard), each
            widget's CSV (audited EXPORT_DATA, like any download), and the compliance dashboard
            with its home page (live panels: the breach notification timer), signed in with the
            second factor.
Results are printed and written to docs/benchmarks.md (section ``dashboards``).
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import time
from datetime import UTC, datetime, timedelta

from bench.search_bench import (
    PASSWORD,
    ROOT,
    Http,
    Stats,
    fmt,
    load_average,
    login,
    machine,
    target_line,
)

TARGET_PAGE_P95_MS = 300.0
DIRECTOR = "bench_direktur"
COMPLIANCE = "bench_kepatuhan"
TOTP_HEX = "3132333435363738393031323334353637383930"  # the bench's own second factor
BREACHES = 3  # open incidents on the compliance dashboard's timer


# --------------------------------------------------------------------------- data set


def ensure_data(args) -> tuple[dict, dict]:
    """Branches, customers and cases as ``bench.cases_bench`` loads them (reused when there)."""
    from bench import cases_bench as cb
    from bench.search_bench import ensure_branches

    branches, regions = ensure_branches()
    customers_info = cb.ensure_customers(args.customers, branches, regions)
    if (customers_info or {}).get("customers") != args.customers:
        print(
            f"bench: amanah_bench holds {(customers_info or {}).get('customers')} customers, "
            f"not {args.customers:,} (the customers are reused as they are)"
        )
    staff = cb.ensure_staff(branches)
    info = cb.ensure_cases(args.cases, branches, staff, customers_info, rebuild=args.rebuild)
    return customers_info or {}, info


def ensure_readers(branches) -> tuple[object, object]:
    """The measured DIRECTOR (whole bank) and COMPLIANCE officer (whole bank, second factor),
    made by the real service; a few open breach incidents for the compliance timer."""
    from django.utils import timezone
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from amanah.core.actors import SystemActor
    from amanah.iam import services as iam
    from amanah.iam.models import User
    from amanah.privacy.models import BreachIncident, BreachStatus
    from amanah.privacy.services import breach_record

    actor = SystemActor("system:bench")
    made = {}
    for username, full_name, role in (
        (DIRECTOR, "Ir. Hendra Siregar", "DIRECTOR"),
        (COMPLIANCE, "Yusuf Batubara, S.H.", "COMPLIANCE"),
    ):
        user = User.objects.filter(username=username).first()
        if user is None:
            user = iam.user_create(
                actor=actor,
                username=username,
                full_name=full_name,
                password=PASSWORD,
                roles=[role],
                scopes=[iam.ScopeInput(branch=None)],
                home_branch=branches[0],
            )
        if iam.mfa_required(user) and not TOTPDevice.objects.filter(user=user).exists():
            TOTPDevice.objects.create(user=user, name="Bench", key=TOTP_HEX, confirmed=True)
        user.active_role = role
        made[role] = user
    officer = made["COMPLIANCE"]
    open_now = BreachIncident.objects.filter(status=BreachStatus.OPEN).count()
    for k in range(open_now, BREACHES):
        breach_record(
            actor=officer,
            title=f"Insiden bench {k + 1}: surel salah kirim",
            description="Daftar nasabah terkirim ke alamat surel pihak ketiga (bench).",
            data_categories="nama, nomor telepon",
            subjects_affected=10 * (k + 1),
            discovered_at=timezone.now() - timedelta(hours=10 * k + 1),
        )
    return made["DIRECTOR"], officer


# --------------------------------------------------------------------------- in-process


def _scope_ids(actor) -> list:
    from amanah.iam import authz
    from amanah.iam.models import Branch

    scope = authz.branch_scope(actor)
    if scope.all_branches:
        return list(Branch.objects.order_by("pk").values_list("pk", flat=True))
    return sorted(scope.branch_ids)


def _widgets(actor) -> dict:
    from amanah.core import registry
    from amanah.dashboards import selectors

    return {
        key: widget
        for key, widget in registry.dashboard_widgets.items()
        if selectors._may_see(actor, widget)
    }


def live_shown(actor, key, widget, now, computed: dict | None = None):
    """One widget as ``selectors.widget_shown`` presents it, its figures computed from the
    base tables (``widget.compute`` over the actor's branches) instead of read from the
    summary. ``computed`` shares a compute between widgets of one page, as the refresh does."""
    from amanah.core.contributions import Figure
    from amanah.dashboards import selectors as s

    computed = {} if computed is None else computed
    if widget.compute not in computed:
        computed[widget.compute] = [f for f in widget.compute(_scope_ids(actor), now) if f.value]
    found = [Figure(f.branch_id, f.series, f.bucket, f.value) for f in computed[widget.compute]]
    table = widget.present(found, s._branch_labels({f.branch_id for f in found}))
    header = [str(h) for h in table.header]
    rows = [
        [s._cell(v) if i else s.Cell(str(v), None) for i, v in enumerate(r)] for r in table.rows
    ]
    s._hide_small_differences(table, rows)
    return s.Shown(
        key, widget, header, rows, now, s._chart(widget, header, rows, table.chart_columns)
    )


def live_dashboard(actor, now) -> list:
    computed: dict = {}
    return [live_shown(actor, k, w, now, computed) for k, w in _widgets(actor).items()]


def _texts(shown) -> list[list[str]]:
    return [shown.header, *([c.text for c in row] for row in shown.rows)]


def check_live_equals_summary(actor, now) -> None:
    from amanah.dashboards import selectors

    summary = {s.key: _texts(s) for s in selectors.director_dashboard(actor)}
    live = {s.key: _texts(s) for s in live_dashboard(actor, now)}
    if summary != live:
        differ = [k for k in summary if summary[k] != live.get(k)]
        raise AssertionError(f"live figures differ from the summary table: {differ}")
    print(f"bench: live figures equal the summary table for {len(summary)} widgets")


def timed(fn, n: int) -> Stats:
    stats = Stats([])
    for _ in range(n):
        t = time.perf_counter()
        fn()
        stats.times.append((time.perf_counter() - t) * 1000)
    return stats


def measure_in_process(director, officer, now, queries: int, live_runs: int) -> dict:
    """label -> {"summary": Stats, "live": Stats}; the labels are the HTTP pages'."""
    from amanah.dashboards import selectors

    out = {}
    page = {
        "summary": lambda: selectors.director_dashboard(director),
        "live": lambda: live_dashboard(director, now),
    }
    widgets = _widgets(director)
    cells = {"director dashboard": page, "director home page": page}
    for key, widget in widgets.items():
        cells[f"CSV {key}"] = {
            "summary": lambda k=key, w=widget: selectors.widget_shown(director, k, w),
            "live": lambda k=key, w=widget: live_shown(director, k, w, now),
        }
    for label, fns in cells.items():
        fns["summary"]()  # warm-up
        fns["live"]()
        out[label] = {
            "summary": timed(fns["summary"], queries),
            "live": timed(fns["live"], live_runs),
        }
        print(
            f"  {label:<40} "
            + "  ".join(
                f"{m}: p50 {fmt(s.pct(50))} p95 {fmt(s.pct(95))}" for m, s in out[label].items()
            ),
            flush=True,
        )
    # The compliance dashboard has no summary: its panels are live by design (a deadline).
    panels = {"live": lambda: selectors.compliance_dashboard(officer, datetime.now(UTC))}
    panels["live"]()
    stats = timed(panels["live"], queries)
    for label in ("compliance dashboard", "compliance home page"):
        out[label] = {"summary": None, "live": stats}
    return out


# --------------------------------------------------------------------------- HTTP


def login_with_factor(port: int, username: str) -> Http:
    """The search bench's session login, then the second factor with the bench's TOTP code
    when the role needs it."""
    from django_otp.oath import TOTP

    client = login(port, username)
    # A role that needs the second factor is sent on to /mfa/ from any page (a GET of /mfa/
    # itself would start an enrolment for one that does not).
    status, _ = client.request("GET", "/")
    if status == 302:
        status, page = client.request("GET", "/mfa/")
        token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        code = TOTP(bytes.fromhex(TOTP_HEX)).token()
        status, _ = client.request(
            "POST",
            "/mfa/",
            body={"csrfmiddlewaretoken": token.group(1).decode(), "token": f"{code:06d}"},
        )
        if status not in (302, 303):
            raise RuntimeError(f"second factor for {username}: HTTP {status}")
    elif status != 200:
        raise RuntimeError(f"home page of {username}: HTTP {status}")
    return client


def _get(client: Http, path: str, stats: Stats, check=None) -> None:
    t = time.perf_counter()
    try:
        status, payload = client.request("GET", path)
    except OSError as exc:
        status, payload = 0, repr(exc).encode()
        client.conn.close()
    elapsed = (time.perf_counter() - t) * 1000
    if status != 200:
        stats.errors += 1
        if stats.errors == 1:
            print(f"    HTTP {status} for {path}: {payload[:200]!r}")
        return
    if check and not stats.times:
        check(payload)
    stats.times.append(elapsed)


def measure_http(port: int, director, officer, queries: int) -> dict:
    from django.urls import reverse

    from amanah.dashboards import selectors

    widgets = _widgets(director)
    expected_rows = {s.key: len(s.rows) for s in selectors.director_dashboard(director)}

    def dashboard_check(payload: bytes) -> None:
        for key in widgets:
            if f'data-testid="widget-{key}"'.encode() not in payload:
                raise AssertionError(f"the dashboard page lacks the widget {key}")

    def csv_check(key):
        def check(payload: bytes) -> None:
            lines = payload.decode().strip().splitlines()
            if len(lines) != expected_rows[key] + 1:
                raise AssertionError(f"CSV {key}: {len(lines)} lines, not {expected_rows[key] + 1}")

        return check

    def panels_check(payload: bytes) -> None:
        if b'data-testid="panel-privacy.breach_timer"' not in payload:
            raise AssertionError("the compliance dashboard lacks the breach timer")

    director_pages = {
        "director dashboard": (reverse("dashboards:director"), dashboard_check),
        "director home page": ("/", dashboard_check),
        **{
            f"CSV {key}": (reverse("dashboards:widget_csv", args=[key]), csv_check(key))
            for key in widgets
        },
    }
    compliance_pages = {
        "compliance dashboard": (reverse("dashboards:compliance"), panels_check),
        "compliance home page": ("/", panels_check),
    }
    out = {}
    for username, pages in (
        (director.username, director_pages),
        (officer.username, compliance_pages),
    ):
        client = login_with_factor(port, username)
        for label, (path, check) in pages.items():
            for _ in range(min(20, queries)):  # warm-up
                _get(client, path, Stats([]))
            stats = Stats([])
            for _ in range(queries):
                _get(client, path, stats, check)
            out[label] = stats
            print(
                f"  {label:<40} http: p50 {fmt(stats.pct(50))} p95 {fmt(stats.pct(95))}"
                + (f" ({stats.errors} errors)" if stats.errors else ""),
                flush=True,
            )
        client.close()
    return out


# --------------------------------------------------------------------------- report


def render_table(http: dict, inproc: dict) -> str:
    lines = [
        "| Page | n | http p50 | http p95 | http mean | summary read p95 (in-process) "
        "| live from base tables p50 | live p95 | live runs | live p95 / http p95 |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for label, web in http.items():
        cell = inproc.get(label, {})
        summary, live = cell.get("summary"), cell.get("live")
        ratio = live.pct(95) / web.pct(95) if live and live.times and web.times else float("nan")
        lines.append(
            f"| {label} | {web.n} | {fmt(web.pct(50))} | {fmt(web.pct(95))} | {fmt(web.mean)} "
            f"| {fmt(summary.pct(95)) if summary else '— (live panels)'} "
            f"| {fmt(live.pct(50)) if live else '—'} | {fmt(live.pct(95)) if live else '—'} "
            f"| {live.n if live else '—'} | {ratio:.1f}× |"
            + (f" ({web.errors} HTTP errors)" if web.errors else "")
        )
    return "\n".join(lines)


def verdict(http: dict) -> str:
    return "\n".join(
        target_line(f"{label}: HTTP p95 {fmt(s.pct(95))} ms", s.pct(95), TARGET_PAGE_P95_MS)
        for label, s in http.items()
    )


PLACEHOLDER = """## Dashboards at 1,000,000 customers / 1,000,000 cases

Not run yet. Command (from the repository root):

```
AMANAH_ENV=demo .venv/bin/python -m bench.dashboards_bench
```

Measures every dashboard page at HTTP on gunicorn (the director's dashboard and home page, each
widget's CSV, the compliance dashboard and home page; p50/p95/mean of one client's requests
one after another), next to the same figures read from the summary table in-process and
computed live from the base tables (each widget's `compute` over the director's 100 branches)
in the same run, after timing one full refresh job. Target: every page p95 ≤ 300 ms at HTTP.
This section is rewritten by the run.
"""


def report_section(context: dict, table: str) -> str:
    return f"""## Dashboards at 1,000,000 customers / 1,000,000 cases

Command (from the repository root):

```
{context["command"]}
```

- Date: {context["date"]}; code: {context["code"]}
- Machine: {context["machine"]}; load average {context["load"]}
- Database: {context["server"]}; embedded server of the bench (`var/bench-pgdata`), database
  `amanah_bench`
- Web: gunicorn {context["gunicorn"]}, `AMANAH_ENV=demo`, DEBUG off; one client sending
  requests one after another, keep-alive HTTP/1.1 on 127.0.0.1, session login (the compliance
  officer with the second factor)
- Data set: {context["dataset"]}
- Customers: {context["customers"]}
- Readers: DIRECTOR `{DIRECTOR}` and COMPLIANCE `{COMPLIANCE}`, whole bank
  ({context["branches"]} branches); {context["widgets"]} widgets on the director's dashboard
- Refresh job (`dashboards.refresh.dashboards_refresh`, every branch, in-process):
  {context["refresh"]}

`http` is the page on gunicorn (session, middleware, permission, template or CSV; each CSV
request writes its EXPORT_DATA audit row). `summary read` is what the page computes in-process
(`dashboards.selectors`: the figures of the reader's branches from `WidgetFigure`, presented and
small counts suppressed). `live` computes the same tables from the base tables in the same run
(each widget's `compute` over the reader's branches, then the same presentation); the live and
summary tables were checked equal before timing. The compliance dashboard's panels are live by
design (a notification deadline cannot wait for a refresh), so its `live` column is the page's
own in-process work.

{table}

Target: every dashboard page p95 ≤ {TARGET_PAGE_P95_MS:.0f} ms at HTTP. This run:

{context["verdict"]}
"""


# --------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument(
        "--pgdata",
        help="data directory of the bench's embedded server (default: var/bench-pgdata)",
    )
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--rebuild", action="store_true", help="regenerate the cases")
    parser.add_argument("--queries", type=int, default=200, help="HTTP requests per page")
    parser.add_argument(
        "--live-runs", type=int, default=20, help="live computations per page (slow at 1M)"
    )
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--no-report", action="store_true", help="do not write docs/benchmarks.md")
    args = parser.parse_args(argv)
    if args.pgdata:
        if os.environ.get("DATABASE_URL"):
            parser.error("--pgdata is for the embedded server; DATABASE_URL is set")
        os.environ["AMANAH_PGDATA"] = str(os.path.abspath(os.path.expanduser(args.pgdata)))

    from bench.search_bench import (
        Gunicorn,
        code_version,
        describe_dataset,
        server_settings,
        setup_django,
        write_report,
    )

    setup_django()
    from django.core.management import call_command

    from amanah.dashboards.models import WidgetFigure
    from amanah.dashboards.refresh import dashboards_refresh
    from amanah.iam.models import Branch

    print("bench: migrating the amanah_bench database")
    call_command("migrate", verbosity=0, interactive=False)
    customers_info, cases_info = ensure_data(args)
    branches = list(Branch.objects.order_by("code"))
    director, officer = ensure_readers(branches)
    load_at_start = load_average()

    print("bench: refreshing the dashboards' summary table")
    now = datetime.now(UTC)
    t = time.perf_counter()
    result = dashboards_refresh(now=now)
    refresh_seconds = time.perf_counter() - t
    refresh = (
        f"{refresh_seconds:.1f} s for {result.branches} branches in {result.batches} batches, "
        f"{result.figures:,} figures stored ({WidgetFigure.objects.count():,} rows)"
    )
    print(f"  {refresh}")
    check_live_equals_summary(director, now)

    print("bench: in-process (summary table vs live from the base tables)")
    inproc = measure_in_process(director, officer, now, args.queries, max(args.live_runs, 1))

    print("bench: collecting static files")
    call_command("collectstatic", verbosity=0, interactive=False)
    server = Gunicorn(args.workers, args.threads)
    try:
        print(f"bench: HTTP on gunicorn :{server.port}")
        http = measure_http(server.port, director, officer, max(args.queries, 1))
    finally:
        server.stop()
        print("bench: gunicorn stopped")

    table = render_table(http, inproc)
    result_lines = verdict(http)
    print("\n" + table + "\n\n" + result_lines)
    load = f"{load_at_start} at start, {load_average()} at the end (1/5/15 min)"
    print(f"load average: {load}")
    full_size = args.cases == 1_000_000 and customers_info.get("customers") == 1_000_000
    if args.no_report or not full_size or args.pgdata:
        print("bench: no report written (--no-report, another size or another data directory)")
        return 0
    from bench.cases_bench import describe_cases

    context = {
        "command": "AMANAH_ENV=demo .venv/bin/python -m bench.dashboards_bench",
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "code": code_version(),
        "machine": machine(),
        "load": load,
        "server": server_settings(),
        "gunicorn": f"{args.workers} workers × {args.threads} threads",
        "dataset": describe_cases(cases_info),
        "customers": describe_dataset(customers_info),
        "branches": len(branches),
        "widgets": len(_widgets(director)),
        "refresh": refresh,
        "verdict": result_lines,
    }
    write_report(ROOT / "docs" / "benchmarks.md", "dashboards", report_section(context, table))
    print("bench: wrote docs/benchmarks.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
