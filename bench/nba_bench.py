"""Live Next Best Action for one customer (seed 001 §4, issue 13): ``insight.nba.evaluate`` as
the 360 calls it when it opens, in-process, target p95 ≤ 10 ms.

    AMANAH_ENV=demo .venv/bin/python -m bench.nba_bench

Its own database (``AMANAH_BENCH_DB``, default ``amanah_bench_nba``), migrated here and filled
through the ordinary services (seeded): one branch, a supervisor (who may see cases and
recommend merchants: the most facts to read), ``--customers`` customers with 12 months of
transactions (QRIS at partner merchants, salary days, some dormant), marketing consent for
most, an overdue case for some, a NEW lead for some, a closed fraud case for a few, birthdays
spread over the year, 1,000 partner merchants around Medan with live promos, one RFM run. Then
every customer is evaluated ``--rounds`` times as the supervisor (after one warm-up round); the
report gives median / p95 / max and the number of queries of one evaluation.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

os.environ.setdefault("AMANAH_BENCH_DB", "amanah_bench_nba")

from bench.search_bench import (  # noqa: E402
    load_average,
    machine,
    setup_django,
    target_line,
    write_report,
)

TARGET_P95_MS = 10.0
SEED = 13
MEDAN = (3.5952, 98.6722)


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def build(customers: int) -> tuple:
    """The world, through the services (idempotent enough: skipped when already there)."""
    from django.utils import timezone

    from amanah.cases import services as cases
    from amanah.cases.models import Case
    from amanah.conftest import create_user
    from amanah.consent.services import consent_change
    from amanah.core.actors import SystemActor
    from amanah.core.roles import RoleKey as R
    from amanah.customers.models import Customer
    from amanah.customers.services import CustomerInput, customer_create
    from amanah.iam import services as iam
    from amanah.iam.models import Branch, TimeZoneChoice, User
    from amanah.insight.merchants.models import Merchant
    from amanah.insight.services import rfm_run_compute
    from amanah.insight.testing import book, closed_case, merchant_make
    from amanah.sales import services as sales

    system = SystemActor("system:bench")
    branch = Branch.objects.filter(code="MDN01").first() or iam.branch_save(
        actor=system, code="MDN01", name="KC Medan", timezone_name=TimeZoneChoice.WIB
    )
    supervisor = User.objects.filter(username="bench_supervisor").first() or create_user(
        system, R.SUPERVISOR, branches=[branch], username="bench_supervisor"
    )
    agent = User.objects.filter(username="bench_agent").first() or create_user(
        system, R.AGENT, branches=[branch], username="bench_agent"
    )
    User.objects.filter(username="bench_rm").first() or create_user(
        system, R.RM, branches=[branch], username="bench_rm"
    )
    supervisor.active_role, agent.active_role = R.SUPERVISOR, R.AGENT
    have = Customer.objects.filter(home_branch=branch).count()
    if have >= customers:
        return supervisor, list(Customer.objects.filter(home_branch=branch)[:customers])
    rng = random.Random(SEED)
    if not Merchant.objects.exists():
        for n in range(1000):
            merchant_make(
                f"QR-{n:05d}",
                lat=MEDAN[0] + rng.gauss(0, 0.05),
                lon=MEDAN[1] + rng.gauss(0, 0.05),
                category=rng.choice(["FNB", "GROCERY", "FUEL", "FASHION", "HEALTH"]),
                promo="Diskon 10%" if rng.random() < 0.8 else "",
            )
    today = timezone.localdate()
    good = {"channel": "BRANCH", "verification_method": "IN_PERSON"}
    for n in range(have, customers):
        born = date(1970 + n % 35, 1 + n % 12, 1 + n % 28)
        customer = customer_create(
            actor=system,
            data=CustomerInput(
                full_name=f"Nasabah Bench {n}",
                home_branch=branch,
                phone=f"0812{n:08d}",
                birth_date=born,
            ),
        )
        dormant = rng.random() < 0.15
        months = 12 if not dormant else 3
        for back in range(months):
            day = today - timedelta(days=30 * back + (300 if dormant else 1))
            book(system, customer, on=day, amount=rng.randint(5, 20) * 1_000_000, channel="PAYROLL")
            book(
                system,
                customer,
                on=day,
                amount=rng.randint(20, 200) * 1_000,
                count=rng.randint(2, 6),
                category=rng.choice(["FNB", "GROCERY", "FUEL"]),
                merchant_id=f"QR-{rng.randrange(1000):05d}",
            )
        if rng.random() < 0.8:
            consent_change(
                actor=agent, customer=customer, consent_type="MARKETING", new_status="GRANTED",
                **good,
            )  # fmt: skip
        if rng.random() < 0.2:
            case = cases.case_create(
                actor=agent,
                data=cases.CaseInput(
                    customer=customer,
                    channel="BRANCH",
                    category_code="TRX_FAIL",
                    priority="MEDIUM",
                    description="Transfer gagal tetapi saldo terpotong, mohon dicek.",
                ),
            )
            Case.objects.filter(pk=case.pk).update(sla_due_at=timezone.now() - timedelta(days=1))
        if rng.random() < 0.05:
            closed_case(agent, customer)
        if rng.random() < 0.3:
            sales.lead_create(actor=supervisor, customer=customer, source_type="MANUAL")
    rfm_run_compute(actor=system)
    return supervisor, list(Customer.objects.filter(home_branch=branch)[:customers])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--customers", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--no-report", action="store_true", help="do not write docs/benchmarks.md")
    args = parser.parse_args(argv)

    setup_django()
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from amanah.insight.nba.evaluate import evaluate

    print(f"bench: migrating the {os.environ['AMANAH_BENCH_DB']} database", flush=True)
    call_command("migrate", verbosity=0, interactive=False)
    started = time.perf_counter()
    actor, customers = build(args.customers)
    print(f"  world ready in {time.perf_counter() - started:.1f} s", flush=True)
    load_at_start = load_average()
    shown = 0
    for customer in customers:  # warm-up: connection, caches, plans
        shown += len(evaluate(customer, actor).items)
    with CaptureQueriesContext(connection) as captured:
        evaluate(customers[0], actor)
    queries = len(captured.captured_queries)
    timings = []
    for _round in range(args.rounds):
        for customer in customers:
            t0 = time.perf_counter()
            evaluate(customer, actor)
            timings.append((time.perf_counter() - t0) * 1000)
    p95 = pct(timings, 95)
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    section = f"""## Live Next Best Action for one customer (insight, issue 13)

Command (from the repository root; the data lives in its own database):

    AMANAH_ENV=demo .venv/bin/python -m bench.nba_bench

`insight.nba.evaluate(customer, actor)` as the 360 calls it, in-process, as a branch supervisor
(sees cases, may recommend merchants: every fact is read), over {len(customers)} customers with
12 months of transactions, consents, overdue cases, leads and 1,000 partner merchants nearby
(seeded; {shown} recommendations shown in the warm-up round), {args.rounds} rounds after a
warm-up, milliseconds:

| evaluations | median | p95 | max | queries per evaluation |
|---|---|---|---|---|
| {len(timings)} | {statistics.median(timings):.2f} | {p95:.2f} | {max(timings):.2f} | {queries} |

{target_line(f"Live NBA for one customer, p95 {p95:.2f} ms", p95, TARGET_P95_MS, " ms")}

Run {when} on {machine()}. Load average {load_at_start} at the start, {load_average()} at the
end (the machine is shared: under load the figures are an upper bound).
"""
    print(section)
    if not args.no_report:
        write_report(Path("docs/benchmarks.md"), "nba", section)
    return 0


if __name__ == "__main__":
    sys.exit(main())
