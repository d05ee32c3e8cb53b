"""Load (once) the data the load test runs on and write the simulated users' parameters.

Run by ``bench/load/run.py`` *inside the checkout being measured* (the current tree or the
baseline commit), with that checkout's own interpreter and ``bench`` package, so each version
loads and reads data through its own code::

    cd <checkout> && AMANAH_BENCH_DB=amanah_load_x <python> <this file> --out params.json

Only functions present in both versions of ``bench.search_bench``/``bench.cases_bench`` are
used. The data set is the cases bench's: 1,000,000 customers over 100 branches and 1,000,000
cases (300,000 open), with one supervisor and three agents per branch.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from datetime import UTC, datetime

sys.path.insert(0, os.getcwd())  # the measured checkout's bench package, not ours


def ensure_data(n_customers: int, n_cases: int):
    from django.core.management import call_command

    from bench import cases_bench as cb
    from bench import search_bench as sb

    call_command("migrate", verbosity=0, interactive=False)
    branches, regions = sb.ensure_branches()
    loaded = sb.dataset_info()
    if loaded and loaded.get("customers") != n_customers:
        sys.exit(
            f"load: this database holds {loaded.get('customers'):,} customers, not "
            f"{n_customers:,}; drop it (bench/load/run.py --fresh) or ask for that size"
        )
    customers_info = cb.ensure_customers(n_customers, branches, regions)
    staff = cb.ensure_staff(branches)
    wanted = {"cases": n_cases, "seed": cb.SEED, "branches": cb.N_BRANCHES}
    reason = cb.need_reload(cb.cases_info(), wanted, customers_info)
    if reason:
        print(f"load: loading {n_cases:,} cases ({reason})", flush=True)
        counts = cb.load_cases(n_cases, branches, staff)
        info = {**wanted, **counts, "customers_loaded_at": (customers_info or {}).get("loaded_at")}
        cb._pg().execute(
            f"INSERT INTO {cb.MARKER_TABLE} VALUES ('cases', %s) "  # noqa: S608 (constant)
            "ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
            [json.dumps(info)],
        )
    call_command("collectstatic", verbosity=0, interactive=False)
    return branches


def branch_params(branch, n_customers: int, n_queries: int, seed: int) -> dict:
    from amanah.customers.models import Customer
    from amanah.iam.models import User
    from bench import search_bench as sb

    code = branch.code.lower()
    agents = [f"bench_agt_{code}_{k}" for k in (1, 2, 3)]
    agent = User.objects.get(username=agents[0])
    agent.active_role = "AGENT"
    customers = (
        Customer.objects.filter(home_branch=branch, status="ACTIVE", merged_into__isnull=True)
        .order_by("id")
        .values_list("id", flat=True)
    )
    ids = [str(pk) for pk in customers[: n_customers * 20 : 20]]
    return {
        "code": branch.code,
        "agents": agents,
        "supervisor": f"bench_spv_{code}",
        "customers": ids,
        "queries": {
            kind: sb.query_mix(agent, kind, n_queries, seed=seed + k)
            for k, kind in enumerate(("name", "phone", "cif"))
        },
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", required=True)
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--branches", type=int, default=10, help="branches the users work at")
    args = parser.parse_args()

    from bench import search_bench as sb

    sb.setup_django()
    started = datetime.now(UTC)
    branches = ensure_data(args.customers, args.cases)
    params = {
        "password": sb.PASSWORD,
        "prepared_at": started.isoformat(timespec="seconds"),
        "branches": [
            branch_params(b, 300, 200, seed=1000 + i)
            for i, b in enumerate(branches[: args.branches])
        ],
    }
    with open(args.out, "w", encoding="utf-8") as out:
        json.dump(params, out)
    print(f"load: parameters for {len(params['branches'])} branches in {args.out}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
