"""Declared scope (core.scopes): one visible_to for every model, from the actor's grants."""

import pytest
from django.apps import apps
from django.core.exceptions import ImproperlyConfigured

from amanah.cases.models import Case, CaseActivity
from amanah.cases.policies import CASE_VIEW, CASE_VIEW_BRANCH
from amanah.cases.testing import complaint
from amanah.core import scopes
from amanah.core.actors import IntegrationActor, SystemActor
from amanah.core.registry import DuplicateRegistration
from amanah.core.roles import RoleKey as R
from amanah.customers.models import Customer
from amanah.customers.policies import is_portfolio_scoped
from amanah.customers.services import CustomerInput, customer_create, portfolio_assign
from amanah.iam import authz
from amanah.iam.models import RolePermission


@pytest.fixture
def two_cases(system, make_user, branch_a, branch_b):
    """One case in each branch, each opened by that branch's agent."""
    made = {}
    for branch in (branch_a, branch_b):
        agent = make_user(R.AGENT, branches=[branch])
        customer = customer_create(
            actor=system, data=CustomerInput(full_name=f"Nasabah {branch.code}", home_branch=branch)
        )
        made[branch.code] = complaint(agent, customer)
    return made


def visible_cases(actor):
    return set(Case.objects.visible_to(actor).values_list("case_no", flat=True))


def test_every_model_with_visible_to_uses_the_one_declared_implementation():
    scoped = [model for model in apps.get_models() if hasattr(model._default_manager, "visible_to")]
    assert Case in scoped and Customer in scoped and CaseActivity in scoped
    for model in scoped:
        scopes.declaration_of(model)  # raises when undeclared
        queryset_class = type(model._default_manager.all())
        assert queryset_class.visible_to is scopes.ScopedQuerySet.visible_to, model


def test_a_model_is_declared_once_and_widen_needs_own():
    with pytest.raises(DuplicateRegistration):
        scopes.register(Case, view=CASE_VIEW)
    with pytest.raises(ImproperlyConfigured):
        scopes.register(type("X", (), {}), view=CASE_VIEW, widen=CASE_VIEW_BRANCH)
    with pytest.raises(ImproperlyConfigured):
        scopes.register(type("Y", (), {}), via="case", view=CASE_VIEW)


def test_own_rows_only_is_a_permission_in_the_editable_matrix(two_cases, make_user, branch_a):
    agent = make_user(R.AGENT, branches=[branch_a])
    assert visible_cases(agent) == set()  # a colleague's case: not theirs
    RolePermission.objects.create(role_id="AGENT", permission=CASE_VIEW_BRANCH)
    authz.forget(agent)
    assert visible_cases(agent) == {two_cases["MDN01"].case_no}  # widened to the branch only


def test_the_rm_portfolio_follows_the_matrix_too(system, make_user, branch_a):
    rm = make_user(R.RM, branches=[branch_a])
    mine, other = (
        customer_create(actor=system, data=CustomerInput(full_name=n, home_branch=branch_a))
        for n in ("Portofolio Saya", "Nasabah Cabang")
    )
    portfolio_assign(actor=make_user(R.SUPERVISOR, branches=[branch_a]), customer=mine, rm=rm)
    assert is_portfolio_scoped(rm)
    assert list(Customer.objects.visible_to(rm)) == [mine]
    RolePermission.objects.create(role_id="RM", permission="customer.view.branch")
    authz.forget(rm)
    assert not is_portfolio_scoped(rm)
    assert set(Customer.objects.visible_to(rm)) == {mine, other}


def test_an_integration_actor_holds_exactly_its_grants(two_cases, branch_a):
    narrow = IntegrationActor(
        "core-banking", permissions=(CASE_VIEW, CASE_VIEW_BRANCH), branch_ids=[branch_a.pk]
    )
    assert authz.permissions_of(narrow) == {CASE_VIEW, CASE_VIEW_BRANCH}
    assert authz.branch_scope(narrow).branch_ids == {branch_a.pk}
    assert visible_cases(narrow) == {two_cases["MDN01"].case_no}
    assert visible_cases(
        IntegrationActor("everywhere", permissions=(CASE_VIEW, CASE_VIEW_BRANCH), all_branches=True)
    ) == {c.case_no for c in two_cases.values()}
    # Without the widening permission it owns no rows (it is nobody's user), so it sees none.
    assert (
        visible_cases(IntegrationActor("own", permissions=(CASE_VIEW,), all_branches=True)) == set()
    )
    assert visible_cases(IntegrationActor("nothing", permissions=())) == set()
    assert not CaseActivity.objects.visible_to(IntegrationActor("nothing", permissions=())).exists()
    assert narrow.username == "integration:core-banking"


