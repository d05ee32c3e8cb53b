"""The desk under two transactions at once, on connections of their own (issue 20 review).

1. A deposit that meets its target hands the member back through the desk; a leave hand-over
   holds the desk and locks the agent's members. Before the fix the deposit locked the member
   first and then waited for the desk, the hand-over held the desk and waited for the member:
   a deadlock. Now both take the desk first (``Hand.lock_desk``).
2. Two deposits with the same ``external_ref`` both passed the first look before either had
   committed; the second then failed on the unique key (a 500). Now it looks again under the
   lock and answers DUPLICATE.

Each test forces its interleaving with a seam in ``Hand.lock_desk`` (events, no sleeps) and
a short ``lock_timeout``, so a regression fails in under a second instead of hanging. The
world commits for real (``consent.testing.committed``) and is taken out again afterwards.
"""

from __future__ import annotations

import threading
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone

from amanah.calendars.contract import staff_absence_record
from amanah.consent.testing import committed, run_in_threads  # noqa: F401 (fixture)
from amanah.core.roles import RoleKey as R
from amanah.followup import services
from amanah.followup.assign import Hand
from amanah.followup.models import Deposit, Desk, EntryReason, Member
from amanah.iam import services as iam
from amanah.iam.models import User

# Working hours off: the locks, on the wall clock, not who is at work (test_working_hours.py).
pytestmark = pytest.mark.usefixtures("round_the_clock")
LOCK_TIMEOUT = "800ms"  # a wait longer than this is a regression: fail fast, never hang
WAIT = 2  # seconds a thread waits at the seam for the other one


def _world(committed):  # noqa: F811 (fixture)
    """Two agents and one member (committed), and the cleanup of all of it."""
    system = committed.system
    with connection.cursor() as cursor:
        cursor.execute("SELECT coalesce(max(id), 0) FROM procrastinate_jobs")
        jobs_mark = cursor.fetchone()[0]
    cursor_before = Desk.objects.values_list("last_position", flat=True).get(pk=1)
    customer = committed.customers(1)[0]
    tag = committed.branch.code.lower()

    def build():
        users = [
            iam.user_create(
                actor=system,
                username=f"fu{tag}{n}",
                full_name=f"Agen Serentak {n}",
                password="Sangat-Rahasia-2026",
                roles=[str(R.AGENT)],
                scopes=[iam.ScopeInput(branch=committed.branch)],
                home_branch=committed.branch,
            )
            for n in range(2)
        ]
        for user in users:
            services.desk_agent_add(actor=system, user=user, capacity=10)
        member = services.member_enrol(
            actor=system,
            customer=customer,
            entry_reason=EntryReason.NEW_ACCOUNT,
            deposit_target="1000",
        )
        return users, member

    users, member = committed.run(build)

    def remove():
        user_ids = [u.pk for u in users]
        with connection.cursor() as cursor:
            cursor.execute(
                "DELETE FROM procrastinate_jobs WHERE id > %s AND task_name = %s",
                [jobs_mark, "amanah.core.tasks.run_event_handler"],
            )
            # Superuser-only, for this cleanup alone: rotations are append-only.
            cursor.execute("SET LOCAL session_replication_role = replica")
            for table in ("followup_deposit", "followup_followuplog", "followup_rotation"):
                cursor.execute(f"DELETE FROM {table} WHERE member_id = %s", [member.pk])  # noqa: S608
            cursor.execute("DELETE FROM followup_member WHERE id = %s", [member.pk])
            cursor.execute("DELETE FROM followup_deskagent WHERE user_id = ANY(%s)", [user_ids])
            cursor.execute("DELETE FROM calendars_staffabsence WHERE user_id = ANY(%s)", [user_ids])
            cursor.execute("UPDATE followup_desk SET last_position = %s", [cursor_before])
        User.objects.filter(pk__in=user_ids).delete()

    committed.on_cleanup(remove)
    return customer, member


