"""Route order (issue 19): against brute force on small inputs, on shapes whose optimum is
known, and on degenerate and hostile input. Pure functions: no database."""

from __future__ import annotations

import itertools
import math
import random
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from amanah.fieldops import routing
from amanah.fieldops.contract import route_order

MEDAN = (3.5952, 98.6722)


def brute_force(matrix) -> tuple[float, tuple[int, ...]]:
    """The shortest open path from point 0 through every other point, by trying all orders."""
    best = (math.inf, ())
    for rest in itertools.permutations(range(1, len(matrix))):
        path = (0, *rest)
        length = routing.path_length(path, matrix)
        if length < best[0]:
            best = (length, path)
    return best


def centres_for(rng: random.Random, spread: float = 0.1):
    """One or two cluster centres in a box of Medan."""
    if rng.random() < 0.5:
        return [(MEDAN[0] + rng.uniform(0, spread), MEDAN[1] + rng.uniform(0, spread))]
    centres = [(MEDAN[0] + rng.uniform(0, spread), MEDAN[1] + rng.uniform(0, spread))]
    centres.append((MEDAN[0] + rng.uniform(0, spread), MEDAN[1] + rng.uniform(0, spread)))
    return centres


def instance(seed: int, n: int):
    rng = random.Random(seed)
    centres = centres_for(rng)
    points = []
    for _ in range(n + 1):
        lat, lon = rng.choice(centres)
        points.append((lat + rng.gauss(0, 0.01), lon + rng.gauss(0, 0.01)))
    return points[0], points[1:]


def check_route(route, origin, stops):
    """The order is a permutation of the stops and the reported lengths are its own."""
    assert sorted(route.order) == list(range(len(stops)))
    path = [origin, *(stops[k] for k in route.order)]
    legs = [routing.haversine_km(path[k], path[k + 1]) for k in range(len(path) - 1)]
    assert route.legs_km == pytest.approx(legs, abs=1e-9)
    assert route.total_km == pytest.approx(sum(legs), abs=1e-9)


# --- distances -----------------------------------------------------------------------------


def test_haversine_one_degree_of_latitude_and_symmetry():
    one_degree = math.pi * routing.EARTH_RADIUS_KM / 180  # 111.195 km
    assert routing.haversine_km((0.0, 98.0), (1.0, 98.0)) == pytest.approx(one_degree, rel=1e-12)
    # a degree of longitude shrinks with cos(latitude): 60° N → half
    assert routing.haversine_km((60.0, 0.0), (60.0, 1.0)) == pytest.approx(one_degree / 2, rel=2e-5)
    a, b = (3.59, 98.67), (-6.2, 106.82)  # Medan – Jakarta, about 1,420 km
    assert 1400 < routing.haversine_km(a, b) < 1440
    assert routing.haversine_km(a, b) == routing.haversine_km(b, a)
    # antipodes: half the circumference, no math domain error from rounding
    assert routing.haversine_km((0.0, 0.0), (0.0, 180.0)) == pytest.approx(
        math.pi * routing.EARTH_RADIUS_KM
    )


def test_matrix_agrees_with_haversine():
    rng = random.Random(3)
    points = [(rng.uniform(-11, 6), rng.uniform(95, 141)) for _ in range(12)]
    matrix = routing.distance_matrix(points)
    for i, j in itertools.product(range(12), repeat=2):
        assert matrix[i][j] == pytest.approx(routing.haversine_km(points[i], points[j]), abs=1e-9)


# --- against brute force -------------------------------------------------------------------


@pytest.mark.parametrize("n", [1, 2, 3])
def test_exact_optimum_where_the_moves_reach_every_order(n):
    """With up to 3 stops every order is one 2-opt or Or-opt move from any other, so a local
    optimum of both is the optimum: equal to brute force, on 200 instances each."""
    for seed in range(200):
        origin, stops = instance(1000 * n + seed, n)
        route = route_order(origin, stops)
        check_route(route, origin, stops)
        best, _ = brute_force(routing.distance_matrix([origin, *stops]))
        assert route.total_km == pytest.approx(best, abs=1e-9), seed


# Bounds for 4..8 stops, where 2-opt + Or-opt can stop at a local optimum: every instance
# within 8 % of the optimum, the mean gap under 0.5 %, and at least 90 % of the instances
# exactly optimal. Nearest-first alone breaks all three (test below), so these can fail.
WORST_GAP, MEAN_GAP, SHARE_OPTIMAL = 0.08, 0.005, 0.90
SMALL = [(seed, 4 + seed % 4) for seed in range(240)] + [(5000 + s, 8) for s in range(12)]


