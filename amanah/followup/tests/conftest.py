"""Follow-up desk fixtures: agents on the desk, customers, members enrolled through services."""

from datetime import UTC, datetime, timedelta

import pytest

from amanah.core.roles import RoleKey as R
from amanah.customers.models import Customer
from amanah.followup import services
from amanah.followup.models import EntryReason

T0 = datetime(2026, 11, 24, 3, 0, tzinfo=UTC)  # Tuesday 10:00 WIB
HOURS_48 = timedelta(hours=48)


@pytest.fixture
def round_the_clock(settings):
    """Agents take members at any hour (``FOLLOWUP_WORKING_HOURS`` off): for the tests of the
    order, the windows and the locks, whose clocks run through nights and weekends. Working
    hours have their own tests (``test_working_hours``) and stay on in the state machine."""
    settings.FOLLOWUP_WORKING_HOURS = False


@pytest.fixture
def make_desk(make_user, system):
    def make(count: int, *, capacity: int = 200):
        return [
            services.desk_agent_add(
                actor=system,
                user=make_user(R.AGENT, full_name=f"Agen {n + 1}", email=f"agen{n}@bank.co.id"),
                capacity=capacity,
            )
            for n in range(count)
        ]

    return make


@pytest.fixture
def make_customers(branch_a):
    def make(count: int) -> list[Customer]:
        start = Customer.objects.count()
        return Customer.objects.bulk_create(
            Customer(
                full_name=f"Member Uji {start + n}",
                name_search=f"member uji {start + n}",
                home_branch=branch_a,
            )
            for n in range(count)
        )

    return make


@pytest.fixture
def make_customer(system, branch_a):
    """A customer through the customers service (master data, phone, identifiers)."""
    from amanah.customers.services import CustomerInput, customer_create

    def make(full_name="Rahmat Hidayat Siregar", **fields):
        return customer_create(
            actor=system,
            data=CustomerInput(full_name=full_name, home_branch=branch_a, **fields),
        )

    return make


@pytest.fixture
def enrol(system):
    def make(customer, *, at=T0, target="100000"):
        return services.member_enrol(
            actor=system,
            customer=customer,
            entry_reason=EntryReason.NEW_ACCOUNT,
            deposit_target=target,
            now=at,
        )

    return make


@pytest.fixture
def as_app(db):
    """``with as_app():`` — the block runs as the application role (``SET LOCAL ROLE``, as in
    ``audit/tests/test_db_roles.py``: PostgreSQL then checks every privilege and trigger
    against that role, as for the web server's login); back to the test's role after it."""
    from contextlib import contextmanager

    from django.conf import settings
    from django.db import connection

    role = settings.DATABASE_APP_ROLE
    assert role, "the tests always have an application role"

    @contextmanager
    def switched():
        with connection.cursor() as cursor:
            cursor.execute(f'SET LOCAL ROLE "{role}"')
        try:
            yield
        finally:
            with connection.cursor() as cursor:
                cursor.execute("RESET ROLE")

    return switched
