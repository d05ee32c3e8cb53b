"""Two people move the same lead at once: exactly one move happens, the other gets a clear
refusal, and the history holds one line per move.

The first mover is held inside its transaction (a slow event handler) while the second
starts, so without the row lock both would read NEW and both would "succeed": the test then
fails. With the lock the second waits, reads the new status and is refused.

The work commits for real on connections of its own. Not ``transaction=True``: its teardown
TRUNCATEs every table, which the audit table refuses. So the world is built and removed again
on connections of its own (as in ``audit/tests/test_concurrency.py``), and the test's own
transaction writes nothing to the trail while the threads run (it would hold the chain lock).
"""

from __future__ import annotations

import threading
import uuid

import pytest
from django.db import connection, connections, transaction

from amanah.audit.chain import verify_chain
from amanah.audit.models import AuditLog
from amanah.core import registry
from amanah.core.actors import SystemActor
from amanah.core.errors import ServiceError
from amanah.core.events import EventHandler
from amanah.core.roles import RoleKey as R
from amanah.core.testing import on_own_connection
from amanah.customers.models import Customer, PortfolioAssignment
from amanah.customers.services import CustomerInput, customer_create, portfolio_assign
from amanah.iam import services as iam
from amanah.iam.models import Branch, TimeZoneChoice, User
from amanah.notifications.models import Notification
from amanah.sales import services as sales
from amanah.sales.models import Lead
from amanah.workflow.contract import transition_apply
from amanah.workflow.models import TransitionHistory

JOIN_TIMEOUT = 60  # seconds; the whole run takes about one
HOLD = 0.5  # how long the first mover keeps its transaction open
RACERS = 8


def _build(marker: str) -> dict:
    system = SystemActor("system:test")
    first_audit = AuditLog.objects.order_by("-id").values_list("id", flat=True).first() or 0
    with transaction.atomic():
        branch = iam.branch_save(
            actor=system,
            code=f"W{marker[:5]}",
            name="KC Uji Alur",
            timezone_name=TimeZoneChoice.WIB,
        )
        rm = iam.user_create(
            actor=system,
            username=f"rm{marker}",
            full_name="RM Uji Serentak",
            password="Sangat-Rahasia-2026",
            roles=[R.RM.value],
            scopes=[iam.ScopeInput(branch=branch)],
            home_branch=branch,
        )
        customer = customer_create(
            actor=system, data=CustomerInput(full_name="Nasabah Serentak", home_branch=branch)
        )
        portfolio_assign(actor=system, customer=customer, rm=rm)
        lead = sales.lead_create(actor=system, customer=customer, source_type="MANUAL")
    return {"branch": branch, "rm": rm, "customer": customer, "lead": lead, "audit": first_audit}


def _remove(world: dict) -> None:
    """Take the committed rows out again, the audit rows included (superuser, triggers skipped
    for this cleanup only, as a restore tool would)."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL session_replication_role = replica")
        TransitionHistory.objects.filter(object_id=str(world["lead"].pk)).delete()
        Lead.objects.filter(pk=world["lead"].pk).delete()
        PortfolioAssignment.objects.filter(customer=world["customer"]).delete()
        Customer.objects.filter(pk=world["customer"].pk).delete()
        Notification.objects.filter(user=world["rm"]).delete()
        User.objects.filter(pk=world["rm"].pk).delete()
        Branch.objects.filter(pk=world["branch"].pk).delete()
        AuditLog.objects.filter(id__gt=world["audit"]).delete()


@pytest.fixture
def world(db):
    built = on_own_connection(lambda: _build(uuid.uuid4().hex[:10]))
    yield built
    on_own_connection(lambda: _remove(built))
    assert verify_chain().ok


def _as_rm(world) -> User:
    """The RM on this thread's connection, with the role the middleware would give it."""
    user = User.objects.get(pk=world["rm"].pk)
    user.active_role = R.RM.value
    return user


