"""Reads kept compiled per shape (core.prepared): the same answers as the ORM's, each call's
own values, each actor's own scope, and a builder that would bake a value in is refused."""

from datetime import timedelta

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db.models import Count
from django.db.models.sql.compiler import SQLCompiler
from django.utils import timezone

from amanah.cases.models import Case, CaseActivity
from amanah.cases.testing import complaint
from amanah.core import prepared as kept
from amanah.core.prepared import prepared
from amanah.core.roles import RoleKey as R
from amanah.core.testing import on_own_connection
from amanah.customers.models import Customer
from amanah.customers.services import CustomerInput, customer_create


@prepared(CaseActivity, params=("customer", "since"))
def activities(actor, *, customer, since, limit):
    rows = CaseActivity.objects.visible_to(actor).filter(case__customer=customer)
    if since is not None:
        rows = rows.filter(created_at__gte=since)
    return (
        rows.select_related("case__category")
        .only("created_at", "activity_type", "case__case_no", "case__category__name")
        .order_by("-created_at", "-id")[:limit]
    )


@prepared(Case, params=("customer",))
def case_counts(actor, *, customer):
    return (
        Case.objects.visible_to(actor)
        .filter(customer=customer)
        .values("status")
        .annotate(n=Count("id"))
        .order_by("status")
    )


@prepared(Customer, params=("name",))
def names(actor, *, name):
    return Customer.objects.visible_to(actor).filter(full_name=name).values_list("pk", flat=True)


@pytest.fixture
def world(system, make_user, branch_a, branch_b):
    """Two customers per branch with two cases each, and an agent per branch who opened them."""
    made = {}
    for branch in (branch_a, branch_b):
        agent = make_user(R.AGENT, branches=[branch])
        customers = []
        for n in range(2):
            customer = customer_create(
                actor=system,
                data=CustomerInput(full_name=f"Nasabah {branch.code} {n}", home_branch=branch),
            )
            for _ in range(2):
                complaint(agent, customer)
            customers.append(customer)
        made[branch.code] = (agent, customers)
    return made


def compiled_count(monkeypatch) -> list:
    calls: list = []
    real = SQLCompiler.as_sql

    def spy(self, *args, **kwargs):
        calls.append(self.query.model)
        return real(self, *args, **kwargs)

    monkeypatch.setattr(SQLCompiler, "as_sql", spy)
    return calls


def test_each_call_answers_as_the_orm_does_with_its_own_values(world):
    kept.clear()
    agent, customers = world["MDN01"]
    for customer in customers * 2:
        for since in (None, timezone.now() - timedelta(days=1), timezone.now() + timedelta(days=1)):
            got = activities(agent, customer=customer, since=since, limit=3)
            want = list(activities.build(agent, customer=customer, since=since, limit=3))
            assert [a.pk for a in got] == [a.pk for a in want]
            assert [a.case.category.name for a in got] == [a.case.category.name for a in want]
        assert case_counts(agent, customer=customer) == list(
            case_counts.build(agent, customer=customer)
        )
    assert activities(agent, customer=customers[0], since=None, limit=3)  # not vacuous
    # A customer named by its key as text (``Customer(pk=text)``, as a sender builds one) is
    # the same customer, whichever of the two forms built the statement.
    kept.clear()
    by_text = Customer(pk=str(customers[0].pk))
    for customer in (by_text, customers[0], by_text):
        got = activities(agent, customer=customer, since=None, limit=3)
        assert [a.pk for a in got] == [
            a.pk for a in activities.build(agent, customer=customers[0], since=None, limit=3)
        ]
    assert names(agent, name="Nasabah MDN01 1") == [customers[1].pk]


def test_a_statement_is_compiled_once_per_shape_and_not_again(world, monkeypatch):
    kept.clear()
    agent, customers = world["MDN01"]
    activities(agent, customer=customers[0], since=None, limit=5)
    calls = compiled_count(monkeypatch)
    converters_worked_out: list = []
    real = SQLCompiler.get_converters
    monkeypatch.setattr(
        SQLCompiler,
        "get_converters",
        lambda self, expressions: converters_worked_out.append(1) or real(self, expressions),
    )
    rows = activities(agent, customer=customers[1], since=None, limit=5)
    assert rows and calls == [] and converters_worked_out == []  # both kept with the statement
    # A kept converter still converts (Count's integer) on each call.
    counts = case_counts(agent, customer=customers[1])
    assert counts and all(type(row["n"]) is int for row in counts)
    activities(agent, customer=customers[1], since=timezone.now(), limit=5)  # another shape
    assert calls  # built (twice: the stand-in check) for the new shape


