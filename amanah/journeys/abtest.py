"""A/B tests inside a journey that do not lie (seed 001 §6D): plan up front, decide once.

A SPLIT node may carry a test plan (``config["test"]``): what the variants differ in
(``dimension``: subject, content, send time, channel), the winner metric (open, click,
convert), the rate expected of the control (``baseline``, percent) and the smallest lift worth
finding (``lift``, percentage points). From those the sample size per variant is planned when
the graph is saved (``sample_size``, two-proportion z-test, α = 0.05 two-sided with Bonferroni
over the comparisons with the control, power 0.8) and shown before anyone looks at a result.

Why a peek cannot crown an early leader: the decision is a *fixed-horizon* test.

* every variant counts only its first ``sample_size`` customers (in the order the SPLIT
  assigned them) — more customers after that change nothing;
* a customer counts as a success only if the metric happened within ``window_hours`` of the
  assignment — a late open cannot change a decided test;
* nothing is tested before every variant has ``sample_size`` customers whose window has
  passed *and* the test has run ``min_hours`` (at least 24 h): until then the state is
  COLLECTING ("belum signifikan").

So the data the test sees at the horizon are the same whenever (and however often) someone
looks: the z-test runs once on fixed data and its false-positive rate is α, however often the
page is opened. ``tests/test_abtest_simulation.py`` shows it: 1,000 A/A tests peeked at daily
declare a winner about α of the time, while the naive "test the running totals every day" rule
declares one several times as often.

This module is pure (no database): ``selectors.split_test_report`` counts the arms,
``services.split_promote`` rolls a winner out (audited).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta

ALPHA = 0.05
POWER = 0.8
MIN_HOURS = 24
METRICS = ("OPEN", "CLICK", "CONVERT")
DIMENSIONS = ("SUBJECT", "CONTENT", "SEND_TIME", "CHANNEL")
COLLECTING, NOT_SIGNIFICANT, WINNER = "COLLECTING", "NOT_SIGNIFICANT", "WINNER"


def _norm_cdf(z: float) -> float:
    return 0.5 * math.erfc(-z / math.sqrt(2))


def _norm_ppf(p: float) -> float:
    """Inverse of the standard normal CDF (bisection on erfc: exact enough, no SciPy)."""
    lo, hi = -10.0, 10.0
    for _ in range(100):
        mid = (lo + hi) / 2
        if _norm_cdf(mid) < p:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2


def comparisons(variants: int) -> int:
    """Each variant is compared with the control (the first): k − 1 comparisons."""
    return max(1, variants - 1)


def planned_sample_size(
    baseline: float, lift: float, *, variants: int = 2, alpha: float = ALPHA, power: float = POWER
) -> int:
    """Customers per variant for a two-sided two-proportion z-test to find ``baseline`` →
    ``baseline + lift`` (both fractions) with ``power``, at ``alpha`` split over the
    comparisons with the control (Bonferroni)."""
    p1, p2 = baseline, baseline + lift
    a = alpha / comparisons(variants)
    z_a, z_b = _norm_ppf(1 - a / 2), _norm_ppf(power)
    p_bar = (p1 + p2) / 2
    n = (
        z_a * math.sqrt(2 * p_bar * (1 - p_bar)) + z_b * math.sqrt(p1 * (1 - p1) + p2 * (1 - p2))
    ) ** 2 / (p2 - p1) ** 2
    return math.ceil(n)


def two_proportion_p(n1: int, x1: int, n2: int, x2: int) -> float:
    """Two-sided p-value of the pooled two-proportion z-test (1.0 when nothing varies)."""
    pooled = (x1 + x2) / (n1 + n2)
    se = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    if se == 0:
        return 1.0
    z = (x2 / n2 - x1 / n1) / se
    return math.erfc(abs(z) / math.sqrt(2))


@dataclass(frozen=True)
class Plan:
    metric: str
    dimension: str
    baseline: float  # fraction
    lift: float  # fraction
    sample_size: int  # per variant
    min_hours: int = MIN_HOURS
    window_hours: int = 72
    alpha: float = ALPHA

    @classmethod
    def of(cls, test: dict) -> Plan:
        return cls(
            metric=test["metric"],
            dimension=test["dimension"],
            baseline=test["baseline"] / 100,
            lift=test["lift"] / 100,
            sample_size=test["sample_size"],
            min_hours=test["min_hours"],
            window_hours=test["window_hours"],
        )


@dataclass(frozen=True)
class Arm:
    """One variant as the test counts it: ``assigned`` so far; ``counted`` — of its first
    ``sample_size`` customers, how many have had their whole window; ``successes`` — of those
    first customers, how many reached the metric within the window."""

    name: str
    assigned: int
    counted: int
    successes: int

    @property
    def rate(self) -> float:
        return self.successes / self.counted if self.counted else 0.0

    @property
    def percent(self) -> float:
        return 100 * self.rate


@dataclass
class Decision:
    state: str
    winner: str = ""
    p_values: dict[str, float] = field(default_factory=dict)
    arms: list[Arm] = field(default_factory=list)
    ready_at: datetime | None = None  # the earliest time the test may be decided

    @property
    def final(self) -> bool:
        return self.state != COLLECTING


def decide(plan: Plan, arms: list[Arm], *, started_at: datetime, now: datetime) -> Decision:
    """The test's state at ``now``. The first arm is the control."""
    ready_at = started_at + timedelta(hours=plan.min_hours)
    full = all(a.counted >= plan.sample_size for a in arms)
    if not arms or not full or now < ready_at:
        return Decision(COLLECTING, arms=arms, ready_at=ready_at)
    n = plan.sample_size
    control, others = arms[0], arms[1:]
    threshold = plan.alpha / comparisons(len(arms))
    p_values = {a.name: two_proportion_p(n, control.successes, n, a.successes) for a in others}
    best = max(arms, key=lambda a: (a.successes, a is control))
    if best is control:
        # The control wins only if it beats every variant.
        won = all(p < threshold for p in p_values.values())
    else:
        won = p_values[best.name] < threshold
    if won:
        return Decision(WINNER, best.name, p_values, arms, ready_at)
    return Decision(NOT_SIGNIFICANT, "", p_values, arms, ready_at)
