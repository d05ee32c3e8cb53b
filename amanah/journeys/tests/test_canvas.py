"""The canvas's save route: the whole graph as JSON through the same save service as the list
editor (positions kept), a refusal answered with every problem naming its node and nothing
saved; the canvas data on the edit page and, with per-node counts, on a running version."""

import json
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.urls import reverse

from amanah.conftest import sign_in
from amanah.journeys import engine, services, triggers
from amanah.journeys.models import JourneyNode
from amanah.journeys.testing import customer, standard_graph

T0 = datetime(2026, 11, 24, 10, 0, tzinfo=ZoneInfo("Asia/Jakarta"))


@pytest.fixture
def marketer_client(marketer):
    return sign_in(Client(), marketer)


@pytest.fixture
def draft(marketer):
    return services.journey_create(actor=marketer, name="Sambut penabung")


def _placed(graph):
    for i, node in enumerate(graph["nodes"]):
        node["x"], node["y"], node["label"] = 40 + 230 * i, 60 + (i % 3) * 130, ""
    return graph


def _canvas_data(page: bytes) -> dict:
    text = page.decode().split('id="journey-canvas-data" type="application/json">')[1]
    return json.loads(text.split("</script>")[0])


def test_the_canvas_graph_round_trips_with_its_positions(marketer_client, draft, segment, offers):
    graph = _placed(standard_graph(segment.pk))
    url = reverse("journeys:canvas_save", args=[draft.pk])
    saved = marketer_client.post(url, {"graph": json.dumps(graph)})
    assert saved.status_code == 200, saved.content
    assert saved.json()["saved"] is True
    assert services.graph_of(draft) == graph  # positions, labels, order, edges: all kept

    page = marketer_client.get(reverse("journeys:edit", args=[draft.pk]))
    data = _canvas_data(page.content)
    assert data["graph"] == graph and data["editable"] is True
    assert data["save"] == url
    assert {"value": "uji.penawaran", "channel": "WHATSAPP"}.items() <= next(
        t for t in data["choices"]["templates"] if t["channel"] == "WHATSAPP"
    ).items()
    assert b"vendor/drawflow.min.js" in page.content and b"js/journey-canvas.js" in page.content
    # The A/B plan's and the field UPDATE's forms: their choices and words come from the page.
    choices = data["choices"]
    assert choices["ab_metrics"] == ["OPEN", "CLICK", "CONVERT"]
    assert [f["value"] for f in choices["update_fields"]] == ["segment_code"]
    assert {"test.metric", "test.baseline", "test.lift", "field", "update_value"} <= set(
        data["text"]["fields"]
    )


def test_a_canvas_save_gives_the_list_editor_the_same_graph(
    marketer_client, draft, segment, offers
):
    """The answer carries the list editor's rows for the saved graph (the page refills its
    rows from them); posting those rows back through the list editor stores the same graph."""
    graph = _placed(standard_graph(segment.pk))
    url = reverse("journeys:canvas_save", args=[draft.pk])
    answer = marketer_client.post(url, {"graph": json.dumps(graph)}).json()
    rows = answer["rows"]
    assert answer["row_count"] == len(graph["nodes"]) == 11
    assert rows["key_4"] == "b" and rows["type_4"] == "BRANCH"
    assert rows["next_4"] in ("YES=s NO=u", "NO=u YES=s")
    edit = reverse("journeys:edit", args=[draft.pk])
    posted = marketer_client.post(edit, {**rows, "rows": str(answer["row_count"])})
    assert posted.status_code in (302, 303), posted.content[:500]
    stored = services.graph_of(draft)
    assert [n["key"] for n in stored["nodes"]] == [n["key"] for n in graph["nodes"]]
    assert [n["config"] for n in stored["nodes"]] == [n["config"] for n in graph["nodes"]]
    assert sorted((e["source"], e["target"], e["label"]) for e in stored["edges"]) == sorted(
        (e["source"], e["target"], e["label"]) for e in graph["edges"]
    )


def test_a_refused_graph_names_the_node_and_saves_nothing(marketer_client, draft, segment, offers):
    bad = _placed(standard_graph(segment.pk))
    bad["nodes"][5]["config"]["variants"][1]["percentage"] = 40  # split s sums to 90
    bad["nodes"][1]["config"]["value"] = 0  # wait w1 of zero
    url = reverse("journeys:canvas_save", args=[draft.pk])
    refused = marketer_client.post(url, {"graph": json.dumps(bad)})
    assert refused.status_code == 400
    body = refused.json()
    assert body["code"] == "graph_invalid"
    assert {(p["node"], p["field"]) for p in body["problems"]} == {
        ("w1", "value"),
        ("s", "percentage"),
    }
    assert "Simpul s" in body["message"]
    assert not JourneyNode.objects.filter(journey=draft).exists()


@pytest.mark.parametrize("posted", ["{not json", "[1, 2]", ""])
def test_an_unreadable_graph_is_refused_plainly(marketer_client, draft, posted):
    url = reverse("journeys:canvas_save", args=[draft.pk])
    refused = marketer_client.post(url, {"graph": posted})
    assert refused.status_code == 400
    assert refused.json()["code"] == "graph_unreadable"


def test_a_running_version_shows_its_counts_on_a_read_only_canvas(
    marketer, director, segment, offers, system, branch_a
):
    journey = services.journey_create(
        actor=marketer, name="Sambut penabung", graph=standard_graph(segment.pk)
    )
    services.journey_submit(actor=marketer, journey=journey)
    services.journey_approve(actor=director, journey=journey)
    services.journey_move(actor=marketer, journey=journey, to="ACTIVE")
    for _ in range(2):
        customer(system, branch_a)
    triggers.segment_entries(now=T0)
    engine.tick(now=T0)

    client = sign_in(Client(), marketer)
    page = client.get(reverse("journeys:detail", args=[journey.pk]))
    data = _canvas_data(page.content)
    assert data["editable"] is False and "save" not in data
    assert data["counts"]["w1"] == {"entered": 2, "waiting": 2, "passed": 0, "exited": 0}
    assert data["counts"]["t"]["passed"] == 2
    # Saving through the canvas is for drafts only.
    refused = client.post(
        reverse("journeys:canvas_save", args=[journey.pk]),
        {"graph": json.dumps(standard_graph(segment.pk))},
    )
    assert refused.status_code == 400 and refused.json()["code"] == "not_draft"
