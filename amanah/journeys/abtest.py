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

This module is pure (no database). The statistics themselves — the planned sample size, the
two-proportion z-test, the Bonferroni split, the winner rule — are marketing's published
``marketing.abtest`` (the same for campaigns and journeys); this module adds the journey's
plan and what an arm counts. ``selectors.split_test_report`` counts the arms,
``services.split_promote`` rolls a winner out (audited).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

ALPHA = 0.05  # marketing.abtest's
MIN_HOURS = 24
METRICS = ("OPEN", "CLICK", "CONVERT")
DIMENSIONS = ("SUBJECT", "CONTENT", "SEND_TIME", "CHANNEL")
COLLECTING, NOT_SIGNIFICANT, WINNER = "COLLECTING", "NOT_SIGNIFICANT", "WINNER"


def planned_sample_size(baseline: float, lift: float, *, variants: int = 2) -> int:
    """Customers per variant (fractions in): marketing's published planning rule
    (``marketing.abtest.sample_size_per_variant``: α = 0.05 two-sided, Bonferroni over the
    comparisons with the control, power 0.8)."""
    from amanah.marketing.abtest import sample_size_per_variant

    return sample_size_per_variant(baseline, lift, variants=variants)


def two_proportion_p(n1: int, x1: int, n2: int, x2: int) -> float:
    """Two-sided p-value of the pooled two-proportion z-test (marketing's)."""
    from amanah.marketing.abtest import two_proportion_z

    return two_proportion_z(x1, n1, x2, n2)[1]


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
    """The test's state at ``now``; the first arm is the control. The statistics are
    marketing's (``marketing.abtest.decide``: the same rule for campaigns and journeys); what
    journeys add is what an arm counts — its first ``sample_size`` customers whose window has
    passed (``Arm.counted``), so the exposure the test sees stops growing at the plan."""
    from amanah.marketing import abtest as stats

    ready_at = started_at + timedelta(hours=max(plan.min_hours, MIN_HOURS))
    if len(arms) < 2:
        return Decision(COLLECTING, arms=arms, ready_at=ready_at)
    decided = stats.decide(
        [stats.Arm(a.name, min(a.counted, plan.sample_size), a.successes) for a in arms],
        planned_per_variant=plan.sample_size,
        started_at=started_at,
        now=now,
        min_duration=timedelta(hours=plan.min_hours),
    )
    if decided.state == stats.State.NOT_FINISHED:
        return Decision(COLLECTING, arms=arms, ready_at=ready_at)
    state = WINNER if decided.state == stats.State.WINNER else NOT_SIGNIFICANT
    return Decision(state, decided.winner or "", dict(decided.p_values), arms, ready_at)
