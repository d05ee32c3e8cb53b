"""The triggers beyond segment and event: SCHEDULE (a moment, repeating), API (a system key,
``journey.enroll``), and the re-entry rule every trigger carries."""

import json
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.utils import timezone

from amanah.audit.models import AuditLog
from amanah.core.actors import IntegrationActor
from amanah.core.errors import NotFound, ServiceError
from amanah.integrations.testing import make_system
from amanah.journeys import engine, services, triggers
from amanah.journeys.enrolment import journey_enroll
from amanah.journeys.graph import GraphError, validate
from amanah.journeys.models import JourneyEnrollment
from amanah.journeys.testing import customer, edge, node
from amanah.messaging.models import Message

WIB = ZoneInfo("Asia/Jakarta")
PERMISSIONS = ("journey.enroll", "journey.view", "customer.view", "customer.view.branch")
CALLER = IntegrationActor("crm-web", permissions=PERMISSIONS, all_branches=True)


def graph(trigger: dict, template="uji.penawaran") -> dict:
    return {
        "nodes": [
            node("t", "TRIGGER", **trigger),
            node("a1", "ACTION", channel="WHATSAPP", template=template),
            node("e", "END", reason="FINISHED"),
        ],
        "edges": [edge("t", "a1"), edge("a1", "e")],
    }


def running(marketer, director, trigger: dict):
    journey = services.journey_create(actor=marketer, name="Journey pemicu", graph=graph(trigger))
    services.journey_submit(actor=marketer, journey=journey)
    services.journey_approve(actor=director, journey=journey)
    return services.journey_move(actor=marketer, journey=journey, to="ACTIVE")


def _problems(trigger: dict) -> set[tuple[str, str]]:
    with pytest.raises(GraphError) as caught:
        validate(graph(trigger))
    return {(p.node, p.field) for p in caught.value.problems}


@pytest.mark.parametrize(
    ("trigger", "field"),
    [
        ({"type": "SCHEDULE", "at": "2020-01-01T09:00:00+07:00"}, "at"),  # in the past
        ({"type": "SCHEDULE", "at": "besok pagi"}, "at"),
        ({"type": "SCHEDULE", "at": "2026-12-30T09:00:00"}, "at"),  # no zone
        ({"type": "SCHEDULE", "repeat": "HOURLY"}, "repeat"),
        ({"type": "API", "reentry": "ALWAYS"}, "reentry"),
        ({"type": "API", "reentry": "AFTER_END", "cooldown_days": -1}, "cooldown_days"),
        ({"type": "API", "reentry": "AFTER_END", "cooldown_days": 9999}, "cooldown_days"),
        ({"type": "API", "reentry": "AFTER_END", "cooldown_days": "7"}, "cooldown_days"),
        ({"type": "CRON"}, "type"),
    ],
)
def test_bad_trigger_configuration_is_refused_with_the_field(db, offers, trigger, field):
    assert ("t", field) in _problems(trigger)


def test_good_trigger_configurations_are_cleaned(db, offers, segment):
    at = (timezone.now() + timedelta(days=2)).astimezone(WIB).replace(microsecond=0)
    cleaned = validate(
        graph({"type": "SCHEDULE", "segment": str(segment.pk), "at": at.isoformat()})
    )
    assert cleaned["nodes"][0]["config"] == {
        "type": "SCHEDULE",
        "segment": str(segment.pk),
        "repeat": "NONE",
        "at": at.isoformat(),
    }
    api = validate(graph({"type": "API", "reentry": "AFTER_END", "cooldown_days": 0}))
    assert api["nodes"][0]["config"] == {"type": "API", "reentry": "AFTER_END", "cooldown_days": 0}


def test_next_run_steps_by_day_week_and_month(db):
    from amanah.journeys.models import MarketingJourney

    start = datetime(2027, 1, 31, 9, 0, tzinfo=WIB)

    def run(repeat, after):
        journey = MarketingJourney(trigger_config={"at": start.isoformat(), "repeat": repeat})
        return triggers.next_run(journey, after)

    assert run("NONE", start - timedelta(minutes=1)) == start
    assert run("NONE", start) is None
    assert run("DAILY", start + timedelta(hours=30)) == start + timedelta(days=2)
    assert run("WEEKLY", start) == start + timedelta(weeks=1)
    assert run("MONTHLY", start) == datetime(2027, 2, 28, 9, 0, tzinfo=WIB)  # last day
    assert run("MONTHLY", datetime(2027, 3, 1, tzinfo=WIB)) == datetime(2027, 3, 31, 9, tzinfo=WIB)


def test_a_schedule_enrols_the_segment_at_its_moment_and_repeats(
    marketer, director, segment, offers, system, branch_a, branch_b
):
    members = [customer(system, branch_a, name=f"Terjadwal {i}") for i in range(3)]
    customer(system, branch_b, name="Bukan anggota")
    at = (timezone.now() + timedelta(days=1)).astimezone(WIB).replace(microsecond=0)
    journey = running(
        marketer,
        director,
        {"type": "SCHEDULE", "segment": str(segment.pk), "at": at.isoformat(), "repeat": "WEEKLY"},
    )
    assert journey.next_run_at == at
    assert triggers.scheduled_entries(now=at - timedelta(minutes=1)) == {}
    assert triggers.scheduled_entries(now=at) == {str(journey.pk): 3}
    assert triggers.scheduled_entries(now=at) == {}  # once: next_run_at moved on
    journey.refresh_from_db()
    assert journey.next_run_at == at + timedelta(weeks=1)
    later = customer(system, branch_a, name="Anggota baru")
    # A week on: only the new member enters (re-entry NEVER keeps the others out).
    assert triggers.scheduled_entries(now=at + timedelta(weeks=1)) == {str(journey.pk): 1}
    entered = set(
        JourneyEnrollment.objects.filter(journey=journey).values_list("customer", flat=True)
    )
    assert entered == {p.pk for p in members} | {later.pk}


