"""The offline app's sync (``fieldops.pwa``): a replayed batch is applied once, a work order
reassigned meanwhile is a conflict kept for the supervisor, a batch with bad items applies the
good ones and answers each bad one with its reason, a result captured outside the collection
contact window is a conflict with that reason; the day's data carries the same window; the
app's page, manifest, worker and endpoints answer as a browser needs."""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.urls import reverse

from amanah.conftest import sign_in_directly
from amanah.core.errors import ServiceError
from amanah.fieldops import monitoring, pwa, selectors, services
from amanah.fieldops.models import (
    ConflictReason,
    Outcome,
    PositionFlag,
    ResultStatus,
    VisitResult,
    WorkOrder,
    WoStatus,
)
from amanah.fieldops.testing import MEDAN, SYSTEM, customer_in, work_order
from amanah.workflow.models import TransitionHistory

WIB = ZoneInfo("Asia/Jakarta")
TUESDAY_10 = datetime(2026, 11, 24, 10, 0, tzinfo=WIB)  # inside the collection window
SUNDAY_10 = datetime(2026, 11, 22, 10, 0, tzinfo=WIB)  # collection is closed on Sundays
COLLECTION = {"weekdays": [0, 1, 2, 3, 4, 5], "hours": ["08:00", "20:00"], "holidays": True}


def item(wo, **fields) -> dict:
    """One result as the device's outbox holds it (JSON types)."""
    values = {
        "key": str(uuid.uuid4()),
        "work_order_id": wo.pk,
        "outcome": Outcome.NOT_MET,
        "note": "",
        "captured_at": fields.pop("at", TUESDAY_10).isoformat(),
        "latitude": MEDAN[0],
        "longitude": MEDAN[1],
        "accuracy_m": 15.0,
        "position_confirmed": False,
    }
    values.update(fields)
    return values


def sync(actor, items, now=TUESDAY_10 + timedelta(hours=1)):
    return pwa.visits_sync(actor=actor, items=items, now=now)["results"]


@pytest.fixture
def day_orders(agent_a1, branch_a):
    return [work_order(customer_in(branch_a, f"Pelanggan {n}"), agent_a1) for n in range(3)]


def test_a_replayed_batch_is_applied_once(agent_a1, day_orders):
    atk, promise = day_orders[:2]
    batch = [
        item(atk, outcome=Outcome.ATK),
        item(
            promise,
            outcome=Outcome.PROMISE,
            promise_date="2026-11-28",
            promise_amount="750000",
        ),
    ]
    first = sync(agent_a1, batch)
    again = sync(agent_a1, batch, now=TUESDAY_10 + timedelta(hours=2))

    assert [a["status"] for a in first] == [ResultStatus.APPLIED, ResultStatus.APPLIED]
    assert again == first  # the same answers, not a second application
    assert VisitResult.objects.filter(work_order__in=[atk, promise]).count() == 2
    visited = TransitionHistory.objects.filter(object_id__in=[str(atk.pk), str(promise.pk)])
    assert visited.filter(to_status=WoStatus.VISITED).count() == 2
    promise.refresh_from_db()
    assert (promise.status, str(promise.promise_amount)) == (WoStatus.VISITED, "750000.00")


def test_a_work_order_reassigned_meanwhile_is_a_conflict_kept_for_the_supervisor(
    agent_a1, agent_a2, supervisor_a, day_orders
):
    wo = day_orders[0]
    services.work_order_assign(actor=SYSTEM, work_order_id=wo.pk, agent_id=agent_a2.pk)

    (answer,) = sync(agent_a1, [item(wo, outcome=Outcome.MET_REFUSED)])

    assert answer["status"] == ResultStatus.CONFLICT
    assert answer["code"] == ConflictReason.NOT_YOURS
    assert "petugas lain" in answer["message"]
    kept = VisitResult.objects.get(pk=answer["visit"])
    assert kept.status == ResultStatus.CONFLICT and kept.agent_id == agent_a1.pk
    assert WorkOrder.objects.get(pk=wo.pk).status == WoStatus.ASSIGNED  # not applied
    assert [v.pk for v in selectors.conflicts(actor=supervisor_a)] == [kept.pk]
    assert kept in monitoring.recent_visits(actor=supervisor_a)


