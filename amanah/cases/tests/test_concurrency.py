"""Many people working cases and consents at once: no deadlock, no error, consistent history.

Sixteen threads, each on its own database connection, create, assign (twice), answer and close
cases — all in one branch, one category and one SLA policy, so every transaction points at the
same shared rows — while recording consent changes. Before the fix, ``_locked()`` row-locked the
shared category, branch and policy rows as well; a transaction holding the audit chain lock
then waited at COMMIT (deferred foreign-key checks) for those rows, whose holder waited for the
chain lock: PostgreSQL answered "deadlock detected".

The work commits for real. Not ``transaction=True``: its teardown TRUNCATEs every table, which
the audit table refuses (and it would wipe the categories and calendars the migrations seed).
So the world is built, and removed again, on connections of its own, as in
``audit/tests/test_concurrency.py``; the test's own transaction writes nothing to the trail
while the threads run (it would hold the chain lock).
"""

from __future__ import annotations

import threading
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta
from unittest import mock

import pytest
from django.db import connection, connections, transaction
from django.utils import timezone

from amanah.audit.chain import verify_chain
from amanah.audit.models import AuditLog
from amanah.audit.selectors import rows_about
from amanah.cases import selectors, sweep
from amanah.cases import services as cases
from amanah.cases.models import ActivityType, Case, CaseActivity, CaseNumberSequence, CaseStatus
from amanah.consent.models import ConsentRecord, ConsentState
from amanah.consent.services import consent_change
from amanah.core.actors import SystemActor
from amanah.core.roles import RoleKey as R
from amanah.core.testing import on_own_connection, run_in_threads
from amanah.customers.models import Customer
from amanah.customers.services import CustomerInput, customer_create
from amanah.iam import services as iam
from amanah.iam.models import Branch, TimeZoneChoice, User
from amanah.notifications.models import Notification
from amanah.sales.models import FollowUpTask
from amanah.workflow.models import TransitionHistory

THREADS = 16
ITERATIONS = 2  # per thread: 16 × 2 cases × 6 transactions, plus 32 consent changes
AGENTS = 4
ASSIGNMENTS = 2  # per case
JOIN_TIMEOUT = 120  # seconds; the whole run takes a few
CONSENTS = ("GRANTED", "WITHDRAWN")


@dataclass
class World:
    marker: str
    branch: Branch
    supervisor: User
    agents: list[User]
    customers: list[Customer]
    first_audit_id: int
    sequence_before: int | None
    created: dict[int, list] = field(default_factory=dict)  # thread -> case ids


def _user(system, branch, role, name) -> User:
    user = iam.user_create(
        actor=system,
        username=name,
        full_name="Pengguna Uji Serentak",
        password="Sangat-Rahasia-2026",
        roles=[str(role)],
        scopes=[iam.ScopeInput(branch=branch)],
        home_branch=branch,
    )
    user.active_role = iam.default_role(user)
    return user


def _build(marker: str, *, customers: int = THREADS, agents: int = AGENTS) -> World:
    system = SystemActor("system:test")
    last = AuditLog.objects.order_by("-id").values_list("id", flat=True).first() or 0
    year = timezone.localtime().year
    sequence = CaseNumberSequence.objects.filter(year=year).values_list("last", flat=True).first()
    with transaction.atomic():
        branch = iam.branch_save(
            actor=system,
            code=f"K{marker[:5]}",
            name="KC Uji Serentak",
            timezone_name=TimeZoneChoice.WIB,
        )
        supervisor = _user(system, branch, R.SUPERVISOR, f"spv{marker}")
        agents = [_user(system, branch, R.AGENT, f"agt{n}{marker}") for n in range(agents)]
        customers = [
            customer_create(
                actor=system,
                data=CustomerInput(
                    full_name=f"Nasabah Serentak {n}",
                    home_branch=branch,
                    cif=f"C{marker[:8]}{n:02d}",
                ),
            )
            for n in range(customers)
        ]
    return World(marker, branch, supervisor, agents, customers, last, sequence)