def gaps(solve):
    out = []
    for seed, n in SMALL:
        origin, stops = instance(seed, n)
        matrix = routing.distance_matrix([origin, *stops])
        best, _ = brute_force(matrix)
        out.append(solve(origin, stops, matrix) / best - 1)
    return out


def within_bounds(values) -> bool:
    return (
        max(values) <= WORST_GAP
        and sum(values) / len(values) <= MEAN_GAP
        and sum(1 for g in values if g <= 1e-9) / len(values) >= SHARE_OPTIMAL
    )


@pytest.fixture(scope="module")
def nearest_first_gaps():
    return gaps(lambda o, s, m: routing.path_length(routing.nearest_first(m), m))


def test_small_instances_close_to_brute_force():
    def solve(origin, stops, matrix):
        route = route_order(origin, stops)
        check_route(route, origin, stops)
        return route.total_km

    values = gaps(solve)
    assert min(values) >= -1e-9  # never shorter than the optimum: the lengths are honest
    assert within_bounds(values), (max(values), sum(values) / len(values))


def test_the_bounds_are_tight_enough_to_fail(nearest_first_gaps):
    """Nearest-first without the improvement steps fails the bounds on the same instances."""
    assert not within_bounds(nearest_first_gaps)
    assert max(nearest_first_gaps) > WORST_GAP


def test_improvement_never_makes_nearest_first_longer():
    for seed in range(30):
        origin, stops = instance(seed, 40)
        matrix = routing.distance_matrix([origin, *stops])
        nn = routing.path_length(routing.nearest_first(matrix), matrix)
        route = route_order(origin, stops)
        check_route(route, origin, stops)
        assert route.total_km <= nn + 1e-9


def test_kicks_never_make_the_local_search_longer_and_are_reproducible():
    """The iterated local search starts from the plain local search's path (``kicks=0``) and
    keeps the best path it meets, so it is never longer; its kicks come from a seeded
    generator, so the same input gives the same path. It must also earn its time: shorter on
    most of these instances."""
    shorter = 0
    for seed in range(20):
        origin, stops = instance(300 + seed, 30 + seed)
        matrix = routing.distance_matrix([origin, *stops])
        plain = routing.improve(routing.nearest_first(matrix), matrix, kicks=0)
        kicked = routing.improve(routing.nearest_first(matrix), matrix)
        assert kicked[0] == 0 and sorted(kicked) == list(range(len(matrix)))
        assert routing.path_length(kicked, matrix) <= routing.path_length(plain, matrix) + 1e-9
        assert routing.improve(routing.nearest_first(matrix), matrix) == kicked
        shorter += routing.path_length(kicked, matrix) < routing.path_length(plain, matrix) - 1e-6
        route = route_order(origin, stops)
        assert [0, *(k + 1 for k in route.order)] == kicked
    assert shorter >= 10, shorter


# --- shapes whose optimum is known ---------------------------------------------------------


def test_stops_along_a_street_are_visited_in_order():
    """Twenty houses along one meridian, given shuffled, the agent at one end: the only
    shortest path walks them in order (nearest-first alone would too; 2-opt must keep it)."""
    street = [(3.58 + k * 0.001, 98.67) for k in range(1, 21)]
    shuffled = street[:]
    random.Random(5).shuffle(shuffled)
    route = route_order((3.58, 98.67), shuffled)
    assert [shuffled[k] for k in route.order] == street
    assert route.total_km == pytest.approx(routing.haversine_km((3.58, 98.67), street[-1]))


def test_agent_in_the_middle_of_the_street_goes_to_the_near_end_first():
    """Agent between house 6 and 7 of 20 (closer to 6's end): the shortest walk reaches house 1
    first and then goes straight up to house 20 (houses 2–6 on the way down or the way up,
    both equally short); going up first, or nearest-first's zigzag, is longer."""
    street = [(3.58 + k * 0.001, 98.67) for k in range(1, 21)]
    origin = (3.58 + 6.4 * 0.001, 98.67)
    route = route_order(origin, street)
    check_route(route, origin, street)
    expected = routing.haversine_km(origin, street[0]) + routing.haversine_km(street[0], street[-1])
    assert route.total_km == pytest.approx(expected, rel=1e-9)
    assert route.order.index(0) < route.order.index(19)
    assert list(route.order[route.order.index(0) :]) == [
        k for k in range(20) if k not in route.order[: route.order.index(0)]
    ]
    matrix = routing.distance_matrix([origin, *street])
    assert routing.path_length(routing.nearest_first(matrix), matrix) > expected * 1.05


