"""A journey version's life on the workflow engine: DRAFT → SUBMITTED → APPROVED (four eyes)
→ ACTIVE ⇄ PAUSED → COMPLETED / ARCHIVED, every move in the history and the audit trail;
an ACTIVE journey is edited as a new version that changes nothing until it is activated."""

import pytest
from django.core.exceptions import PermissionDenied

from amanah.audit.models import AuditLog
from amanah.core.errors import ServiceError
from amanah.core.roles import RoleKey as R
from amanah.journeys import services
from amanah.journeys.graph import GraphError
from amanah.journeys.models import JourneyNode
from amanah.journeys.testing import standard_graph
from amanah.workflow.contract import available_transitions, history_for


@pytest.fixture
def draft(marketer, segment, offers):
    return services.journey_create(
        actor=marketer, name="Sambut penabung", graph=standard_graph(segment.pk)
    )


def test_four_eyes_and_every_step_audited(draft, marketer, director, make_user):
    services.journey_submit(actor=marketer, journey=draft)
    with pytest.raises(ServiceError) as refused:
        services.journey_approve(actor=marketer, journey=draft)
    assert refused.value.code == "guard_failed"
    # Another marketer who submitted it may not approve it either.
    other = make_user(R.MARKETING)
    draft.refresh_from_db()
    assert draft.status == "SUBMITTED"

    services.journey_approve(actor=director, journey=draft, note="Oke")
    services.journey_move(actor=marketer, journey=draft, to="ACTIVE")
    services.journey_move(actor=marketer, journey=draft, to="PAUSED")
    services.journey_move(actor=other, journey=draft, to="ACTIVE")
    services.journey_move(actor=marketer, journey=draft, to="COMPLETED")
    services.journey_move(actor=marketer, journey=draft, to="ARCHIVED")

    lines = list(reversed(history_for(marketer, draft)))
    assert [(h.from_status, h.to_status) for h in lines] == [
        ("DRAFT", "SUBMITTED"),
        ("SUBMITTED", "APPROVED"),
        ("APPROVED", "ACTIVE"),
        ("ACTIVE", "PAUSED"),
        ("PAUSED", "ACTIVE"),
        ("ACTIVE", "COMPLETED"),
        ("COMPLETED", "ARCHIVED"),
    ]
    audits = {
        log.meta["history"]: log.action
        for log in AuditLog.objects.filter(object_id=str(draft.pk))
        if "history" in log.meta
    }
    assert [audits[h.pk] for h in lines] == [
        "SUBMIT_JOURNEY",
        "APPROVE_JOURNEY",
        "MOVE_JOURNEY",
        "MOVE_JOURNEY",
        "MOVE_JOURNEY",
        "MOVE_JOURNEY",
        "MOVE_JOURNEY",
    ]
    draft.refresh_from_db()
    assert draft.approved_by_id == director.pk and draft.submitted_by_id == marketer.pk
    # The frozen template versions of the ACTION nodes (what the journey sends).
    assert {n.config["template_version"] for n in draft.nodes.filter(type="ACTION")} == {1}


def test_the_submitter_may_not_approve_even_if_not_the_author(draft, marketer, make_user):
    colleague = make_user(R.MARKETING)
    services.journey_submit(actor=colleague, journey=draft)
    for who in (marketer, colleague):
        with pytest.raises(ServiceError) as refused:
            services.journey_approve(actor=who, journey=draft)
        assert refused.value.code == "guard_failed"


def test_who_may_do_what(draft, make_user, director):
    agent = make_user(R.AGENT)
    with pytest.raises(PermissionDenied):
        services.journey_create(actor=agent, name="Tidak boleh")
    with pytest.raises(PermissionDenied):
        services.journey_submit(actor=director, journey=draft)  # directors approve, not build
    assert [m.to_status for m in available_transitions(director, draft)] == []


def test_a_rejection_needs_a_reason_and_goes_back_to_draft(draft, marketer, director):
    services.journey_submit(actor=marketer, journey=draft)
    with pytest.raises(ServiceError) as refused:
        services.journey_reject(actor=director, journey=draft, note="tidak")
    assert refused.value.field == "note"
    services.journey_reject(actor=director, journey=draft, note="Teks penawaran kurang jelas.")
    services.journey_move(actor=marketer, journey=draft, to="DRAFT")
    draft.refresh_from_db()
    assert draft.status == "DRAFT" and draft.decision_note.startswith("Teks")


def test_an_unapproved_template_stops_the_submission_naming_the_node(marketer, segment, offers):
    offers["EMAIL"].status = "DRAFT"
    offers["EMAIL"].save(update_fields=["status"])
    journey = services.journey_create(
        actor=marketer, name="Sambut penabung", graph=standard_graph(segment.pk)
    )
    with pytest.raises(GraphError) as refused:
        services.journey_submit(actor=marketer, journey=journey)
    assert [(p.node, p.field) for p in refused.value.problems] == [("a2", "template")]
    journey.refresh_from_db()
    assert journey.status == "DRAFT"


def test_an_active_journey_is_edited_as_a_new_version(draft, marketer, director, segment):
    for step in ("SUBMITTED", "APPROVED", "ACTIVE"):
        actor = director if step == "APPROVED" else marketer
        services.journey_move(actor=actor, journey=draft, to=step)
    draft.refresh_from_db()
    with pytest.raises(ServiceError) as refused:
        services.journey_graph_save(actor=marketer, journey=draft, graph=standard_graph(segment.pk))
    assert refused.value.code == "not_draft"

    v2 = services.journey_new_version(actor=marketer, journey=draft)
    assert (v2.key, v2.version, v2.status) == (draft.key, 2, "DRAFT")
    with pytest.raises(ServiceError):  # one open version at a time
        services.journey_new_version(actor=marketer, journey=draft)
    graph = standard_graph(segment.pk)
    graph["nodes"][1]["config"]["value"] = 3  # wait three days instead of one
    services.journey_graph_save(actor=marketer, journey=v2, graph=graph)
    # Version 1 runs unchanged until version 2 is approved and activated.
    draft.refresh_from_db()
    assert draft.status == "ACTIVE"
    assert JourneyNode.objects.get(journey=draft, key="w1").config["value"] == 1
    services.journey_submit(actor=marketer, journey=v2)
    services.journey_approve(actor=director, journey=v2)
    draft.refresh_from_db()
    assert draft.status == "ACTIVE"
    services.journey_move(actor=marketer, journey=v2, to="ACTIVE")
    draft.refresh_from_db()
    v2.refresh_from_db()
    assert (draft.status, v2.status) == ("COMPLETED", "ACTIVE")
