"""The A/B statistics (marketing.abtest): textbook values, an A/A test peeked at daily that
must not declare winners more often than α allows, and the planned power on a real effect."""

from __future__ import annotations

import math
import random
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection

from amanah.marketing import abtest
from amanah.marketing.abtest import ALPHA, Arm, State

START = datetime(2026, 11, 2, 8, tzinfo=UTC)


# --------------------------------------------------------------------------- textbook values


def test_sample_size_matches_the_textbook_values():
    # Fleiss (no continuity correction), two-sided α = 0.05, power 0.8: 10 % → 15 % needs 686
    # per group; 20 % → 25 % needs 1,094; 50 % → 60 % needs 388 (Chow, Shao & Wang, 4.2).
    assert abtest.sample_size_per_variant(0.10, 0.05) == 686
    assert abtest.sample_size_per_variant(0.20, 0.05) == 1094
    assert abtest.sample_size_per_variant(0.50, 0.10) == 388
    # A smaller effect needs more; a third variant is planned at α/2 and needs more too.
    assert abtest.sample_size_per_variant(0.10, 0.02) > 686
    assert abtest.sample_size_per_variant(0.10, 0.05, variants=3) > 686


@pytest.mark.parametrize("baseline,mde", [(0, 0.05), (0.98, 0.05), (0.1, 0), (1.2, 0.1)])
def test_sample_size_refuses_impossible_rates(baseline, mde):
    with pytest.raises(ValueError):
        abtest.sample_size_per_variant(baseline, mde)


def test_z_test_matches_hand_computed_values_and_chi_square():
    # 100/1000 vs 130/1000: pooled p = 0.115, SE = sqrt(0.115 · 0.885 · 0.002) = 0.014267,
    # z = 0.03 / 0.014267 = 2.1028, two-sided p = 0.0355.
    z, p = abtest.two_proportion_z(100, 1000, 130, 1000)
    assert z == pytest.approx(2.1028, abs=1e-4)
    assert p == pytest.approx(0.0355, abs=1e-4)
    chi2, p_chi = abtest.chi_square_2x2(100, 1000, 130, 1000)
    assert chi2 == pytest.approx(z * z, rel=1e-9)
    assert p_chi == pytest.approx(p, rel=1e-9)
    # The critical value: |z| = 1.96 is p = 0.05.
    assert 2 * (1 - abtest._NORMAL.cdf(1.959964)) == pytest.approx(0.05, abs=1e-6)
    # Nothing to compare: no evidence.
    assert abtest.two_proportion_z(0, 10, 0, 10) == (0.0, 1.0)
    assert abtest.two_proportion_z(0, 0, 3, 10) == (0.0, 1.0)


# --------------------------------------------------------------------------- the decision


def _decide(arms, hours, planned=100, final=False):
    return abtest.decide(
        arms,
        planned_per_variant=planned,
        started_at=START,
        now=START + timedelta(hours=hours),
        final=final,
    )


def test_a_clear_leader_is_not_crowned_before_the_horizon():
    arms = [Arm("A", 1000, 50), Arm("B", 1000, 300)]  # a huge lift…
    assert _decide(arms, 23).state == State.NOT_FINISHED  # …but 24 h have not passed
    short = [Arm("A", 99, 5), Arm("B", 99, 60)]
    assert _decide(short, 48).state == State.NOT_FINISHED  # …or the sample is short
    assert _decide(arms, 24).winner == "B"


def test_at_the_horizon_a_small_difference_is_belum_signifikan():
    decision = _decide([Arm("A", 1000, 100), Arm("B", 1000, 110)], 30)
    assert decision.state == State.NOT_SIGNIFICANT
    assert decision.winner is None
    assert str(decision.label) == "belum signifikan"


def test_the_control_wins_when_it_is_significantly_better():
    assert _decide([Arm("A", 1000, 200), Arm("B", 1000, 100)], 30).winner == "A"


def test_three_variants_are_compared_with_the_control_at_bonferroni_alpha():
    # B vs A: p ≈ 0.036 < 0.05 but > 0.025 — not significant with three variants.
    decision = _decide([Arm("A", 1000, 100), Arm("B", 1000, 130), Arm("C", 1000, 100)], 30)
    assert decision.alpha == pytest.approx(0.025)
    assert decision.state == State.NOT_SIGNIFICANT
    decision = _decide([Arm("A", 1000, 100), Arm("B", 1000, 150), Arm("C", 1000, 170)], 30)
    assert decision.winner == "C"


def test_a_final_short_sample_crowns_nobody():
    arms = [Arm("A", 50, 1), Arm("B", 50, 40)]
    assert _decide(arms, 48, planned=686).state == State.NOT_FINISHED
    decision = _decide(arms, 48, planned=686, final=True)
    assert decision.state == State.NOT_SIGNIFICANT and decision.winner is None


# --------------------------------------------------------------------------- simulations

DAILY = 120  # customers exposed per variant per day
BASELINE, MDE = 0.10, 0.05


def _successes(rng: random.Random, n: int, p: float) -> int:
    return sum(rng.random() < p for _ in range(n))


