"""A/B tests that do not lie (seed 001 §6D): pure statistics, no models, no database.

Used by campaigns (``marketing.ab_services``) and meant for the journeys' SPLIT node too.

* **Planned up front.** ``sample_size_per_variant(baseline, mde)`` — how many exposed
  customers each variant needs for a two-sided two-proportion test at α = 0.05 with power
  0.8 to detect an absolute lift of ``mde`` over ``baseline`` (Fleiss' formula without
  continuity correction; 10 % → 15 % needs 686 per variant). With more than two variants
  every variant is compared with the control (the first) at α / (k − 1) (Bonferroni), so the
  family-wise false-positive rate stays ≤ α; the plan uses the same α.
* **Fixed horizon, decided once.** ``decide(...)`` answers ``BELUM_SELESAI`` ("belum
  selesai") until *both* the minimum duration (≥ 24 h) has passed and every variant reached
  the planned size — whatever the counts look like meanwhile, so looking at the page daily
  ("peeking") never crowns an early leader. At the horizon it runs the pooled two-proportion
  z-test (identical to Pearson's χ² on the 2×2 table: z² = χ²) once: a variant significantly
  better than the control wins (the best of them); a control significantly better than every
  other variant wins; anything else is ``BELUM_SIGNIFIKAN``. The caller stores that decision
  and never asks again. ``final=True`` (no more exposure can come) with a sample still short
  of the plan gives ``BELUM_SIGNIFIKAN`` without a test: an underpowered test crowns nobody.
* **Stable assignment.** ``bucket(test_key, unit)`` is 0..9 999 from MD5 of
  ``"<test_key>:<unit>"`` (SQL: ``BUCKET_SQL``, tested to agree), so a retry, a re-run batch
  or a second worker always puts a customer in the same variant; ``variant_ranges`` turns the
  test-audience percentage and the splits into bucket ranges, ``assign`` reads them.

Why no scipy/statsmodels: the two functions needed (the normal CDF and its inverse) are in the
standard library (``statistics.NormalDist``); the rest is four lines of arithmetic, checked
against textbook values in the tests.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from statistics import NormalDist

from django.utils.translation import gettext_lazy as _

ALPHA = 0.05
POWER = 0.80
MIN_DURATION = timedelta(hours=24)
BUCKETS = 10_000
_NORMAL = NormalDist()


class State(StrEnum):
    NOT_FINISHED = "BELUM_SELESAI"
    NOT_SIGNIFICANT = "BELUM_SIGNIFIKAN"
    WINNER = "PEMENANG"


STATE_LABELS = {
    State.NOT_FINISHED: _("belum selesai"),
    State.NOT_SIGNIFICANT: _("belum signifikan"),
    State.WINNER: _("ada pemenang"),
}


def adjusted_alpha(variants: int, alpha: float = ALPHA) -> float:
    """α per comparison with the control: Bonferroni over the k − 1 comparisons."""
    if variants < 2:
        raise ValueError("an A/B test needs at least two variants")
    return alpha / (variants - 1)


def sample_size_per_variant(
    baseline: float, mde: float, *, variants: int = 2, alpha: float = ALPHA, power: float = POWER
) -> int:
    """Exposed customers each variant needs (two-sided test of p₁ = ``baseline`` against
    p₂ = ``baseline + mde``), rounded up."""
    p1, p2 = baseline, baseline + mde
    if not (0 < p1 < 1 and 0 < p2 < 1 and mde != 0):
        raise ValueError("baseline and baseline + mde must lie strictly between 0 and 1")
    z_a = _NORMAL.inv_cdf(1 - adjusted_alpha(variants, alpha) / 2)
    z_b = _NORMAL.inv_cdf(power)
    p_bar = (p1 + p2) / 2
    root = z_a * math.sqrt(2 * p_bar * (1 - p_bar)) + z_b * math.sqrt(p1 * (1 - p1) + p2 * (1 - p2))
    return math.ceil(root * root / (mde * mde))


def two_proportion_z(x1: int, n1: int, x2: int, n2: int) -> tuple[float, float]:
    """The pooled two-proportion z statistic of p₂ − p₁ and its two-sided p-value."""
    if n1 <= 0 or n2 <= 0:
        return 0.0, 1.0
    pooled = (x1 + x2) / (n1 + n2)
    variance = pooled * (1 - pooled) * (1 / n1 + 1 / n2)
    if variance == 0:  # nobody (or everybody) converted in both: no evidence of a difference
        return 0.0, 1.0
    z = (x2 / n2 - x1 / n1) / math.sqrt(variance)
    return z, 2 * (1 - _NORMAL.cdf(abs(z)))


def chi_square_2x2(x1: int, n1: int, x2: int, n2: int) -> tuple[float, float]:
    """Pearson's χ² (1 degree of freedom, no continuity correction) of the 2×2 table and its
    p-value — the same test as ``two_proportion_z`` (χ² = z²), kept as a cross-check."""
    table = ((x1, n1 - x1), (x2, n2 - x2))
    total = n1 + n2
    cols = (x1 + x2, total - x1 - x2)
    if total == 0 or 0 in cols:
        return 0.0, 1.0
    chi2 = 0.0
    for row, n in zip(table, (n1, n2), strict=True):
        for observed, col in zip(row, cols, strict=True):
            expected = n * col / total
            chi2 += (observed - expected) ** 2 / expected
    # χ² with one degree of freedom is the square of a standard normal.
    return chi2, 2 * (1 - _NORMAL.cdf(math.sqrt(chi2)))


@dataclass(frozen=True)
class Arm:
    """One variant's counts: customers exposed and how many of them did the metric."""

    key: str
    exposed: int
    converted: int

    @property
    def rate(self) -> float:
        return self.converted / self.exposed if self.exposed else 0.0


