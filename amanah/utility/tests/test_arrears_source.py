"""The water bills in arrears as field ops' arrears source (issue 50, 6; seed 002 for the
PDAM): the source's SQL (``utility/sql.py``) held to the ORM's answer, and the work orders
field ops generates from it — billing data (bills, periods, what is owed, the connection
number) and the installation's GPS as their location (``INSTALLATION``) — through the
registry alone (field ops imports nothing of the utility).

Bills: Sep–Dec 2025, 35,000 each, due on the 20th of the following month; the day asked for
is 10 Jan 2026, so Sep, Oct and Nov are past due (Dec is due 20 Jan).
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from django.db import connection as db
from django.db.models import Count, F, Min, Sum

from amanah.core.roles import RoleKey as R
from amanah.fieldops import generate, services
from amanah.fieldops.contract import ARREARS_COLUMNS, arrears_sources
from amanah.fieldops.models import LocationSource, WorkOrder
from amanah.utility import accounts, arrears, billing, testing
from amanah.utility import services as utility
from amanah.utility.installations import installation_move
from amanah.utility.models import Bill, Installation

AS_OF = dt.date(2026, 1, 10)
PERIODS = [dt.date(2025, m, 1) for m in (8, 9, 10, 11, 12)]
SURVEYED = ("3.601234", "98.681234")


def _bills(conn, usage=10):
    for n, period in enumerate(PERIODS):
        testing.read(conn, period, n * usage)
        if n:
            billing.billing_run(actor=testing.SYSTEM, period=period)


@pytest.fixture
def pelanggan(branch_a, branch_b):
    """Four connections: one partly paid (located by its own coordinates), one of a new
    installation whose survey located it, one without any coordinates or RT (another
    branch), and one paid up."""
    partly = testing.connection(branch_a)
    surveyed = Installation.objects.get(pk=testing.installation(branch_a).pk)
    installation_move(
        actor=testing.SYSTEM,
        installation_id=surveyed.pk,
        to="SURVEYED",
        lat=SURVEYED[0],
        lon=SURVEYED[1],
        note="Pipa dinas dekat.",
    )
    utility.connection_status_set(
        actor=testing.SYSTEM, connection_id=surveyed.connection_id, status="ACTIVE"
    )
    unplaced = testing.connection(branch_b, lat="", lon="", rt="", village="Sidorejo")
    paid_up = testing.connection(branch_a)
    for conn in (partly, surveyed.connection, unplaced, paid_up):
        _bills(conn)
    accounts.payment_apply(
        actor=testing.SYSTEM, connection_id=partly.pk, amount=50_000, reference="KW-1"
    )
    accounts.payment_apply(
        actor=testing.SYSTEM, connection_id=paid_up.pk, amount=140_000, reference="KW-2"
    )
    return partly, surveyed.connection, unplaced, paid_up


def _rows(customer_id=None) -> dict:
    sql, params = arrears.bills_arrears_select(customer_id, as_of=AS_OF)
    with db.cursor() as cursor:
        cursor.execute(f"SELECT {', '.join(ARREARS_COLUMNS)} FROM ({sql}) s", params)  # noqa: S608
        rows = [dict(zip(ARREARS_COLUMNS, row, strict=True)) for row in cursor.fetchall()]
    for row in rows:
        row["billing"] = json.loads(row["billing"])  # Django's cursor: jsonb as text
    return {row["customer_id"]: row for row in rows}


def _orm_answer() -> dict:
    """The same question asked through the ORM: overdue open bills per pelanggan."""
    overdue = (
        Bill.objects.filter(status="OPEN", paid__lt=F("total"), due_on__lt=AS_OF)
        .values("connection__customer_id", "connection__branch_id", "connection__number")
        .annotate(oldest=Min("due_on"), owed=Sum(F("total") - F("paid")), bills=Count("id"))
    )
    return {
        row["connection__customer_id"]: {
            "branch_id": row["connection__branch_id"],
            "days_past_due": (AS_OF - row["oldest"]).days,
            "outstanding": Decimal(row["owed"]),
            "bills": row["bills"],
            "account_ref": row["connection__number"],
        }
        for row in overdue
    }


def test_the_sources_sql_agrees_with_the_orm(pelanggan):
    partly, surveyed, unplaced, paid_up = pelanggan
    rows = _rows()
    expected = _orm_answer()
    assert set(rows) == set(expected) == {partly.customer_id, surveyed.customer_id,
                                          unplaced.customer_id}  # fmt: skip
    for customer_id, want in expected.items():
        row = rows[customer_id]
        got = {
            "branch_id": row["branch_id"],
            "days_past_due": row["days_past_due"],
            "outstanding": row["outstanding"],
            "bills": row["billing"]["bills"],
            "account_ref": row["account_ref"],
        }
        assert got == want
        assert len(row["billing"]["items"]) == want["bills"]
        assert sum(i["owed"] for i in row["billing"]["items"]) == want["outstanding"]
    # the one customer's row alone reads the same (a work order made by hand)
    assert _rows(partly.customer_id) == {partly.customer_id: rows[partly.customer_id]}


def test_the_row_carries_the_bills_the_last_payment_and_the_installation_gps(pelanggan):
    partly, surveyed, unplaced, _paid_up = pelanggan
    rows = _rows()
    first = rows[partly.customer_id]
    # Sep paid, Oct paid 15,000 of 35,000, Nov unpaid; Dec not yet due.
    assert first["days_past_due"] == (AS_OF - dt.date(2025, 11, 20)).days
    assert first["outstanding"] == Decimal(55_000)
    assert first["billing"]["periods"] == ["2025-10", "2025-11"]
    assert [i["owed"] for i in first["billing"]["items"]] == [20_000, 35_000]
    assert first["billing"]["kind"] == "WATER" and first["billing"]["connection"] == partly.number
    assert first["last_payment_on"] is not None
    assert (first["latitude"], first["location_source"]) == (3.596, LocationSource.INSTALLATION)
    assert first["address"] == "Jl. Sisingamangaraja No. 12, RT 003, RW 005"
    assert first["segment"] == "R1"
    located = rows[surveyed.customer_id]
    assert (located["latitude"], located["longitude"]) == tuple(float(x) for x in SURVEYED)
    assert located["location_source"] == LocationSource.INSTALLATION
    assert located["last_payment_on"] is None
    nowhere = rows[unplaced.customer_id]
    assert nowhere["latitude"] is None and nowhere["location_source"] == LocationSource.NONE


def _on(day: dt.date):
    """'Now' is ``day`` at noon in Medan (the source's 'today')."""
    moment = dt.datetime.combine(day, dt.time(12), ZoneInfo("Asia/Jakarta"))
    return mock.patch("django.utils.timezone.now", return_value=moment.astimezone(dt.UTC))


def test_field_ops_generates_work_orders_from_water_arrears(pelanggan, system, make_user, branch_a):
    partly, surveyed, unplaced, _paid_up = pelanggan
    supervisor_a = make_user(R.SUPERVISOR, branches=[branch_a])
    assert arrears_sources.get("utility.bills").select is arrears.bills_arrears_select
    rule = generate.Rule(min_days=30, min_amount=Decimal(0))
    with _on(AS_OF):
        # the supervisor of branch A makes those of its branch only
        assert (
            generate.work_orders_generate(actor=supervisor_a, source="utility.bills", rule=rule)
            == 2
        )
        assert generate.work_orders_generate(actor=system, source="utility.bills", rule=rule) == 1
        assert generate.work_orders_generate(actor=system, source="utility.bills", rule=rule) == 0
    orders = {wo.customer_id: wo for wo in WorkOrder.objects.all()}
    wo = orders[surveyed.customer_id]
    assert (wo.latitude, wo.longitude) == tuple(float(x) for x in SURVEYED)
    assert wo.location_source == LocationSource.INSTALLATION
    assert (wo.source, wo.account_ref, wo.branch_id) == ("utility.bills", surveyed.number,
                                                         surveyed.branch_id)  # fmt: skip
    assert wo.billing["bills"] == 3 and wo.billing["periods"] == ["2025-09", "2025-10", "2025-11"]
    assert wo.outstanding == Decimal(105_000) and not wo.address_incomplete
    assert orders[unplaced.customer_id].address_incomplete  # no RT
    assert orders[unplaced.customer_id].location_source == LocationSource.NONE


def test_a_work_order_made_by_hand_reads_the_pelanggans_bills(pelanggan, system):
    partly, *_rest = pelanggan
    with _on(AS_OF):
        wo = services.work_order_create(actor=system, customer_id=partly.customer_id)
    assert (wo.source, wo.account_ref) == ("utility.bills", partly.number)
    assert wo.billing["periods"] == ["2025-10", "2025-11"]
    assert wo.location_source == LocationSource.INSTALLATION and wo.latitude == 3.596


def test_the_agent_sees_each_bill_owed_on_the_page_and_in_the_offline_day(
    pelanggan, system, make_user, branch_a
):
    from django.test import Client
    from django.urls import reverse

    from amanah.conftest import sign_in_directly
    from amanah.fieldops import pwa

    partly, *_rest = pelanggan
    agent = make_user(R.AGENT, branches=[branch_a], full_name="Petugas Lapangan")
    with _on(AS_OF):
        wo = services.work_order_create(actor=system, customer_id=partly.customer_id)
    services.work_order_assign(actor=system, work_order_id=wo.pk, agent_id=agent.pk)
    page = sign_in_directly(Client(), agent).get(
        reverse("fieldops:detail", kwargs={"work_order_id": wo.pk})
    )
    html = page.content.decode()
    assert page.status_code == 200 and 'data-testid="bills-owed"' in html
    assert "Rp 20.000" in html and "Rp 35.000" in html and partly.number in html
    (day,) = pwa.agent_offline_day(actor=agent)["work_orders"]
    owed = day["billing"]["bills_owed"]
    assert [line["owed"] for line in owed] == ["20.000", "35.000"]
    assert all(line["period"].endswith("2025") for line in owed)