def _run_peeking_daily(rng: random.Random, p_a: float, p_b: float, planned: int, decide) -> str:
    """One simulated test looked at once a day; the first answer other than "belum selesai"
    is what the page would show for good. Returns the decision's state."""
    counts = {"A": [0, 0], "B": [0, 0]}
    for day in range(1, 60):
        for key, p in (("A", p_a), ("B", p_b)):
            counts[key][0] += DAILY
            counts[key][1] += _successes(rng, DAILY, p)
        arms = [Arm(k, n, x) for k, (n, x) in counts.items()]
        state = decide(arms, planned, START + timedelta(days=day))
        if state != State.NOT_FINISHED:
            return state
    raise AssertionError("the horizon was never reached")


def _fixed_horizon(arms, planned, now):
    return abtest.decide(arms, planned_per_variant=planned, started_at=START, now=now).state


def _naive_peek(arms, planned, now):
    """What the page must NOT do: crown whoever is significant at today's look."""
    _z, p = abtest.two_proportion_z(
        arms[0].converted, arms[0].exposed, arms[1].converted, arms[1].exposed
    )
    if p < ALPHA:
        return State.WINNER
    return State.NOT_SIGNIFICANT if now >= START + timedelta(days=59) else State.NOT_FINISHED


RUNS = 1000
# α plus three binomial standard deviations of a rate estimated from RUNS runs.
TOLERANCE = 3 * math.sqrt(ALPHA * (1 - ALPHA) / RUNS)


def test_an_aa_test_peeked_at_daily_declares_winners_no_more_often_than_alpha():
    planned = abtest.sample_size_per_variant(BASELINE, MDE)
    rng = random.Random(20261125)
    winners = sum(
        _run_peeking_daily(rng, BASELINE, BASELINE, planned, _fixed_horizon) == State.WINNER
        for _ in range(RUNS)
    )
    assert winners / RUNS <= ALPHA + TOLERANCE
    # The simulation can tell: crowning whoever leads at a daily look (over the same days up
    # to the horizon) declares far more false winners than α.
    rng = random.Random(20261125)
    horizon_days = math.ceil(planned / DAILY)

    def naive_until_horizon(arms, planned, now):
        state = _naive_peek(arms, planned, now)
        if state == State.NOT_FINISHED and now >= START + timedelta(days=horizon_days):
            return State.NOT_SIGNIFICANT
        return state

    naive = sum(
        _run_peeking_daily(rng, BASELINE, BASELINE, planned, naive_until_horizon) == State.WINNER
        for _ in range(RUNS)
    )
    assert naive / RUNS > ALPHA + TOLERANCE


def test_a_real_effect_is_found_at_the_planned_size_with_about_the_planned_power():
    planned = abtest.sample_size_per_variant(BASELINE, MDE)
    rng = random.Random(14)
    found = 0
    for _ in range(RUNS):
        arms = [
            Arm("A", planned, _successes(rng, planned, BASELINE)),
            Arm("B", planned, _successes(rng, planned, BASELINE + MDE)),
        ]
        decision = abtest.decide(
            arms, planned_per_variant=planned, started_at=START, now=START + timedelta(days=2)
        )
        found += decision.winner == "B"
    power = found / RUNS
    assert abs(power - abtest.POWER) <= 3 * math.sqrt(abtest.POWER * (1 - abtest.POWER) / RUNS)


# --------------------------------------------------------------------------- assignment


def test_variant_ranges_split_the_test_audience_and_leave_the_rest():
    ranges = abtest.variant_ranges(20, [("A", 50), ("B", 50)])
    assert ranges == [("A", 0, 1000), ("B", 1000, 2000)]
    assert abtest.assign(999, ranges) == "A"
    assert abtest.assign(1000, ranges) == "B"
    assert abtest.assign(2000, ranges) is None
    assert abtest.variant_ranges(100, [("A", 70), ("B", 30)])[-1] == ("B", 7000, 10000)
    with pytest.raises(ValueError):
        abtest.variant_ranges(20, [("A", 60), ("B", 50)])


def test_assignment_is_stable_and_close_to_the_split():
    key = str(uuid.uuid4())
    ranges = abtest.variant_ranges(50, [("A", 70), ("B", 30)])
    units = [str(uuid.uuid4()) for _ in range(20_000)]
    first = [abtest.assign(abtest.bucket(key, u), ranges) for u in units]
    assert first == [abtest.assign(abtest.bucket(key, u), ranges) for u in units]  # a retry
    share = {v: first.count(v) / len(units) for v in ("A", "B", None)}
    assert share["A"] == pytest.approx(0.35, abs=0.015)
    assert share["B"] == pytest.approx(0.15, abs=0.015)
    assert share[None] == pytest.approx(0.50, abs=0.015)


@pytest.mark.django_db
def test_the_sql_bucket_agrees_with_python():
    key = str(uuid.uuid4())
    units = [uuid.uuid4() for _ in range(500)]
    sql = abtest.BUCKET_SQL.format(unit="u")
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT u::text, {sql} FROM unnest(%s::uuid[]) AS t (u)",  # noqa: S608
            [key, units],
        )
        from_sql = dict(cursor.fetchall())
    assert from_sql == {str(u): abtest.bucket(key, str(u)) for u in units}
