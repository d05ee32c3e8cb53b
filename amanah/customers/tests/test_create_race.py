"""Registrations of the same NIK at the same moment (two branches serving one person): each
one is written, exactly one customer holds the NIK and the others are flagged as possible
duplicates of it — never an IntegrityError (a 500 on the page)."""

import os

from amanah.consent.testing import committed, run_in_threads  # noqa: F401 (fixture)
from amanah.customers.models import Customer, CustomerIdentifier, DuplicateFlag
from amanah.customers.services import CustomerInput, customer_create

THREADS = 4


def test_simultaneous_registrations_of_one_nik_are_flagged_not_lost(committed):  # noqa: F811
    # This run's own NIK (Medan, 23-04-1985, male): committed rows outlive a failed run.
    nik = f"127101230485{os.getpid() % 9000 + 1000:04d}"

    def register(n: int) -> None:
        customer_create(
            actor=committed.system,
            data=CustomerInput(
                full_name=f"Pendaftar Serentak {n}", home_branch=committed.branch, nik=nik
            ),
        )

    assert run_in_threads(register, THREADS) == []
    created = set(
        Customer.objects.filter(home_branch=committed.branch).values_list("pk", flat=True)
    )
    assert len(created) == THREADS
    (owner,) = CustomerIdentifier.objects.filter(id_type="NIK", id_value=nik).values_list(
        "customer_id", flat=True
    )
    flags = DuplicateFlag.objects.filter(reason="SAME_NIK", customer_a__in=created)
    pairs = {frozenset((f.customer_a_id, f.customer_b_id)) for f in flags}
    assert pairs == {frozenset((owner, other)) for other in created - {owner}}
