"""Factories (through the services) and the project-wide view permission cases of fieldops
(``amanah/core/tests/test_view_permissions.py``)."""

from __future__ import annotations

import uuid
from datetime import timedelta
from itertools import count

from django.utils import timezone

from amanah.consent.contract import Purpose, contact_hours
from amanah.core.actors import SystemActor
from amanah.core.testing import ViewCase
from amanah.customers.services import CustomerInput, customer_create
from amanah.fieldops import services, visits
from amanah.fieldops.models import Outcome

SYSTEM = SystemActor("system:test")
_numbers = count(1)
MEDAN = (3.5952, 98.6722)


def customer_in(branch, name: str = "Pelanggan Lapangan"):
    return customer_create(
        actor=SYSTEM,
        data=CustomerInput(full_name=name, home_branch=branch, cif=f"FO{next(_numbers):06d}"),
    )


def work_order(customer, agent=None, *, at=MEDAN, address="Jl. Melati RT 03 RW 05 No. 12"):
    """A work order made by hand for ``customer`` (and given to ``agent`` when named)."""
    wo = services.work_order_create(
        actor=SYSTEM,
        customer_id=customer.pk,
        address=address,
        latitude=at[0] if at else None,
        longitude=at[1] if at else None,
    )
    if agent is not None:
        wo = services.work_order_assign(actor=SYSTEM, work_order_id=wo.pk, agent_id=agent.pk)
    return wo


def in_collection_window(customer, now=None):
    """The latest moment up to ``now`` inside the customer's collection contact window (``now``
    itself when inside, or without a window): a factory's visit is made when consent's rule
    allows it, whatever the wall clock says while the suite runs (a night, a Sunday)."""
    now = now or timezone.now()
    windows = contact_hours(customer, Purpose.COLLECTION, now - timedelta(days=7), days=8)
    latest = now
    for start, end in windows or ():
        if start <= now < end:
            return now
        if end <= now:
            latest = end - timedelta(minutes=1)
    return latest


def visit_input(wo, **fields) -> visits.VisitInput:
    values = {
        "work_order_id": wo.pk,
        "idempotency_key": uuid.uuid4().hex,
        "outcome": Outcome.NOT_MET,
        "captured_at": fields.get("captured_at") or in_collection_window(wo.customer),
        "latitude": MEDAN[0],
        "longitude": MEDAN[1],
        "accuracy_m": 12,
    }
    values.update(fields)
    return visits.VisitInput(**values)


def atk_correction(agent, branch):
    wo = work_order(customer_in(branch), agent)
    visit = visits.visit_record(
        actor=agent,
        data=visit_input(
            wo, outcome=Outcome.ATK, latitude=3.6, longitude=98.7, position_confirmed=True
        ),
    )
    return visit.correction


def conflict(agent, branch, make_other):
    """A result of ``agent`` for a work order handed on meanwhile to another agent: a
    conflict kept for the supervisor."""
    wo = work_order(customer_in(branch), agent)
    services.work_order_assign(actor=SYSTEM, work_order_id=wo.pk, agent_id=make_other().pk)
    return visits.visit_record(actor=agent, data=visit_input(wo))


# --------------------------------------------------------------------------- view cases


def _wo(world: dict, side: str, *, assigned: bool = True) -> dict:
    key = f"fieldops_wo_{side}_{assigned}"
    if key not in world:
        agent = world[f"staff_{side}"] if assigned else None
        world[key] = work_order(customer_in(world[f"branch_{side}"]), agent)
    return {"work_order_id": world[key].pk}


def _own_wo(world: dict, user) -> dict:
    return {"work_order_id": work_order(customer_in(world["branch_a"]), user).pk}


def _correction(world: dict, side: str) -> dict:
    return {"correction_id": atk_correction(world[f"staff_{side}"], world[f"branch_{side}"]).pk}


def _second_agent(world: dict, side: str):
    from amanah.core.roles import RoleKey
    from amanah.iam import services as iam

    branch = world[f"branch_{side}"]
    return iam.user_create(
        actor=SYSTEM,
        username=f"ctb{side}{next(_numbers)}",
        full_name="Petugas Kedua",
        password="Kata-Sandi-Uji-99",
        roles=[str(RoleKey.AGENT)],
        scopes=[iam.ScopeInput(branch=branch)],
        home_branch=branch,
    )


def _conflict(world: dict, side: str) -> dict:
    visit = conflict(
        world[f"staff_{side}"], world[f"branch_{side}"], lambda: _second_agent(world, side)
    )
    return {"visit_id": visit.pk}


def _visit_of(world: dict, side: str) -> dict:
    key = f"fieldops_visit_{side}"
    if key not in world:
        wo = work_order(customer_in(world[f"branch_{side}"]), world[f"staff_{side}"])
        world[key] = visits.visit_record(actor=world[f"staff_{side}"], data=visit_input(wo))
    return {"visit_id": world[key].pk}


