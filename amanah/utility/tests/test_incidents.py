"""Area incidents: classified outage complaints of one area grouped at the threshold within the
window (through the real intake and classifier), the lifecycle on the workflow engine with its
audit rows, the resolution written on the linked complaints, the pelanggan told in batches —
once each per incident and kind, each send asked of the contactability rule — and the pages
with their scope (another branch's incident is missing)."""

from __future__ import annotations

import datetime as dt
from unittest import mock

import pytest
from django.db import transaction
from django.test import Client
from django.urls import reverse

from amanah.audit.models import AuditLog
from amanah.cases import services as cases
from amanah.cases.classifier import services as classifier
from amanah.cases.models import ActivityType
from amanah.cases.testing import classifier_ready
from amanah.conftest import sign_in
from amanah.consent.models import ContactPreference
from amanah.core import events
from amanah.core.errors import NotFound, ServiceError
from amanah.core.roles import RoleKey as R
from amanah.customers.services import CustomerInput, customer_create
from amanah.messaging.models import Message
from amanah.utility import testing
from amanah.utility.incidents import services as incidents
from amanah.utility.incidents.models import AreaIncident, IncidentComplaint
from amanah.utility.incidents.notices import incident_notify_batch, render

MATI = "PDAM_AIR_MATI"
CODE = "THIRD_PARTY"  # one of the resolution codes every installation starts with
OUTAGE = "Air mati total sejak subuh di rumah saya, keran tidak keluar air sama sekali"


@pytest.fixture
def pdam(db, settings, system):
    settings.CASE_CLASSIFIER_PROFILE = "pdam"
    settings.CASE_CLASSIFIER_THRESHOLD = 0.5
    settings.UTILITY_INCIDENT_THRESHOLD = 3
    settings.UTILITY_INCIDENT_WINDOW_MINUTES = 60
    classifier_ready("pdam")  # categories seeded and a model version active, as after the job


@pytest.fixture
def agent(make_user, branch_a):
    return make_user(R.AGENT, branches=[branch_a])


def _pelanggan(branch, n: int, *, phone: bool = True, email: bool = False, area: str = "W1"):
    customer = customer_create(
        actor=testing.SYSTEM,
        data=CustomerInput(
            full_name=f"Pelanggan Uji {n}",
            home_branch=branch,
            phone=f"0812700{n:05d}" if phone else "",
            email=f"pelanggan{n}@contoh.id" if email else "",
        ),
    )
    return testing.connection(branch, customer=customer, area_code=area).customer


def _complain(actor, customer, category=MATI, text=OUTAGE):
    return cases.case_create(
        actor=actor,
        data=cases.CaseInput(
            customer=customer,
            channel="CALL_CENTER",
            category_code=category,
            priority="HIGH" if category else "",
            description=text,
        ),
    )


def test_the_threshold_within_the_window_opens_one_incident_later_ones_join(pdam, agent, branch_a):
    people = [_pelanggan(branch_a, n) for n in range(5)]
    first = _complain(agent, people[0])
    _complain(agent, people[1], category="PDAM_TAGIHAN", text="Tagihan bulan ini naik dua kali")
    second = _complain(agent, people[1])
    assert not AreaIncident.objects.exists()
    assert IncidentComplaint.objects.filter(incident__isnull=True).count() == 2  # waiting
    # The classifier sets the category itself (empty at intake): it counts like an agent's.
    third = _complain(agent, people[2], category="")
    assert third.category_id == MATI and third.category_suggestion.status == "AUTO"
    incident = AreaIncident.objects.get()
    assert (incident.status, incident.category, incident.area.code) == ("OPEN", MATI, "W1")
    assert incident.complaint_count == 3 and incident.branch == branch_a
    linked = set(incident.complaints.values_list("case_id", flat=True))
    assert linked == {first.pk, second.pk, third.pk}
    opened = AuditLog.objects.get(action="OPEN_AREA_INCIDENT", object_id=str(incident.pk))
    assert opened.meta["complaints"] == 3 and opened.meta["trigger"] == "threshold"
    _complain(agent, people[3])
    incident.refresh_from_db()
    assert incident.complaint_count == 4 and AreaIncident.objects.count() == 1