def _remove(world: World) -> None:
    """Take every committed row of the world out again, the audit rows included (superuser,
    triggers skipped for this cleanup only, as a restore tool would)."""
    case_ids = [pk for ids in world.created.values() for pk in ids]
    users = [world.supervisor, *world.agents]
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL session_replication_role = replica")
        FollowUpTask.objects.filter(customer__in=world.customers).delete()
        TransitionHistory.objects.filter(
            workflow__key="cases.case", object_id__in=[str(pk) for pk in case_ids]
        ).delete()
        # A duplicate protects its original from deletion (both ways, had a race made a cycle).
        Case.objects.filter(customer__in=world.customers, duplicate_of__isnull=False).update(
            duplicate_of=None, status=CaseStatus.NEW
        )
        Case.objects.filter(customer__in=world.customers).delete()
        ConsentState.objects.filter(customer__in=world.customers).delete()
        ConsentRecord.objects.filter(customer__in=world.customers).delete()
        Customer.objects.filter(pk__in=[c.pk for c in world.customers]).delete()
        Notification.objects.filter(user__in=users).delete()
        User.objects.filter(pk__in=[u.pk for u in users]).delete()
        Branch.objects.filter(pk=world.branch.pk).delete()
        AuditLog.objects.filter(id__gt=world.first_audit_id).delete()
        year = timezone.localtime().year
        if world.sequence_before is None:
            CaseNumberSequence.objects.filter(year=year).delete()
        else:
            CaseNumberSequence.objects.filter(year=year).update(last=world.sequence_before)
    assert not Case.objects.filter(pk__in=case_ids).exists()


@pytest.fixture
def world(db):
    marker = uuid.uuid4().hex[:10].upper()
    built = on_own_connection(lambda: _build(marker))
    yield built
    on_own_connection(lambda: _remove(built))
    assert verify_chain().ok


@pytest.fixture
def small_world(db):
    marker = uuid.uuid4().hex[:10].upper()
    built = on_own_connection(lambda: _build(marker, customers=1, agents=1))
    yield built
    on_own_connection(lambda: _remove(built))
    assert verify_chain().ok


def _work(world: World, n: int, start: threading.Barrier, errors: list) -> None:
    """One clerk's shift: ITERATIONS complaints from intake to close, and consent changes."""
    agent, customer = world.agents[n % AGENTS], world.customers[n]
    mine = world.created.setdefault(n, [])
    try:
        start.wait(timeout=JOIN_TIMEOUT)
        for i in range(ITERATIONS):
            case = cases.case_create(
                actor=agent,
                data=cases.CaseInput(
                    customer=customer,
                    channel="BRANCH",
                    category_code="TRX_FAIL",
                    priority="MEDIUM",
                    description="Transfer gagal tetapi saldo terpotong; mohon dicek segera.",
                ),
            )
            mine.append(case.pk)
            for k in range(1, ASSIGNMENTS + 1):
                cases.case_assign(
                    actor=world.supervisor, case=case, assignee=world.agents[(n + k) % AGENTS]
                )
            consent_change(
                actor=agent,
                customer=customer,
                consent_type="MARKETING",
                new_status=CONSENTS[i % 2],
                channel="BRANCH",
                verification_method="IN_PERSON",
            )
            cases.case_final_response(
                actor=world.supervisor,
                case=case,
                text="Dana sudah dikembalikan ke rekening nasabah; mohon maaf atas kendalanya.",
                resolution_code="REFUND",
            )
            cases.case_close(actor=world.supervisor, case=case, resolution_code="REFUND")
    except Exception as error:  # noqa: BLE001 (the test reports every one)
        errors.append(f"thread {n}: {type(error).__name__}: {error}")
    finally:
        connections.close_all()


def _history_problems(case: Case) -> list[str]:
    activities = list(CaseActivity.objects.filter(case=case).order_by("id"))
    kinds = [a.activity_type for a in activities]
    status_changes = [a.meta.get("to") for a in activities if a.activity_type == "STATUS_CHANGE"]
    expected_kinds = [
        ActivityType.STATUS_CHANGE,
        *[ActivityType.ASSIGN] * ASSIGNMENTS,
        ActivityType.FINAL_RESPONSE,
        ActivityType.STATUS_CHANGE,
    ]
    audit_actions = list(
        AuditLog.objects.filter(object_id=str(case.pk))
        .order_by("id")
        .values_list("action", flat=True)
    )
    expected_audit = ["CREATE_CASE", *["ASSIGN_CASE"] * ASSIGNMENTS, "FINAL_RESPONSE", "CLOSE_CASE"]
    problems = []
    if kinds != expected_kinds:
        problems.append(f"{case.case_no}: activities {kinds}")
    if status_changes != [CaseStatus.NEW, CaseStatus.CLOSED] or case.status != CaseStatus.CLOSED:
        problems.append(f"{case.case_no}: status {case.status}, changes {status_changes}")
    if audit_actions != expected_audit:
        problems.append(f"{case.case_no}: audit {audit_actions}")
    return problems