@pytest.fixture
def seam(monkeypatch):
    """``Hand.lock_desk`` with a hook run before the real lock, per thread (``seam.role``)."""
    real = Hand.lock_desk
    state = threading.local()
    hooks = {}

    def lock_desk():
        hook = hooks.get(getattr(state, "role", None))
        return hook(real) if hook else real()

    monkeypatch.setattr(Hand, "lock_desk", staticmethod(lock_desk))
    return state, hooks


def _short_lock_waits() -> None:
    with connection.cursor() as cursor:
        # set_config, not SET: parameters are bound on the server, and SET takes none.
        cursor.execute("SELECT set_config('lock_timeout', %s, false)", [LOCK_TIMEOUT])


def test_a_deposit_and_a_leave_hand_over_do_not_deadlock(committed, seam):  # noqa: F811
    customer, member = _world(committed)
    holder = User.objects.get(desk_agent=member.current_agent_id)
    state, hooks = seam
    deposit_at_desk, leave_holds_desk = threading.Event(), threading.Event()

    def deposit_hook(real):
        # The deposit asks for the desk (before the fix: already holding the member) and
        # lets the hand-over take it first.
        if not leave_holds_desk.is_set():
            deposit_at_desk.set()
            leave_holds_desk.wait(WAIT)
        return real()

    def leave_hook(real):
        deposit_at_desk.wait(WAIT)
        desk = real()
        leave_holds_desk.set()
        return desk

    hooks.update(deposit=deposit_hook, leave=leave_hook)
    results = {}

    def work(n: int) -> None:
        _short_lock_waits()
        now = timezone.now()
        if n == 0:
            state.role = "deposit"
            results["deposit"] = services.deposit_record(
                actor=committed.system,
                customer_ref=str(customer.pk),
                amount="1000",  # meets the target: the member leaves through the desk
                deposited_at=now,
                external_ref=f"DL-{member.pk}",
            ).status
        else:
            state.role = "leave"
            staff_absence_record(
                actor=committed.system,
                user=holder,
                kind="LEAVE",
                starts_at=now - timedelta(minutes=1),
                ends_at=now + timedelta(days=1),
            )

    assert run_in_threads(work, 2, timeout=10) == []
    assert results == {"deposit": "ACCEPTED"}
    member = Member.objects.get(pk=member.pk)
    assert member.status == "DONE" and member.current_agent_id is None
    reasons = list(member.rotations.order_by("id").values_list("reason", flat=True))
    assert reasons == ["NEW_MEMBER", "AGENT_UNAVAILABLE", "MEMBER_DONE"]


def test_two_deposits_with_the_same_reference_at_once_are_one(committed, seam):  # noqa: F811
    customer, member = _world(committed)
    state, hooks = seam
    both_looked = threading.Barrier(2)

    def hook(real):
        # Both have looked for the reference (and found none) before either locks.
        if not getattr(state, "passed", False):
            state.passed = True
            both_looked.wait(WAIT)
        return real()

    hooks["deposit"] = hook
    statuses = []

    def work(n: int) -> None:
        _short_lock_waits()
        state.role = "deposit"
        statuses.append(
            services.deposit_record(
                actor=committed.system,
                customer_ref=str(customer.pk),
                amount="100",
                deposited_at=timezone.now(),
                external_ref=f"DUP-{member.pk}",
            ).status
        )

    assert run_in_threads(work, 2, timeout=10) == []
    assert sorted(statuses) == ["ACCEPTED", "DUPLICATE"]
    assert Deposit.objects.filter(external_ref=f"DUP-{member.pk}").count() == 1
    assert Member.objects.get(pk=member.pk).deposit_total == Decimal("100")


def _pg_waits_for_a_lock(seconds: float) -> bool:
    """Whether another backend of this database waits for a lock, within ``seconds``."""
    import time

    deadline = time.monotonic() + seconds
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                " AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
            )
            if cursor.fetchone()[0]:
                return True
            time.sleep(0.02)
    return False


