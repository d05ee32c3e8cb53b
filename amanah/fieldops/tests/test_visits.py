"""Visit results (VOC): applied once per idempotency key, position flags, promise to pay on
the work order and the customer (360 facts and timeline), conflicts kept for the supervisor,
the coordinate correction flow, and hostile input through the page."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from amanah.audit.models import AuditLog
from amanah.conftest import sign_in
from amanah.core.errors import NotFound, ServiceError
from amanah.fieldops import selectors, services, visits
from amanah.fieldops.models import (
    CorrectionStatus,
    LocationSource,
    Outcome,
    PositionFlag,
    ResultStatus,
    VisitResult,
    WorkOrder,
    WoStatus,
)
from amanah.fieldops.testing import SYSTEM, customer_in, visit_input, work_order


@pytest.fixture
def wo(agent_a1, branch_a):
    return work_order(customer_in(branch_a), agent_a1)


def test_a_result_is_applied_once_per_key(agent_a1, wo):
    data = visit_input(wo, outcome=Outcome.MET_REFUSED, note="menolak")
    first = visits.visit_record(actor=agent_a1, data=data)
    again = visits.visit_record(actor=agent_a1, data=data)
    assert first.pk == again.pk and VisitResult.objects.count() == 1
    wo.refresh_from_db()
    assert (wo.status, wo.last_outcome) == (WoStatus.VISITED, Outcome.MET_REFUSED)
    assert first.status == ResultStatus.APPLIED and first.position_trusted
    assert AuditLog.objects.filter(action="MOVE_WORK_ORDER", object_id=str(wo.pk)).exists()


@pytest.mark.parametrize(
    ("lat", "lon", "accuracy", "flag"),
    [
        (40.7, -74.0, 5, PositionFlag.OUT_OF_AREA),
        (3.59, 98.67, 500, PositionFlag.INACCURATE),
        (3.59, 98.67, None, PositionFlag.INACCURATE),
        (None, None, None, PositionFlag.MISSING),
        (3.59, 98.67, 20, PositionFlag.TRUSTED),
    ],
)
def test_positions_outside_indonesia_or_inaccurate_are_flagged(
    agent_a1, wo, lat, lon, accuracy, flag
):
    visit = visits.visit_record(
        actor=agent_a1, data=visit_input(wo, latitude=lat, longitude=lon, accuracy_m=accuracy)
    )
    assert visit.position_flag == flag


@pytest.mark.parametrize(
    "fields",
    [
        {"latitude": float("nan"), "longitude": 98.0},
        {"latitude": 3.0, "longitude": None},
        {"latitude": 95.0, "longitude": 98.0},
        {"accuracy_m": -1},
        {"idempotency_key": "short"},
        {"idempotency_key": "kunci\x00nul-123456"},
        {"outcome": "DANCED"},
        {"note": "catatan\x00"},
        {"outcome": Outcome.OTHER, "note": ""},
        {"outcome": Outcome.PROMISE},
        {"outcome": Outcome.PROMISE, "promise_date": timezone.localdate(), "promise_amount": 0},
        {
            "outcome": Outcome.PROMISE,
            "promise_date": timezone.localdate() + timedelta(days=400),
            "promise_amount": 1000,
        },
        {"captured_at": timezone.now() + timedelta(days=1)},
        {"captured_at": timezone.now() - timedelta(days=60)},
    ],
)
def test_bad_results_are_refused_and_change_nothing(agent_a1, wo, fields):
    with pytest.raises(ServiceError):
        visits.visit_record(actor=agent_a1, data=visit_input(wo, **fields))
    wo.refresh_from_db()
    assert wo.status == WoStatus.ASSIGNED and VisitResult.objects.count() == 0


def test_a_promise_shows_on_the_work_order_the_customer_and_the_timeline(agent_a1, wo):
    day = timezone.localdate() + timedelta(days=3)
    visits.visit_record(
        actor=agent_a1,
        data=visit_input(wo, outcome=Outcome.PROMISE, promise_date=day, promise_amount="750000"),
    )
    wo.refresh_from_db()
    assert (wo.promise_date, wo.promise_amount) == (day, Decimal("750000.00"))
    facts = selectors.customer_facts(wo.customer, agent_a1)
    assert facts["field_work_order"].pk == wo.pk
    assert facts["field_promise"].promise_amount == Decimal("750000.00")
    events = selectors.visit_events(wo.customer, actor=agent_a1)
    assert [e.kind for e in events] == ["VISIT"] and "750.000" in events[0].detail
    assert f"{day.day} " in events[0].detail and day.isoformat() not in events[0].detail


def test_the_timeline_starts_from_what_the_actor_may_see(agent_a1, agent_b, wo):
    visits.visit_record(actor=agent_a1, data=visit_input(wo))
    assert selectors.visit_events(wo.customer, actor=agent_b) == []
    assert selectors.customer_facts(wo.customer, agent_b)["field_work_order"] is None


def test_a_work_order_handed_on_meanwhile_is_a_conflict_kept_for_the_supervisor(
    agent_a1, agent_a2, supervisor_a, branch_a
):
    handed_on = work_order(customer_in(branch_a), agent_a1)
    services.work_order_assign(actor=SYSTEM, work_order_id=handed_on.pk, agent_id=agent_a2.pk)
    visit = visits.visit_record(actor=agent_a1, data=visit_input(handed_on))
    assert (visit.status, visit.conflict_reason) == (ResultStatus.CONFLICT, "NOT_YOURS")
    assert "petugas lain" in visits.conflict_message(visit)
    handed_on.refresh_from_db()
    assert handed_on.status == WoStatus.ASSIGNED  # not applied
    assert [v.pk for v in selectors.conflicts(actor=supervisor_a)] == [visit.pk]
    assert selectors.conflicts(actor=agent_a2) == []  # the agent's own rows only
    visits.conflict_settle(actor=supervisor_a, visit_id=visit.pk)
    assert selectors.conflicts(actor=supervisor_a) == []
    assert AuditLog.objects.filter(action="SETTLE_VISIT_CONFLICT").count() == 1


def test_another_agents_work_order_is_not_found_and_nothing_is_kept(agent_a1, agent_a2, branch_a):
    """Issue 51, 9(c): a work order of the same branch the agent never held is as missing to
    it as another branch's — no conflict row, no audit row, no owner named."""
    theirs = work_order(customer_in(branch_a), agent_a2)
    with pytest.raises(NotFound):
        visits.visit_record(actor=agent_a1, data=visit_input(theirs))
    assert VisitResult.objects.count() == 0
    assert not AuditLog.objects.filter(action="VISIT_CONFLICT").exists()


