"""Sales fixtures: customers in two branches, RMs, and a closed-case helper."""

import pytest

from amanah.consent.services import consent_change
from amanah.core.roles import RoleKey as R
from amanah.customers.services import CustomerInput, customer_create, portfolio_assign


@pytest.fixture
def make_customer(db, system, branch_a):
    def make(full_name="Siti Aminah Nasution", *, branch=None, marketing=None, **fields):
        customer = customer_create(
            actor=system,
            data=CustomerInput(full_name=full_name, home_branch=branch or branch_a, **fields),
        )
        if marketing:
            set_marketing(system, customer, marketing)
        return customer

    return make


def set_marketing(actor, customer, status):
    """GRANTED, or GRANTED then WITHDRAWN — the way it happens at a branch."""
    from amanah.consent.services import consent_states

    if consent_states(customer)["MARKETING"] != "GRANTED":
        consent_change(
            actor=actor,
            customer=customer,
            consent_type="MARKETING",
            new_status="GRANTED",
            channel="BRANCH",
            verification_method="IN_PERSON",
        )
    if status == "WITHDRAWN":
        consent_change(
            actor=actor,
            customer=customer,
            consent_type="MARKETING",
            new_status="WITHDRAWN",
            channel="CALL_CENTER",
            verification_method="PHONE_OTP",
        )


@pytest.fixture
def rm(make_user, branch_a):
    return make_user(R.RM, branches=[branch_a], full_name="Dedi Pane", username="rm_dedi")


@pytest.fixture
def rm2(make_user, branch_a):
    return make_user(R.RM, branches=[branch_a], full_name="Lina Sembiring", username="rm_lina")


@pytest.fixture
def supervisor(make_user, branch_a):
    return make_user(R.SUPERVISOR, branches=[branch_a])


@pytest.fixture
def agent(make_user, branch_a):
    return make_user(R.AGENT, branches=[branch_a])


@pytest.fixture
def marketing(make_user):
    return make_user(R.MARKETING)


@pytest.fixture
def in_portfolio(system):
    def put(customer, rm):
        portfolio_assign(actor=system, customer=customer, rm=rm)
        return customer

    return put
