"""Two devices sending one idempotency key at once (issue 51, 2): the losing request answers as
a later one would — the winner's result for the same agent, the "key taken" refusal for
another agent — never an ``IntegrityError`` (a 500 on ``/lapangan/app/sync``), and one result
is stored.

Real threads on connections of their own, through what the endpoint calls
(``pwa.visits_sync``). The race is forced, not hoped for: both requests are held at a
barrier right before their insert (the contact-window check is the last step before it), each
on a work order of its own, so neither waits for the other's lock and both have looked for
the key and found nothing. The data commits (``consent.testing.committed``) and is removed
afterwards.
"""

from __future__ import annotations

import contextlib
import threading
import uuid

import pytest
from django.utils import timezone

from amanah.consent.testing import committed  # noqa: F401 (fixture)
from amanah.core.roles import RoleKey
from amanah.core.testing import on_own_connection, run_in_threads
from amanah.fieldops import pwa, visits
from amanah.fieldops.models import Outcome, ResultStatus, VisitResult, WorkOrder
from amanah.fieldops.testing import MEDAN, work_order
from amanah.iam import services as iam
from amanah.iam.models import User
from amanah.workflow.models import TransitionHistory


def _agent(world, name: str):
    user = iam.user_create(
        actor=world.system,
        username=f"ctb_{uuid.uuid4().hex[:10]}",
        full_name=name,
        password="Kata-Sandi-Uji-99",
        roles=[RoleKey.AGENT],
        scopes=[iam.ScopeInput(branch=world.branch)],
        home_branch=world.branch,
    )
    user.active_role = RoleKey.AGENT
    return user


@pytest.fixture
def field(committed):  # noqa: F811
    """Two agents of the committed world's branch, each with two work orders of its own."""
    customers = committed.customers(4)
    agents = committed.run(lambda: [_agent(committed, "CTB Satu"), _agent(committed, "CTB Dua")])
    orders = committed.run(lambda: [work_order(c, agents[n // 2]) for n, c in enumerate(customers)])

    def remove():
        ids = [wo.pk for wo in orders]
        VisitResult.objects.filter(work_order_id__in=ids).delete()
        TransitionHistory.objects.filter(object_id__in=[str(i) for i in ids]).delete()
        WorkOrder.objects.filter(pk__in=ids).delete()
        User.objects.filter(pk__in=[a.pk for a in agents]).delete()

    committed.on_cleanup(remove)
    return agents, orders


def _item(wo, key: str) -> dict:
    return {
        "key": key,
        "work_order_id": wo.pk,
        "outcome": Outcome.NOT_MET,
        "captured_at": timezone.now().isoformat(),
        "latitude": MEDAN[0],
        "longitude": MEDAN[1],
        "accuracy_m": 10.0,
    }


@pytest.fixture
def both_before_insert(monkeypatch):
    """Hold each request right before its insert until the other one is there too (or a
    moment has passed: a request that waits on the other's lock never comes)."""
    meet = threading.Barrier(2)

    def window_then_meet(work_order, captured_at):
        with contextlib.suppress(threading.BrokenBarrierError):
            meet.wait(timeout=3)
        return False

    monkeypatch.setattr(visits, "outside_contact_window", window_then_meet)


def _race(actors_and_items) -> tuple[list, list]:
    answers: list = [None, None]

    def send(n: int) -> None:
        actor, item = actors_and_items[n]
        answers[n] = pwa.visits_sync(actor=actor, items=[item])["results"][0]

    errors = run_in_threads(send, 2, timeout=60)
    return answers, errors


def _stored(key: str) -> list:
    return on_own_connection(
        lambda: list(
            VisitResult.objects.filter(idempotency_key=key).values_list("pk", "work_order_id")
        )
    )


def test_one_agents_two_requests_with_one_key_answer_the_same_result(field, both_before_insert):
    (agent, _other), orders = field
    key = f"race-{uuid.uuid4().hex}"

    answers, errors = _race([(agent, _item(orders[0], key)), (agent, _item(orders[1], key))])

    assert errors == []  # no IntegrityError escaped
    stored = _stored(key)
    assert len(stored) == 1
    assert [a["status"] for a in answers] == [ResultStatus.APPLIED] * 2
    assert {a["visit"] for a in answers} == {stored[0][0]}  # both answer the winner's result
    assert {a["work_order"] for a in answers} == {stored[0][1]}


def test_two_agents_sending_one_key_at_once_get_one_result_and_one_refusal(
    field, both_before_insert
):
    (first, second), orders = field
    key = f"race-{uuid.uuid4().hex}"

    answers, errors = _race([(first, _item(orders[0], key)), (second, _item(orders[2], key))])

    assert errors == []
    stored = _stored(key)
    assert len(stored) == 1
    by_status = sorted(answers, key=lambda a: a["status"])
    assert [a["status"] for a in by_status] == [ResultStatus.APPLIED, "REFUSED"]
    assert by_status[0]["visit"] == stored[0][0]
    assert by_status[1]["code"] == "idempotency_key_taken"  # as a later request is answered
    assert "visit" not in by_status[1]  # the other agent's result is not shown
