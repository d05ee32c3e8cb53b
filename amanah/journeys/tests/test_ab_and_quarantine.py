"""A/B tests on the database (the report counts the first planned customers of each variant,
the winner is rolled out only once decided, audited) and the quarantine: a failing step puts
the enrollment in ERROR with its reason, the engine does not retry it, staff retry or end it
(audited)."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied

from amanah.audit.models import AuditLog
from amanah.core.errors import ServiceError
from amanah.core.roles import RoleKey as R
from amanah.customer360 import timeline
from amanah.journeys import abtest, engine, services, triggers
from amanah.journeys.engine import variant_of
from amanah.journeys.models import JourneyEnrollment, JourneyNode, JourneyStep
from amanah.journeys.selectors import quarantine_list, split_test_report
from amanah.journeys.testing import customer, edge, node
from amanah.messaging import contract as messaging

T0 = datetime(2026, 11, 24, 10, 0, tzinfo=ZoneInfo("Asia/Jakarta"))
VARIANTS = [{"name": "A", "percentage": 50}, {"name": "B", "percentage": 50}]
# 5 % → 95 % with power 0.8 needs 4 customers per variant: a test small enough for a fixture.
PLAN = {
    "metric": "CONVERT",
    "dimension": "CONTENT",
    "baseline": 5,
    "lift": 90,
    "min_hours": 24,
    "window_hours": 1,
}


def _activate(marketer, director, name, graph):
    journey = services.journey_create(actor=marketer, name=name, graph=graph)
    services.journey_submit(actor=marketer, journey=journey)
    services.journey_approve(actor=director, journey=journey)
    return services.journey_move(actor=marketer, journey=journey, to="ACTIVE")


def ab_graph(segment_id, **plan):
    return {
        "nodes": [
            node("t", "TRIGGER", type="SEGMENT", segment=str(segment_id)),
            node("s", "SPLIT", variants=VARIANTS, test={**PLAN, **plan}),
            node("ea", "END", reason="GOAL_REACHED"),
            node("eb", "END", reason="FINISHED"),
        ],
        "edges": [edge("t", "s"), edge("s", "ea", "A"), edge("s", "eb", "B")],
    }


def _people_in_each_arm(system, branch, journey, at_least):
    arms = {"A": [], "B": []}
    while min(len(v) for v in arms.values()) < at_least:
        person = customer(system, branch, consent=None)
        arms[variant_of(journey.key, "s", person.pk, VARIANTS)].append(person)
    return arms


@pytest.fixture
def ab(marketer, director, segment, system, branch_a):
    journey = _activate(marketer, director, "Uji konten", ab_graph(segment.pk))
    arms = _people_in_each_arm(system, branch_a, journey, 4)
    triggers.segment_entries(now=T0)
    engine.tick(now=T0)
    return journey, arms


def test_the_plan_is_stored_with_its_sample_size(marketer, segment):
    journey = services.journey_create(actor=marketer, name="Uji", graph=ab_graph(segment.pk))
    test = JourneyNode.objects.get(journey=journey, key="s").config["test"]
    assert test["sample_size"] == abtest.planned_sample_size(0.05, 0.90) == 4


@pytest.mark.parametrize(
    ("plan", "field"),
    [
        ({"metric": "REVENUE"}, "s.test.metric"),
        ({"dimension": "COLOUR"}, "s.test.dimension"),
        ({"baseline": 0}, "s.test.baseline"),
        ({"lift": 95}, "s.test.lift"),
        ({"min_hours": 2}, "s.test.min_hours"),  # shorter than 24 h
        ({"window_hours": 0}, "s.test.window_hours"),
    ],
)
def test_a_bad_plan_is_refused_naming_the_field(marketer, segment, plan, field):
    with pytest.raises(ServiceError) as refused:
        services.journey_create(actor=marketer, name="Uji", graph=ab_graph(segment.pk, **plan))
    assert refused.value.field == field


def test_the_report_counts_and_the_winner_is_rolled_out_once_decided(
    ab, marketer, director, system, branch_a
):
    journey, arms = ab
    split = JourneyNode.objects.get(journey=journey, key="s")
    _plan, early = split_test_report(journey, split, now=T0 + timedelta(hours=2))
    assert early.state == abtest.COLLECTING  # every arm full, but not 24 h yet
    assert [(a.name, a.assigned, a.counted) for a in early.arms] == [
        ("A", len(arms["A"]), 4),
        ("B", len(arms["B"]), 4),
    ]
    with pytest.raises(ServiceError) as refused:
        services.split_promote(
            actor=marketer, journey=journey, node_key="s", variant="A", at=T0 + timedelta(hours=2)
        )
    assert refused.value.code == "not_significant_yet"

    later = T0 + timedelta(hours=25)
    _plan, decided = split_test_report(journey, split, now=later)
    assert (decided.state, decided.winner) == (abtest.WINNER, "A")
    assert [(a.counted, a.successes) for a in decided.arms] == [(4, 4), (4, 0)]
    with pytest.raises(ServiceError) as refused:
        services.split_promote(actor=marketer, journey=journey, node_key="s", variant="B", at=later)
    assert refused.value.code == "not_the_winner"
    with pytest.raises(PermissionDenied):
        services.split_promote(actor=director, journey=journey, node_key="s", variant="A", at=later)

    services.split_promote(actor=marketer, journey=journey, node_key="s", variant="A", at=later)
    row = AuditLog.objects.filter(action="PROMOTE_JOURNEY_VARIANT").get()
    assert (row.meta["variant"], row.meta["state"], row.meta["sample_size"]) == ("A", "WINNER", 4)
    with pytest.raises(ServiceError):  # once
        services.split_promote(actor=marketer, journey=journey, node_key="s", variant="A", at=later)

    # From now on every new customer gets A, even one the hash would have put in B.
    late = _people_in_each_arm(system, branch_a, journey, 1)["B"][-1]
    triggers.segment_entries(now=later)
    engine.tick(now=later)
    step = JourneyStep.objects.get(enrollment__customer=late, node=split)
    assert step.branch == "A"
    # Those assigned before keep their variant.
    assert JourneyStep.objects.filter(node=split, branch="B").count() == len(arms["B"])


def test_the_engine_rolls_a_winner_out_where_the_plan_asks(
    marketer, director, segment, system, branch_a
):
    journey = _activate(marketer, director, "Uji otomatis", ab_graph(segment.pk, auto_promote=True))
    _people_in_each_arm(system, branch_a, journey, 4)
    triggers.segment_entries(now=T0)
    engine.tick(now=T0)
    assert services.promote_winners(now=T0 + timedelta(hours=3)) == 0  # belum signifikan
    assert services.promote_winners(now=T0 + timedelta(hours=25)) == 1
    split = JourneyNode.objects.get(journey=journey, key="s")
    assert split.config["promoted"]["variant"] == "A"
    assert AuditLog.objects.filter(action="PROMOTE_JOURNEY_VARIANT").count() == 1


# --------------------------------------------------------------------------- quarantine


def action_graph(segment_id):
    return {
        "nodes": [
            node("t", "TRIGGER", type="SEGMENT", segment=str(segment_id)),
            node("a1", "ACTION", channel="EMAIL", template="uji.penawaran"),
            node("e", "END", reason="FINISHED"),
        ],
        "edges": [edge("t", "a1"), edge("a1", "e")],
    }


@pytest.fixture
def failing(monkeypatch):
    """The hub refuses (raises) whenever the one bad customer is among the recipients."""
    real = messaging.message_queue_template_many
    bad: set[str] = set()

    def queue(**kwargs):
        if bad & {str(pk) for pk in kwargs["customers"].values_list("pk", flat=True)}:
            raise RuntimeError("provider exploded for Budi 0812…")
        return real(**kwargs)

    monkeypatch.setattr(messaging, "message_queue_template_many", queue)
    return bad


def test_a_failing_action_quarantines_only_its_enrollment(
    marketer, director, segment, offers, system, branch_a, failing, make_user
):
    agent = make_user(R.AGENT, branches=[branch_a])
    journey = _activate(marketer, director, "Penawaran", action_graph(segment.pk))
    people = [customer(system, branch_a, name=f"Nasabah {i}") for i in range(3)]
    failing.add(str(people[0].pk))
    triggers.segment_entries(now=T0)
    counts = engine.tick(now=T0)
    assert counts["quarantined"] == 1
    bad = JourneyEnrollment.objects.get(customer=people[0])
    assert (bad.status, bad.exit_reason, bad.error_detail) == (
        "ERROR",
        "STEP_FAILED",
        "RuntimeError",
    )
    assert bad.current_node.key == "a1"  # where it failed
    assert "Budi" not in bad.error_detail
    others = JourneyEnrollment.objects.filter(customer__in=people[1:])
    assert {e.status for e in others} == {"COMPLETED"}

    # On the 360 timeline: the trigger passed, then the quarantine at the offer — for journey
    # staff who may see the customer, not for an agent.
    lines = [
        (e.title.split(": ")[1], e.detail)
        for e in timeline.events_for(people[0], actor=system, kinds={"JOURNEY"})
    ]
    assert sorted(lines) == [  # both at T0: one tick
        ("Kirim pesan", "Karantina — Langkah gagal dijalankan (karantina)"),
        ("Pemicu", "Lewat"),
    ]
    assert timeline.events_for(people[0], actor=agent, kinds={"JOURNEY"}) == []
    ok = [e.detail for e in timeline.events_for(people[1], actor=system, kinds={"JOURNEY"})]
    assert sorted(ok) == ["Lewat", "Lewat", "Selesai — Alur selesai"]

    # Never retried by the engine.
    assert engine.tick(now=T0 + timedelta(days=1))["batches"] == 0
    listed = quarantine_list(actor=marketer, journey=journey)
    assert [row["enrollment"].pk for row in listed] == [bad.pk]
    assert listed[0]["customer_name"] == ""  # marketing may not open the customer
    assert len(quarantine_list(actor=system, journey=journey)[0]["customer_name"]) > 3

    # A retry while it still fails: back in quarantine, one attempt counted.
    with pytest.raises(PermissionDenied):
        services.enrollment_retry(actor=director, journey=journey, enrollment=bad)
    services.enrollment_retry(actor=marketer, journey=journey, enrollment=bad, at=T0)
    engine.tick(now=T0 + timedelta(minutes=1))
    bad.refresh_from_db()
    assert (bad.status, bad.attempts) == ("ERROR", 1)

    failing.clear()  # fixed
    services.enrollment_retry(actor=marketer, journey=journey, enrollment=bad, at=T0)
    engine.tick(now=T0 + timedelta(minutes=2))
    bad.refresh_from_db()
    assert (bad.status, bad.attempts, bad.error_detail) == ("COMPLETED", 2, "")
    assert quarantine_list(actor=marketer, journey=journey) == []
    assert AuditLog.objects.filter(action="RETRY_JOURNEY_ENROLLMENT").count() == 2
    with pytest.raises(ServiceError) as refused:
        services.enrollment_retry(actor=marketer, journey=journey, enrollment=bad)
    assert refused.value.code == "not_quarantined"


def test_a_missing_template_quarantines_and_staff_may_end_it(
    marketer, director, segment, offers, system, branch_a
):
    journey = _activate(marketer, director, "Penawaran", action_graph(segment.pk))
    person = customer(system, branch_a)
    # The frozen template version is gone (plain row: what a broken deployment leaves).
    a1 = JourneyNode.objects.get(journey=journey, key="a1")
    JourneyNode.objects.filter(pk=a1.pk).update(config={**a1.config, "template_version": 99})
    triggers.segment_entries(now=T0)
    engine.tick(now=T0)
    stuck = JourneyEnrollment.objects.get(customer=person)
    assert (stuck.status, stuck.exit_reason) == ("ERROR", "TEMPLATE_UNAVAILABLE")
    services.enrollment_end(actor=marketer, journey=journey, enrollment=stuck, at=T0)
    stuck.refresh_from_db()
    assert (stuck.status, stuck.exit_reason) == ("EXITED", "ENDED_BY_STAFF")
    assert AuditLog.objects.filter(action="END_JOURNEY_ENROLLMENT").get().meta["reason"] == (
        "TEMPLATE_UNAVAILABLE"
    )


def test_retries_are_capped(marketer, director, segment, offers, system, branch_a, failing):
    journey = _activate(marketer, director, "Penawaran", action_graph(segment.pk))
    person = customer(system, branch_a)
    failing.add(str(person.pk))
    triggers.segment_entries(now=T0)
    engine.tick(now=T0)
    stuck = JourneyEnrollment.objects.get(customer=person)
    for minute in range(1, services.MAX_RETRIES + 1):
        services.enrollment_retry(actor=marketer, journey=journey, enrollment=stuck, at=T0)
        engine.tick(now=T0 + timedelta(minutes=minute))
    with pytest.raises(ServiceError) as refused:
        services.enrollment_retry(actor=marketer, journey=journey, enrollment=stuck, at=T0)
    assert refused.value.code == "retries_exhausted"


def test_the_page_shows_the_plan_and_rolls_the_winner_out(ab, signed_in):
    journey, _arms = ab
    client, _user = signed_in(R.MARKETING)
    page = client.get(f"/journeys/{journey.pk}/").content.decode()
    assert 'data-testid="ab-tests"' in page
    assert "ukuran sampel rencana: 4 nasabah per varian" in page
    assert "Signifikan — pemenang" in page  # T0 is more than a day behind the real clock
    refused = client.post(f"/journeys/{journey.pk}/ab/s/promote/", {"variant": "B"})
    assert refused.status_code == 303
    assert "promoted" not in JourneyNode.objects.get(journey=journey, key="s").config
    done = client.post(f"/journeys/{journey.pk}/ab/s/promote/", {"variant": "A"})
    assert done.status_code == 303
    assert JourneyNode.objects.get(journey=journey, key="s").config["promoted"]["variant"] == "A"
    assert client.post(f"/journeys/{journey.pk}/ab/nope/promote/", {}).status_code == 404


def test_the_page_lists_the_quarantine_and_retries(
    marketer, director, segment, offers, system, branch_a, failing, signed_in
):
    journey = _activate(marketer, director, "Penawaran", action_graph(segment.pk))
    person = customer(system, branch_a)
    failing.add(str(person.pk))
    triggers.segment_entries(now=T0)
    engine.tick(now=T0)
    stuck = JourneyEnrollment.objects.get(customer=person)
    client, _user = signed_in(R.MARKETING)
    page = client.get(f"/journeys/{journey.pk}/").content.decode()
    assert f'data-enrollment="{stuck.pk}"' in page
    assert "Langkah gagal dijalankan (karantina)" in page
    url = f"/journeys/{journey.pk}/quarantine/{stuck.pk}/"
    assert client.post(url, {"do": "retry"}).status_code == 303
    stuck.refresh_from_db()
    assert (stuck.status, stuck.attempts) == ("ACTIVE", 1)
    assert client.post(url, {"do": "end"}).status_code == 303  # not in quarantine: refused
    stuck.refresh_from_db()
    assert stuck.status == "ACTIVE"
    for hostile in ("0", "99999999999999999999", "-1"):
        assert client.post(f"/journeys/{journey.pk}/quarantine/{hostile}/").status_code == 404
    assert client.post(f"/journeys/{journey.pk}/quarantine/x%00/").status_code == 400


# --------------------------------------------------------------------------- UPDATE field


def update_graph(segment_id, **config):
    return {
        "nodes": [
            node("t", "TRIGGER", type="SEGMENT", segment=str(segment_id)),
            node("u", "UPDATE", **config),
            node("e", "END", reason="FINISHED"),
        ],
        "edges": [edge("t", "u"), edge("u", "e")],
    }


def test_an_update_sets_the_field_through_customers_service(
    marketer, director, segment, system, branch_a
):
    graph = update_graph(segment.pk, kind="field", field="segment_code", value="PROSPEK-KPR")
    journey = _activate(marketer, director, "Tandai prospek", graph)
    person = customer(system, branch_a, consent=None)
    triggers.segment_entries(now=T0)
    counts = engine.tick(now=T0)
    assert counts["updated"] == 1
    person.refresh_from_db()
    assert person.segment_code == "PROSPEK-KPR"
    row = AuditLog.objects.filter(action="UPDATE_CUSTOMER", object_id=str(person.pk)).last()
    assert row.meta == {"changed": ["segment_code"]}
    assert JourneyEnrollment.objects.get(journey=journey, customer=person).status == "COMPLETED"


@pytest.mark.parametrize(
    ("config", "field"),
    [
        ({"kind": "field", "field": "full_name", "value": "X"}, "u.field"),
        ({"kind": "field", "field": "segment_code", "value": "lower case"}, "u.value"),
        ({"kind": "delete"}, "u.kind"),
    ],
)
def test_an_update_of_anything_else_is_refused(marketer, segment, config, field):
    with pytest.raises(ServiceError) as refused:
        services.journey_create(
            actor=marketer, name="Uji", graph=update_graph(segment.pk, **config)
        )
    assert refused.value.field == field
