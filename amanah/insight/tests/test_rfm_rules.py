"""The RFM rule: every threshold edge, the segment order, and the SQL form agreeing with the
Python form on all of it."""

from __future__ import annotations

import itertools

import pytest
from django.db import connection
from hypothesis import given
from hypothesis import strategies as st

from amanah.insight import rules
from amanah.insight.rules import Segment as S

M = 1_000_000

# (recency days, expected R) — every edge of seed 001 §1.
RECENCY = [
    (None, 1),
    (0, 5),
    (7, 5),
    (8, 4),
    (30, 4),
    (31, 3),
    (90, 3),
    (91, 2),
    (180, 2),
    (181, 1),
    (365, 1),
    (-3, 5),
]  # a booking dated after as_of counts as today
FREQUENCY = [
    (None, 1),
    (0, 1),
    (4, 1),
    (5, 2),
    (14, 2),
    (15, 3),
    (29, 3),
    (30, 4),
    (49, 4),
    (50, 5),
    (10_000, 5),
    (-1, 1),
]
MONETARY = [
    (None, 1),
    (0, 1),
    (-5_000_000, 1),
    (4_999_999, 1),
    (5 * M, 2),
    (20 * M - 1, 2),
    (20 * M, 3),
    (50 * M - 1, 3),
    (50 * M, 4),
    (100 * M - 1, 4),
    (100 * M, 5),
    (10**12, 5),
]


@pytest.mark.parametrize(("days", "expected"), RECENCY)
def test_recency_edges(days, expected):
    assert rules.recency_score(days) == expected


@pytest.mark.parametrize(("count", "expected"), FREQUENCY)
def test_frequency_edges(count, expected):
    assert rules.frequency_score(count) == expected


@pytest.mark.parametrize(("amount", "expected"), MONETARY)
def test_monetary_edges_100m_exactly_scores_5_and_negative_counts_as_zero(amount, expected):
    assert rules.monetary_score(amount) == expected


def test_zero_transactions_score_one_everywhere_and_are_lost():
    s = rules.score(recency_days=None, frequency=0, monetary=0)
    assert (s.r, s.f, s.m, s.segment, s.clv_proxy) == (1, 1, 1, "LOST", "MINIMAL")


# (r, f, m, segment) — one row per branch of DESIGN §6's order.
SEGMENTS = [
    (1, 1, 5, S.LOST),  # LOST first, whatever M
    (1, 1, 1, S.LOST),
    (4, 4, 4, S.CHAMPION),
    (5, 5, 5, S.CHAMPION),
    (4, 4, 3, S.LOYAL),
    (1, 4, 1, S.LOYAL),
    (5, 3, 5, S.POTENTIAL),
    (4, 1, 1, S.POTENTIAL),
    (2, 3, 1, S.AT_RISK),  # total 6
    (1, 2, 3, S.AT_RISK),
    (2, 2, 1, S.HIBERNATING),  # total 5
    (1, 2, 2, S.HIBERNATING),
    (1, 3, 1, S.NEED_ATTENTION),  # total 5, F=3: no rule
    (3, 1, 1, S.NEED_ATTENTION),
    (3, 3, 5, S.NEED_ATTENTION),
]


@pytest.mark.parametrize(("r", "f", "m", "segment"), SEGMENTS)
def test_segment_order(r, f, m, segment):
    assert rules.segment_of(r, f, m) == segment


TRIPLES = list(itertools.product(range(1, 6), repeat=3))


def test_the_16_triples_the_seed_leaves_unsegmented_need_attention_and_lost_is_reachable():
    need = [t for t in TRIPLES if rules.segment_of(*t) == S.NEED_ATTENTION]
    assert len(need) == 16
    assert sorted(need) == sorted([(3, f, m) for f in (1, 2, 3) for m in range(1, 6)] + [(1, 3, 1)])
    assert any(rules.segment_of(*t) == S.LOST for t in TRIPLES)
    assert set(map(lambda t: rules.segment_of(*t), TRIPLES)) == set(S.values)


@given(st.integers(1, 5), st.integers(1, 5), st.integers(1, 5))
def test_every_triple_gets_exactly_one_segment(r, f, m):
    first = [rule.segment for rule in rules.SEGMENT_RULES if rule.matches(r, f, m)]
    segment = rules.segment_of(r, f, m)
    assert segment == (first[0] if first else S.NEED_ATTENTION)
    assert segment in S.values
    assert rules.CLV_OF[segment]
    assert f"R={r}, F={f}, M={m} →" in rules.segment_reason(r, f, m, segment)


@given(
    st.one_of(st.none(), st.integers(-10, 400)),
    st.integers(-5, 80),
    st.integers(-(10**9), 2 * 10**8),
)
def test_score_is_total_of_parts(days, count, amount):
    s = rules.score(recency_days=days, frequency=count, monetary=amount)
    assert s.total == s.r + s.f + s.m and 3 <= s.total <= 15


@pytest.mark.django_db
def test_sql_form_agrees_with_python_on_every_edge_and_every_triple():
    r_sql, f_sql, m_sql = rules.sql_scores(days="days", count="cnt", amount="amount")
    cases = list(
        itertools.product(
            [d for d, _ in RECENCY], [c for c, _ in FREQUENCY], [a for a, _ in MONETARY]
        )
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"""WITH v AS (SELECT * FROM unnest(%s::int[], %s::bigint[], %s::bigint[])
                             AS t(days, cnt, amount)),
                     s AS (SELECT days, cnt, amount, {r_sql} AS r, {f_sql} AS f, {m_sql} AS m
                           FROM v)
                SELECT r, f, m, {rules.sql_segment()} AS segment FROM s""",
            [[c[0] for c in cases], [c[1] for c in cases], [c[2] for c in cases]],
        )
        from_sql = cursor.fetchall()
        cursor.execute(
            f"""WITH t AS (SELECT * FROM unnest(%s::int[], %s::int[], %s::int[]) AS t(r, f, m))
                SELECT {rules.sql_segment()} AS segment,
                       {rules.sql_clv(rules.sql_segment())} FROM t""",
            [[t[0] for t in TRIPLES], [t[1] for t in TRIPLES], [t[2] for t in TRIPLES]],
        )
        triples_sql = cursor.fetchall()
    for (days, count, amount), row in zip(cases, from_sql, strict=True):
        s = rules.score(recency_days=days, frequency=count, monetary=amount)
        assert row == (s.r, s.f, s.m, s.segment), (days, count, amount)
    for t, (segment, clv) in zip(TRIPLES, triples_sql, strict=True):
        assert segment == rules.segment_of(*t)
        assert clv == rules.CLV_OF[rules.segment_of(*t)]
