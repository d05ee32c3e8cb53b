"""The follow-up desk's rotation sweep: 100,000 members, 30 agents, 10,000 windows ending.

    AMANAH_ENV=demo .venv/bin/python -m bench.followup_bench        # or: make bench
    ... -m bench.followup_bench --members 20000 --due 2000          # a quick look (no report)

Same database as the other benches (``amanah_bench``, ``bench.settings``). Each run rebuilds
the desk from scratch (the desk's tables are emptied with triggers off — the bench connects as
the server's admin — and the customers ``Bench follow-up …`` are created once and reused):
30 agents (capacity 10,000 each), 100,000 members, each with its NEW_MEMBER history row,
spread over the agents in order; their windows end

- 10,000 in the hour before ``now`` (due for the set-based sweep, run at ``now``: the wall
  clock, or the next moment the agents are at work — the desk gives members only to agents
  inside working hours);
- 10,000 between ``now`` + 1 h and + 2 h (due for the per-member baseline, run at + 2 h,
  when the sweep's 10,000 already have new 48-hour windows);
- the other 80,000 between + 3 h and + 47 h (not due).

It measures, in one run and on the same table:
  set-based  ``followup.sweep.rotation_sweep(now)``: batches of 5,000 members locked with
             ``SKIP LOCKED``, moved by the database's ``followup_move`` (it checks each member is
             due, picks the next agents and writes history and members), one
             ``audit.record_many``, one event (the notices job is queued) — and at COMMIT the
             database's check that every rotation has its audit row;
  again      the same sweep a second time (idempotent: nothing due);
  baseline   the obvious per-member loop: for each due member, its own transaction — lock it,
             count the agents' loads, pick the next agent, insert the history row, update the
             member, one ``audit.record``, the event. It moves ``--baseline-members`` (2,000)
             of its 10,000 and its time is scaled to 10,000 (it is linear: one member at a
             time), so a run stays within minutes.
The set-based run is repeated ``--repeat`` times (3), each on a freshly built desk after a
CHECKPOINT, and the median reported: on the shared 2-core machine one run can vary by 2×.
Results are printed and written to docs/benchmarks.md (section ``followup``).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

from bench.search_bench import ROOT, load_average, machine, setup_django, target_line, write_report

N_AGENTS = 30
TARGET_SECONDS = 2.0
NAME = "Bench follow-up"


def _customers(count: int, branch) -> list:
    from amanah.customers.models import Customer

    have = list(
        Customer.objects.filter(full_name__startswith=NAME)
        .order_by("id")
        .values_list("id", flat=True)[:count]
    )
    missing = count - len(have)
    if missing > 0:
        start = len(have)
        Customer.objects.bulk_create(
            (
                Customer(
                    full_name=f"{NAME} {start + n}",
                    name_search=f"bench follow-up {start + n}",
                    home_branch=branch,
                )
                for n in range(missing)
            ),
            batch_size=5000,
        )
        have = list(
            Customer.objects.filter(full_name__startswith=NAME)
            .order_by("id")
            .values_list("id", flat=True)[:count]
        )
    return have


def _agents(branch) -> list:
    from amanah.core.actors import SystemActor
    from amanah.iam import services as iam
    from amanah.iam.models import User

    actor = SystemActor("system:bench")
    users = []
    for n in range(1, N_AGENTS + 1):
        user = User.objects.filter(username=f"bench_fu_{n}").first()
        if user is None:
            user = iam.user_create(
                actor=actor,
                username=f"bench_fu_{n}",
                full_name=f"Agen Bench {n}",
                password="Bench-Followup-2026!",
                roles=["AGENT"],
                scopes=[iam.ScopeInput(branch=branch)],
                home_branch=branch,
            )
        users.append(user)
    return users


def _at_work(moment):
    """The first moment from ``moment`` at which the agents (home branch: the first by code, as
    ``build`` gives them) are at work. The desk hands members only to agents at work
    (``FOLLOWUP_WORKING_HOURS``); the bench measures daytime rotations whatever the wall clock
    says, so a night-time run does not just park 10,000 members as PENDING."""
    from amanah.calendars.schedules import schedule_for_branch
    from amanah.calendars.worktime import next_working_moment
    from amanah.iam.models import Branch

    branch = Branch.objects.order_by("code").first()
    return next_working_moment(schedule_for_branch(branch), moment)


def build(members: int, due: int, now) -> None:
    """Empty the desk's tables and load agents, members, history (one transaction)."""
    from django.db import connection, transaction

    from amanah.iam.models import Branch

    branch = Branch.objects.order_by("code").first()
    if branch is None:
        from bench.search_bench import ensure_branches

        ensure_branches()
        branch = Branch.objects.order_by("code").first()
    users = _agents(branch)
    customers = _customers(members, branch)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL session_replication_role = replica")  # history is append-only
        cursor.execute(
            "TRUNCATE followup_deposit, followup_rejecteddeposit, followup_followuplog,"
            " followup_rotation, followup_member, followup_deskagent CASCADE"
        )
        cursor.execute(
            "UPDATE followup_desk SET last_position = %s, window_hours = 48", [members % N_AGENTS]
        )
        cursor.execute(
            "INSERT INTO followup_deskagent"
            " (id, user_id, position, capacity, is_active, created_at)"
            " SELECT gen_random_uuid(), u, p, 10000, true, now()"
            " FROM unnest(%s::uuid[]) WITH ORDINALITY AS t(u, p)",
            [[u.pk for u in users]],
        )
        # Window ends: `due` in the hour before now, `due` in +1h..+2h, the rest +3h..+47h.
        cursor.execute(
            """
            INSERT INTO followup_member
                   (customer_id, current_agent_id, last_position, status, entry_reason,
                    exit_reason, window_start, window_end, deposit_target, deposit_total,
                    deposit_status, enrolled_at)
            SELECT c, a.id, a.position, 'ACTIVE', 'NEW_ACCOUNT', '', e - interval '48 hours', e,
                   100000, 0, 'NONE', e - interval '48 hours'
              FROM (
                SELECT c, n,
                       CASE WHEN n <= %(due)s
                            THEN %(now)s - interval '1 hour' * (n::float / %(due)s)
                            WHEN n <= 2 * %(due)s
                            THEN %(now)s + interval '1 hour' * (1 + (n - %(due)s)::float / %(due)s)
                            ELSE %(now)s + interval '3 hours'
                                 + interval '44 hours' * ((n * 7919) %% 100000)::float / 100000
                       END AS e
                  FROM unnest(%(customers)s::uuid[]) WITH ORDINALITY AS t(c, n)
              ) m
              JOIN followup_deskagent a ON a.position = (m.n - 1) %% %(agents)s + 1
            """,
            {"due": due, "now": now, "customers": customers, "agents": N_AGENTS},
        )
        cursor.execute(
            """
            WITH h AS (
                INSERT INTO followup_rotation
                       (member_id, from_agent_id, to_agent_id, from_position, to_position,
                        reason, at, sweep_run)
                SELECT id, NULL, current_agent_id, NULL, last_position, 'NEW_MEMBER',
                       window_start, NULL
                  FROM followup_member
                RETURNING id, member_id
            )
            UPDATE followup_member m SET last_rotation_id = h.id FROM h WHERE m.id = h.member_id
            """
        )
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE followup_member")
        cursor.execute("VACUUM ANALYZE followup_rotation")


