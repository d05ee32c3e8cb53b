"""No manual move, kept by the database (issue 51, 4) — as the web server's database role.

Each attack of the issue runs as the application role (``as_app``: ``SET LOCAL ROLE``, as in
``audit/tests/test_db_roles.py``) and is refused, changing nothing: a fabricated rotation row
with an update of the agent, a move in the middle of the window, a wrong next agent, a wrong
reason, an agent row pointed at another person, a window extended; and the move path called
without its audit row cannot commit. The desk's own paths (enrolment, sweep, deposits, a leave
hand-over, exits, a new order) still work as that role.
"""

import re
from datetime import timedelta

import pytest
from django.conf import settings as django_settings
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from amanah.audit.models import AuditLog
from amanah.calendars.contract import absent_user_ids, staff_absence_record
from amanah.core.roundrobin import next_position
from amanah.followup import services, sql
from amanah.followup.handlers import absence_changed
from amanah.followup.models import Deposit, Desk, DeskAgent, Member, Rotation
from amanah.followup.sweep import rotation_sweep

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("round_the_clock")]

# Refused by the desk's own checks (its triggers and functions) or for want of a privilege —
# not by a mistake in the statement.
REFUSED = re.compile(r"followup: |permission denied")


@pytest.fixture
def desk(make_desk):
    return make_desk(3)


@pytest.fixture
def member(desk, make_customers, enrol):
    """Agent 1's member, in the middle of its window (enrolled now)."""
    return enrol(make_customers(1)[0], at=timezone.now())


@pytest.fixture
def due(desk, make_customers, enrol):
    """Agent 1's member whose window ended an hour ago (enrolled 49 hours ago: the tests' own
    role, which owns the tables, may name the moment)."""
    return enrol(make_customers(1)[0], at=timezone.now() - timedelta(hours=49))


def _refused(statement: str, params=()) -> DatabaseError:
    """The statement fails, and its savepoint takes whatever it did with it."""
    with pytest.raises(DatabaseError) as refused, transaction.atomic(), connection.cursor() as c:
        c.execute(statement, params)
    assert REFUSED.search(str(refused.value)), refused.value
    return refused.value


def _state(member) -> tuple:
    row = Member.objects.filter(pk=member.pk).values_list(
        "current_agent_id",
        "last_rotation_id",
        "last_position",
        "status",
        "window_start",
        "window_end",
        "deposit_total",
        "exit_reason",
    )
    return (row.get(), Rotation.objects.filter(member_id=member.pk).count())


def _move(member_ids, reason, now=None, exit_reason=None):
    return (
        "SELECT * FROM followup_move(%s::bigint[], %s, %s, '{}'::uuid[], NULL, %s)",
        [member_ids, reason, now or timezone.now(), exit_reason],
    )


def _agent(position: int) -> DeskAgent:
    return DeskAgent.objects.get(position=position)


def test_a_fabricated_rotation_row_and_an_agent_update_are_refused(member, as_app):
    before = _state(member)
    third = _agent(3)
    with as_app():
        _refused(
            "INSERT INTO followup_rotation (member_id, from_agent_id, to_agent_id,"
            " from_position, to_position, reason, at)"
            " VALUES (%s, %s, %s, 1, 3, 'NO_DEPOSIT', now())",
            [member.pk, member.current_agent_id, third.pk],
        )
        _refused(
            "UPDATE followup_member SET current_agent_id = %s, status = 'ROTATED' WHERE id = %s",
            [third.pk, member.pk],
        )
        # Even with the rotation row the owner could write, the app may not set the agent.
        _refused(
            "UPDATE followup_member SET current_agent_id = %s, last_rotation_id = %s WHERE id = %s",
            [third.pk, member.last_rotation_id, member.pk],
        )
        _refused("UPDATE followup_member SET current_agent_id = NULL, status = 'PENDING'")
        _refused("DELETE FROM followup_member WHERE id = %s", [member.pk])
    assert _state(member) == before
    assert not AuditLog.objects.filter(meta__reason="NO_DEPOSIT").exists()


def test_a_move_in_the_middle_of_the_window_is_refused(member, as_app):
    before = _state(member)
    with as_app():
        error = _refused(*_move([member.pk], "NO_DEPOSIT"))
        assert "runs until" in str(error)
        # Nor by naming a later "now": the app role moves by the database's clock.
        error = _refused(*_move([member.pk], "NO_DEPOSIT", timezone.now() + timedelta(hours=49)))
        assert "not now" in str(error)
        with pytest.raises(IntegrityError), transaction.atomic():
            rotation_sweep(now=timezone.now() + timedelta(hours=49))
        assert rotation_sweep().no_deposit == 0
    assert _state(member) == before