def test_complaints_outside_the_window_do_not_count(pdam, agent, branch_a):
    people = [_pelanggan(branch_a, n) for n in range(3)]
    long_ago = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=90)
    with mock.patch("django.utils.timezone.now", return_value=long_ago):
        _complain(agent, people[0])
        _complain(agent, people[1])
    _complain(agent, people[2])
    assert not AreaIncident.objects.exists()
    assert IncidentComplaint.objects.count() == 3


def test_grouping_off_other_areas_and_no_connection_leave_nothing(pdam, agent, branch_a, settings):
    testing.network()
    testing.area("W2", centre_lat="3.500000")
    mixed = [_pelanggan(branch_a, 1), _pelanggan(branch_a, 2, area="W2")]
    stranger = customer_create(
        actor=testing.SYSTEM, data=CustomerInput(full_name="Bukan Pelanggan", home_branch=branch_a)
    )
    for customer in [*mixed, stranger]:
        _complain(agent, customer)
    assert IncidentComplaint.objects.count() == 2  # the stranger has no connection
    assert not AreaIncident.objects.exists()  # one in each area
    settings.UTILITY_INCIDENT_THRESHOLD = 0
    _complain(agent, mixed[0])
    assert IncidentComplaint.objects.count() == 2


def test_an_agents_decision_on_a_pending_suggestion_counts_once(pdam, agent, branch_a, settings):
    settings.CASE_CLASSIFIER_THRESHOLD = 1.01  # nothing is set automatically
    settings.UTILITY_INCIDENT_THRESHOLD = 1
    case = _complain(agent, _pelanggan(branch_a, 1), category="")
    assert case.category_suggestion.status == "PENDING"
    assert not IncidentComplaint.objects.exists()
    classifier.suggestion_decide(actor=agent, case=case, category_code=MATI)
    assert AreaIncident.objects.get().complaint_count == 1
    # The event again (a replay, a later reclassification) changes nothing here.
    with transaction.atomic():
        events.emit(cases.CASE_CLASSIFIED, actor=agent, case=case, source="CORRECTED")
    assert IncidentComplaint.objects.count() == 1 and AreaIncident.objects.count() == 1


@pytest.fixture
def open_incident(pdam, agent, branch_a):
    people = [_pelanggan(branch_a, n) for n in range(3)]
    complaints = [_complain(agent, p) for p in people]
    return AreaIncident.objects.get(), complaints


def test_resolving_answers_and_closes_the_complaints_audits_and_queues_the_notice(
    open_incident, agent, make_user, branch_a, branch_b, django_capture_on_commit_callbacks
):
    incident, complaints = open_incident
    cases.case_change_status(actor=agent, case=complaints[0], to_status="IN_PROGRESS")
    cases.case_change_status(actor=agent, case=complaints[0], to_status="WAITING_INFO")
    supervisor = make_user(R.SUPERVISOR, branches=[branch_a])
    with pytest.raises(ServiceError) as refused:
        incidents.incident_resolve(
            actor=supervisor, incident_id=incident.pk, resolution_note=" ", resolution_code=CODE
        )
    assert refused.value.code in ("resolution_note_required", "field_required")
    with pytest.raises(ServiceError) as free_text:
        incidents.incident_resolve(
            actor=supervisor, incident_id=incident.pk, resolution_note="ok", resolution_code="X"
        )
    assert free_text.value.code == "resolution_code_invalid"
    incident.refresh_from_db()
    assert incident.status == "OPEN"
    elsewhere = make_user(R.SUPERVISOR, branches=[branch_b])
    with pytest.raises(NotFound):
        incidents.incident_resolve(
            actor=elsewhere, incident_id=incident.pk, resolution_note="x", resolution_code=CODE
        )
    with (
        mock.patch("amanah.utility.tasks.incident_notice_job.defer") as defer,
        django_capture_on_commit_callbacks(execute=True),
    ):
        incidents.incident_resolve(
            actor=supervisor,
            incident_id=incident.pk,
            resolution_note="Pipa distribusi Jl. Kenari diperbaiki; aliran normal.",
            resolution_code=CODE,
        )
    defer.assert_called_once_with(incident_id=incident.pk, kind="RESOLVED", after="")
    incident.refresh_from_db()
    assert incident.status == "RESOLVED" and incident.resolved_at is not None
    assert incident.resolution_code == CODE
    assert AuditLog.objects.filter(action="MOVE_AREA_INCIDENT", object_id=str(incident.pk)).exists()
    for case in complaints:  # one was waiting for the customer: moved on first
        case.refresh_from_db()
        note = case.activities.filter(activity_type=ActivityType.SYSTEM_NOTE).get()
        assert incident.number in note.message and "aliran normal" in note.message
        # Answered (the hub tells the complainant) and closed with the incident's code,
        # through the cases workflow and its audit rows.
        assert (case.status, case.resolution_code) == ("CLOSED", CODE)
        assert incident.number in case.final_response and "aliran normal" in case.final_response
        audited = set(
            AuditLog.objects.filter(object_id=str(case.pk)).values_list("action", flat=True)
        )
        assert {"FINAL_RESPONSE", "CLOSE_CASE"} <= audited
    with pytest.raises(ServiceError) as again:
        incidents.incident_resolve(
            actor=supervisor, incident_id=incident.pk, resolution_note="x", resolution_code=CODE
        )
    assert again.value.code == "transition_not_allowed"


