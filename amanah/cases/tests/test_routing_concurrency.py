"""Many complaints routed by one rule at once: no deadlock, fair shares, no turn taken twice.

Sixteen clerks (threads, connections of their own, work that really commits) each register two
complaints that the same rule hands out. The hand-outs queue on the rule's row (FOR NO KEY
UPDATE, after the case-number sequence and before the audit chain): every agent gets exactly
its share, and read in registration order the assignees walk the rule's positions 1..N round
and round — no position taken twice in a row, none skipped. The world is built and removed on
connections of its own, as in ``test_concurrency.py``.
"""

from __future__ import annotations

import uuid
from collections import Counter

import pytest
from django.db import connections, transaction

from amanah.audit.chain import verify_chain
from amanah.audit.models import AuditLog
from amanah.cases import routing
from amanah.cases import services as cases
from amanah.cases.models import Case, RoutingRule
from amanah.cases.tests.test_concurrency import _build, _remove
from amanah.core.actors import SystemActor
from amanah.core.testing import on_own_connection, run_in_threads

THREADS = 16
PER_THREAD = 2
AGENTS = 4


@pytest.fixture
def routed_world(db, request):
    marker = uuid.uuid4().hex[:10].upper()
    strategy = request.param

    def build():
        world = _build(marker, customers=THREADS, agents=AGENTS)
        with transaction.atomic():
            world.rule = routing.routing_rule_save(
                actor=SystemActor("system:test"),
                data=routing.RuleInput(
                    name=f"Serentak {marker}",
                    branch_code=world.branch.code,
                    strategy=strategy,
                    members=tuple(routing.MemberInput(a.pk, 100) for a in world.agents),
                ),
            )
        return world

    def remove(world):
        RoutingRule.objects.filter(pk=world.rule.pk).delete()  # its members go with it
        _remove(world)

    built = on_own_connection(build)
    yield built
    on_own_connection(lambda: remove(built))
    assert verify_chain().ok


@pytest.mark.parametrize("routed_world", ["ROUND_ROBIN", "LEAST_LOADED"], indirect=True)
def test_cases_created_at_once_on_one_rule_are_shared_fairly(routed_world):
    world = routed_world

    def work(n: int) -> None:
        mine = world.created.setdefault(n, [])
        try:
            for i in range(PER_THREAD):
                case = cases.case_create(
                    actor=world.agents[n % AGENTS],
                    data=cases.CaseInput(
                        customer=world.customers[n],
                        channel="BRANCH",
                        category_code="TRX_FAIL",
                        priority="MEDIUM",
                        description=f"Transfer gagal tetapi saldo terpotong (laporan {i}).",
                    ),
                )
                mine.append(case.pk)
        finally:
            connections.close_all()

    errors = run_in_threads(work, THREADS)

    assert errors == []
    made = list(
        Case.objects.filter(pk__in=[pk for ids in world.created.values() for pk in ids])
        .select_related("assigned_to")
        .order_by("case_no")  # numbers are handed out in the order the cases commit
    )
    assert len(made) == THREADS * PER_THREAD
    position_of = {a.pk: n for n, a in enumerate(world.agents, start=1)}
    walk = [position_of[c.assigned_to_id] for c in made]
    assert walk == [n % AGENTS + 1 for n in range(len(made))]  # 1, 2, 3, 4, 1, 2, …
    shares = Counter(c.assigned_to_id for c in made)
    assert sorted(shares.values()) == [THREADS * PER_THREAD // AGENTS] * AGENTS
    world.rule.refresh_from_db()
    assert world.rule.last_position == AGENTS
    audited = Counter(
        AuditLog.objects.filter(
            object_id__in=[str(c.pk) for c in made], action="ASSIGN_CASE"
        ).values_list("object_id", flat=True)
    )
    assert len(audited) == len(made) and set(audited.values()) == {1}


@pytest.mark.parametrize("routed_world", ["ROUND_ROBIN"], indirect=True)
def test_hand_outs_alone_queue_on_the_rule_row(routed_world):
    """The hand-out without ``case_create`` around it (whose case-number lock already queues
    the clerks): sixteen transactions ask the rule at once; each notes its answer while it
    still holds the rule's row, so the notes are in lock order — one turn each, no position
    twice in a row, and the cursor ends where the last one left it."""
    world = routed_world
    probe = Case(branch=world.branch, category_id="TRX_FAIL", channel="BRANCH", priority="MEDIUM")
    taken: list[int] = []

    def work(_n: int) -> None:
        with transaction.atomic():
            choice = routing.choose_assignee(probe)
            taken.append(choice.position)

    assert run_in_threads(work, THREADS) == []
    assert taken == [n % AGENTS + 1 for n in range(THREADS)]
    world.rule.refresh_from_db()
    assert world.rule.last_position == taken[-1]
