import pytest

from amanah.core.roles import RoleKey as R
from amanah.customers.services import CustomerInput, customer_create

PHONE = "+6281260001111"


@pytest.fixture
def customer(db, system, branch_a):
    return customer_create(
        actor=system,
        data=CustomerInput(
            full_name="Siti Aminah Nasution",
            home_branch=branch_a,
            phone="081260001111",
            cif="CIF2000001",
        ),
    )


@pytest.fixture
def agent(make_user, branch_a):
    return make_user(R.AGENT, branches=[branch_a])


@pytest.fixture
def admin(make_user):
    return make_user(R.ADMIN)