def test_a_second_result_after_the_visit_is_a_conflict(agent_a1, wo):
    visits.visit_record(actor=agent_a1, data=visit_input(wo))
    late = visits.visit_record(actor=agent_a1, data=visit_input(wo, outcome=Outcome.MET_PAID))
    assert (late.status, late.conflict_reason) == (ResultStatus.CONFLICT, "NOT_OPEN")


def test_a_work_order_of_another_branch_is_not_found(agent_b, wo):
    with pytest.raises(NotFound):
        visits.visit_record(actor=agent_b, data=visit_input(wo))
    assert VisitResult.objects.count() == 0


def test_someone_elses_key_is_refused(agent_a1, agent_a2, wo, branch_a):
    data = visit_input(wo)
    visits.visit_record(actor=agent_a1, data=data)
    theirs = work_order(customer_in(branch_a), agent_a2)
    with pytest.raises(ServiceError):
        visits.visit_record(
            actor=agent_a2, data=visit_input(theirs, idempotency_key=data.idempotency_key)
        )


def test_atk_with_a_confirmed_position_proposes_a_correction(agent_a1, supervisor_a, wo):
    visit = visits.visit_record(
        actor=agent_a1,
        data=visit_input(
            wo, outcome=Outcome.ATK, latitude=3.61, longitude=98.70, position_confirmed=True
        ),
    )
    correction = visit.correction
    assert correction.status == CorrectionStatus.PROPOSED
    assert [c.pk for c in selectors.corrections_pending(actor=supervisor_a)] == [correction.pk]
    visits.correction_decide(actor=supervisor_a, correction_id=correction.pk, accept=True)
    wo.refresh_from_db()
    assert (wo.latitude, wo.longitude, wo.location_source) == (3.61, 98.70, LocationSource.FIELD)
    row = AuditLog.objects.get(action="ACCEPT_COORDINATE_CORRECTION")
    assert row.meta["moved_m"] > 0 and "latitude" not in row.meta
    with pytest.raises(ServiceError):
        visits.correction_decide(actor=supervisor_a, correction_id=correction.pk, accept=False)


