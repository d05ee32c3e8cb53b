"""Tariff blocks: a set with a gap, an overlap, not from 0 or not open-ended is refused; the
bill's water price is the sum over blocks (property-tested against a reference and the SQL)."""

from __future__ import annotations

import pytest
from django.db import connection as db
from django.urls import reverse
from hypothesis import given, settings
from hypothesis import strategies as st

from amanah.conftest import sign_in
from amanah.core.errors import ServiceError
from amanah.core.roles import RoleKey as R
from amanah.utility import tariffs, testing
from amanah.utility.models import TariffGroup


@pytest.mark.parametrize(
    ("blocks", "code"),
    [
        ([], "blocks_empty"),
        ([(1, 10, 100), (10, None, 200)], "blocks_not_from_zero"),
        ([(0, 10, 100), (12, None, 200)], "blocks_gap"),
        ([(0, 10, 100), (8, None, 200)], "blocks_overlap"),
        ([(0, 10, 100), (10, 20, 200)], "blocks_not_open"),
        ([(0, None, 100), (10, None, 200)], "block_open_not_last"),
        ([(0, 10, 100), (10, 10, 200), (10, None, 1)], "block_empty"),
        ([(0, 10, -1), (10, None, 200)], "block_out_of_range"),
        ([(0, 10, 1.5), (10, None, 200)], "block_invalid"),
    ],
)
def test_bad_block_sets_are_refused_with_their_reason(db, blocks, code):
    with pytest.raises(ServiceError) as refused:
        testing.tariff("R9", blocks=blocks)
    assert refused.value.code == code and refused.value.field == "blocks"
    assert not TariffGroup.objects.filter(code="R9").exists()


def test_blocks_are_replaced_together(db):
    group = testing.tariff()
    assert group.blocks.count() == 3
    testing.tariff(blocks=[(0, None, 4_000)])
    assert list(group.blocks.values_list("from_m3", "to_m3", "price")) == [(0, None, 4_000)]


def test_water_amount_by_hand():
    blocks = tariffs.check_blocks(testing.R1_BLOCKS)
    assert tariffs.water_amount(blocks, 0) == 0
    assert tariffs.water_amount(blocks, 10) == 25_000
    assert tariffs.water_amount(blocks, 25) == 25_000 + 35_000 + 25_000


@st.composite
def block_sets(draw):
    widths = draw(st.lists(st.integers(1, 50), min_size=0, max_size=5))
    prices = draw(
        st.lists(st.integers(0, 20_000), min_size=len(widths) + 1, max_size=len(widths) + 1)
    )
    blocks, start = [], 0
    for width, price in zip(widths, prices, strict=False):
        blocks.append((start, start + width, price))
        start += width
    blocks.append((start, None, prices[-1]))
    return blocks


def _reference(blocks, usage: int) -> int:
    """Cubic metre by cubic metre: each m³ at the price of the block it falls in."""
    total = 0
    for m3 in range(usage):
        total += next(p for s, e, p in blocks if s <= m3 and (e is None or m3 < e))
    return total


@settings(max_examples=150, deadline=None)
@given(block_sets(), st.integers(0, 300), st.integers(0, 300))
def test_amount_is_whole_monotonic_and_equals_the_reference(blocks, usage, more):
    checked = tariffs.check_blocks(blocks)
    amount = tariffs.water_amount(checked, usage)
    assert isinstance(amount, int) and amount == _reference(checked, usage)
    assert tariffs.water_amount(checked, usage + more) >= amount


@settings(max_examples=25, deadline=None)
@given(block_sets(), st.integers(0, 300))
def test_the_sql_arithmetic_equals_the_python(django_db_blocker, blocks, usage):
    with django_db_blocker.unblock(), db.cursor() as cursor:
        values = ",".join(f"({s}, {'NULL::int' if e is None else e}, {p})" for s, e, p in blocks)
        sql = tariffs.BLOCK_SQL.format(u="%s::int", g="1").replace(
            "FROM utility_tariffblock b WHERE b.group_id = 1",
            f"FROM (VALUES {values}) AS b(from_m3, to_m3, price)",
        )
        cursor.execute(f"SELECT {sql}::bigint", [usage, usage])
        assert cursor.fetchone()[0] == tariffs.water_amount(blocks, usage)


def test_tariff_page_and_form(db, make_user):
    testing.tariff()
    client = sign_in(__import__("django.test", fromlist=["Client"]).Client(), make_user(R.ADMIN))
    assert b"R1" in client.get(reverse("utility:tariffs")).content
    form = {
        "code": "N1",
        "name": "Niaga",
        "fixed_charge": "25000",
        "blocks": "0-10: 5000\n10-: 8000",
    }
    assert client.post(reverse("utility:tariff_new"), form).status_code == 303
    gap = client.post(
        reverse("utility:tariff_new"), {**form, "code": "N2", "blocks": "0-10: 5000\n12-: 1"}
    )
    assert gap.status_code == 400 and "celah" in gap.content.decode()
    junk = client.post(
        reverse("utility:tariff_new"), {**form, "code": "N3", "blocks": "nol sampai sepuluh"}
    )
    assert junk.status_code == 400
    assert set(TariffGroup.objects.values_list("code", flat=True)) == {"R1", "N1"}