def test_deterministic():
    origin, stops = instance(42, 60)
    assert route_order(origin, stops) == route_order(origin, list(stops))


@given(
    st.lists(
        st.tuples(
            st.floats(min_value=-11.0, max_value=6.0), st.floats(min_value=95.0, max_value=141.0)
        ),
        max_size=25,
    )
)
def test_any_valid_input_gives_a_permutation_with_its_own_length(stops):
    origin = (-2.5, 118.0)
    route = route_order(origin, stops)
    check_route(route, origin, stops)
    if stops:
        matrix = routing.distance_matrix([origin, *stops])
        nn = routing.path_length(routing.nearest_first(matrix), matrix)
        assert route.total_km <= nn + 1e-6


# --- degenerate and hostile input ----------------------------------------------------------


def test_no_stops_and_one_stop():
    assert route_order(MEDAN, []) == routing.Route(order=(), legs_km=(), total_km=0.0)
    route = route_order(MEDAN, [(3.6, 98.7)])
    assert route.order == (0,)
    assert route.total_km == pytest.approx(routing.haversine_km(MEDAN, (3.6, 98.7)))


def test_duplicate_points():
    a, b, c = (3.60, 98.66), (3.61, 98.67), (3.62, 98.70)
    stops = [b, a, c, a, b, a]
    route = route_order(MEDAN, stops)
    check_route(route, MEDAN, stops)
    # the duplicates cost nothing: as long as the best order of the three distinct points
    assert route.total_km == pytest.approx(route_order(MEDAN, [a, b, c]).total_km, abs=1e-9)
    # visits to the same place follow each other
    places = [stops[k] for k in route.order]
    assert [p for i, p in enumerate(places) if i == 0 or places[i - 1] != p] == [a, b, c]
    # everything where the agent stands: zero
    assert route_order(MEDAN, [MEDAN] * 5).total_km == 0.0


def test_number_types_accepted():
    route = route_order([Decimal("3.59"), 98], [(Decimal("3.60"), 98.7), [3, 99]])
    assert sorted(route.order) == [0, 1]


@pytest.mark.parametrize(
    ("origin", "stops", "message"),
    [
        ((float("nan"), 98.6), [(3.6, 98.7)], "origin: latitude is not a finite number"),
        (MEDAN, [(3.6, 98.7), (3.6, float("inf"))], "stop 1: longitude is not a finite"),
        (MEDAN, [(3.6, -float("inf"))], "stop 0: longitude is not a finite"),
        (MEDAN, [(91.0, 98.7)], "stop 0: latitude 91.0 is outside [-90, 90]"),
        (MEDAN, [(3.6, 180.5)], "stop 0: longitude 180.5 is outside [-180, 180]"),
        (MEDAN, [(3.6, -181)], "stop 0: longitude -181.0 is outside"),
        (MEDAN, [("3.6", 98.7)], "stop 0: latitude is not a number"),
        (MEDAN, [(None, 98.7)], "stop 0: latitude is not a number"),
        (MEDAN, [(True, 98.7)], "stop 0: latitude is not a number"),
        (MEDAN, [(3.6, 98.7, 10.0)], "stop 0: expected a (latitude, longitude) pair"),
        (MEDAN, [(3.6,)], "stop 0: expected a (latitude, longitude) pair"),
        (MEDAN, ["3.6,98.7"], "stop 0: expected a (latitude, longitude) pair"),
        (MEDAN, [{"lat": 3.6, "lon": 98.7}], "stop 0: expected a (latitude, longitude) pair"),
        (None, [(3.6, 98.7)], "origin: expected a (latitude, longitude) pair"),
        (MEDAN, [(3.6, 98.7)] * (routing.MAX_STOPS + 1), "too many stops"),
    ],
)
def test_hostile_input_is_a_clear_value_error(origin, stops, message):
    with pytest.raises(ValueError) as caught:
        route_order(origin, stops)
    assert message in str(caught.value)


def test_a_stops_argument_that_is_not_a_list_of_pairs():
    with pytest.raises(TypeError):
        route_order(MEDAN, 5)  # not iterable at all: a programming error, not user input