def test_no_correction_without_confirmation_or_a_trusted_position(agent_a1, wo, branch_a):
    unconfirmed = visits.visit_record(actor=agent_a1, data=visit_input(wo, outcome=Outcome.ATK))
    other = work_order(customer_in(branch_a), agent_a1)
    vague = visits.visit_record(
        actor=agent_a1,
        data=visit_input(other, outcome=Outcome.ATK, accuracy_m=900, position_confirmed=True),
    )
    for visit in (unconfirmed, vague):
        assert not hasattr(visit, "correction") or visit.correction is None


def test_an_agent_cannot_decide_a_correction(agent_a1, wo):
    from django.core.exceptions import PermissionDenied

    visit = visits.visit_record(
        actor=agent_a1,
        data=visit_input(wo, outcome=Outcome.ATK, position_confirmed=True),
    )
    with pytest.raises(PermissionDenied):
        visits.correction_decide(actor=agent_a1, correction_id=visit.correction.pk, accept=True)


@pytest.mark.parametrize(
    "post",
    [
        {"outcome": "PROMISE", "promise_date": "9999-12-31", "promise_amount": "1000"},
        {"outcome": "PROMISE", "promise_date": "kemarin", "promise_amount": "x"},
        {"outcome": "NOT_MET", "latitude": "abc"},
        {"outcome": "NOT_MET", "captured_at": "2026-13-45T99:00"},
        {"outcome": "NOT_MET", "latitude": "1e400", "longitude": "98"},
        {"outcome": "NOT_MET", "note": "x" * 5000},
    ],
)
def test_hostile_input_through_the_page_is_refused_with_a_reason(agent_a1, wo, post):
    client = sign_in(Client(), agent_a1)
    url = reverse("fieldops:visit", kwargs={"work_order_id": wo.pk})
    response = client.post(url, {"idempotency_key": "kunci-uji-123456", **post}, follow=True)
    assert response.status_code == 200
    assert VisitResult.objects.count() == 0
    assert [m.level_tag for m in response.context["messages"]] == ["error"]


def test_a_post_to_a_work_order_the_agent_cannot_open_answers_404_naming_nobody(
    agent_a1, agent_a2, branch_a
):
    """Issue 51, 9(c): the page's POST starts from what the agent may see, as its GET does."""
    theirs = work_order(customer_in(branch_a), agent_a2)
    client = sign_in(Client(), agent_a1)
    assert (
        client.get(reverse("fieldops:detail", kwargs={"work_order_id": theirs.pk})).status_code
        == 404
    )
    response = client.post(
        reverse("fieldops:visit", kwargs={"work_order_id": theirs.pk}),
        {"idempotency_key": "kunci-uji-654321", "outcome": "NOT_MET"},
    )
    assert response.status_code == 404
    after = client.get(reverse("fieldops:my")).content.decode()  # no flash waiting either
    for page in (response.content.decode(), after):
        assert agent_a2.full_name not in page and "petugas lain" not in page
    assert VisitResult.objects.count() == 0
    assert not AuditLog.objects.filter(action="VISIT_CONFLICT").exists()
    assert WorkOrder.objects.get(pk=theirs.pk).status == WoStatus.ASSIGNED


def test_the_page_reports_a_conflict_with_its_reason(agent_a1, agent_a2, branch_a):
    handed_on = work_order(customer_in(branch_a), agent_a1)
    services.work_order_assign(actor=SYSTEM, work_order_id=handed_on.pk, agent_id=agent_a2.pk)
    client = sign_in(Client(), agent_a1)
    response = client.post(
        reverse("fieldops:visit", kwargs={"work_order_id": handed_on.pk}),
        {"idempotency_key": "kunci-uji-654321", "outcome": "NOT_MET"},
        follow=True,
    )
    assert "petugas lain" in response.content.decode()
    assert agent_a2.full_name not in response.content.decode()
    assert WorkOrder.objects.get(pk=handed_on.pk).status == WoStatus.ASSIGNED