def test_the_next_agent_is_the_databases_choice(due, desk, as_app, system):
    """The app cannot name an agent: a direct update to agent 3 is refused, and the move goes
    to the next agent in order — agent 2, or agent 3 while agent 2 is away."""
    with as_app():
        _refused(
            "UPDATE followup_member SET current_agent_id = %s WHERE id = %s", [_agent(3).pk, due.pk]
        )
        with transaction.atomic():
            moved = sql.move([due.pk], "NO_DEPOSIT", now=timezone.now())
            assert [(m.from_position, m.to_position, m.reason) for m in moved] == [
                (1, 2, "NO_DEPOSIT")
            ]
            transaction.set_rollback(True)
    now = timezone.now()
    staff_absence_record(
        actor=system,
        user=_agent(2).user,
        kind="LEAVE",
        starts_at=now - timedelta(hours=1),
        ends_at=now + timedelta(days=1),
    )
    with as_app():
        assert rotation_sweep().no_deposit == 1
    due.refresh_from_db()
    assert due.current_agent == _agent(3)
    assert list(due.rotations.order_by("id").values_list("to_position", flat=True)) == [1, 3]


@pytest.mark.parametrize(
    ("reason", "exit_reason"),
    [
        ("AGENT_UNAVAILABLE", None),  # agent 1 is at the desk
        ("PENDING_ASSIGNED", None),  # the member is not waiting
        ("NEW_MEMBER", None),
        ("MEMBER_DONE", "TARGET_MET"),  # no deposit reached the target
        ("MEMBER_DONE", None),  # leaving needs its reason
        ("NO_DEPOSIT", "CLOSED"),  # an exit reason only to leave
        ("ADMIN_MOVE", None),
    ],
)
def test_a_wrong_reason_is_refused(member, as_app, reason, exit_reason):
    """Through the desk's function, and written by hand: a rotation row with that reason and
    the member pointed at it."""
    before = _state(member)
    second = _agent(2)
    with as_app():
        _refused(*_move([member.pk], reason, exit_reason=exit_reason))
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO followup_rotation (member_id, from_agent_id, to_agent_id,"
                " from_position, to_position, reason, at) VALUES (%s, %s, %s, 1, 2, %s, now())"
                " RETURNING id",
                [member.pk, member.current_agent_id, second.pk, reason[:20]],
            )
            cursor.execute(
                "UPDATE followup_member SET current_agent_id = %s, last_rotation_id = %s,"
                " status = 'ROTATED' WHERE id = %s",
                [second.pk, cursor.fetchone()[0], member.pk],
            )
    assert _state(member) == before


def test_an_agent_row_is_always_the_same_person(desk, member, make_user, as_app):
    from amanah.core.roles import RoleKey as R

    stranger = make_user(R.AGENT)
    first = _agent(1)
    with as_app():
        _refused(
            "UPDATE followup_deskagent SET user_id = %s WHERE id = %s", [stranger.pk, first.pk]
        )
        _refused("UPDATE followup_deskagent SET position = 4 - position WHERE position <> 2")
        _refused("UPDATE followup_deskagent SET is_active = false WHERE id = %s", [first.pk])
        _refused("DELETE FROM followup_deskagent WHERE id = %s", [first.pk])
        _refused(
            "INSERT INTO followup_deskagent (id, user_id, position, capacity, is_active,"
            " created_at) VALUES (gen_random_uuid(), %s, 7, 10, true, now())",
            [stranger.pk],
        )
    # Not even the tables' owner re-points an agent.
    _refused("UPDATE followup_deskagent SET user_id = %s WHERE id = %s", [stranger.pk, first.pk])
    assert DeskAgent.objects.get(pk=first.pk).user_id == first.user_id
    assert list(DeskAgent.objects.values_list("position", flat=True)) == [1, 2, 3]