def _own_visit(world: dict, user) -> dict:
    wo = work_order(customer_in(world["branch_a"]), user)
    return {"visit_id": visits.visit_record(actor=user, data=visit_input(wo)).pk}


def _visit_data(world: dict) -> dict:
    return {"idempotency_key": uuid.uuid4().hex, "outcome": "NOT_MET", "note": "rumah sepi"}


VIEW_CASES = [
    ViewCase("fieldops:my", "fieldops.wo.work"),
    ViewCase("fieldops:app", "fieldops.wo.work"),
    ViewCase("fieldops:app_manifest", "fieldops.wo.work"),
    ViewCase("fieldops:app_sw", "fieldops.wo.work"),
    ViewCase("fieldops:app_day", "fieldops.wo.work"),
    ViewCase(
        "fieldops:app_sync",
        "fieldops.wo.work",
        method="post",
        ok_status=(400,),  # a form post, not the device's JSON: refused with the reason
    ),
    ViewCase("fieldops:map", "fieldops.wo.work"),
    ViewCase("fieldops:team_map", "fieldops.wo.team"),
    ViewCase(
        "fieldops:wo_map",
        "fieldops.wo.view",
        kwargs=lambda w: _wo(w, "b"),
        out_of_scope=lambda w: _wo(w, "b"),
        own_kwargs=_own_wo,
    ),
    ViewCase("fieldops:monitoring", "fieldops.wo.team"),
    ViewCase("fieldops:export", "fieldops.wo.export"),
    ViewCase(
        "fieldops:photo_add",
        "fieldops.wo.work",
        method="post",
        # any id: without the grant the matrix leaves no agent to record a visit, and the
        # decorator answers first; out of scope is a real visit of branch B's agent
        kwargs=lambda w: {"visit_id": 1},
        out_of_scope=lambda w: _visit_of(w, "b"),
        own_kwargs=_own_visit,
        data=lambda w: {},  # no file: refused with a flash, back to the work order
        ok_status=(303,),
    ),
    ViewCase("fieldops:list", "fieldops.wo.team"),
    ViewCase("fieldops:create", "fieldops.wo.manage"),
    ViewCase(
        "fieldops:generate",
        "fieldops.wo.manage",
        method="post",
        data=lambda w: {"source": "fieldops.loan_arrears", "min_days": 30, "min_amount": 0},
        ok_status=(303,),
    ),
    ViewCase(
        "fieldops:detail",
        "fieldops.wo.view",
        kwargs=lambda w: _wo(w, "b"),
        out_of_scope=lambda w: _wo(w, "b"),
        own_kwargs=_own_wo,
    ),
    ViewCase(
        "fieldops:visit",
        "fieldops.wo.work",
        method="post",
        # unassigned: the matrix without fieldops.wo.work leaves branch B no agent to give it to
        kwargs=lambda w: _wo(w, "b", assigned=False),
        out_of_scope=lambda w: _wo(w, "b", assigned=False),
        own_kwargs=_own_wo,
        data=_visit_data,
        ok_status=(303,),
    ),
    ViewCase(
        "fieldops:assign",
        "fieldops.wo.manage",
        method="post",
        kwargs=lambda w: _wo(w, "a", assigned=False),
        out_of_scope=lambda w: _wo(w, "b", assigned=False),
        data=lambda w: {"agent": str(w["staff_a"].pk)},
        ok_status=(303,),
    ),
    ViewCase(
        "fieldops:move",
        "fieldops.wo.view",
        method="post",
        kwargs=lambda w: _wo(w, "a"),
        out_of_scope=lambda w: _wo(w, "b"),
        data=lambda w: {"to": "CANCELLED", "cancel_reason": "pelanggan sudah lunas"},
        ok_status=(303,),
        role="SUPERVISOR",  # an agent sees only its own work orders
    ),
    ViewCase(
        "fieldops:revert",
        "fieldops.wo.manage",
        method="post",
        kwargs=lambda w: _wo(w, "a"),
        out_of_scope=lambda w: _wo(w, "b"),
        data=lambda w: {"reason": "salah petugas"},
        ok_status=(303,),
    ),
    ViewCase(
        "fieldops:correction_decide",
        "fieldops.wo.manage",
        method="post",
        kwargs=lambda w: _correction(w, "a"),
        out_of_scope=lambda w: _correction(w, "b"),
        data=lambda w: {"decision": "ACCEPT"},
        ok_status=(303,),
    ),
    ViewCase(
        "fieldops:conflict_settle",
        "fieldops.wo.manage",
        method="post",
        kwargs=lambda w: _conflict(w, "a"),
        out_of_scope=lambda w: _conflict(w, "b"),
        ok_status=(303,),
    ),
]
