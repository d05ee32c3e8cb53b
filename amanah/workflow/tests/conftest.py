"""Engine fixtures: the first real workflow (``sales.lead``) with a lead in branch A.

The engine is tested through a real declared workflow rather than a fake model: what matters
is that the rows, locks, history and audit work on an app's own table.
"""

import pytest

from amanah.core.roles import RoleKey as R
from amanah.customers.services import CustomerInput, customer_create, portfolio_assign
from amanah.sales import services as sales
from amanah.workflow.registry import register_guard

# A guard that always refuses, for ADMIN to put on a transition in the tests.
REFUSE = register_guard(
    "workflow.tests.refuse", lambda obj, data: False, message="Ditolak oleh guard uji."
)


@pytest.fixture
def rm(make_user, branch_a):
    return make_user(R.RM, branches=[branch_a], username="rm_wf")


@pytest.fixture
def other_rm(make_user, branch_a):
    return make_user(R.RM, branches=[branch_a], username="rm_wf_lain")


@pytest.fixture
def supervisor(make_user, branch_a):
    return make_user(R.SUPERVISOR, branches=[branch_a])


@pytest.fixture
def admin(make_user):
    return make_user(R.ADMIN)


@pytest.fixture
def lead(system, branch_a, rm):
    customer = customer_create(
        actor=system, data=CustomerInput(full_name="Siti Aminah", home_branch=branch_a)
    )
    portfolio_assign(actor=system, customer=customer, rm=rm)
    return sales.lead_create(actor=system, customer=customer, source_type="MANUAL")
