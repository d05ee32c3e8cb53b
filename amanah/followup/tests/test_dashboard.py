"""The dashboard's period figures (``selectors.agent_performance``): bounded queries — the same
number for a few members as for many — and the conversion found from the deposits' side
agreeing with its first form, "a deposit to that agent before the member's next rotation",
kept here as the reference."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.db.models import Count, Exists, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce
from django.test.utils import CaptureQueriesContext

from amanah.followup import selectors, services
from amanah.followup.models import Deposit, Rotation
from amanah.followup.sweep import rotation_sweep
from amanah.followup.tests.conftest import T0

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("round_the_clock")]
H = timedelta(hours=1)
FAR_FUTURE = datetime(9999, 1, 1, tzinfo=UTC)


def _converted_per_rotation(start, end) -> dict:
    """The first form: per rotation of the period, a deposit credited to its agent between it
    and the member's next rotation (one lookup per rotation)."""
    following = (
        Rotation.objects.filter(member_id=OuterRef("member_id"), id__gt=OuterRef("id"))
        .order_by("id")
        .values("at")[:1]
    )
    paid = Deposit.objects.filter(
        member_id=OuterRef("member_id"),
        agent_id=OuterRef("to_agent_id"),
        received_at__gte=OuterRef("at"),
        received_at__lte=OuterRef("until"),
    )
    rows = (
        Rotation.objects.filter(at__gte=start, at__lt=end, to_agent__isnull=False)
        .annotate(until=Coalesce(Subquery(following), Value(FAR_FUTURE)))
        .annotate(paid=Exists(paid))
        .values("to_agent_id")
        .annotate(assigned=Count("id"), converted=Count("id", filter=Q(paid=True)))
        .order_by()
    )
    return {r["to_agent_id"]: (r["assigned"], r["converted"]) for r in rows}


def _deposit(system, member, at, ref, amount="1000"):
    services.deposit_record(
        actor=system, customer_ref=str(member.customer_id), amount=amount,
        deposited_at=at, external_ref=ref, now=at,
    )  # fmt: skip


def test_conversion_from_the_deposits_side_agrees_with_the_first_form(
    make_desk, make_customers, enrol, system
):
    make_desk(3)
    members = [enrol(c, at=T0) for c in make_customers(6)]  # agents 1, 2, 3, 1, 2, 3
    _deposit(system, members[0], T0 + H, "D0")  # resets member 0's window
    _deposit(system, members[1], T0 + H, "D1")
    rotation_sweep(now=T0 + 48 * H + 30 * timedelta(minutes=1))  # members 2..5 move on
    _deposit(system, members[2], T0 + 50 * H, "D2")  # to its second agent
    rotation_sweep(now=T0 + 100 * H)  # everybody moves on
    _deposit(system, members[3], T0 + 101 * H, "D3")  # to its third agent
    _deposit(system, members[3], T0 + 102 * H, "D3b")  # twice: one conversion
    rotation_sweep(now=T0 + 200 * H)
    _deposit(system, members[0], T0 + 201 * H, "D0b")  # after the periods below end
    periods = [
        (T0, T0 + 300 * H),
        (T0, T0 + 60 * H),
        (T0 + 10 * H, T0 + 300 * H),
        (T0 + 49 * H, T0 + 101 * H),
    ]
    some = False
    for start, end in periods:
        rows = selectors.agent_performance(actor=system, start=start, end=end)
        got = {r["id"]: (r["assigned"], r["converted"]) for r in rows if r["assigned"]}
        assert got == _converted_per_rotation(start, end), (start, end)
        some = some or any(converted for _a, converted in got.values())
    assert some


def test_the_figures_cost_the_same_queries_for_few_members_as_for_many(
    make_desk, make_customers, enrol, system
):
    make_desk(4)

    def queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            selectors.agent_performance(actor=system, start=T0, end=T0 + 300 * H)
            selectors.rotation_counts(actor=system, start=T0, end=T0 + 300 * H)
        return len(ctx)

    few = [enrol(c, at=T0) for c in make_customers(2)]
    _deposit(system, few[0], T0 + H, "F0")
    rotation_sweep(now=T0 + 49 * H)
    before = queries()
    many = [enrol(c, at=T0 + 50 * H) for c in make_customers(30)]
    for n, member in enumerate(many[:10]):
        _deposit(system, member, T0 + 51 * H, f"M{n}")
    rotation_sweep(now=T0 + 100 * H)
    assert queries() == before