def test_an_enrolment_and_a_consent_withdrawal_at_once_leave_no_member(committed, seam):  # noqa: F811
    """Enrolment checks the customer's consent and then takes the desk; a withdrawal at that
    moment must not slip in between (enrolled with consent withdrawn, nobody to let it go).
    Enrolment holds the customer's consent lock from its check until it commits: the
    withdrawal waits, then its reaction finds the member and lets it go."""
    from amanah.consent.services import consent_change

    system = committed.system
    customer = committed.customers(1)[0]
    tag = committed.branch.code.lower()
    verified = {"channel": "CALL_CENTER", "verification_method": "PHONE_OTP"}

    def build():
        user = iam.user_create(
            actor=system, username=f"fc{tag}", full_name="Agen Serentak",
            password="Sangat-Rahasia-2026",
            roles=[str(R.AGENT)], scopes=[iam.ScopeInput(branch=committed.branch)],
            home_branch=committed.branch,
        )  # fmt: skip
        services.desk_agent_add(actor=system, user=user, capacity=10)
        consent_change(actor=system, customer=customer, consent_type="MARKETING",
                       new_status="GRANTED", **verified)  # fmt: skip
        return user

    with connection.cursor() as cursor:
        cursor.execute("SELECT coalesce(max(id), 0) FROM procrastinate_jobs")
        jobs_mark = cursor.fetchone()[0]
    cursor_before = Desk.objects.values_list("last_position", flat=True).get(pk=1)
    user = committed.run(build)

    def remove():
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL session_replication_role = replica")
            cursor.execute(
                "DELETE FROM followup_rotation WHERE member_id IN"
                " (SELECT id FROM followup_member WHERE customer_id = %s)",
                [customer.pk],
            )
            cursor.execute("DELETE FROM followup_member WHERE customer_id = %s", [customer.pk])
            cursor.execute("DELETE FROM followup_deskagent WHERE user_id = %s", [user.pk])
            cursor.execute("UPDATE followup_desk SET last_position = %s", [cursor_before])
            cursor.execute(
                "DELETE FROM procrastinate_jobs WHERE id > %s AND task_name = %s",
                [jobs_mark, "amanah.core.tasks.run_event_handler"],
            )
        User.objects.filter(pk=user.pk).delete()

    committed.on_cleanup(remove)
    state, hooks = seam
    checked = threading.Event()

    def enrol_hook(real):
        # Enrolment has checked consent (and holds the customer): let the withdrawal try now.
        checked.set()
        _pg_waits_for_a_lock(WAIT)  # it queues behind us (before the fix it went through)
        return real()

    hooks["enrol"] = enrol_hook
    errors = []

    def work(n: int) -> None:
        _short_lock_waits()
        if n == 0:
            state.role = "enrol"
            services.member_enrol(
                actor=system, customer=customer, entry_reason=EntryReason.NEW_ACCOUNT,
                deposit_target="1000",
            )  # fmt: skip
        else:
            checked.wait(WAIT)
            with connection.cursor() as cursor:
                cursor.execute("SET lock_timeout = '5s'")  # waits for the enrolment on purpose
            try:
                consent_change(actor=system, customer=customer, consent_type="MARKETING",
                               new_status="WITHDRAWN", **verified)  # fmt: skip
            except Exception as error:  # noqa: BLE001
                errors.append(error)
                raise

    assert run_in_threads(work, 2, timeout=20) == []
    member = Member.objects.get(customer=customer)
    assert (member.status, member.exit_reason) == ("DONE", "CONSENT_WITHDRAWN")