def test_a_fresh_install_has_the_incident_resolution_code_and_resolving_closes_complaints(
    open_incident, settings
):
    """The code comes from the migration (utility 0007), not from the demo: nothing of the demo
    is here, and resolving with the deployment's default closes every grouped complaint."""
    from amanah.cases.models import ResolutionCode
    from amanah.customers.models import Customer

    code = settings.UTILITY_INCIDENT_RESOLUTION_CODE
    assert not Customer.objects.filter(water_connection__number__startswith="DM").exists()
    seeded = ResolutionCode.objects.get(code=code)
    assert seeded.active and seeded.label and seeded.label_en
    incident, complaints = open_incident
    incidents.incident_resolve(
        actor=testing.SYSTEM,
        incident_id=incident.pk,
        resolution_note="Pipa diperbaiki, air mengalir normal.",
        resolution_code=code,
    )
    for case in complaints:
        case.refresh_from_db()
        assert (case.status, case.resolution_code) == ("CLOSED", code)


def test_the_resolution_code_migration_is_idempotent_and_reversible(db, settings):
    """Run again it changes nothing (an ADMIN's label stays); reversed it removes the code only
    while nothing uses it."""
    import importlib
    from types import SimpleNamespace

    from django.apps import apps
    from django.db import connection

    from amanah.cases.models import ResolutionCode

    migration = importlib.import_module("amanah.utility.migrations.0007_incident_resolution_code")
    editor = SimpleNamespace(connection=connection)
    code = settings.UTILITY_INCIDENT_RESOLUTION_CODE
    migration.seed(apps, editor)
    assert ResolutionCode.objects.filter(code=code).count() == 1
    ResolutionCode.objects.filter(code=code).update(label="Label ADMIN")
    migration.seed(apps, editor)
    assert ResolutionCode.objects.get(code=code).label == "Label ADMIN"
    migration.unseed(apps, editor)  # relabelled by ADMIN: theirs now, kept
    assert ResolutionCode.objects.filter(code=code).exists()
    ResolutionCode.objects.filter(code=code).update(label=migration.LABEL)
    migration.unseed(apps, editor)
    assert not ResolutionCode.objects.filter(code=code).exists()
    migration.seed(apps, editor)
    assert ResolutionCode.objects.get(code=code).label == migration.LABEL


def test_a_new_outage_after_the_resolve_opens_a_new_incident(open_incident, agent, branch_a):
    incident, _complaints = open_incident
    incident_resolved = incidents.incident_resolve(
        actor=testing.SYSTEM,
        incident_id=incident.pk,
        resolution_note="Sudah normal kembali.",
        resolution_code=CODE,
    )
    assert incident_resolved.status == "RESOLVED"
    for n in range(3, 6):
        _complain(agent, _pelanggan(branch_a, n))
    assert AreaIncident.objects.filter(status="OPEN").count() == 1
    assert AreaIncident.objects.count() == 2