def baseline(now, limit: int) -> int:
    """The per-member loop: each due member in its own transaction — lock it, the agents, who
    is away, the loads (one GROUP BY), the pick, the history row, the member, the event, one
    audit row — what one would write first."""
    from django.db import transaction
    from django.db.models import Count

    from amanah.audit import services as audit
    from amanah.audit.models import AuditAction
    from amanah.calendars.contract import absent_user_ids
    from amanah.core import events
    from amanah.core.roundrobin import next_position
    from amanah.followup.assign import ACTOR, MEMBERS_ROTATED
    from amanah.followup.models import WITH_AGENT, DeskAgent, Member, Rotation

    due = list(
        Member.objects.filter(status__in=WITH_AGENT, window_end__lte=now)
        .order_by("window_end", "id")
        .values_list("id", flat=True)[:limit]
    )
    for member_id in due:
        with transaction.atomic():
            member = Member.objects.select_for_update(of=("self",)).get(pk=member_id)
            agents = {a.position: a for a in DeskAgent.objects.select_related("user")}
            away = absent_user_ids(now)
            counted = (
                Member.objects.filter(status__in=WITH_AGENT)
                .values("current_agent__position")
                .annotate(n=Count("id"))
            )
            load = {row["current_agent__position"]: row["n"] for row in counted}
            from_position = agents and member.current_agent.position
            to = next_position(
                after=from_position,
                positions=agents,
                available=[p for p, a in agents.items() if a.user_id not in away],
                load=load,
                capacity={p: a.capacity for p, a in agents.items()},
            )
            rotation = Rotation.objects.create(
                member=member,
                from_agent=member.current_agent,
                to_agent=agents[to],
                from_position=from_position,
                to_position=to,
                reason="NO_DEPOSIT",
                at=now,
            )
            member.current_agent = agents[to]
            member.last_rotation = rotation
            member.last_position = to
            member.status = "ROTATED"
            member.window_start, member.window_end = now, now + timedelta(hours=48)
            member.save()
            events.emit(MEMBERS_ROTATED, actor=ACTOR, rotation_ids=[rotation.pk])
            audit.record(
                actor=ACTOR,
                action=AuditAction.ROTATE_FOLLOWUP_MEMBER,
                obj=member,
                meta={
                    "reason": "NO_DEPOSIT",
                    "from_position": from_position,
                    "to_position": to,
                    "rotation": rotation.pk,
                },
            )
    return len(due)


