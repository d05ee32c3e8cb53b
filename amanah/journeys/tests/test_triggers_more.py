"""The triggers beyond segment and event: SCHEDULE (a moment, repeating), API (a system key,
``journey.enroll``), and the re-entry rule every trigger carries."""

import json
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.utils import timezone

from amanah.audit.models import AuditLog
from amanah.calendars.schedules import default_calendar
from amanah.calendars.services import calendar_day_add
from amanah.calendars.worktime import Schedule
from amanah.core.actors import SYSTEM, IntegrationActor
from amanah.core.errors import NotFound, ServiceError
from amanah.integrations.testing import make_system
from amanah.journeys import engine, services, triggers
from amanah.journeys.enrolment import journey_enroll
from amanah.journeys.graph import GraphError, validate
from amanah.journeys.models import JourneyEnrollment
from amanah.journeys.testing import customer, edge, node, on_working_dates
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


# Every day works (the series as configured) / Monday to Friday with 1 Feb 2027 closed.
ALL_DAYS = Schedule.build("Asia/Jakarta", {d: [(time(0), time(23, 59))] for d in range(7)})
OFFICE = Schedule.build(
    "Asia/Jakarta", {d: [(time(8), time(16))] for d in range(5)}, closed_dates={date(2027, 2, 1)}
)
SUNDAY = datetime(2027, 1, 31, 9, 0, tzinfo=WIB)


def _next(repeat, after, schedule=ALL_DAYS):
    from amanah.journeys.models import MarketingJourney

    journey = MarketingJourney(trigger_config={"at": SUNDAY.isoformat(), "repeat": repeat})
    return triggers.next_run(journey, after, schedule)


def test_next_run_steps_by_day_week_and_month():
    start = SUNDAY
    assert _next("NONE", start - timedelta(minutes=1)) == start
    assert _next("NONE", start) is None
    assert _next("DAILY", start + timedelta(hours=30)) == start + timedelta(days=2)
    assert _next("WEEKLY", start) == start + timedelta(weeks=1)
    assert _next("MONTHLY", start) == datetime(2027, 2, 28, 9, 0, tzinfo=WIB)  # last day
    assert _next("MONTHLY", datetime(2027, 3, 1, tzinfo=WIB)) == datetime(
        2027, 3, 31, 9, tzinfo=WIB
    )


def test_next_run_moves_to_the_next_working_date_at_the_same_time():
    def on(day, hour=9):
        return datetime(2027, 2, day, hour, 0, tzinfo=WIB)

    def run(repeat, after):
        return _next(repeat, after, OFFICE)

    # Sunday 31 Jan, and Monday 1 Feb is closed: Tuesday 09.00.
    assert run("NONE", SUNDAY - timedelta(minutes=1)) == on(2)
    assert run("NONE", on(2)) is None
    # Daily: Sunday's and Monday's runs land on Tuesday once; then each working day.
    assert run("DAILY", SUNDAY - timedelta(minutes=1)) == on(2)
    assert run("DAILY", on(2)) == on(3)
    # Saturday's run, asked on Saturday after its nominal time: Monday 09.00.
    assert run("DAILY", on(6, 10)) == on(8)
    assert run("DAILY", on(8)) == on(9)  # the series does not drift
    # Weekly on Sundays: each Monday 09.00 (the first one on Tuesday: Monday is closed).
    assert run("WEEKLY", SUNDAY - timedelta(minutes=1)) == on(2)
    assert run("WEEKLY", on(2)) == on(8)
    # Monthly on the 31st: 28 Feb 2027 is a Sunday.
    assert run("MONTHLY", on(2)) == datetime(2027, 3, 1, 9, 0, tzinfo=WIB)


def test_a_schedule_enrols_the_segment_at_its_moment_and_repeats(
    marketer, director, segment, offers, system, branch_a, branch_b
):
    members = [customer(system, branch_a, name=f"Terjadwal {i}") for i in range(3)]
    customer(system, branch_b, name="Bukan anggota")
    tomorrow = (timezone.now() + timedelta(days=1)).astimezone(WIB).replace(microsecond=0)
    at = on_working_dates(tomorrow, weeks=1)
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


def test_a_schedule_waits_for_the_organisations_next_working_date(
    marketer, director, segment, offers, system, branch_a
):
    customer(system, branch_a, name="Terjadwal")
    soon = (timezone.now() + timedelta(days=2)).astimezone(WIB)
    at = on_working_dates(soon.replace(hour=9, minute=0, second=0, microsecond=0))
    calendar_day_add(
        actor=SYSTEM, calendar=default_calendar(), day=at.date(), kind="HOLIDAY", name="Libur uji"
    )
    moved = on_working_dates(at + timedelta(days=1))
    journey = running(
        marketer,
        director,
        {"type": "SCHEDULE", "segment": str(segment.pk), "at": at.isoformat(), "repeat": "DAILY"},
    )
    assert journey.next_run_at == moved  # the closed date's run: the next working date, 09.00
    assert triggers.scheduled_entries(now=at) == {}
    assert triggers.scheduled_entries(now=moved) == {str(journey.pk): 1}
    journey.refresh_from_db()
    assert journey.next_run_at == on_working_dates(moved + timedelta(days=1))


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