def test_the_sweep_as_the_application_role_under_concurrency(committed):  # noqa: F811
    """Issue 51 (4): with every move made by the database's ``followup_move``, the sweep still
    works as the web server's role — two sweeps at once and deposits arriving meanwhile, each
    on its own connection as ``amanah_app``: every due member moves exactly once, to the next
    agent, with its one audit row (the COMMIT checks it), nobody fails or waits forever."""
    from django.conf import settings

    from amanah.audit.models import AuditLog
    from amanah.followup.models import Rotation
    from amanah.followup.sweep import rotation_sweep

    system = committed.system
    customers = committed.customers(30)
    tag = committed.branch.code.lower()
    with connection.cursor() as cursor:
        cursor.execute("SELECT coalesce(max(id), 0) FROM procrastinate_jobs")
        jobs_mark = cursor.fetchone()[0]
    cursor_before = Desk.objects.values_list("last_position", flat=True).get(pk=1)
    enrolled_at = timezone.now() - timedelta(hours=49)  # the tests' own role names the past

    def build():
        users = [
            iam.user_create(
                actor=system, username=f"fs{tag}{n}", full_name=f"Agen Sapu {n}",
                password="Sangat-Rahasia-2026", roles=[str(R.AGENT)],
                scopes=[iam.ScopeInput(branch=committed.branch)], home_branch=committed.branch,
            )
            for n in range(3)
        ]  # fmt: skip
        for user in users:
            services.desk_agent_add(actor=system, user=user, capacity=100)
        members = [
            services.member_enrol(actor=system, customer=c, entry_reason=EntryReason.OTHER,
                                  deposit_target="1000000", now=enrolled_at)
            for c in customers
        ]  # fmt: skip
        return users, members

    users, members = committed.run(build)
    ids = [m.pk for m in members]

    def remove():
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL session_replication_role = replica")
            for table in ("followup_deposit", "followup_rotation"):
                cursor.execute(f"DELETE FROM {table} WHERE member_id = ANY(%s)", [ids])  # noqa: S608
            cursor.execute("DELETE FROM followup_member WHERE id = ANY(%s)", [ids])
            cursor.execute("DELETE FROM followup_deskagent WHERE user_id = ANY(%s)",
                           [[u.pk for u in users]])  # fmt: skip
            cursor.execute("UPDATE followup_desk SET last_position = %s", [cursor_before])
            cursor.execute(
                "DELETE FROM procrastinate_jobs WHERE id > %s AND task_name = %s",
                [jobs_mark, "amanah.core.tasks.run_event_handler"],
            )
        User.objects.filter(pk__in=[u.pk for u in users]).delete()

    committed.on_cleanup(remove)
    first_rotation = Rotation.objects.filter(member_id__in=ids).order_by("-id").first().pk
    swept = []

    def work(n: int) -> None:
        with connection.cursor() as cursor:
            cursor.execute(f'SET ROLE "{settings.DATABASE_APP_ROLE}"')
            cursor.execute("SET lock_timeout = '20s'")
        if n < 2:
            swept.append(rotation_sweep().no_deposit)
        else:
            for k, member in enumerate(members[n - 2 :: 2]):
                services.deposit_record(actor=system, customer_ref=str(member.customer_id),
                                        amount="1000", deposited_at=timezone.now(),
                                        external_ref=f"SW-{member.pk}-{k}")  # fmt: skip

    assert run_in_threads(work, 4, timeout=60) == []
    assert sum(swept) == len(members)
    moved = Rotation.objects.filter(member_id__in=ids, id__gt=first_rotation)
    assert sorted(moved.values_list("member_id", flat=True)) == sorted(ids)
    assert set(moved.values_list("reason", flat=True)) == {"NO_DEPOSIT"}
    for member in Member.objects.filter(pk__in=ids).select_related("current_agent"):
        first = member.rotations.order_by("id").first()
        assert member.current_agent.position == first.to_position % 3 + 1
        assert member.deposit_total == Decimal("1000")
    audited = AuditLog.objects.filter(
        action="ROTATE_FOLLOWUP_MEMBER", object_id__in=map(str, ids), meta__reason="NO_DEPOSIT"
    )
    assert sorted(int(r) for r in audited.values_list("meta__rotation", flat=True) if r) == sorted(
        moved.values_list("id", flat=True)
    )
