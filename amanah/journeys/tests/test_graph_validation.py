"""The server owns the graph: a table of invalid graphs, each refused with the node and the
field named, and nothing saved."""

import pytest

from amanah.journeys import services
from amanah.journeys.graph import GraphError, validate
from amanah.journeys.models import JourneyNode, MarketingJourney
from amanah.journeys.testing import edge, node, standard_graph


def _set(graph, key, **config):
    for n in graph["nodes"]:
        if n["key"] == key:
            n["config"].update(config)
    return graph


def _drop_edge(graph, source, label=""):
    graph["edges"] = [
        e for e in graph["edges"] if not (e["source"] == source and e["label"] == label)
    ]
    return graph


def _retarget(graph, source, target, label=""):
    for e in graph["edges"]:
        if e["source"] == source and e["label"] == label:
            e["target"] = target
    return graph


def _add(graph, *nodes, edges=()):
    graph["nodes"] += list(nodes)
    graph["edges"] += list(edges)
    return graph


CASES = [
    # (id, mutation, expected (node, field))
    (
        "two_triggers",
        lambda g: _add(
            g,
            node("t2", "TRIGGER", type="EVENT", event="cases.case_closed"),
            edges=[edge("t2", "e2")],
        ),
        ("", "nodes"),
    ),
    (
        "no_trigger",
        lambda g: {
            **g,
            "nodes": g["nodes"][1:],
            "edges": [e for e in g["edges"] if e["source"] != "t"],
        },
        ("", "nodes"),
    ),
    ("dead_end", lambda g: _drop_edge(g, "w2"), ("w2", "edges")),
    ("unreachable", lambda g: _add(g, node("x", "END", reason="FINISHED")), ("x", "edges")),
    (
        "split_not_100",
        lambda g: _set(
            g, "s", variants=[{"name": "A", "percentage": 50}, {"name": "B", "percentage": 40}]
        ),
        ("s", "percentage"),
    ),
    ("split_edge_missing", lambda g: _drop_edge(g, "s", "B"), ("s", "edges")),
    ("branch_without_no", lambda g: _drop_edge(g, "b", "NO"), ("b", "edges")),
    ("wait_zero", lambda g: _set(g, "w1", value=0), ("w1", "value")),
    ("wait_years", lambda g: _set(g, "w1", value=400), ("w1", "value")),
    ("wait_hours_beyond_max", lambda g: _set(g, "w1", value=9000, unit="HOURS"), ("w1", "value")),
    ("wait_unit_unknown", lambda g: _set(g, "w1", unit="YEARS"), ("w1", "unit")),
    (
        "wait_date_past",
        lambda g: _set(g, "w1", mode="UNTIL_DATE", date="2001-01-01T09:00:00+07:00"),
        ("w1", "date"),
    ),
    (
        "wait_event_unknown",
        lambda g: _set(
            g, "w1", mode="UNTIL_EVENT", event="x.y", timeout_value=3, timeout_unit="DAYS"
        ),
        ("w1", "event"),
    ),
    (
        "wait_event_no_timeout",
        lambda g: _set(
            g,
            "w1",
            mode="UNTIL_EVENT",
            event="cases.case_closed",
            timeout_value=0,
            timeout_unit="DAYS",
        ),
        ("w1", "timeout_value"),
    ),
    (
        "branch_unknown_attribute",
        lambda g: _set(
            g, "b", condition={"kind": "attribute", "field": "shoe_size", "op": "eq", "value": 42}
        ),
        ("b", "condition.field"),
    ),
    (
        "branch_bad_attribute_value",
        lambda g: _set(
            g, "b", condition={"kind": "attribute", "field": "is_vip", "op": "eq", "value": "ya"}
        ),
        ("b", "condition.value"),
    ),
    (
        "branch_unknown_kind",
        lambda g: _set(g, "b", condition={"kind": "moon_phase"}),
        ("b", "condition"),
    ),
    (
        "branch_clicked_not_an_action_before",
        lambda g: _set(g, "b", condition={"kind": "clicked", "node": "a2"}),
        ("b", "condition.node"),
    ),
    (
        "branch_rfm_unknown",
        lambda g: _set(g, "b", condition={"kind": "rfm", "segments": ["EMPEROR"]}),
        ("b", "condition.segments"),
    ),
    ("template_unknown", lambda g: _set(g, "a1", template="tidak.ada"), ("a1", "template")),
    ("channel_unknown", lambda g: _set(g, "a1", channel="PIGEON"), ("a1", "channel")),
    (
        "segment_unknown",
        lambda g: _set(g, "t", segment="00000000-0000-0000-0000-000000000000"),
        ("t", "segment"),
    ),
    (
        "trigger_event_unknown",
        lambda g: _set(g, "t", type="EVENT", event="x.happened"),
        ("t", "event"),
    ),
    ("cycle", lambda g: _retarget(g, "u", "w2"), ("u", "edges")),
    ("node_type_unknown", lambda g: _add(g, node("z", "TELEPORT")), ("z", "type")),
    ("duplicate_key", lambda g: _add(g, node("w1", "END")), ("w1", "key")),
    ("edge_to_nowhere", lambda g: _retarget(g, "a2", "ghost"), ("a2", "edges")),
    ("end_with_way_out", lambda g: _add(g, edges=[edge("e1", "e2")]), ("e1", "edges")),
    ("end_reason_unknown", lambda g: _set(g, "e1", reason="BORED"), ("e1", "reason")),
    ("update_unknown", lambda g: _set(g, "u", kind="delete_customer"), ("u", "kind")),
    ("tag_hostile", lambda g: _set(g, "u", tag="A\x00B"), ("u", "tag")),
    ("not_a_graph", lambda g: ["nodes"], ("", "graph")),
]


@pytest.mark.parametrize(("mutate", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_an_invalid_graph_is_refused_naming_node_and_field(segment, offers, mutate, expected):
    graph = mutate(standard_graph(segment.pk))
    with pytest.raises(GraphError) as refused:
        validate(graph)
    found = [(p.node, p.field) for p in refused.value.problems]
    assert expected in found, found
    if expected[0]:
        assert expected[0] in refused.value.message  # the message names the node


def test_the_standard_graph_is_valid(segment, offers):
    cleaned = validate(standard_graph(segment.pk))
    assert [n["key"] for n in cleaned["nodes"]][:3] == ["t", "w1", "a1"]
    assert len(cleaned["edges"]) == 10


def test_an_invalid_graph_saves_nothing(segment, offers, marketer):
    bad = _set(
        standard_graph(segment.pk),
        "s",
        variants=[{"name": "A", "percentage": 70}, {"name": "B", "percentage": 70}],
    )
    with pytest.raises(GraphError):
        services.journey_create(actor=marketer, name="Sambut penabung", graph=bad)
    assert MarketingJourney.objects.count() == 0

    journey = services.journey_create(
        actor=marketer, name="Sambut penabung", graph=standard_graph(segment.pk)
    )
    before = list(JourneyNode.objects.filter(journey=journey).values_list("key", "config"))
    with pytest.raises(GraphError) as refused:
        services.journey_graph_save(actor=marketer, journey=journey, graph=bad, name="Baru")
    assert refused.value.code == "graph_invalid"
    assert refused.value.field == "s.percentage"
    journey.refresh_from_db()
    assert journey.name == "Sambut penabung"
    assert list(JourneyNode.objects.filter(journey=journey).values_list("key", "config")) == before