def test_notices_batched_once_per_pelanggan_and_kind_asking_contactability(
    open_incident, branch_a, settings
):
    settings.UTILITY_INCIDENT_NOTICE_BATCH = 2
    incident, _complaints = open_incident  # three pelanggan with a phone
    mail_only = _pelanggan(branch_a, 10, phone=False, email=True)
    _pelanggan(branch_a, 11, phone=False)  # no address at all: skipped
    _pelanggan(branch_a, 12)
    prefers_mail = _pelanggan(branch_a, 13, email=True)  # a phone too, but asked for e-mail
    ContactPreference.objects.create(customer=prefers_mail, purpose="SERVICE", channel="EMAIL")

    def run_all() -> list:
        batches, after = [], ""
        while after is not None:
            batch = incident_notify_batch(incident_id=incident.pk, kind="OPENED", after=after)
            batches.append(batch)
            after = batch.next_after
        return batches

    # 23:30 WIB: outside the SERVICE contact window — the rule makes every notice wait.
    night = dt.datetime(2026, 3, 2, 16, 30, tzinfo=dt.UTC)
    with mock.patch("django.utils.timezone.now", return_value=night):
        first = run_all()
    assert len(first) == 4  # seven pelanggan, two per batch; the fourth has one and ends it
    assert sum(b.told for b in first) == 6 and sum(b.refused for b in first) == 0
    sent = Message.objects.filter(source="SYSTEM", source_id=f"incident:{incident.pk}")
    assert sent.count() == 6 and set(sent.values_list("step", flat=True)) == {"OPENED"}
    assert sent.get(customer=mail_only).channel == "EMAIL"
    assert sent.get(customer=prefers_mail).channel == "EMAIL"  # the customer's preference
    morning = dt.datetime(2026, 3, 3, 0, 0, tzinfo=dt.UTC)  # 07:00 WIB
    assert all(m.status == "QUEUED" and m.next_attempt_at == morning for m in sent)
    assert all(m.text.startswith("PDAM: Pelanggan yth.") for m in sent)
    assert incident.number in sent.first().text and "air mati" in sent.first().text
    again = run_all()  # a retried job, a killed worker: nothing new
    assert sum(b.told + b.refused for b in again) == 0 and sum(b.already for b in again) == 6
    assert sent.count() == 6
    # Not resolved yet: no RESOLVED notice can go out.
    assert incident_notify_batch(incident_id=incident.pk, kind="RESOLVED").told == 0


def test_pages_list_show_and_resolve_in_scope(open_incident, make_user, branch_a, branch_b):
    incident, complaints = open_incident
    client = sign_in(Client(), make_user(R.SUPERVISOR, branches=[branch_a]))
    listed = client.get(reverse("utility:incidents"))
    assert listed.status_code == 200 and incident.number in listed.content.decode()
    page = client.get(reverse("utility:incident", args=[incident.pk]))
    body = page.content.decode()
    assert page.status_code == 200 and all(c.case_no in body for c in complaints)
    assert 'data-testid="resolve"' in body
    bad = client.post(reverse("utility:incident_resolve", args=[incident.pk]), {})
    assert bad.status_code in (303, 400)
    incident.refresh_from_db()
    assert incident.status == "OPEN"
    other = sign_in(Client(), make_user(R.SUPERVISOR, branches=[branch_b]))
    assert other.get(reverse("utility:incident", args=[incident.pk])).status_code == 404
    assert other.get(reverse("utility:incident", args=[99_999_999])).status_code == 404
    done = client.post(
        reverse("utility:incident_resolve", args=[incident.pk]),
        {"resolution_note": "Perbaikan selesai, air mengalir normal.", "resolution_code": CODE},
    )
    assert done.status_code == 303
    incident.refresh_from_db()
    assert incident.status == "RESOLVED"


