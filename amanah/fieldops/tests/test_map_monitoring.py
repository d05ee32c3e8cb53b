"""The field map's JSON (declared scope: own, other branch and missing answer 404; route order
and total; no tiles unless an intranet server is named; area outlines), the supervisor's
monitoring figures, and the downloads (content, EXPORT_DATA row with the zone, formula-safe
cells in CSV and XLSX)."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from amanah.audit.models import AuditAction, AuditLog
from amanah.conftest import sign_in
from amanah.core.testing import profile_active
from amanah.fieldops import maps, monitoring, visits
from amanah.fieldops.models import Outcome
from amanah.fieldops.testing import MEDAN, customer_in, visit_input, work_order
from amanah.utility import testing as utility_testing


def _json(client, url):
    response = client.get(url, HTTP_ACCEPT="application/json")
    return response.status_code, (response.json() if response.status_code == 200 else None)


def test_map_json_answers_only_what_the_actor_may_see(
    agent_a1, agent_a2, agent_b, supervisor_a, branch_a, branch_b
):
    mine = work_order(customer_in(branch_a, "Ani"), agent_a1, at=(3.60, 98.68))
    far = work_order(customer_in(branch_a, "Budi"), agent_a1, at=(3.55, 98.60))
    colleague = work_order(customer_in(branch_a), agent_a2)
    elsewhere = work_order(customer_in(branch_b), agent_b)
    client = sign_in(Client(), agent_a1)

    def one(wo):
        return _json(client, reverse("fieldops:wo_map", kwargs={"work_order_id": wo}))

    status, body = one(mine.pk)
    assert status == 200 and [m["number"] for m in body["work_orders"]] == [mine.number]
    marker = body["work_orders"][0]
    assert marker["colour"] == maps.STATUS_COLOURS[mine.status]
    assert marker["navigate"]["geo"].startswith("geo:3.600000,98.680000")
    assert "destination=3.600000%2C98.680000" in marker["navigate"]["directions"]
    assert body["tiles"] == ""  # no internet tiles by default
    for other in (colleague.pk, elsewhere.pk, 10**9):  # other agent, other branch, missing
        status, _body = one(other)
        assert status == 404

    status, day = _json(client, reverse("fieldops:map") + f"?lat={MEDAN[0]}&lon={MEDAN[1]}")
    assert status == 200
    assert {m["number"] for m in day["work_orders"]} == {mine.number, far.number}
    assert sorted(m["order"] for m in day["work_orders"]) == [1, 2]
    assert day["total_km"] == pytest.approx(sum(m["leg_km"] for m in day["work_orders"]), 0.01)
    assert day["origin"] == [MEDAN[0], MEDAN[1]]

    team = sign_in(Client(), supervisor_a)
    status, body = _json(team, reverse("fieldops:team_map"))
    assert status == 200
    assert {m["number"] for m in body["work_orders"]} == {mine.number, far.number, colleague.number}
    assert {m["agent"] for m in body["work_orders"]} == {"CTB Satu", "CTB Dua"}
    assert _json(client, reverse("fieldops:team_map"))[0] == 403  # an agent has no team map


def test_map_areas_and_the_intranet_tile_setting(agent_a1, branch_a, settings):
    work_order(customer_in(branch_a), agent_a1, at=MEDAN)
    outline = {"name": "Zona Medan Kota", "polygon": [[3.5, 98.6], [3.7, 98.6], [3.7, 98.8]]}
    asked = []

    def outlines(bounds):
        asked.append(bounds)
        return [outline]

    settings.FIELDOPS_TILE_URL = "https://peta.intranet.bank/{z}/{x}/{y}.png"
    with maps.map_areas.temporarily("test.areas", maps.MapAreas("uji", outlines)):
        body = maps.agent_map(actor=agent_a1)
    assert outline in body["areas"] and body["tiles"].startswith("https://peta.intranet")
    south, west, north, east = asked[0]
    assert south < MEDAN[0] < north and west < MEDAN[1] < east

    # the PDAM's service areas, declared by the utility: the one near the markers only, in a
    # PDAM; a bank's map shows none (the utility is not its module)
    utility_testing.area("W1", spam_code="")
    utility_testing.area("W9", spam_code="", centre_lat="-2.533000", centre_lon="140.717000")
    with profile_active("pdam"):
        names = [a["name"] for a in maps.agent_map(actor=agent_a1)["areas"]]
    assert "W1 Wilayah W1" in names and "W9 Wilayah W9" not in names
    with profile_active("bank"):
        assert maps.agent_map(actor=agent_a1)["areas"] == []


def test_monitoring_figures_start_from_the_actors_scope(
    agent_a1, agent_b, supervisor_a, branch_a, branch_b
):
    now = timezone.now()
    today = timezone.localdate(now)
    outcomes = [Outcome.ATK, Outcome.NOT_MET, Outcome.NOT_MET, Outcome.PROMISE, Outcome.MET_PAID]
    for outcome in outcomes:
        wo = work_order(customer_in(branch_a), agent_a1)
        extra = {}
        if outcome == Outcome.PROMISE:
            extra = {"promise_date": today + dt.timedelta(days=3), "promise_amount": 250_000}
        if outcome == Outcome.MET_PAID:
            extra = {"paid_amount": 100_000}
        visits.visit_record(
            actor=agent_a1, data=visit_input(wo, outcome=outcome, captured_at=now, **extra)
        )
    other = work_order(customer_in(branch_b), agent_b)  # another branch: never counted
    visits.visit_record(actor=agent_b, data=visit_input(other, outcome=Outcome.ATK))

    m = monitoring.monitoring(actor=supervisor_a, today=today)
    assert (m.visits, m.atk, m.promises) == (5, 1, 1)
    assert m.atk_percent == Decimal("20.0") and not m.above_baseline
    assert (m.promised, m.paid, m.paid_visits) == (Decimal(250_000), Decimal(100_000), 1)
    assert [d.day for d in m.days] == [today]
    assert [(r.agent, r.total) for r in m.by_agent] == [("CTB Satu", 5)]
    assert m.trend == ""  # nothing in the period's first half

    page = sign_in(Client(), supervisor_a).get(reverse("fieldops:monitoring"))
    assert page.status_code == 200
    assert b'data-testid="atk-rate">20,0 %' in page.content  # id: decimal comma
    assert b'data-testid="field-map"' in page.content


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_download_is_audited_with_the_zone_and_safe_cells(
    fmt, agent_a1, agent_b, supervisor_a, branch_a, branch_b
):
    wo = work_order(customer_in(branch_a, '=HYPERLINK("http://x")'), agent_a1)
    visits.visit_record(
        actor=agent_a1, data=visit_input(wo, outcome=Outcome.ATK, note="@SUM(A1:A9)")
    )
    work_order(customer_in(branch_b, "Di Cabang Lain"), agent_b)
    client = sign_in(Client(), supervisor_a)
    before = AuditLog.objects.filter(action=AuditAction.EXPORT_DATA).count()

    for what, name_column, expected in (
        ("work_orders", "pelanggan", '\'=HYPERLINK("http://x")'),
        ("visits", "catatan", "'@SUM(A1:A9)"),
    ):
        response = client.get(reverse("fieldops:export"), {"what": what, "format": fmt})
        assert response.status_code == 200
        body = b"".join(response.streaming_content) if fmt == "csv" else response.content
        if fmt == "csv":
            table = list(csv.reader(io.StringIO(body.decode())))
        else:
            sheet = load_workbook(io.BytesIO(body)).worksheets[0]
            table = [[c if c is not None else "" for c in row] for row in sheet.values]
        header, rows = table[0], table[1:]
        assert any(h.endswith("(WIB)") for h in header)
        assert len(rows) == 1  # the other branch's work order is not the supervisor's
        assert rows[0][header.index(name_column)] == expected

    rows = AuditLog.objects.filter(action=AuditAction.EXPORT_DATA).order_by("-id")
    assert rows.count() == before + 2
    latest = rows.first()
    assert latest.object_type == "FIELDOPS_VISITS"
    assert latest.meta["format"] == fmt and latest.meta["rows"] == 1
    assert latest.meta["zone"] == "WIB"


def test_download_refusals_change_nothing(supervisor_a, agent_a1):
    before = AuditLog.objects.filter(action=AuditAction.EXPORT_DATA).count()
    client = sign_in(Client(), supervisor_a)
    for query in (
        {"what": "everything", "format": "csv"},
        {"what": "visits", "format": "pdf"},
        {"what": "visits", "format": "csv", "dari": "2026-05-02", "sampai": "2026-05-01"},
        {"what": "visits", "format": "csv", "dari": "9999-12-31"},
    ):
        assert client.get(reverse("fieldops:export"), query).status_code == 400
    assert sign_in(Client(), agent_a1).get(reverse("fieldops:export")).status_code == 403
    assert sign_in(Client(), agent_a1).get(reverse("fieldops:monitoring")).status_code == 403
    assert AuditLog.objects.filter(action=AuditAction.EXPORT_DATA).count() == before