def test_sixteen_clerks_at_once_no_deadlock_and_consistent_history(world):
    start = threading.Barrier(THREADS)
    errors: list[str] = []
    threads = [
        threading.Thread(target=_work, args=(world, n, start, errors)) for n in range(THREADS)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=JOIN_TIMEOUT)
    assert not any(thread.is_alive() for thread in threads)

    assert errors == []
    created = [pk for ids in world.created.values() for pk in ids]
    assert len(created) == THREADS * ITERATIONS
    made = list(Case.objects.filter(pk__in=created))
    assert len({c.case_no for c in made}) == len(made) == THREADS * ITERATIONS
    problems = [problem for case in made for problem in _history_problems(case)]
    assert problems == []
    for customer in world.customers:  # the current state is the latest history row
        latest = ConsentRecord.objects.filter(customer=customer).order_by("-effective_at").first()
        state = ConsentState.objects.get(customer=customer, consent_type="MARKETING")
        assert state.status == latest.new_status == CONSENTS[(ITERATIONS - 1) % 2]
    assert verify_chain().ok


def _overdue_cases(world: World, count: int) -> list:
    """``count`` committed open cases, every SLA mark and OJK day 20 already past."""
    made = []
    for n in range(count):
        case = cases.case_create(
            actor=world.agents[n % AGENTS],
            data=cases.CaseInput(
                customer=world.customers[n % THREADS],
                channel="BRANCH",
                category_code="TRX_FAIL",
                priority="MEDIUM",
                description="Transfer gagal tetapi saldo terpotong; mohon dicek segera.",
            ),
        )
        made.append(case.pk)
    world.created[0] = made
    past = timezone.now() - timedelta(days=40)
    Case.objects.filter(pk__in=made).update(
        warn_at=past, sla_due_at=past, regulatory_deadline_at=past
    )
    return made


def test_two_sweep_lanes_mark_and_audit_every_case_exactly_once(world, monkeypatch):
    """A catch-up worked off by two lanes (threads, connections of their own) in batches of 3:
    every case gets its breach and its OJK day-20 flag once, and is named in one audit batch
    row naming both."""
    monkeypatch.setattr(sweep, "BATCH_SIZE", 3)
    monkeypatch.setattr(sweep, "DETAIL_LIMIT", 5)  # 20 due is a catch-up: the lanes run
    lanes_used = []
    in_lanes = sweep._in_lanes
    monkeypatch.setattr(
        sweep, "_in_lanes", lambda lanes, work: lanes_used.append(lanes) or in_lanes(lanes, work)
    )
    made = on_own_connection(lambda: _overdue_cases(world, 20))

    result = on_own_connection(lambda: sweep.sla_sweep(lanes=2))

    assert (result.breached, result.regulatory_overdue) == (20, 20)
    marked = Case.objects.filter(pk__in=made)
    assert all(c.breached_at and c.regulatory_overdue_at for c in marked)
    audited = AuditLog.objects.filter(
        rows_about(made, "cases.Case"), actor_username=sweep.ACTOR.username
    )
    per_case = Counter(case_id for row in audited for case_id in row.meta["objects"])
    assert len(per_case) == 20 and set(per_case.values()) == {1}  # each case in one row
    assert all(row.meta["reason"] == "sla_breach" and row.meta["ojk_day_20"] for row in audited)
    assert lanes_used[0] == 2  # the breach pass (with its day-20 rider) was worked in lanes
    lanes_used.clear()
    assert on_own_connection(lambda: sweep.sla_sweep(lanes=2)).breached == 0  # idempotent
    assert set(lanes_used) == {1}  # nothing due: no threads, no extra connections


def test_two_cases_cancelled_as_each_others_duplicate_at_once_leave_one_standing(small_world):
    """A supervisor cancels A as a duplicate of B while another cancels B as a duplicate of
    A, both having looked the original up before either locked anything: one wins, the other
    is refused — never two cancelled cases pointing at each other."""
    world = small_world

    def create():
        return [
            cases.case_create(
                actor=world.agents[0],
                data=cases.CaseInput(
                    customer=world.customers[0],
                    channel="BRANCH",
                    category_code="TRX_FAIL",
                    priority="MEDIUM",
                    description=f"Transfer gagal, saldo terpotong (laporan {n}).",
                ),
            )
            for n in (1, 2)
        ]

    pair = on_own_connection(create)
    world.created[0] = [c.pk for c in pair]
    looked_up = threading.Barrier(2)
    lookup = selectors.case_by_number

    def case_by_number(**kwargs):
        found = lookup(**kwargs)
        looked_up.wait(timeout=10)  # both have read their original, neither holds a lock
        return found

    def cancel(n: int) -> None:
        case, original = pair[n], pair[1 - n]
        cases.case_cancel_duplicate(actor=world.supervisor, case=case, original_no=original.case_no)

    with mock.patch.object(selectors, "case_by_number", case_by_number):
        errors = run_in_threads(cancel, 2, timeout=30)
    assert [getattr(e, "code", repr(e)) for e in errors] == ["duplicate_of_cancelled"]
    statuses = on_own_connection(
        lambda: sorted(
            Case.objects.filter(pk__in=world.created[0]).values_list("status", flat=True)
        )
    )
    assert statuses == [CaseStatus.CANCELLED, CaseStatus.NEW]
