import pytest

from amanah.customers.services import CustomerInput, customer_create


@pytest.fixture
def make_customer(db, system, branch_a):
    def make(full_name="Siti Aminah Nasution", *, branch=None, **fields):
        return customer_create(
            actor=system,
            data=CustomerInput(full_name=full_name, home_branch=branch or branch_a, **fields),
        )

    return make
