"""The journey engine's tick: 1,000,000 enrollments, 100,000 of them due (issue 14).

    AMANAH_ENV=demo .venv/bin/python -m bench.journeys_bench          # or: make bench
    ... -m bench.journeys_bench --enrollments 50000 --due 5000        # a quick look (no report)

Same database as the other benches (``amanah_bench``, ``bench.settings``; ``DATABASE_URL`` and
``AMANAH_BENCH_DB`` point it elsewhere). The customers ``Bench journey …`` are created once
(one ``INSERT … SELECT`` copying a template row: half of them with savings, each with a phone,
and the savers with marketing consent — a ``ConsentRecord`` and its ``ConsentState`` — so the
WhatsApp offer is really queued) and reused. Each run rebuilds the journey: one ACTIVE
version of

    trigger → wait 1 day → has savings? ─ YES → split 50/50 ─ A → WhatsApp offer → END
                                        │                   └ B → tag → END
                                        └ NO → END

and ``--enrollments`` enrollments standing at the wait: ``--due`` of them due now, the others
due tomorrow. It measures, in one run and on the same tables:

  tick       ``engine.tick(now)``: batches of ``engine.BATCH`` (10,000) picked
             ``SKIP LOCKED``, each group of a node handled at once — the branch as one
             query, the split by hash, the consent rule in its set form and one
             ``message_queue_template_many`` per group at the offer, the tags in one
             statement, the step rows and moves in one statement each; one audit row per
             batch;
  again      the same tick a second time (nothing due: idempotent);
  baseline   the per-enrollment loop: the same engine with a batch of one — each enrollment
             its own transaction, its own queries at every node and its own audit row (what a
             trigger run that visits contacts one by one does). It advances
             ``--baseline-enrollments`` (2,000) of ``--due`` more due enrollments and its time
             is scaled to ``--due`` (linear: one enrollment at a time).
The tick is repeated ``--repeat`` times (3), each on a freshly built journey after a
CHECKPOINT, and the median reported. ``--build-only`` builds the journey and stops (outside a
bench lock, niced); ``--reuse`` then takes the last built journey instead of building one: the
enrollments the last run moved are put back at the wait (the first ``--due`` due now, any
others due tomorrow), what it wrote is removed, and the table vacuumed, analysed and
checkpointed — the same starting point in seconds instead of minutes. Results are printed
and written to docs/benchmarks.md (section ``journeys``).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time

from bench.search_bench import ROOT, load_average, machine, setup_django, target_line, write_report

TARGET_SECONDS = 10.0
NAME = "Bench journey"
TEMPLATE_KEY = "bench.journey.offer"


def _graph(segment_id: str) -> dict:
    from amanah.journeys.testing import edge, node

    return {
        "nodes": [
            node("t", "TRIGGER", type="SEGMENT", segment=segment_id),
            node("w", "WAIT", mode="DURATION", value=1, unit="DAYS"),
            node(
                "b",
                "BRANCH",
                condition={"kind": "attribute", "field": "has_savings", "op": "eq", "value": True},
            ),
            node("s", "SPLIT", variants=[{"name": v, "percentage": 50} for v in "AB"]),
            node("a", "ACTION", channel="WHATSAPP", template=TEMPLATE_KEY),
            node("u", "UPDATE", kind="tag", tag="bench-b"),
            node("e1", "END", reason="GOAL_REACHED"),
            node("e2", "END", reason="FINISHED"),
            node("e3", "END", reason="NOT_INTERESTED"),
        ],
        "edges": [
            edge("t", "w"),
            edge("w", "b"),
            edge("b", "s", "YES"),
            edge("b", "e3", "NO"),
            edge("s", "a", "A"),
            edge("s", "u", "B"),
            edge("a", "e1"),
            edge("u", "e2"),
        ],
    }  # fmt: skip


def _customers(count: int) -> None:
    """``count`` bench customers (created once, reused): every second one a saver with
    marketing consent. One statement each for customers, consent records and states."""
    from django.db import connection

    from amanah.customers.models import Customer
    from amanah.iam.models import Branch

    have = Customer.objects.filter(full_name__startswith=NAME).count()
    if have >= count:
        return
    branch = Branch.objects.order_by("code").first() or Branch.objects.create(
        code="MDN01", name="Medan (bench)", timezone="Asia/Jakarta"
    )
    template = Customer.objects.create(
        full_name=f"{NAME} template", name_search="bench journey template", home_branch=branch
    )
    columns = [f.column for f in Customer._meta.concrete_fields]
    special = {
        "id": "gen_random_uuid()",
        "full_name": f"'{NAME} ' || g",
        "name_search": "'bench journey ' || g",
        "phone_e164": "'+62813' || lpad(g::text, 8, '0')",
        "has_savings": "(g %% 2 = 0)",
    }
    values = [special.get(c, f"t.{c}") for c in columns]
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO customers_customer ({', '.join(columns)}) "  # noqa: S608 (own columns)
            f"SELECT {', '.join(values)} FROM customers_customer t, "
            "generate_series(%s, %s) g WHERE t.id = %s",
            [have, count - 1, template.pk],
        )
        cursor.execute("DELETE FROM customers_customer WHERE id = %s", [template.pk])
        cursor.execute(
            """INSERT INTO consent_consentrecord (id, customer_id, consent_type, old_status,
                   new_status, effective_at, captured_channel, verification_method, reason,
                   contact_channel, created_at)
               SELECT gen_random_uuid(), c.id, 'MARKETING', '', 'GRANTED', now() - interval '1 day',
                      'BRANCH', 'IN_PERSON', '', '', now()
                 FROM customers_customer c
                WHERE c.full_name LIKE %s AND c.has_savings
                  AND NOT EXISTS (SELECT 1 FROM consent_consentstate s
                                   WHERE s.customer_id = c.id AND s.consent_type = 'MARKETING')""",
            [f"{NAME} %"],
        )
        cursor.execute(
            """INSERT INTO consent_consentstate (customer_id, consent_type, status, effective_at,
                   record_id)
               SELECT r.customer_id, r.consent_type, r.new_status, r.effective_at, r.id
                 FROM consent_consentrecord r JOIN customers_customer c ON c.id = r.customer_id
                WHERE c.full_name LIKE %s
               ON CONFLICT DO NOTHING""",
            [f"{NAME} %"],
        )
    connection.cursor().execute("ANALYZE customers_customer")


def build(total: int, due: int, now):
    """A fresh ACTIVE journey with ``total`` enrollments at its wait, ``due`` due at ``now``."""
    from django.db import connection

    from amanah.core.actors import SYSTEM
    from amanah.journeys import services
    from amanah.journeys.models import JourneyNode, MarketingJourney
    from amanah.marketing import services as mkt
    from amanah.marketing.testing import offer_template

    _customers(total)
    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE journeys_journeystep, journeys_journeyenrollment, journeys_customertag"
        )
        cursor.execute("DELETE FROM messaging_message WHERE source = 'JOURNEY'")
    MarketingJourney.objects.all().delete()
    if not offer_template_exists():
        offer_template("WHATSAPP", key=TEMPLATE_KEY)
    segment = mkt.segment_create(
        actor=SYSTEM,
        name=f"Bench journey {now:%H%M%S}",
        rules={"all": [{"field": "has_savings", "op": "eq", "value": True}]},
    )
    journey = services.journey_create(
        actor=SYSTEM, name="Bench journey", graph=_graph(str(segment.pk))
    )
    # Active as the lifecycle leaves it (its own tests cover the moves): the offer's template
    # version frozen into the node, the status ACTIVE.
    offer = JourneyNode.objects.get(journey=journey, key="a")
    offer.config = {**offer.config, "template_version": 1}
    offer.save(update_fields=["config"])
    MarketingJourney.objects.filter(pk=journey.pk).update(status="ACTIVE", activated_at=now)
    wait = JourneyNode.objects.get(journey=journey, key="w")
    with connection.cursor() as cursor:
        cursor.execute(
            """INSERT INTO journeys_journeyenrollment (journey_id, customer_id, current_node_id,
                   status, due_at, entered_at, arrived_at, exit_reason, error_detail, attempts,
                   entry)
               SELECT %(journey)s, c.id, %(node)s, 'ACTIVE',
                      CASE WHEN c.n <= %(due)s THEN %(now)s - interval '1 minute'
                           ELSE %(now)s + interval '1 day' END,
                      %(now)s - interval '1 day', %(now)s - interval '1 day', '', '', 0, 1
                 FROM (SELECT id, row_number() OVER (ORDER BY id) AS n
                         FROM customers_customer WHERE full_name LIKE %(name)s
                        LIMIT %(total)s) c""",
            {
                "journey": journey.pk,
                "node": wait.pk,
                "due": due,
                "now": now,
                "name": f"{NAME} %",
                "total": total,
            },
        )
        cursor.execute("ANALYZE journeys_journeyenrollment")
        cursor.execute("CHECKPOINT")
    return journey


def warm_up(now) -> float:
    """What a worker's process pays once, not every tick (the tick runs every minute in a
    long-lived worker): the ``holidays`` package imported and the year's national holidays
    computed (the contact window's calendar) — about a second. Returns its time."""
    from amanah.calendars.worktime import NationalHolidays

    started = time.perf_counter()
    NationalHolidays().dates(now.year)
    return time.perf_counter() - started


def offer_template_exists() -> bool:
    from amanah.messaging.models import MessageTemplate

    return MessageTemplate.objects.filter(key=TEMPLATE_KEY, channel="WHATSAPP").exists()


def reset(total: int, due: int, now):
    """The last built journey back at its start (``--reuse``), or None if there is none or
    it does not hold ``total`` enrollments: every enrollment the last run moved back at the
    wait, the first ``due`` of those by id due at ``now``, the others tomorrow, like the rest;
    the step rows, tags and the journey's messages removed; the table vacuumed and analysed."""
    from django.db import connection

    from amanah.journeys.models import JourneyEnrollment, JourneyNode, MarketingJourney

    journey = MarketingJourney.objects.filter(name="Bench journey").first()
    if journey is None or JourneyEnrollment.objects.filter(journey=journey).count() != total:
        return None
    wait = JourneyNode.objects.get(journey=journey, key="w")
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE journeys_journeystep, journeys_customertag")
        cursor.execute("DELETE FROM messaging_message WHERE source = 'JOURNEY'")
        cursor.execute(
            """WITH first AS (SELECT id FROM journeys_journeyenrollment
                               WHERE journey_id = %(journey)s ORDER BY id LIMIT %(due)s)
               UPDATE journeys_journeyenrollment
                  SET status = 'ACTIVE', current_node_id = %(wait)s, ended_at = NULL,
                      exit_reason = '', error_detail = '', event_at = NULL,
                      due_at = CASE WHEN id IN (SELECT id FROM first)
                                    THEN %(now)s - interval '1 minute'
                                    ELSE %(now)s + interval '1 day' END
                WHERE journey_id = %(journey)s
                  AND (status <> 'ACTIVE' OR current_node_id <> %(wait)s
                       OR due_at <= %(now)s + interval '12 hours'
                       OR id IN (SELECT id FROM first))""",
            {"wait": wait.pk, "now": now, "journey": journey.pk, "due": due},
        )
        cursor.execute("VACUUM ANALYZE journeys_journeyenrollment")
        cursor.execute("VACUUM ANALYZE messaging_message")
        cursor.execute("CHECKPOINT")
    MarketingJourney.objects.filter(pk=journey.pk).update(activated_at=now)
    return journey


def _advance_more(journey, count: int, now) -> None:
    """``count`` more enrollments (not yet due) made due at ``now`` for the baseline."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            """UPDATE journeys_journeyenrollment SET due_at = %s - interval '1 minute'
                WHERE id IN (SELECT id FROM journeys_journeyenrollment
                              WHERE journey_id = %s AND status = 'ACTIVE' AND due_at > %s
                              ORDER BY id LIMIT %s)""",
            [now, journey.pk, now, count],
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--enrollments", type=int, default=1_000_000)
    parser.add_argument("--due", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-baseline", action="store_true")
    parser.add_argument("--baseline-enrollments", type=int, default=2000)
    parser.add_argument("--build-only", action="store_true", help="build the journey and stop")
    parser.add_argument(
        "--reuse", action="store_true", help="reset the last built journey instead of building"
    )
    args = parser.parse_args(argv)
    setup_django()
    from django.core.management import call_command
    from django.utils import timezone

    from amanah.journeys import engine

    call_command("migrate", verbosity=0, interactive=False)
    times, results = [], []
    for run in range(args.repeat):
        now = timezone.now().replace(microsecond=0)
        started = time.perf_counter()
        journey = args.reuse and reset(args.enrollments, args.due, now)
        made = "reset" if journey else "built"
        journey = journey or build(args.enrollments, args.due, now)
        print(f"run {run + 1}: {made} {args.enrollments:,} enrollments in "
              f"{time.perf_counter() - started:.1f} s", flush=True)  # fmt: skip
        if args.build_only:
            return 0
        if run == 0:
            print(f"warm-up (once a worker process): {warm_up(now):.2f} s")
        started = time.perf_counter()
        counts = engine.tick(now=now)
        times.append(time.perf_counter() - started)
        results.append(counts)
        print(f"run {run + 1}: tick advanced {counts['picked']:,} in {times[-1]:.2f} s "
              f"({counts['batches']} batches, queued {counts['queued']:,}, "
              f"tagged {counts['tagged']:,})")  # fmt: skip
        assert counts["picked"] == args.due
    tick_s = statistics.median(times)
    counts = results[-1]
    started = time.perf_counter()
    again = engine.tick(now=now)
    again_s = time.perf_counter() - started
    print(f"same tick again: {again['batches']} batches in {again_s * 1000:.0f} ms")
    base_n, base_s = 0, float("nan")
    if not args.no_baseline:
        _advance_more(journey, args.baseline_enrollments, now)
        started = time.perf_counter()
        base = engine.tick(now=now, limit=1)
        base_s = time.perf_counter() - started
        base_n = base["picked"]
        print(f"per-enrollment baseline: {base_n:,} advanced in {base_s:.2f} s")
        base_s *= args.due / base_n
    if args.enrollments != 1_000_000 or args.due != 100_000:
        return 0
    lines = [
        "## Journey engine tick (issue 14)",
        "",
        "`AMANAH_ENV=demo .venv/bin/python -m bench.journeys_bench` (part of `make bench`), "
        f"{machine()}, load average {load_average()} at the end (the machine was shared with "
        "other work: figures are pessimistic).",
        "",
        f"{args.enrollments:,} enrollments of one ACTIVE journey standing at a 1-day wait, "
        f"{args.due:,} of them due; the tick takes each due one through savings? → split "
        "50/50 → WhatsApp offer (consent rule + outbox) or tag → END: "
        f"{counts['queued'] + counts['waiting']:,} offers queued, {counts['tagged']:,} tagged, "
        f"{counts['ended']:,} ended, {counts['batches']} batches of {engine.BATCH:,}.",
        "",
        "| run | enrollments advanced | time |",
        "|---|---:|---:|",
        f"| engine tick (batches of {engine.BATCH:,}, SKIP LOCKED, set-based per node), median of "
        f"{len(times)} runs ({', '.join(f'{t:.2f}' for t in times)} s) | {args.due:,} | "
        f"{tick_s:.2f} s |",
        f"| the same tick again (nothing due) | 0 | {again_s * 1000:.0f} ms |",
        f"| per-enrollment loop baseline (batch of one: own transaction, queries and audit "
        f"row each): {base_n:,} advanced, time scaled to {args.due:,} | {args.due:,} | "
        f"{base_s:.1f} s |",
        "",
        "The open-source anchor, Mautic, reports about 40 minutes for a trigger run over "
        "50,000 scheduled contacts.",
        "",
        target_line(f"tick of {args.due:,} due enrollments {tick_s:.2f} s", tick_s,
                    TARGET_SECONDS, " s"),
    ]  # fmt: skip
    write_report(ROOT / "docs" / "benchmarks.md", "journeys", "\n".join(lines))
    print("written to docs/benchmarks.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
