"""Segmentation of pelanggan: tariff group, arrears band and consumption band as marketing
segment rules (registered through utility's contract) and the director's widgets."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from amanah.core import registry
from amanah.core.errors import ServiceError
from amanah.core.roles import RoleKey as R
from amanah.customers.models import Customer
from amanah.marketing.rules import compile_rules
from amanah.marketing.services import segment_create, segment_preview
from amanah.utility import segments, testing
from amanah.utility.models import Bill, BillStatus


def _bill(conn, months_ago, *, usage, paid=False):
    today = timezone.localdate()
    period = dt.date(today.year, today.month, 1) - dt.timedelta(days=31 * months_ago)
    period = period.replace(day=1)
    due = today - dt.timedelta(days=45) if months_ago else today + dt.timedelta(days=10)
    return Bill.objects.create(
        connection=conn,
        period=period,
        previous_reading=0,
        reading=usage,
        usage_m3=usage,
        water_amount=usage * 3_000,
        fixed_charge=10_000,
        total=usage * 3_000 + 10_000,
        paid=usage * 3_000 + 10_000 if paid else 0,
        status=BillStatus.PAID if paid else BillStatus.OPEN,
        issued_on=due - dt.timedelta(days=20),
        due_on=due,
    )


@pytest.fixture
def world(db, branch_a, branch_b):
    """late: R1, a bill 45 days overdue, 25 m³; tidy: R1, paid, 5 m³; fresh: R2 (branch B),
    no bill yet."""
    testing.network()
    testing.tariff("R2", fixed_charge=20_000)
    late = testing.connection(branch_a)
    _bill(late, 1, usage=25)
    tidy = testing.connection(branch_a)
    _bill(tidy, 1, usage=5, paid=True)
    fresh = testing.connection(branch_b, tariff_code="R2")
    return {"late": late, "tidy": tidy, "fresh": fresh}


def _matching(rule) -> set:
    condition = compile_rules({"all": [rule]})
    return set(
        Customer.objects.filter(condition).values_list("water_connection__number", flat=True)
    )


def test_the_bands_of_each_connection(world):
    rows = dict(
        segments.with_bands(type(world["late"]).objects.all(), timezone.localdate()).values_list(
            "number", "arrears_band"
        )
    )
    assert rows == {
        world["late"].number: "D31_60",
        world["tidy"].number: "NONE",
        world["fresh"].number: "NONE",
    }


def test_utility_fields_work_as_segment_rules(world):
    late, tidy, fresh = (world[k].number for k in ("late", "tidy", "fresh"))
    assert {"utility.tariff", "utility.arrears_band", "utility.consumption_band"} <= set(
        dict(registry.segment_fields.items())
    )
    assert _matching({"field": "utility.tariff", "op": "in", "value": ["R2"]}) == {fresh}
    assert _matching({"field": "utility.tariff", "op": "not_in", "value": ["R2"]}) >= {late, tidy}
    assert _matching({"field": "utility.arrears_band", "op": "in", "value": ["D31_60"]}) == {late}
    assert (
        _matching({"field": "utility.arrears_band", "op": "in", "value": ["D61_90", "D90_PLUS"]})
        == set()
    )
    assert _matching({"field": "utility.consumption_band", "op": "in", "value": ["M21_40"]}) == {
        late
    }
    assert _matching({"field": "utility.consumption_band", "op": "in", "value": ["M0_10"]}) == {
        tidy
    }
    assert _matching({"field": "utility.consumption_band", "op": "in", "value": ["NONE"]}) >= {
        fresh
    }


@pytest.mark.parametrize(
    "rule",
    [
        {"field": "utility.tariff", "op": "in", "value": ["NOPE"]},
        {"field": "utility.arrears_band", "op": "eq", "value": "D1_30"},
        {"field": "utility.consumption_band", "op": "in", "value": []},
        {"field": "utility.arrears_band", "op": "in", "value": [3]},
    ],
)
def test_bad_utility_rules_are_refused(world, rule):
    with pytest.raises(ServiceError) as refused:
        compile_rules({"all": [rule]})
    assert refused.value.code == "rule_invalid"


def test_a_segment_of_late_payers_through_marketing(world, make_user):
    marketer = make_user(R.MARKETING)
    rules = {"all": [{"field": "utility.arrears_band", "op": "in", "value": ["D31_60"]}]}
    segment = segment_create(actor=marketer, name="Penunggak 31-60 hari", rules=rules)
    assert segment.current.rules == rules
    assert segment_preview(actor=marketer, rules=rules)["matching"] == 1


def test_director_widgets_count_active_connections_by_band_and_tariff(world, branch_a, branch_b):
    now = timezone.now()
    arrears = list(segments.arrears_compute([branch_a.pk, branch_b.pk], now))
    table = segments.arrears_present(arrears, {})
    assert dict((str(r[0]), r[1]) for r in table.rows) == {
        "Tanpa tunggakan": 2,
        "1–30 hari": 0,
        "31–60 hari": 1,
        "61–90 hari": 0,
        "> 90 hari": 0,
    }
    only_b = list(segments.tariff_compute([branch_b.pk], now))
    assert [(f.series, f.value) for f in only_b] == [("R2", 1)]
    tariffs = segments.tariff_present(list(segments.tariff_compute([branch_a.pk], now)), {})
    assert [row[1] for row in tariffs.rows] == [2]
    assert {"utility.arrears_by_band", "utility.customers_by_tariff"} <= set(
        dict(registry.dashboard_widgets.items())
    )


def test_the_segment_builder_offers_the_utility_fields(world):
    from amanah.marketing.forms import SegmentForm

    form = SegmentForm({"name": "Penunggak", "field_utility__arrears_band": ["D31_60"]})
    assert "field_utility__tariff" in form.fields
    assert form.is_valid(), form.errors
    rule = {"field": "utility.arrears_band", "op": "in", "value": ["D31_60"]}
    assert form.rules() == {"all": [rule]}
    refused = SegmentForm({"name": "X", "field_utility__consumption_band": ["M999"]})
    assert not refused.is_valid()