@pytest.fixture
def api_journey(marketer, director, offers):
    return running(marketer, director, {"type": "API", "reentry": "AFTER_END", "cooldown_days": 7})


def test_the_api_trigger_enrols_once_per_pass_and_re_enters_after_the_cool_down(
    api_journey, system, branch_a
):
    person = customer(system, branch_a, name="Lewat API")
    now = timezone.now()
    first = journey_enroll(actor=CALLER, journey_key=api_journey.key, customer_id=str(person.pk))
    assert (first.status, first.enrollment.entry) == ("ENROLLED", 1)
    again = journey_enroll(actor=CALLER, journey_key=api_journey.key, customer_id=str(person.pk))
    assert (again.status, again.enrollment.pk) == ("ALREADY_ENROLLED", first.enrollment.pk)
    assert AuditLog.objects.filter(action="ENROL_JOURNEY").count() == 1

    engine.tick(now=now + timedelta(minutes=1))
    first.enrollment.refresh_from_db()
    assert first.enrollment.status == "COMPLETED"
    with pytest.raises(ServiceError) as refused:
        journey_enroll(
            actor=CALLER,
            journey_key=api_journey.key,
            customer_id=str(person.pk),
            now=now + timedelta(days=6),
        )
    assert refused.value.code == "reentry_not_allowed"

    later = now + timedelta(days=8)
    second = journey_enroll(
        actor=CALLER, journey_key=api_journey.key, customer_id=str(person.pk), now=later
    )
    assert (second.status, second.enrollment.entry) == ("ENROLLED", 2)
    engine.tick(now=later)
    steps = Message.objects.filter(source="JOURNEY", source_id=str(api_journey.pk))
    # Each pass its own message (a replay of a pass would still queue nothing twice).
    assert sorted(steps.values_list("step", flat=True)) == ["a1", "a1~2"]
    from amanah.journeys.selectors import node_counts

    assert node_counts(api_journey)["e"]["exited"] == 2  # two passes ended


def test_never_means_once_per_version(marketer, director, offers, system, branch_a):
    journey = running(marketer, director, {"type": "API"})
    person = customer(system, branch_a, name="Sekali Saja")
    journey_enroll(actor=CALLER, journey_key=journey.key, customer_id=str(person.pk))
    engine.tick(now=timezone.now())
    with pytest.raises(ServiceError) as refused:
        journey_enroll(
            actor=CALLER,
            journey_key=journey.key,
            customer_id=str(person.pk),
            now=timezone.now() + timedelta(days=400),
        )
    assert refused.value.code == "reentry_not_allowed"


def test_the_api_refuses_what_it_must(api_journey, marketer, director, segment, system, branch_a):
    person = customer(system, branch_a, name="Ditolak")
    with pytest.raises(NotFound):  # no running journey with that key
        journey_enroll(actor=CALLER, journey_key=segment.pk, customer_id=str(person.pk))
    with pytest.raises(NotFound):
        journey_enroll(actor=CALLER, journey_key=api_journey.key, customer_id="bukan-uuid")
    narrow = IntegrationActor("cabang-lain", permissions=PERMISSIONS)
    with pytest.raises(NotFound):  # a customer the key may not see
        journey_enroll(actor=narrow, journey_key=api_journey.key, customer_id=str(person.pk))
    by_segment = running(marketer, director, {"type": "SEGMENT", "segment": str(segment.pk)})
    with pytest.raises(ServiceError) as refused:
        journey_enroll(actor=CALLER, journey_key=by_segment.key, customer_id=str(person.pk))
    assert refused.value.code == "trigger_not_api"
    assert not JourneyEnrollment.objects.filter(customer=person).exists()


def test_the_http_api_with_a_system_key(api_journey, system, branch_a):
    person = customer(system, branch_a, name="Lewat HTTP")
    raw = make_system("crm-web", permissions=list(PERMISSIONS), all_branches=True)[2]
    url = f"/api/v1/journeys/{api_journey.key}/enrollments"

    def post(body, key=raw):
        return Client().post(
            url, json.dumps(body), content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {key}",
        )  # fmt: skip

    created = post({"customer_id": str(person.pk)})
    assert created.status_code == 201, created.content
    assert created.json()["status"] == "ENROLLED" and created.json()["entry"] == 1
    assert post({"customer_id": str(person.pk)}).status_code == 200
    assert post({"customer_id": 12}).status_code == 422
    assert post({}).status_code == 422
    other = make_system("tanpa-izin", permissions=["journey.view"], all_branches=True)[2]
    assert post({"customer_id": str(person.pk)}, key=other).status_code == 403
    assert JourneyEnrollment.objects.filter(customer=person).count() == 1