def test_a_window_is_not_extended(member, as_app):
    before = _state(member)
    with as_app():
        for statement in (
            "UPDATE followup_member SET window_end = window_end + interval '10 days'",
            "UPDATE followup_member SET window_start = now(),"
            " window_end = now() + interval '2 days'",
            "UPDATE followup_member SET deposit_total = 100000, deposit_status = 'MET'",
            "UPDATE followup_member SET last_position = 2",
            "UPDATE followup_desk SET window_hours = 240",
            "UPDATE followup_desk SET last_position = 2",
        ):
            _refused(statement)
        _refused(
            "INSERT INTO followup_deposit (member_id, external_ref, amount, deposited_at,"
            " received_at, reset_window) VALUES (%s, 'X1', 1, now(), now(), true)",
            [member.pk],
        )
        # A deposit restarts the window from its own time only through the desk's function,
        # which refuses one stamped in the future.
        with transaction.atomic():
            _refused(
                "SELECT * FROM followup_deposit_accept(%s, 'X2', 1, %s, %s)",
                [member.pk, timezone.now() + timedelta(days=3), timezone.now()],
            )
        assert Desk.objects.get().window_hours == 48
    assert _state(member) == before


def test_the_move_path_cannot_commit_without_its_audit_row(due, as_app):
    with as_app(), transaction.atomic():
        moved = sql.move([due.pk], "NO_DEPOSIT", now=timezone.now())
        assert len(moved) == 1
        refused = pytest.raises(IntegrityError, match="no audit row")
        with refused, transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        transaction.set_rollback(True)
    with as_app():
        assert rotation_sweep().no_deposit == 1
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # every check passes
    due.refresh_from_db()
    row = AuditLog.objects.get(
        object_id=str(due.pk), action="ROTATE_FOLLOWUP_MEMBER", meta__reason="NO_DEPOSIT"
    )
    assert row.meta["rotation"] == due.last_rotation_id
    assert row.actor_username == "integration:followup-rotation"


def test_the_desks_own_paths_work_as_the_application_role(
    desk, due, make_customers, system, as_app
):
    """Enrolment, a deposit restarting a window, the sweep, a leave hand-over, a deposit that
    meets the target, an exit and a new order — as the web server's role, on its clock."""
    customer = make_customers(1)[0]
    now = timezone.now()
    with as_app():
        member = services.member_enrol(
            actor=system, customer=customer, entry_reason="OTHER", deposit_target="1000"
        )
        assert member.current_agent == _agent(2)  # after the cursor (agent 1 got ``due``)
        later = now + timedelta(seconds=30)
        services.deposit_record(
            actor=system,
            customer_ref=str(customer.pk),
            amount="10",
            deposited_at=later,
            external_ref="G1",
        )
        member.refresh_from_db()
        assert (member.window_start, member.window_end) == (later, later + timedelta(hours=48))
        assert rotation_sweep().no_deposit == 1  # ``due`` goes on to agent 2
        absence = staff_absence_record(
            actor=system,
            user=_agent(2).user,
            kind="SICK",
            starts_at=now - timedelta(minutes=1),
            ends_at=now + timedelta(days=1),
        )
        assert absence  # its event handed agent 2's members on at once
        assert set(
            Member.objects.filter(status__in=["ACTIVE", "ROTATED"]).values_list(
                "current_agent__position", flat=True
            )
        ) == {3}
        services.deposit_record(
            actor=system,
            customer_ref=str(customer.pk),
            amount="990",
            deposited_at=later,
            external_ref="G2",
        )
        member.refresh_from_db()
        assert member.status == "DONE" and member.exit_reason == "TARGET_MET"
        services.desk_order_set(actor=system, order={a.pk: a.position % 3 + 1 for a in desk})
        assert Desk.objects.get().last_position == 3  # the cursor still names agent 2
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    assert Deposit.objects.filter(member=member).count() == 2
    assert (
        Rotation.objects.filter(member=member).count()
        == AuditLog.objects.filter(
            object_id=str(member.pk), action="ROTATE_FOLLOWUP_MEMBER"
        ).count()
    )


def test_a_member_inserted_with_an_agent_is_refused(member, make_customers, as_app):
    customer = make_customers(1)[0]
    for switched in (as_app, transaction.atomic):  # for every role
        with switched():
            error = _refused(
                "INSERT INTO followup_member (customer_id, current_agent_id, last_position,"
                " status, entry_reason, exit_reason, window_start, window_end, deposit_total,"
                " deposit_status, enrolled_at) VALUES (%s, %s, 1, 'ACTIVE', 'OTHER', '', now(),"
                " now() + interval '1 day', 0, 'NONE', now())",
                [customer.pk, member.current_agent_id],
            )
            assert "enrolled without an agent" in str(error)