def test_a_batch_with_bad_items_applies_the_good_ones(agent_a1, agent_b, branch_b, day_orders):
    good, unknown_outcome, bad_time = day_orders
    elsewhere = work_order(customer_in(branch_b), agent_b)
    batch = [
        item(good, outcome=Outcome.EMPTY),
        item(unknown_outcome, outcome="PINDAH_PLANET"),
        item(bad_time, captured_at="kemarin sore"),
        item(elsewhere),
        item(good, work_order_id="1 OR 1=1"),
        item(bad_time, outcome=Outcome.PROMISE, promise_date="2026-02-30", promise_amount="1"),
        "bukan hasil",
        item(bad_time, note="rumah\x00kosong"),
    ]

    answers = sync(agent_a1, batch)

    assert [a["status"] for a in answers] == [ResultStatus.APPLIED] + ["REFUSED"] * 7
    assert [a["code"] for a in answers[1:]] == [
        "outcome_invalid",
        "captured_at_invalid",
        "not_found",
        "work_order_invalid",
        "promise_date_invalid",
        "item_invalid",
        "note_invalid",
    ]
    assert all(a["message"] for a in answers[1:])
    assert answers[1]["key"] == batch[1]["key"]  # the device knows which one to show
    assert list(VisitResult.objects.values_list("work_order_id", flat=True)) == [good.pk]
    assert not VisitResult.objects.filter(work_order=elsewhere).exists()


def test_a_result_outside_the_collection_window_is_a_conflict(
    settings, agent_a1, supervisor_a, day_orders
):
    settings.CONTACT_WINDOWS = {**settings.CONTACT_WINDOWS, "COLLECTION": COLLECTION}
    sunday, tuesday = day_orders[:2]

    late, fine = sync(
        agent_a1,
        [item(sunday, outcome=Outcome.ATK, at=SUNDAY_10), item(tuesday, at=TUESDAY_10)],
        now=TUESDAY_10 + timedelta(hours=1),
    )

    assert late["status"] == ResultStatus.CONFLICT
    assert late["code"] == ConflictReason.OUTSIDE_WINDOW
    assert "jam kontak" in late["message"]
    assert fine["status"] == ResultStatus.APPLIED
    assert WorkOrder.objects.get(pk=sunday.pk).status == WoStatus.ASSIGNED
    assert [v.work_order_id for v in selectors.conflicts(actor=supervisor_a)] == [sunday.pk]


def test_the_day_carries_the_same_window_the_sync_applies(settings, agent_a1, day_orders):
    settings.CONTACT_WINDOWS = {**settings.CONTACT_WINDOWS, "COLLECTION": COLLECTION}
    day = pwa.agent_offline_day(actor=agent_a1, now=TUESDAY_10)

    assert sorted(w["id"] for w in day["work_orders"]) == sorted(w.pk for w in day_orders)
    first = day["work_orders"][0]
    assert first["billing"]["address"] and first["navigate"]["geo"].startswith("geo:")
    windows = [
        (datetime.fromisoformat(a), datetime.fromisoformat(b)) for a, b in first["contact_windows"]
    ]
    assert windows[0] == (TUESDAY_10.replace(hour=8), TUESDAY_10.replace(hour=20))
    assert len(day["map"]["work_orders"]) == 3


@pytest.mark.parametrize("items", [[], None, "semua", [{}] * (pwa.MAX_BATCH + 1)])
def test_a_batch_that_is_not_a_list_of_results_is_refused(agent_a1, items):
    with pytest.raises(ServiceError) as refused:
        pwa.visits_sync(actor=agent_a1, items=items)
    assert refused.value.code == "batch_invalid"


# --------------------------------------------------------------------------- through HTTP


@pytest.fixture
def agent_client(agent_a1):
    return sign_in_directly(Client(), agent_a1)


