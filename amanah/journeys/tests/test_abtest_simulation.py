"""A/B decisions on simulated data (no database, seeded): an A/A test peeked at every day
must not declare a winner more often than the planned α allows; the naive rule (test the
running totals every day, stop at the first significant result) is shown beside it to prove
the simulation can tell the two apart; and a real lift is found about as often as planned."""

from __future__ import annotations

import math
import random
from datetime import UTC, datetime, timedelta

from amanah.journeys.abtest import (
    ALPHA,
    COLLECTING,
    NOT_SIGNIFICANT,
    WINNER,
    Arm,
    Plan,
    decide,
    planned_sample_size,
    two_proportion_p,
)

START = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
BASELINE, LIFT = 10, 5  # percent: 10 % → 15 %
DAYS, PER_DAY = 14, 80  # customers per variant per day; the plan needs about nine days
RUNS = 1000


def plan(variants: int = 2) -> Plan:
    n = planned_sample_size(BASELINE / 100, LIFT / 100, variants=variants)
    return Plan("CLICK", "SUBJECT", BASELINE / 100, LIFT / 100, n, 24, 24)


def simulate(rng: random.Random, rates: list[float], the_plan: Plan):
    """One test peeked at daily: (the rule's final state and winner, naive rule's verdict)."""
    names = [chr(ord("A") + i) for i in range(len(rates))]
    outcomes: list[list[bool]] = [[] for _ in rates]
    naive = False
    decision = None
    for day in range(1, DAYS + 1):
        for arm, rate in enumerate(rates):
            outcomes[arm].extend(rng.random() < rate for _ in range(PER_DAY))
        # Peek at the start of the next day: yesterday's customers have not had their whole
        # 24 h window yet; the day before's have.
        now = START + timedelta(days=day)
        matured = PER_DAY * (day - 1)
        n = the_plan.sample_size
        arms = [
            Arm(
                name,
                assigned=len(out),
                counted=min(matured, n),
                successes=sum(out[: min(matured, n)]),
            )
            for name, out in zip(names, outcomes, strict=True)
        ]
        seen = decide(the_plan, arms, started_at=START, now=now)
        if decision is None and seen.final:
            decision = seen
        elif decision is not None:
            # Once final, looking again never changes it.
            assert (seen.state, seen.winner) == (decision.state, decision.winner)
        if matured and not naive:  # naive: test the running totals, stop when "significant"
            x = [sum(out[:matured]) for out in outcomes]
            naive = two_proportion_p(matured, x[0], matured, x[1]) < ALPHA
    assert decision is not None, "the horizon lies inside the simulated days"
    return decision, naive


def test_the_plan_is_the_textbook_sample_size():
    # 10 % → 15 %, α = 0.05 two-sided, power 0.8: 686 per group (Fleiss, without correction).
    assert planned_sample_size(0.10, 0.05) == 686
    assert planned_sample_size(0.10, 0.05, variants=3) > 686  # Bonferroni over 2 comparisons


def test_nothing_is_decided_before_the_horizon():
    the_plan = plan()
    early = [Arm("A", 500, 400, 10), Arm("B", 500, 400, 200)]  # a huge early "lead"
    assert decide(the_plan, early, started_at=START, now=START + timedelta(days=5)).state == (
        COLLECTING
    )
    full = [Arm("A", 900, the_plan.sample_size, 70), Arm("B", 900, the_plan.sample_size, 140)]
    assert decide(the_plan, full, started_at=START, now=START + timedelta(hours=23)).state == (
        COLLECTING
    )
    assert decide(the_plan, full, started_at=START, now=START + timedelta(hours=24)).winner == "B"


def test_an_aa_test_peeked_at_daily_declares_a_winner_no_more_often_than_alpha():
    rng = random.Random(20260302)
    the_plan = plan()
    winners = naive = 0
    for _ in range(RUNS):
        decision, naive_said = simulate(rng, [0.10, 0.10], the_plan)
        assert decision.state in (WINNER, NOT_SIGNIFICANT)
        winners += decision.state == WINNER
        naive += naive_said
    rate, naive_rate = winners / RUNS, naive / RUNS
    # α plus three standard errors of a binomial proportion over RUNS runs.
    assert rate <= ALPHA + 3 * math.sqrt(ALPHA * (1 - ALPHA) / RUNS), rate
    # The naive daily peek "finds" a winner far more often: the simulation can tell.
    assert naive_rate > 2 * ALPHA, naive_rate


def test_an_aaa_test_keeps_alpha_over_its_two_comparisons():
    rng = random.Random(7)
    the_plan = plan(variants=3)
    runs = 300
    winners = sum(simulate(rng, [0.10] * 3, the_plan)[0].state == WINNER for _ in range(runs))
    assert winners / runs <= ALPHA + 3 * math.sqrt(ALPHA * (1 - ALPHA) / runs)


def test_a_real_lift_is_found_about_as_often_as_planned():
    rng = random.Random(11)
    the_plan = plan()
    runs = 300
    found = 0
    for _ in range(runs):
        decision, _naive = simulate(rng, [0.10, 0.15], the_plan)
        found += decision.winner == "B"
    assert found / runs >= 0.8 - 3 * math.sqrt(0.8 * 0.2 / runs)