def test_each_actor_reads_through_its_own_scope(world):
    kept.clear()
    medan_agent, medan_customers = world["MDN01"]
    siantar_agent, _siantar_customers = world["PMS01"]
    assert activities(medan_agent, customer=medan_customers[0], since=None, limit=9)
    assert activities(siantar_agent, customer=medan_customers[0], since=None, limit=9) == []
    assert names(siantar_agent, name="Nasabah MDN01 0") == []


def test_a_builder_that_bakes_a_value_in_is_refused(world):
    agent, customers = world["MDN01"]

    @prepared(Case, params=("customer",))
    def with_clock(actor, *, customer):
        return Case.objects.filter(customer=customer, received_at__lte=timezone.now())

    @prepared(Case, params=("customer",))
    def reads_a_field(actor, *, customer):
        return Case.objects.filter(branch_id=customer.home_branch_id)

    @prepared(Customer, params=("name",))
    def transforms(actor, *, name):
        return Customer.objects.filter(full_name__icontains=name)

    for read in (with_clock, reads_a_field):
        with pytest.raises(ImproperlyConfigured):
            read(agent, customer=customers[0])
    with pytest.raises(ImproperlyConfigured):
        transforms(agent, name="Nasabah")


def test_a_statement_that_selects_nothing_answers_empty_and_first_none(world):
    agent, customers = world["MDN01"]

    @prepared(Case, params=("customer",))
    def none_of(actor, *, customer):
        return Case.objects.filter(customer=customer, pk__in=[])

    assert none_of(agent, customer=customers[0]) == []
    assert none_of.first(agent, customer=customers[0]) is None
    newest = activities.first(agent, customer=customers[0], since=None, limit=3)
    assert newest is not None
    assert newest.pk == activities(agent, customer=customers[0], since=None, limit=3)[0].pk


def test_a_statement_kept_by_one_thread_runs_on_the_calling_threads_connection(
    system, make_user, branch_a
):
    """The other thread's connection does not see this test's uncommitted customer: its empty
    answer shows the kept statement ran there, not on the connection of the thread that built
    it (which would find the customer)."""
    kept.clear()
    agent = make_user(R.AGENT, branches=[branch_a])
    customer = customer_create(
        actor=system, data=CustomerInput(full_name="Nasabah Utas", home_branch=branch_a)
    )
    assert names(agent, name="Nasabah Utas") == [customer.pk]  # kept by this thread
    assert on_own_connection(lambda: names(agent, name="Nasabah Utas")) == []


def test_at_the_cap_the_oldest_statement_goes_and_the_rest_stay(world, monkeypatch):
    kept.clear()
    monkeypatch.setattr(kept, "_KEPT_MAX", 2)
    agent, customers = world["MDN01"]
    for limit in (1, 2, 3):  # three shapes
        activities(agent, customer=customers[0], since=None, limit=limit)
    limits = [dict(key[-1])["limit"] for key in kept._KEPT]
    assert limits == [2, 3]


def test_staff_with_the_same_grants_share_a_statement_and_read_their_own_rows(
    world, make_user, branch_a, monkeypatch
):
    """Who the actor is, is a value: a second agent of the branch compiles nothing, and its
    "own cases" filter reads its own id, not the first agent's."""
    kept.clear()
    agent, customers = world["MDN01"]
    colleague = make_user(R.AGENT, branches=[branch_a])
    own = case_counts(agent, customer=customers[0])
    assert own == list(case_counts.build(agent, customer=customers[0]))
    assert own  # the agent opened them
    calls = compiled_count(monkeypatch)
    theirs = case_counts(colleague, customer=customers[0])
    assert Case not in calls  # (their grants were read: their role's permissions)
    assert theirs == list(case_counts.build(colleague, customer=customers[0])) == []
    assert case_counts(agent, customer=customers[0]) == own


def test_a_builder_that_bakes_the_actors_id_in_is_refused(world):
    @prepared(Case, params=("customer",))
    def by_text_id(actor, *, customer):
        return Case.objects.filter(customer=customer, case_no=str(actor.pk))  # text, not a key

    agent, customers = world["MDN01"]
    with pytest.raises(ImproperlyConfigured):
        by_text_id(agent, customer=customers[0])