@dataclass(frozen=True)
class Decision:
    state: State
    winner: str | None = None
    # Two-sided p-value of each variant against the control (the first arm).
    p_values: dict[str, float] = field(default_factory=dict)
    alpha: float = ALPHA

    @property
    def label(self) -> str:
        return str(STATE_LABELS[self.state])


def horizon_reached(
    arms: Sequence[Arm],
    *,
    planned_per_variant: int,
    started_at: datetime,
    now: datetime,
    min_duration: timedelta = MIN_DURATION,
) -> bool:
    return now >= started_at + max(min_duration, MIN_DURATION) and all(
        arm.exposed >= planned_per_variant for arm in arms
    )


def decide(
    arms: Sequence[Arm],
    *,
    planned_per_variant: int,
    started_at: datetime,
    now: datetime,
    min_duration: timedelta = MIN_DURATION,
    final: bool = False,
    alpha: float = ALPHA,
) -> Decision:
    """The fixed-horizon decision (module docstring). ``arms[0]`` is the control."""
    if len(arms) < 2:
        raise ValueError("an A/B test needs at least two variants")
    per_test = adjusted_alpha(len(arms), alpha)
    time_done = now >= started_at + max(min_duration, MIN_DURATION)
    if not time_done:
        return Decision(State.NOT_FINISHED, alpha=per_test)
    if not horizon_reached(
        arms,
        planned_per_variant=planned_per_variant,
        started_at=started_at,
        now=now,
        min_duration=min_duration,
    ):
        return Decision(State.NOT_SIGNIFICANT if final else State.NOT_FINISHED, alpha=per_test)
    control, others = arms[0], arms[1:]
    results = {
        arm.key: two_proportion_z(control.converted, control.exposed, arm.converted, arm.exposed)
        for arm in others
    }
    p_values = {key: p for key, (_z, p) in results.items()}
    better = [arm for arm in others if results[arm.key][1] < per_test and results[arm.key][0] > 0]
    if better:
        best = max(better, key=lambda arm: arm.rate)
        return Decision(State.WINNER, best.key, p_values, per_test)
    if all(p < per_test and z < 0 for z, p in results.values()):
        return Decision(State.WINNER, control.key, p_values, per_test)
    return Decision(State.NOT_SIGNIFICANT, None, p_values, per_test)


# --------------------------------------------------------------------------- assignment

# The same number in SQL (one parameter: the test key; the column is the unit's id as text).
BUCKET_SQL = (
    f"mod(('x' || substr(md5(%s || ':' || {{unit}}::text), 1, 8))::bit(32)::bigint, {BUCKETS})"
)


def bucket(test_key: str, unit: str) -> int:
    """0..9 999, stable for (test, unit): the first 32 bits of MD5 modulo 10 000."""
    digest = hashlib.md5(f"{test_key}:{unit}".encode(), usedforsecurity=False).hexdigest()
    return int(digest[:8], 16) % BUCKETS


def variant_ranges(
    test_percent: int, splits: Sequence[tuple[str, int]]
) -> list[tuple[str, int, int]]:
    """Bucket ranges ``[lo, hi)`` of each variant: the test audience is the first
    ``test_percent`` % of the buckets, divided by the splits (percentages summing to 100).
    Buckets from the last ``hi`` up to 10 000 are the rest of the audience (the roll-out)."""
    if not 1 <= test_percent <= 100:
        raise ValueError("test_percent must be 1..100")
    if sum(pct for _key, pct in splits) != 100 or any(pct <= 0 for _key, pct in splits):
        raise ValueError("splits must be positive and sum to 100")
    cutoff = test_percent * BUCKETS // 100
    ranges, lo, cumulative = [], 0, 0
    for key, pct in splits:
        cumulative += pct
        hi = cutoff * cumulative // 100
        ranges.append((key, lo, hi))
        lo = hi
    return ranges


def assign(bucket_value: int, ranges: Sequence[tuple[str, int, int]]) -> str | None:
    """The variant whose range holds the bucket, or None: the rest of the audience."""
    for key, lo, hi in ranges:
        if lo <= bucket_value < hi:
            return key
    return None