def _checkpoint() -> None:
    """Write out what the build left in the WAL, so the timed sweep does not pay for it."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("CHECKPOINT")


def _clear_jobs() -> None:
    """The notices jobs the runs queued (nobody works them here)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM procrastinate_jobs WHERE task_name = 'amanah.core.tasks.run_event_handler'"
            " AND status = 'todo' AND args->>'handler_key' LIKE 'followup.members_rotated:%%'"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--due", type=int, default=10_000)
    parser.add_argument("--no-baseline", action="store_true")
    parser.add_argument("--repeat", type=int, default=3, help="set-based runs (median reported)")
    parser.add_argument(
        "--baseline-members",
        type=int,
        default=2000,
        help="members the baseline moves (its time is scaled to --due: it is linear)",
    )
    args = parser.parse_args(argv)
    setup_django()
    from django.core.management import call_command
    from django.utils import timezone

    from amanah.followup.sweep import rotation_sweep

    call_command("migrate", verbosity=0, interactive=False)
    times = []
    for run in range(args.repeat):
        now = _at_work(timezone.now()).replace(microsecond=0)
        started = time.perf_counter()
        build(args.members, args.due, now)
        _checkpoint()
        print(
            f"run {run + 1}: built {args.members} members in {time.perf_counter() - started:.1f} s"
        )
        started = time.perf_counter()
        result = rotation_sweep(now=now)
        times.append(time.perf_counter() - started)
        print(f"run {run + 1}: set-based sweep, {result.no_deposit} rotated in {times[-1]:.2f} s")
        assert result.no_deposit == args.due
    sweep_s = statistics.median(times)
    started = time.perf_counter()
    again = rotation_sweep(now=now)
    again_s = time.perf_counter() - started
    print(f"same sweep again: {again.no_deposit} rotated in {again_s * 1000:.0f} ms")
    base_n, base_s = 0, float("nan")
    if not args.no_baseline:
        started = time.perf_counter()
        base_n = baseline(now + timedelta(hours=2), args.baseline_members)
        base_s = time.perf_counter() - started
        print(f"per-member baseline: {base_n} rotated in {base_s:.2f} s")
        base_s *= args.due / base_n  # the same work as the sweep's
    _clear_jobs()
    assert again.no_deposit == 0

    if args.members != 100_000 or args.due != 10_000:
        return 0
    lines = [
        "## Follow-up rotation sweep (issue 20)",
        "",
        "`AMANAH_ENV=demo .venv/bin/python -m bench.followup_bench` (part of `make bench`), "
        f"{machine()}, load average {load_average()} at the end.",
        "",
        f"{args.members:,} members, {N_AGENTS} agents (capacity 10,000 each), {args.due:,} "
        "windows ended; every rotation writes its history row and one audit row, and queues "
        "the notices job (one per batch).",
        "",
        "| run | rotated | time |",
        "|---|---:|---:|",
        f"| set-based sweep (batches of 5,000, SKIP LOCKED), median of {len(times)} runs "
        f"({', '.join(f'{t:.2f}' for t in times)} s) | {args.due:,} | {sweep_s:.2f} s |",
        f"| the same sweep again (idempotent) | {again.no_deposit} | {again_s * 1000:.0f} ms |",
        f"| per-member loop baseline (own transaction each): {base_n:,} moved, time scaled "
        f"to {args.due:,} | {args.due:,} | {base_s:.1f} s |",
        "",
        target_line(f"rotation sweep of {args.due:,} due windows {sweep_s:.2f} s", sweep_s,
                    TARGET_SECONDS, " s"),
    ]  # fmt: skip
    write_report(ROOT / "docs" / "benchmarks.md", "followup", "\n".join(lines))
    print(f"written to {Path('docs/benchmarks.md')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
