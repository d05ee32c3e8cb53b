"""Campaign eligibility at a million customers: set-based SQL vs row-by-row Python.

    AMANAH_ENV=demo .venv/bin/python -m bench.eligibility_bench     # (part of make bench)

Uses the 1,000,000-customer data set of bench.search_bench (database amanah_bench). One run
measures, for the same campaign and rules:
- ``campaign_evaluate``: the service, computing and storing every customer's verdict and
  reason in SQL (one INSERT … SELECT);
- a row-by-row Python evaluation of a 10,000-customer sample: load each customer, look up its
  consent state, open sensitive cases and suppression, decide and store one row at a time —
  the naive way, for the per-customer speed-up.
"""

from __future__ import annotations

import random
import time
from datetime import UTC, datetime
from pathlib import Path

from bench.search_bench import (
    load_average,
    machine,
    server_settings,
    setup_django,
    target_line,
    write_report,
)

SAMPLE = 10_000
BENCH_TEMPLATE = "bench.penawaran"
CAMPAIGN_NAME = "Bench eligibility"
RULES = {
    "all": [{"field": "status", "op": "in", "value": ["ACTIVE", "DORMANT", "CLOSED"]}]
}  # everyone


def forget_earlier_runs() -> None:
    """Drop the verdicts of earlier runs' campaigns (a million rows each), so every run meets
    the same table; the campaigns themselves and their audit events stay."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM marketing_campaigneligibility WHERE campaign_id IN "
            "(SELECT id FROM marketing_campaign WHERE name = %s)",
            [CAMPAIGN_NAME],
        )
        cursor.execute("VACUUM (ANALYZE) marketing_campaigneligibility")


def main() -> None:
    setup_django()
    from django.core.management import call_command
    from django.db import transaction
    from django.utils import timezone

    from amanah.cases.models import OPEN_STATUSES, Case
    from amanah.consent.models import ConsentState, Suppression
    from amanah.core.actors import SystemActor
    from amanah.customers.models import Customer
    from amanah.marketing import services
    from amanah.marketing.models import CampaignEligibility
    from amanah.marketing.rules import compile_rules

    call_command("migrate", verbosity=0)
    forget_earlier_runs()
    actor = SystemActor("system:bench")
    population = Customer.objects.filter(merged_into__isnull=True).count()
    segment = services.segment_create(
        actor=actor, name=f"Semua nasabah {time.time():.0f}", rules=RULES
    )
    # A campaign sends an approved OFFER template (test data, written once per database).
    from amanah.marketing.testing import offer_template
    from amanah.messaging.models import TemplateVersion

    if not TemplateVersion.objects.filter(
        template__key=BENCH_TEMPLATE, template__channel="EMAIL", status="APPROVED"
    ).exists():
        offer_template("EMAIL", key=BENCH_TEMPLATE)
    campaign = services.campaign_create(
        actor=actor,
        name=CAMPAIGN_NAME,
        segment=segment,
        channel="EMAIL",
        template_key=BENCH_TEMPLATE,
        message="Bench: pesan pengujian kelayakan.",
    )
    services.campaign_submit(actor=actor, campaign=campaign)
    services.campaign_approve(actor=SystemActor("system:bench-approver"), campaign=campaign)
    campaign.refresh_from_db()

    load_at_start = load_average()
    started = time.perf_counter()
    counts = services.campaign_evaluate(actor=actor, campaign=campaign)
    sql_seconds = time.perf_counter() - started
    stored = CampaignEligibility.objects.filter(campaign=campaign).count()

    # The naive baseline, on a random sample, in the same run and on the same data.
    ids = list(
        Customer.objects.filter(merged_into__isnull=True).values_list("id", flat=True)[:200_000]
    )
    sample = random.Random(7).sample(ids, SAMPLE)
    in_segment = compile_rules(RULES)
    baseline_campaign = campaign
    started = time.perf_counter()
    with transaction.atomic():
        for customer_id in sample:
            customer = Customer.objects.get(pk=customer_id)
            matches = Customer.objects.filter(pk=customer_id).filter(in_segment).exists()
            consent = ConsentState.objects.filter(
                customer=customer, consent_type="MARKETING"
            ).first()
            sensitive = Case.objects.filter(
                customer=customer, status__in=OPEN_STATUSES, category__is_sensitive=True
            ).exists()
            suppressed = Suppression.objects.filter(customer=customer).exists()
            reason = (
                "NOT_IN_SEGMENT_RULE"
                if not matches
                else "CUSTOMER_INACTIVE"
                if customer.status == "CLOSED"
                else "CONSENT"
                if not (consent and consent.status == "GRANTED")
                else "SUPPRESSED"
                if suppressed
                else "CASE_ACTIVE"
                if sensitive
                else ""
            )
            CampaignEligibility.objects.update_or_create(
                campaign=baseline_campaign,
                customer=customer,
                defaults={
                    "in_segment": matches,
                    "consent_granted": bool(consent and consent.status == "GRANTED"),
                    "open_sensitive_case": sensitive,
                    "suppressed": suppressed,
                    "is_eligible": reason == "",
                    "reason": reason,
                    "evaluated_at": timezone.now(),
                },
            )
        transaction.set_rollback(True)  # leave the set-based result as it was
    python_seconds = time.perf_counter() - started

    per_sql = sql_seconds / stored * 1e6
    per_python = python_seconds / SAMPLE * 1e6
    seconds = sql_seconds if stored >= 1_000_000 else float("inf")  # a smaller run never counts
    verdict = target_line(
        f"{stored:,} customers stored with reasons in {sql_seconds:.1f} s", seconds, 30, " s"
    )
    by_reason = ", ".join(f"{k} {v:,}" for k, v in counts["ineligible"].items())
    by_reason += f"; outside the segment (not candidates) {counts['outside_segment']:,}"
    section = f"""## Campaign eligibility at 1,000,000 customers — set-based SQL vs row by row

Command (from the repository root):

```
AMANAH_ENV=demo .venv/bin/python -m bench.eligibility_bench
```

- Date: {datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")}
- Machine: {machine()}; load average {load_at_start} at start, {load_average()} at the end
- Database: {server_settings()}; embedded server of the bench (`var/bench-pgdata`), data set
  of `bench.search_bench` and `bench.cases_bench` (database `amanah_bench`)
- Campaign over a segment covering every customer ({population:,} customers); verdict and
  reason stored per customer

| Evaluation | customers | wall time | per customer |
|---|---:|---:|---:|
| `campaign_evaluate` (one INSERT … SELECT, stored with reasons) \
| {stored:,} | {sql_seconds:.1f} s | {per_sql:.1f} µs |
| row-by-row Python (sample, same rules, stored one by one) \
| {SAMPLE:,} | {python_seconds:.1f} s | {per_python:.1f} µs |

Speed-up per customer: **{per_python / per_sql:.0f}×**. Target: 1,000,000 customers stored
with reasons in ≤ 30 s. This run:

{verdict}

Verdicts: {counts["eligible"]:,} eligible; ineligible by reason: {by_reason}.
"""
    print(section)
    write_report(Path("docs/benchmarks.md"), "eligibility", section)


if __name__ == "__main__":
    main()