def test_the_notice_job_runs_a_batch_and_defers_the_next(open_incident, settings):
    from amanah.utility.tasks import incident_notice_job

    settings.UTILITY_INCIDENT_NOTICE_BATCH = 2
    incident, _complaints = open_incident  # three pelanggan with a phone
    with mock.patch.object(incident_notice_job, "defer") as defer:
        done = incident_notice_job(incident_id=incident.pk, kind="OPENED", after="")
    assert done["told"] == 2
    cursor = defer.call_args.kwargs["after"]
    assert defer.call_args.kwargs["kind"] == "OPENED" and cursor
    with mock.patch.object(incident_notice_job, "defer") as defer:
        last = incident_notice_job(incident_id=incident.pk, kind="OPENED", after=cursor)
    assert last["told"] == 1 and not defer.called  # the area is done


def test_opening_by_hand_refuses_bad_input_and_a_second_open_incident(
    pdam, make_user, branch_a, branch_b
):
    supervisor = make_user(R.SUPERVISOR, branches=[branch_a])
    testing.network()

    def open_(**changes):
        data = {
            "area_code": "W1",
            "category": MATI,
            "branch": branch_a,
            "cause": "Perbaikan pipa transmisi di Jl. Sisingamangaraja",
            **changes,
        }
        return incidents.incident_open(actor=supervisor, **data)

    now = dt.datetime.now(dt.UTC)
    for changes, code in [
        ({"category": "PDAM_TAGIHAN"}, "incident_category"),
        ({"area_code": "W\x009"}, "unknown_area"),
        ({"area_code": "NOPE"}, "unknown_area"),
        ({"cause": "  "}, "cause_required"),
        ({"cause": "pipa\x00"}, "cause_invalid_characters"),
        ({"cause": "x" * 301}, "cause_too_long"),
        ({"expected_restore_at": now - dt.timedelta(minutes=1)}, "incident_restore_invalid"),
        ({"expected_restore_at": now + dt.timedelta(days=31)}, "incident_restore_invalid"),
    ]:
        with pytest.raises(ServiceError) as refused:
            open_(**changes)
        assert refused.value.code == code
    with pytest.raises(NotFound):
        open_(branch=branch_b)  # not the supervisor's branch
    assert not AreaIncident.objects.exists()
    restore = now + dt.timedelta(hours=4)
    first = open_(expected_restore_at=restore)
    assert first.opened_by == supervisor.username and first.complaint_count == 0
    assert (first.cause, first.expected_restore_at) == (
        "Perbaikan pipa transmisi di Jl. Sisingamangaraja",
        restore,
    )
    with pytest.raises(ServiceError) as twice:
        open_()
    assert twice.value.code == "incident_already_open"
    assert AreaIncident.objects.count() == 1
    told = render(first, "OPENED").text
    assert "Penyebab: Perbaikan pipa transmisi di Jl. Sisingamangaraja." in told
    restore_wib = restore.astimezone(dt.timezone(dt.timedelta(hours=7)))
    assert f"Perkiraan pulih: {restore_wib:%d-%m-%Y %H:%M} WIB." in told


def test_the_open_page_opens_one_in_the_supervisors_unit(pdam, make_user, branch_a):
    testing.network()
    supervisor = make_user(R.SUPERVISOR, branches=[branch_a])
    client = sign_in(Client(), supervisor)
    assert 'data-testid="incident-new"' in client.get(reverse("utility:incidents")).content.decode()
    page = client.get(reverse("utility:incident_new"))
    assert page.status_code == 200 and 'type="datetime-local"' in page.content.decode()
    form = {"area_code": "W1", "category": MATI, "branch_id": branch_a.pk, "cause": ""}
    assert client.post(reverse("utility:incident_new"), form).status_code == 400
    assert not AreaIncident.objects.exists()
    form.update(cause="Pemadaman listrik di IPA", expected_restore_at="2099-01-01T10:00")
    refused = client.post(reverse("utility:incident_new"), form)  # beyond 30 days
    assert refused.status_code == 400 and not AreaIncident.objects.exists()
    form["expected_restore_at"] = ""
    done = client.post(reverse("utility:incident_new"), form)
    incident = AreaIncident.objects.get()
    assert done.status_code == 303 and done["Location"].endswith(f"/gangguan/{incident.pk}/")
    assert (incident.cause, incident.branch, incident.opened_by) == (
        "Pemadaman listrik di IPA",
        branch_a,
        supervisor.username,
    )