def test_the_app_page_manifest_and_worker_answer_as_a_browser_needs(agent_client):
    page = agent_client.get(reverse("fieldops:app"))
    assert page.status_code == 200
    assert b'rel="manifest"' in page.content and b"data-voc-template" in page.content

    manifest = agent_client.get(reverse("fieldops:app_manifest"))
    assert manifest["Content-Type"] == "application/manifest+json"
    body = json.loads(manifest.content)
    assert body["scope"] == body["start_url"] == reverse("fieldops:app")

    worker = agent_client.get(reverse("fieldops:app_sw"))
    assert worker["Content-Type"].startswith("text/javascript")
    assert worker["Cache-Control"] == "no-cache"
    assert worker["Service-Worker-Allowed"] == reverse("fieldops:app")
    assert b"leaflet.js" in worker.content and b"cdn" not in worker.content.lower()


def test_the_device_syncs_through_the_endpoint_with_the_days_token(agent_a1, day_orders):
    client = sign_in_directly(Client(enforce_csrf_checks=True), agent_a1)
    day = client.get(reverse("fieldops:app_day"))
    assert day.status_code == 200 and day["Cache-Control"] == "no-store"
    token = day.json()["csrf"]
    payload = {"results": [item(day_orders[0], at=datetime.now(WIB))]}
    url = reverse("fieldops:app_sync")

    refused = client.post(url, json.dumps(payload), content_type="application/json")
    assert refused.status_code == 403  # no token: CSRF stands

    answer = client.post(
        url, json.dumps(payload), content_type="application/json", headers={"X-CSRFToken": token}
    )
    assert answer.status_code == 200
    assert answer.json()["results"][0]["status"] == ResultStatus.APPLIED

    hostile = {"results": [item(day_orders[1], note="a\x00b"), item(day_orders[2])]}
    mixed = client.post(
        url, json.dumps(hostile), content_type="application/json", headers={"X-CSRFToken": token}
    )
    assert [a["status"] for a in mixed.json()["results"]] == ["REFUSED", ResultStatus.APPLIED]

    form = client.post(url, {"results": "x"}, headers={"X-CSRFToken": token})
    assert form.status_code == 400 and form.json()["code"] == "json_invalid"

    broken = client.post(
        url, b"{nope", content_type="application/json", headers={"X-CSRFToken": token}
    )
    assert broken.status_code == 400 and broken.json()["code"] == "json_invalid"


def test_positions_outside_indonesia_or_vague_are_flagged_not_trusted(agent_a1, day_orders):
    abroad, vague, good = sync(
        agent_a1,
        [
            item(day_orders[0], latitude=-33.86, longitude=151.21),  # Sydney
            item(day_orders[1], accuracy_m=5000.0),
            item(day_orders[2]),
        ],
    )
    assert [a["position_flag"] for a in (abroad, vague, good)] == [
        PositionFlag.OUT_OF_AREA,
        PositionFlag.INACCURATE,
        PositionFlag.TRUSTED,
    ]
    assert abroad["status"] == ResultStatus.APPLIED and "ditandai" in abroad["message"]
    assert good["message"] == ""


def test_a_body_nested_too_deep_is_refused_before_the_sync_reads_it(agent_a1, day_orders):
    """Issue 51, 3: 10 kB nested 5,000 deep was a RecursionError (500) in the view, which
    reads its own body; the kernel's guard refuses it first (core/tests/test_deep_json.py
    walks every other route)."""
    client = sign_in_directly(Client(raise_request_exception=False), agent_a1)
    deep = '{"results": ' + "[" * 5_000 + "]" * 5_000 + "}"
    assert len(deep) > 10_000
    answer = client.post(reverse("fieldops:app_sync"), deep, content_type="application/json")
    assert answer.status_code == 400 and answer.json()["code"] == "json_too_deep"
    assert not VisitResult.objects.exists()
    fine = client.post(
        reverse("fieldops:app_sync"),
        json.dumps({"results": [item(day_orders[0], at=datetime.now(WIB))]}),
        content_type="application/json",
    )
    assert fine.status_code == 200 and fine.json()["results"][0]["status"] == "APPLIED"
