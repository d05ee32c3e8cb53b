import datetime as dt

import pytest

from amanah.customers.services import CustomerInput, customer_create


@pytest.fixture
def make_customer(db, system, branch_a):
    """make_customer("Nama", branch=..., **CustomerInput fields) via the real service."""

    def make(full_name="Rina Lubis", *, branch=None, **fields):
        return customer_create(
            actor=system,
            data=CustomerInput(full_name=full_name, home_branch=branch or branch_a, **fields),
        )

    return make


BORN = dt.date(1985, 4, 23)
NIK_M = "1271012304850003"  # Medan, 23-04-1985, male
NIK_F = "1271016304850004"  # same date, female (day + 40)
