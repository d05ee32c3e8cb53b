"""Work orders: declared scope (an agent sees its own, a supervisor the branch's, others
nothing: 404), the lifecycle on the workflow engine with reverts, a supervisor's work order
made by hand, and the agent's page in route order from the device position."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.urls import reverse

from amanah.conftest import sign_in
from amanah.core.errors import NotFound, ServiceError
from amanah.fieldops import selectors, services, visits
from amanah.fieldops.models import WoOrigin, WorkOrder, WoStatus
from amanah.fieldops.routing import route_order
from amanah.fieldops.testing import customer_in, visit_input, work_order
from amanah.workflow.models import TransitionHistory


def test_scope_own_for_agents_branch_for_supervisors(
    agent_a1, agent_a2, agent_b, supervisor_a, branch_a, branch_b
):
    mine = work_order(customer_in(branch_a), agent_a1)
    colleague = work_order(customer_in(branch_a), agent_a2)
    elsewhere = work_order(customer_in(branch_b), agent_b)

    def seen(actor):
        return set(WorkOrder.objects.visible_to(actor).values_list("pk", flat=True))

    assert seen(agent_a1) == {mine.pk}
    assert seen(supervisor_a) == {mine.pk, colleague.pk}
    assert seen(agent_b) == {elsewhere.pk}
    for actor, wo in ((agent_a1, colleague), (supervisor_a, elsewhere)):
        with pytest.raises(NotFound):
            selectors.work_order_get(actor=actor, work_order_id=wo.pk)
    client = sign_in(Client(), agent_a1)
    for wo, status in ((mine, 200), (colleague, 404), (elsewhere, 404)):
        url = reverse("fieldops:detail", kwargs={"work_order_id": wo.pk})
        assert client.get(url).status_code == status


def test_lifecycle_with_cancel_close_and_revert(agent_a1, supervisor_a, branch_a):
    wo = work_order(customer_in(branch_a))
    assert wo.status == WoStatus.NEW and wo.origin == WoOrigin.MANUAL
    wo = services.work_order_assign(actor=supervisor_a, work_order_id=wo.pk, agent_id=agent_a1.pk)
    assert (wo.status, wo.agent_id) == (WoStatus.ASSIGNED, agent_a1.pk)
    services.work_order_move(actor=agent_a1, work_order_id=wo.pk, to=WoStatus.IN_PROGRESS)
    with pytest.raises(PermissionDenied):  # an agent does not close
        services.work_order_move(
            actor=agent_a1, work_order_id=wo.pk, to=WoStatus.CANCELLED, cancel_reason="x"
        )
    visits.visit_record(actor=agent_a1, data=visit_input(wo))
    wo = services.work_order_move(actor=supervisor_a, work_order_id=wo.pk, to=WoStatus.CLOSED)
    assert wo.closed_at is not None
    with pytest.raises(ServiceError):
        services.work_order_revert(actor=supervisor_a, work_order_id=wo.pk, reason=" ")
    wo = services.work_order_revert(
        actor=supervisor_a, work_order_id=wo.pk, reason="pelanggan belum bayar"
    )
    assert (wo.status, wo.closed_at) == (WoStatus.VISITED, None)
    with pytest.raises(ServiceError):  # a revert is never itself reverted
        services.work_order_revert(actor=supervisor_a, work_order_id=wo.pk, reason="ulang")
    history = TransitionHistory.objects.filter(object_id=str(wo.pk)).order_by("id")
    assert [h.to_status for h in history] == [
        "ASSIGNED",
        "IN_PROGRESS",
        "VISITED",
        "CLOSED",
        "VISITED",
    ]


def test_cancel_needs_a_reason(supervisor_a, branch_a):
    wo = work_order(customer_in(branch_a))
    with pytest.raises(ServiceError):
        services.work_order_move(actor=supervisor_a, work_order_id=wo.pk, to=WoStatus.CANCELLED)
    wo = services.work_order_move(
        actor=supervisor_a, work_order_id=wo.pk, to=WoStatus.CANCELLED, cancel_reason="sudah lunas"
    )
    assert (wo.status, wo.cancel_reason) == (WoStatus.CANCELLED, "sudah lunas")


def test_one_open_work_order_per_customer_by_hand_too(supervisor_a, branch_a, branch_b):
    customer = customer_in(branch_a)
    work_order(customer)
    with pytest.raises(ServiceError) as refused:
        services.work_order_create(actor=supervisor_a, customer_id=customer.pk)
    assert refused.value.code == "work_order_open_exists"
    with pytest.raises(NotFound):  # a customer of another branch
        services.work_order_create(actor=supervisor_a, customer_id=customer_in(branch_b).pk)
    with pytest.raises(ServiceError):
        services.work_order_create(
            actor=supervisor_a, customer_id=customer_in(branch_a).pk, latitude=51.5, longitude=-0.1
        )


def test_assigning_outside_the_territory_is_refused(supervisor_a, agent_b, branch_a):
    wo = work_order(customer_in(branch_a))
    with pytest.raises(ServiceError):
        services.work_order_assign(actor=supervisor_a, work_order_id=wo.pk, agent_id=agent_b.pk)


POINTS = [(3.60, 98.70), (3.55, 98.60), (3.58, 98.68), (3.70, 98.75)]


def test_the_agents_page_orders_by_route_from_the_device(agent_a1, branch_a):
    wos = [
        work_order(customer_in(branch_a, f"Rute {n}"), agent_a1, at=p) for n, p in enumerate(POINTS)
    ]
    unplaced = work_order(customer_in(branch_a, "Tanpa titik"), agent_a1, at=None)
    client = sign_in(Client(), agent_a1)
    origin = (3.56, 98.61)
    response = client.get(reverse("fieldops:my"), {"lat": origin[0], "lon": origin[1]})
    assert response.status_code == 200
    day = response.context["day"]
    expected = route_order(origin, POINTS)
    assert [s.work_order.pk for s in day.stops] == [
        *(wos[i].pk for i in expected.order),
        unplaced.pk,
    ]
    assert day.total_km == pytest.approx(expected.total_km)
    page = response.content.decode()
    assert 'href="geo:' in page and "maps/dir/?api=1&amp;destination=" in page
    assert 'data-testid="total-distance"' in page and 'name="idempotency_key"' in page
    # without a position, or with a hostile one: listed by arrears, never a 500
    for params in ({}, {"lat": "abc", "lon": "98"}, {"lat": "999", "lon": "1e400"}):
        response = client.get(reverse("fieldops:my"), params)
        assert response.status_code == 200 and response.context["day"].total_km is None
