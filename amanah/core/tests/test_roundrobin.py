"""The shared round robin with skips (core.roundrobin): pure, so tested without a database."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from amanah.core.roundrobin import Pool, least_loaded_position, next_position

ALL = list(range(1, 31))
ROOM = dict.fromkeys(ALL, 10)


def pick(after, *, available=ALL, load=None, capacity=ROOM, include_after=False):
    return next_position(
        after=after,
        positions=ALL,
        available=available,
        load=load or {},
        capacity=capacity,
        include_after=include_after,
    )


def test_next_in_order_and_wrap_after_the_last():
    assert pick(1) == 2
    assert pick(29) == 30
    assert pick(30) == 1
    assert pick(0) == 1  # nobody served yet


def test_away_and_full_agents_are_skipped():
    assert pick(3, available=[a for a in ALL if a != 4]) == 5
    assert pick(3, load={4: 10, 5: 12}) == 6  # 5 is over capacity (lowered below its load)
    assert pick(29, available=[1, 2, 3, 29], load={1: 10}) == 2


def test_the_current_one_is_never_the_answer_unless_allowed():
    assert pick(7, available=[7]) is None
    assert pick(7, available=[7], include_after=True) == 7
    assert pick(7, available=[7, 9], include_after=True) == 9
    assert pick(7, available=[]) is None


def test_a_pool_counts_what_it_hands_out():
    pool = Pool(positions=[1, 2, 3], available={1, 2, 3}, capacity={1: 1, 2: 1, 3: 5})
    assert [pool.take(after=0, include_after=True) for _ in range(3)] == [1, 2, 3]
    assert pool.take(after=3) is None or pool.take(after=3) == 3  # only 3 has room
    pool.release(1)
    assert pool.take(after=3) == 1


@pytest.mark.parametrize("positions", [[1, 2, 4], [1, 1, 2], [2, 3]])
def test_a_pool_refuses_an_order_with_gaps_or_duplicates(positions):
    with pytest.raises(ValueError):
        Pool(positions=positions, available=set(), capacity={})


@given(
    after=st.integers(0, 30),
    available=st.sets(st.integers(1, 30)),
    load=st.dictionaries(st.integers(1, 30), st.integers(0, 12)),
    include_after=st.booleans(),
)
def test_the_answer_is_the_first_eligible_going_round(after, available, load, include_after):
    got = pick(after, available=available, load=load, include_after=include_after)
    eligible = [p for p in ALL if p in available and load.get(p, 0) < ROOM[p]]
    walk = [p for p in ALL[after:] + ALL[:after] if p != after]
    if include_after and after:
        walk.append(after)
    expected = next((p for p in walk if p in eligible), None)
    assert got == expected


def least(after, *, available=ALL, load=None, capacity=ROOM):
    return least_loaded_position(
        after=after, positions=ALL, available=available, load=load or {}, capacity=capacity
    )


def test_least_loaded_takes_the_emptiest_and_breaks_ties_going_round():
    load = dict.fromkeys(ALL, 3) | {12: 1, 20: 1}
    assert least(0, load=load) == 12
    assert least(12, load=load) == 20  # a tie: the next one after the last served
    assert least(20, load=load) == 12  # wraps
    assert least(5, load=dict.fromkeys(ALL, 2)) == 6  # all equal: plain round robin
    assert least(7, available=[7], load={7: 9}) == 7  # the last served, when alone


def test_least_loaded_skips_away_and_full_positions():
    load = dict.fromkeys(ALL, 5) | {3: 0, 4: 1}
    assert least(0, load=load, available=[a for a in ALL if a != 3]) == 4
    assert least(0, load=load, capacity=ROOM | {3: 0}) == 4  # 3 has no room
    assert least(0, available=[]) is None
    assert least(0, load=dict.fromkeys(ALL, 10)) is None  # everyone at capacity


def test_a_pool_hands_out_by_least_load_and_counts_it():
    pool = Pool(positions=[1, 2, 3], available={1, 2, 3}, capacity=dict.fromkeys([1, 2, 3], 3))
    pool.load = {1: 2, 2: 0, 3: 1}
    assert [pool.take_least_loaded(after=0) for _ in range(4)] == [2, 2, 3, 1]
    assert pool.load == {1: 3, 2: 2, 3: 2}


@given(
    after=st.integers(0, 30),
    available=st.sets(st.integers(1, 30)),
    load=st.dictionaries(st.integers(1, 30), st.integers(0, 12)),
)
def test_least_loaded_answer_is_eligible_and_minimal(after, available, load):
    got = least(after, available=available, load=load)
    eligible = [p for p in ALL if p in available and load.get(p, 0) < ROOM[p]]
    if not eligible:
        assert got is None
        return
    assert got in eligible
    assert load.get(got, 0) == min(load.get(p, 0) for p in eligible)
    walk = [p for p in ALL[after:] + ALL[:after] if p != after] + ([after] if after else [])
    ties = [p for p in walk if p in eligible and load.get(p, 0) == load.get(got, 0)]
    assert got == ties[0]