def _move(world, to: str, outcomes: list, *, before=None) -> None:
    """Appends (this thread's name, what the move answered)."""
    name = threading.current_thread().name
    try:
        if before is not None:
            before()
        transition_apply(actor=_as_rm(world), obj=world["lead"], to=to)
        outcomes.append((name, "moved"))
    except ServiceError as error:
        outcomes.append((name, error.code))
    except Exception as error:  # noqa: BLE001 (reported by the test)
        outcomes.append((name, repr(error)))
    finally:
        connections.close_all()


def _lines(world) -> list[tuple[str, str]]:
    rows = TransitionHistory.objects.filter(object_id=str(world["lead"].pk)).order_by("id")
    return list(rows.values_list("from_status", "to_status"))


def test_one_of_two_simultaneous_moves_wins_the_other_is_refused(world):
    first_inside = threading.Event()

    def hold_first(*, actor, **payload):
        if threading.current_thread().name == "first":
            first_inside.set()  # the move is saved, its transaction still open
            threading.Event().wait(HOLD)

    outcomes: list = []
    event = "sales.lead.transitioned"
    with registry.event_handlers.temporarily(
        f"{event}:test-hold-first", EventHandler(event, hold_first)
    ):
        first = threading.Thread(target=_move, args=(world, "CONTACTED", outcomes), name="first")
        second = threading.Thread(
            target=_move,
            args=(world, "CONTACTED", outcomes),
            kwargs={"before": lambda: first_inside.wait(JOIN_TIMEOUT)},
            name="second",
        )
        first.start()
        second.start()
        first.join(JOIN_TIMEOUT)
        second.join(JOIN_TIMEOUT)
    assert not first.is_alive() and not second.is_alive()
    # Both answer the moment the first commits, in either order: compare by thread.
    assert dict(outcomes) == {"first": "moved", "second": "transition_not_allowed"}
    assert _lines(world) == [("NEW", "CONTACTED")]
    assert Lead.objects.get(pk=world["lead"].pk).status == "CONTACTED"

    # Many at once from the same status: still exactly one move, one history line.
    start = threading.Barrier(RACERS)
    outcomes = []
    racers = [
        threading.Thread(
            target=_move,
            args=(world, "QUALIFIED", outcomes),
            kwargs={"before": lambda: start.wait(JOIN_TIMEOUT)},
        )
        for _ in range(RACERS)
    ]
    for racer in racers:
        racer.start()
    for racer in racers:
        racer.join(JOIN_TIMEOUT)
    answers = sorted(answer for _, answer in outcomes)
    assert answers == ["moved", *["transition_not_allowed"] * (RACERS - 1)]
    assert _lines(world) == [("NEW", "CONTACTED"), ("CONTACTED", "QUALIFIED")]
    moves = AuditLog.objects.filter(object_id=str(world["lead"].pk), action="UPDATE_LEAD")
    assert moves.count() == 2


def _holds_chain_lock() -> bool:
    """Whether this connection holds the audit chain's lock now (``audit.record`` takes it
    and keeps it until the commit)."""
    from amanah.audit.services import CHAIN_LOCK_KEY

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory'"
            " AND pid = pg_backend_pid() AND classid = 0 AND objid = %s AND granted)",
            [CHAIN_LOCK_KEY],
        )
        return cursor.fetchone()[0]


def test_handlers_write_before_the_audit_chain_lock_is_taken(world):
    """The engine emits, then audits last: a ``*.transitioned`` handler (a notice, a message)
    writes its rows while the move's transaction does not yet hold the chain's lock, and the
    move's audit row comes after them."""
    seen: list = []

    def handler(*, actor, obj, **payload):
        seen.append(_holds_chain_lock())
        seen.append(
            Notification.objects.create(
                user_id=world["rm"].pk, title="Prospek bergerak", dedupe_key=f"wf:{obj.pk}"
            ).created_at
        )

    event = "sales.lead.transitioned"
    with registry.event_handlers.temporarily(
        f"{event}:test-before-audit", EventHandler(event, handler)
    ):
        on_own_connection(lambda: transition_apply(actor=_as_rm(world), obj=world["lead"],
                                                   to="CONTACTED"))  # fmt: skip
    held, written = seen
    assert held is False
    row = AuditLog.objects.get(object_id=str(world["lead"].pk), action="UPDATE_LEAD")
    assert written <= row.created_at
