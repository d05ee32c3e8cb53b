"""The RFM rule (seed 001 §1 thresholds, DESIGN §6 segment order), written once as data.

Two forms read the same tables below and nothing else:

- :func:`score` — one customer in Python (the 360's explanation, the tests' oracle);
- :func:`sql_scores` / :func:`sql_segment` — CASE expressions for the set-based run over a
  million customers (``services.rfm_run_compute``).

``tests/test_rfm_rules.py`` checks that both forms agree on every threshold edge and on
every R/F/M triple, so neither can drift from the other.

Thresholds (inclusive lower bounds, best score first). Recency counts days since the last
transaction (no transaction in the window → score 1); frequency counts transactions;
monetary sums IDR amounts in the window, a negative total counting as 0; exactly 100,000,000
scores 5 (the seed's "≥ 100M").

Segments are tried in DESIGN §6's order; the first that matches wins, else NEED_ATTENTION
(the seed's table leaves 16 of the 125 triples unsegmented and, in its own order, never
reaches LOST).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

# (score, at most this many days) — the first that fits; beyond the last, 1.
RECENCY_MAX_DAYS = [(5, 7), (4, 30), (3, 90), (2, 180)]
# (score, at least this many transactions / this many rupiah); below the last, 1.
FREQUENCY_MIN = [(5, 50), (4, 30), (3, 15), (2, 5)]
MONETARY_MIN = [(5, 100_000_000), (4, 50_000_000), (3, 20_000_000), (2, 5_000_000)]


class Segment(models.TextChoices):
    LOST = "LOST", gettext_lazy("Hilang")
    CHAMPION = "CHAMPION", gettext_lazy("Juara")
    LOYAL = "LOYAL", gettext_lazy("Setia")
    POTENTIAL = "POTENTIAL", gettext_lazy("Potensial")
    AT_RISK = "AT_RISK", gettext_lazy("Berisiko")
    HIBERNATING = "HIBERNATING", gettext_lazy("Tidur")
    NEED_ATTENTION = "NEED_ATTENTION", gettext_lazy("Perlu perhatian")


class ClvProxy(models.TextChoices):
    VERY_HIGH = "VERY_HIGH", gettext_lazy("Sangat tinggi")
    HIGH = "HIGH", gettext_lazy("Tinggi")
    GROWING = "GROWING", gettext_lazy("Bertumbuh")
    MEDIUM = "MEDIUM", gettext_lazy("Sedang")
    DECLINING = "DECLINING", gettext_lazy("Menurun")
    LOW = "LOW", gettext_lazy("Rendah")
    MINIMAL = "MINIMAL", gettext_lazy("Minimal")


@dataclass(frozen=True)
class SegmentRule:
    """All bounds that are set must hold (inclusive); ``None`` means "any"."""

    segment: str
    r_min: int | None = None
    r_max: int | None = None
    f_min: int | None = None
    f_max: int | None = None
    m_min: int | None = None
    total_min: int | None = None

    def matches(self, r: int, f: int, m: int) -> bool:
        checks = [
            (self.r_min, r, 1),
            (self.r_max, r, -1),
            (self.f_min, f, 1),
            (self.f_max, f, -1),
            (self.m_min, m, 1),
            (self.total_min, r + f + m, 1),
        ]
        return all(
            bound is None or (value >= bound if sign > 0 else value <= bound)
            for bound, value, sign in checks
        )

    def sql(self) -> str:
        parts = [
            f"{column} {op} {int(bound)}"
            for bound, column, op in [
                (self.r_min, "r", ">="),
                (self.r_max, "r", "<="),
                (self.f_min, "f", ">="),
                (self.f_max, "f", "<="),
                (self.m_min, "m", ">="),
                (self.total_min, "(r + f + m)", ">="),
            ]
            if bound is not None
        ]
        return " AND ".join(parts)


# DESIGN §6: LOST first, then the seed's table in its order; NEED_ATTENTION catches the rest.
SEGMENT_RULES = [
    SegmentRule(Segment.LOST, r_max=1, f_max=1),
    SegmentRule(Segment.CHAMPION, r_min=4, f_min=4, m_min=4),
    SegmentRule(Segment.LOYAL, f_min=4),
    SegmentRule(Segment.POTENTIAL, r_min=4),
    SegmentRule(Segment.AT_RISK, r_max=2, f_max=3, total_min=6),
    SegmentRule(Segment.HIBERNATING, r_max=2, f_max=2),
]
FALLBACK = Segment.NEED_ATTENTION

CLV_OF = {
    Segment.CHAMPION: ClvProxy.VERY_HIGH,
    Segment.LOYAL: ClvProxy.HIGH,
    Segment.POTENTIAL: ClvProxy.GROWING,
    Segment.NEED_ATTENTION: ClvProxy.MEDIUM,
    Segment.AT_RISK: ClvProxy.DECLINING,
    Segment.HIBERNATING: ClvProxy.LOW,
    Segment.LOST: ClvProxy.MINIMAL,
}
# The seed's icons for the CLV indicator (💎💰📈⚠️😴🔻), plus one for NEED_ATTENTION.
CLV_ICON = {
    ClvProxy.VERY_HIGH: "💎",
    ClvProxy.HIGH: "💰",
    ClvProxy.GROWING: "📈",
    ClvProxy.MEDIUM: "🔎",
    ClvProxy.DECLINING: "⚠️",
    ClvProxy.LOW: "😴",
    ClvProxy.MINIMAL: "🔻",
}


@dataclass(frozen=True)
class Score:
    r: int
    f: int
    m: int
    segment: str
    clv_proxy: str

    @property
    def total(self) -> int:
        return self.r + self.f + self.m


def recency_score(days: int | None) -> int:
    if days is None:
        return 1
    days = max(int(days), 0)
    return next((s for s, most in RECENCY_MAX_DAYS if days <= most), 1)


def frequency_score(count: int | None) -> int:
    count = max(int(count or 0), 0)
    return next((s for s, least in FREQUENCY_MIN if count >= least), 1)


def monetary_score(amount: int | None) -> int:
    amount = max(int(amount or 0), 0)  # negative counts as 0
    return next((s for s, least in MONETARY_MIN if amount >= least), 1)


def segment_of(r: int, f: int, m: int) -> str:
    return next((rule.segment for rule in SEGMENT_RULES if rule.matches(r, f, m)), FALLBACK)


def score(*, recency_days: int | None, frequency: int | None, monetary: int | None) -> Score:
    r, f, m = recency_score(recency_days), frequency_score(frequency), monetary_score(monetary)
    segment = segment_of(r, f, m)
    return Score(r, f, m, str(segment), str(CLV_OF[segment]))


# ----------------------------------------------------------------------------- SQL form


def _case_max(column: str, table) -> str:
    # NULL (no transaction) first: GREATEST(NULL, 0) is 0 in PostgreSQL, not NULL.
    whens = " ".join(
        f"WHEN GREATEST({column}, 0) <= {int(most)} THEN {int(s)}" for s, most in table
    )
    return f"CASE WHEN {column} IS NULL THEN 1 {whens} ELSE 1 END"


def _case_min(column: str, table) -> str:
    whens = " ".join(f"WHEN {column} >= {int(least)} THEN {int(s)}" for s, least in table)
    return f"CASE {whens} ELSE 1 END"


def sql_scores(*, days: str, count: str, amount: str) -> tuple[str, str, str]:
    """CASE expressions for r, f and m over the given SQL expressions (column names).

    ``days`` may be NULL (no transaction); ``count`` and ``amount`` are coalesced to 0 and
    a negative amount counts as 0, exactly as :func:`score`."""
    return (
        _case_max(days, RECENCY_MAX_DAYS),
        _case_min(f"GREATEST(COALESCE({count}, 0), 0)", FREQUENCY_MIN),
        _case_min(f"GREATEST(COALESCE({amount}, 0), 0)", MONETARY_MIN),
    )


def sql_segment() -> str:
    """CASE over columns ``r``, ``f``, ``m`` giving the segment code, in the rule order."""
    whens = " ".join(f"WHEN {rule.sql()} THEN '{rule.segment}'" for rule in SEGMENT_RULES)
    return f"CASE {whens} ELSE '{FALLBACK}' END"


def sql_clv(segment_column: str) -> str:
    whens = " ".join(f"WHEN '{s}' THEN '{c}'" for s, c in CLV_OF.items())
    return f"CASE {segment_column} {whens} END"


# ----------------------------------------------------------------------------- reasons


def _level(score_value: int) -> str:
    return {
        5: _("sangat tinggi"),
        4: _("tinggi"),
        3: _("sedang"),
        2: _("rendah"),
        1: _("sangat rendah"),
    }[score_value]


SEGMENT_WHY = {
    Segment.LOST: gettext_lazy("lama tidak bertransaksi dan jarang bertransaksi"),
    Segment.CHAMPION: gettext_lazy("baru bertransaksi, sering, dan bernilai tinggi"),
    Segment.LOYAL: gettext_lazy("sering bertransaksi"),
    Segment.POTENTIAL: gettext_lazy("baru bertransaksi tetapi belum sering"),
    Segment.AT_RISK: gettext_lazy("lama tidak bertransaksi padahal sebelumnya cukup bernilai"),
    Segment.HIBERNATING: gettext_lazy("lama tidak bertransaksi dan jarang bertransaksi"),
    Segment.NEED_ATTENTION: gettext_lazy("tidak masuk pola segmen lain; perlu ditinjau"),
}


def segment_reason(r: int, f: int, m: int, segment: str) -> str:
    """Plain Indonesian: "R=5, F=5, M=4 → Juara: baru bertransaksi, sering, …"."""
    label = Segment(segment).label
    return _(
        "R=%(r)s, F=%(f)s, M=%(m)s → %(segment)s: %(why)s "
        "(kebaruan %(rl)s, frekuensi %(fl)s, nilai %(ml)s)"
    ) % {
        "r": r,
        "f": f,
        "m": m,
        "segment": label,
        "why": SEGMENT_WHY[Segment(segment)],
        "rl": _level(r),
        "fl": _level(f),
        "ml": _level(m),
    }