def test_an_integration_actor_refuses_unknown_permissions():
    with pytest.raises(ValueError, match="case.everything"):
        IntegrationActor("typo", permissions=("case.everything",))


def test_the_sla_sweep_is_an_integration_actor_not_a_system_actor():
    from amanah.cases import sweep

    assert isinstance(sweep.ACTOR, IntegrationActor)
    assert authz.permissions_of(sweep.ACTOR) < set(authz.permissions_of(SystemActor()))


def test_a_managers_filter_is_built_once_per_grants_and_holds_no_rows(
    two_cases, make_user, branch_a, branch_b, monkeypatch
):
    """``Model.objects.visible_to(actor)`` reuses the filter built for the same grants (a 360
    page asks twenty times); another actor's grants get their own, a copy is handed out (so
    evaluating it keeps nothing), and a related manager is never served the model's filter."""
    builds = []
    real = scopes.restrict
    monkeypatch.setattr(scopes, "_BUILT", {})
    monkeypatch.setattr(
        scopes, "restrict", lambda qs, actor, **kw: builds.append(1) or real(qs, actor, **kw)
    )
    supervisor_a = make_user(R.SUPERVISOR, branches=[branch_a])
    supervisor_b = make_user(R.SUPERVISOR, branches=[branch_b])
    case_a, case_b = two_cases[branch_a.code], two_cases[branch_b.code]

    assert visible_cases(supervisor_a) == {case_a.case_no}
    built = len(builds)
    assert visible_cases(supervisor_b) == {case_b.case_no}  # not A's filter
    assert len(builds) > built
    built = len(builds)
    assert visible_cases(supervisor_a) == {case_a.case_no}
    assert len(builds) == built  # A's filter again, not rebuilt

    assert set(case_b.customer.cases.visible_to(supervisor_a)) == set()
    Case.objects.filter(pk=case_b.pk).update(branch=branch_a)  # handed over to branch A
    assert visible_cases(supervisor_a) == {case_a.case_no, case_b.case_no}
    assert set(case_b.customer.cases.visible_to(supervisor_a)) == {case_b}
    assert set(case_a.customer.cases.visible_to(supervisor_a)) == {case_a}


def test_visible_parts_together_are_exactly_the_visible_rows(system, make_user, branch_a, branch_b):
    """A branch's supervisor sees cases by two paths (handled there, or of its customers taken
    elsewhere): two parts, one per path. Every other scope is one part, visible_to itself."""
    home_customer = customer_create(
        actor=system, data=CustomerInput(full_name="Nasabah Medan", home_branch=branch_a)
    )
    far_customer = customer_create(
        actor=system, data=CustomerInput(full_name="Nasabah Siantar", home_branch=branch_b)
    )
    agent_a = make_user(R.AGENT, branches=[branch_a])
    complaint(agent_a, home_customer)
    taken_here = complaint(agent_a, far_customer, any_branch=True)
    assert taken_here.customer_branch_id == branch_b.pk
    for actor, parts in (
        (make_user(R.SUPERVISOR, branches=[branch_b]), 2),
        (make_user(R.SUPERVISOR, branches=[branch_a, branch_b]), 2),
        (agent_a, 1),  # own cases only
        (make_user(R.SUPERVISOR), 1),  # the whole bank
    ):
        found = scopes.visible_parts(Case, actor)
        assert len(found) == parts, actor
        union = set().union(*(set(part.values_list("pk", flat=True)) for part in found))
        assert union == set(Case.objects.visible_to(actor).values_list("pk", flat=True))
        assert union, actor  # not vacuous
