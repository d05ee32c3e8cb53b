"""The journey pages: build a journey in the list editor (keyboard-only form), refused graphs
shown with the node named and nothing saved, submit and approve through the workflow
buttons, per-node counts on the page; English smoke test."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from amanah.conftest import sign_in
from amanah.journeys import engine, triggers
from amanah.journeys.forms import EMPTY_ROWS
from amanah.journeys.models import JourneyNode, MarketingJourney
from amanah.journeys.testing import customer, standard_graph

T0 = datetime(2026, 11, 24, 10, 0, tzinfo=ZoneInfo("Asia/Jakarta"))


def _editor_post(graph, name="Sambut penabung"):
    import json

    data = {"name": name, "rows": str(len(graph["nodes"]) + EMPTY_ROWS)}
    ways: dict[str, list[str]] = {}
    for e in graph["edges"]:
        ways.setdefault(e["source"], []).append(
            f"{e['label']}={e['target']}" if e["label"] else e["target"]
        )
    for i, n in enumerate(graph["nodes"]):
        data.update(
            {
                f"key_{i}": n["key"],
                f"type_{i}": n["type"],
                f"label_{i}": "",
                f"config_{i}": json.dumps(n["config"]),
                f"next_{i}": " ".join(ways.get(n["key"], [])),
            }
        )
    return data


@pytest.fixture
def marketer_client(marketer):
    return sign_in(Client(), marketer)


def test_build_submit_approve_and_see_counts(
    marketer_client, director, segment, offers, system, branch_a
):
    response = marketer_client.post(reverse("journeys:create"), {"name": "Sambut penabung"})
    assert response.status_code == 303
    journey = MarketingJourney.objects.get()
    edit = reverse("journeys:edit", args=[journey.pk])
    assert marketer_client.get(edit).status_code == 200

    bad = standard_graph(segment.pk)
    bad["nodes"][5]["config"]["variants"][1]["percentage"] = 40  # split s sums to 90
    refused = marketer_client.post(edit, _editor_post(bad))
    assert refused.status_code == 400
    assert "Simpul s" in refused.content.decode()
    assert not JourneyNode.objects.filter(journey=journey).exists()

    saved = marketer_client.post(edit, _editor_post(standard_graph(segment.pk)))
    assert saved.status_code == 303, saved.content.decode()[:2000]
    assert JourneyNode.objects.filter(journey=journey).count() == 11

    detail = reverse("journeys:detail", args=[journey.pk])
    move = reverse("journeys:move", args=[journey.pk])
    page = marketer_client.get(detail).content.decode()
    assert 'value="SUBMITTED"' in page and 'value="APPROVED"' not in page
    assert marketer_client.post(move, {"to": "SUBMITTED"}).status_code == 303
    assert 'value="APPROVED"' not in marketer_client.get(detail).content.decode()  # four eyes

    boss = sign_in(Client(), director)
    assert 'value="APPROVED"' in boss.get(detail).content.decode()
    assert boss.post(move, {"to": "APPROVED", "note": "Oke"}).status_code == 303
    assert marketer_client.post(move, {"to": "ACTIVE"}).status_code == 303
    journey.refresh_from_db()
    assert journey.status == "ACTIVE"

    for _ in range(3):
        customer(system, branch_a)
    triggers.segment_entries(now=T0)
    engine.tick(now=T0)
    page = boss.get(detail).content.decode()
    row = page.split('data-node="w1"')[1].split("</tr>")[0]
    assert '<td data-count="entered">3</td>' in row
    assert '<td data-count="waiting">3</td>' in row


def test_an_agent_gets_nothing(make_user, segment):
    from amanah.core.roles import RoleKey as R

    agent = sign_in(Client(), make_user(R.AGENT))
    assert agent.get(reverse("journeys:list")).status_code in (403, 404)


def test_english_smoke(marketer_client):
    marketer_client.cookies["django_language"] = "en"
    with translation.override(translation.get_language()):
        page = marketer_client.get(reverse("journeys:list"))
        create = marketer_client.get(reverse("journeys:create"))
    assert b"Marketing journey" in page.content and b"Journey pemasaran" not in page.content
    assert b"Create journey" in create.content