@pytest.mark.parametrize(
    "statement",
    ["UPDATE followup_rotation SET reason = 'AGENT_FULL'", "DELETE FROM followup_rotation"],
)
def test_rotation_history_is_append_only(member, statement, as_app):
    assert "append-only" in str(_refused(statement))
    with as_app():
        _refused(statement)


def test_the_desks_functions_are_the_owners_with_a_fixed_search_path(db):
    """SECURITY DEFINER functions run as their owner: each fixes its search_path (nobody can
    slip in a table or function of the same name), and the app role cannot create objects in
    the schema the path names."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT p.proname, p.prosecdef, p.proconfig, pg_get_userbyid(p.proowner),"
            " (SELECT tableowner FROM pg_tables WHERE tablename = 'followup_member')"
            " FROM pg_proc p WHERE p.proname LIKE 'followup_%'"
        )
        rows = cursor.fetchall()
        app_role = django_settings.DATABASE_APP_ROLE
        cursor.execute("SELECT has_schema_privilege(%s, 'public', 'CREATE')", [app_role])
        assert cursor.fetchone()[0] is False
    definers = {name for name, definer, *_ in rows if definer}
    assert definers == {"followup_move", "followup_deposit_accept", "followup_desk_order_set"}
    for name, definer, config, owner, table_owner in rows:
        if definer:
            assert any(c.startswith("search_path=pg_catalog") for c in config or []), name
            assert owner == table_owner, name


def test_the_databases_agents_agree_with_the_orm_and_the_calendars(desk, member, system):
    """``followup_agents`` (what ``followup_move`` sees) against the ORM's loads and
    ``calendars.absent_user_ids``: presence and load per agent."""
    now = timezone.now()
    staff_absence_record(
        actor=system,
        user=_agent(3).user,
        kind="LEAVE",
        starts_at=now + timedelta(hours=1),
        ends_at=now + timedelta(days=1),
    )
    staff_absence_record(
        actor=system,
        user=_agent(2).user,
        kind="OFF",
        starts_at=now - timedelta(hours=1),
        ends_at=now + timedelta(hours=1),
    )
    for at in (now, now + timedelta(hours=2)):
        rows = sql.agents_at(at)
        away = absent_user_ids(at)
        for row in rows:
            agent = DeskAgent.objects.select_related("user").get(pk=row.agent_id)
            assert row.present == (
                agent.is_active and agent.user.is_active and agent.user_id not in away
            )
            assert (
                row.load
                == Member.objects.filter(
                    current_agent=agent, status__in=["ACTIVE", "ROTATED"]
                ).count()
            )
        assert [r.position for r in rows] == [1, 2, 3]


def test_an_absence_now_hands_members_on_as_the_application_role(member, system, as_app):
    with as_app():
        now = timezone.now()
        absence = staff_absence_record(
            actor=system,
            user=member.current_agent.user,
            kind="LEAVE",
            starts_at=now - timedelta(minutes=5),
            ends_at=now + timedelta(days=1),
        )
        absence_changed(actor=system, absence=absence)  # again: nothing left to hand on
    member.refresh_from_db()
    assert member.current_agent == _agent(2)
    assert list(member.rotations.values_list("reason", flat=True).order_by("id")) == [
        "NEW_MEMBER",
        "AGENT_UNAVAILABLE",
    ]


@settings(max_examples=200, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    desk=st.integers(1, 8).flatmap(
        lambda n: st.tuples(
            st.lists(st.booleans(), min_size=n, max_size=n),
            st.lists(st.integers(0, 3), min_size=n, max_size=n),
            st.lists(st.integers(0, 3), min_size=n, max_size=n),
            st.integers(0, n),
        )
    ),
    include_after=st.booleans(),
)
def test_the_databases_next_agent_is_core_roundrobins(db, desk, include_after):
    """One rule, two forms (DESIGN §2.1): ``followup_next_position``, which ``followup_move``
    asks, answers as ``core.roundrobin.next_position`` (cases' routing asks that one)."""
    free, load, capacity, after = desk
    positions = range(1, len(free) + 1)
    expected = next_position(
        after=after,
        include_after=include_after,
        positions=positions,
        available={p for p in positions if free[p - 1]},
        load=dict(zip(positions, load, strict=True)),
        capacity=dict(zip(positions, capacity, strict=True)),
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT followup_next_position(%s, %s, %s::boolean[], %s::int[], %s::int[])",
            [after, include_after, free, load, capacity],
        )
        assert cursor.fetchone()[0] == expected
