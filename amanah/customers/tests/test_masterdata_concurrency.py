"""Master data's hot services from several threads at once, on real committed rows: each
locks its own rows and the outcome is one consistent state (``consent.testing.committed``)."""

from __future__ import annotations

import os

from amanah.conftest import create_user
from amanah.consent.testing import committed, run_in_threads  # noqa: F401 (fixture)
from amanah.core.actors import IntegrationActor
from amanah.core.errors import ServiceError
from amanah.core.roles import RoleKey as R
from amanah.customers import merge, services
from amanah.customers.models import (
    Customer,
    CustomerIdentifier,
    DuplicateFlag,
    PortfolioAssignment,
)
from amanah.iam.models import User

THREADS = 4
STEWARD = IntegrationActor(
    "steward-test",
    permissions=("customer.view", "customer.view.branch", "customer.duplicates.view"),
    all_branches=True,
)


def test_two_dismissals_of_one_flag_at_once_one_wins(committed):  # noqa: F811
    a, b = committed.customers(2)
    flag = committed.run(
        lambda: DuplicateFlag.objects.create(
            customer_a=min(a, b, key=lambda c: str(c.pk)),
            customer_b=max(a, b, key=lambda c: str(c.pk)),
            reason="SAME_PHONE",
        )
    )
    outcomes = []

    def dismiss(_n: int) -> None:
        stale = DuplicateFlag.objects.get(pk=flag.pk)
        try:
            merge.duplicate_dismiss(actor=STEWARD, flag=stale, note="Dua orang yang berbeda")
            outcomes.append("dismissed")
        except ServiceError as error:
            outcomes.append(error.code)

    assert run_in_threads(dismiss, 2) == []
    assert sorted(outcomes) == ["dismissed", "transition_not_allowed"]
    assert DuplicateFlag.objects.get(pk=flag.pk).status == "DISMISSED"


def test_assignments_of_one_customer_at_once_leave_one_active_rm(committed):  # noqa: F811
    (customer,) = committed.customers(1)
    tag = os.getpid()
    rms = committed.run(
        lambda: [
            create_user(
                committed.system, R.RM, branches=[committed.branch], username=f"rm{tag}_{n}"
            )
            for n in range(THREADS)
        ]
    )

    def remove_rms():
        PortfolioAssignment.objects.filter(customer__home_branch=committed.branch).delete()
        User.objects.filter(pk__in=[rm.pk for rm in rms]).delete()

    committed.on_cleanup(remove_rms)

    def assign(n: int) -> None:
        services.portfolio_assign(
            actor=committed.system, customer=customer, rm=rms[n], reason=f"giliran {n}"
        )

    assert run_in_threads(assign, THREADS) == []
    rows = PortfolioAssignment.objects.filter(customer=customer)
    assert rows.count() == THREADS and rows.filter(active=True).count() == 1
    assert rows.filter(active=False, ended_at__isnull=False).count() == THREADS - 1


def test_upserts_of_one_new_cif_at_once_register_one_customer(committed):  # noqa: F811
    cif = f"SYNC{os.getpid()}"

    def upsert(n: int) -> None:
        services.customer_upsert(
            actor=committed.system,
            sync=services.CustomerSync(
                cif=cif, full_name="Nasabah Sinkron", branch=committed.branch.code
            ),
        )

    assert run_in_threads(upsert, THREADS) == []
    owners = CustomerIdentifier.objects.filter(id_type="CIF", id_value=cif)
    assert owners.count() == 1
    assert Customer.objects.filter(home_branch=committed.branch).count() == 1
