"""The retention job anonymises only what it should: closed customers past each data class's
period, not those closed recently, open, with an open complaint, nor what the law keeps (CIF,
account numbers, complaints, consent history, the audit trail); audited; idempotent."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from amanah.audit.models import AuditLog
from amanah.cases import services as cases
from amanah.consent import services as consent
from amanah.consent.models import ConsentRecord
from amanah.customers.models import Customer, CustomerIdentifier
from amanah.customers.services import CustomerInput, customer_create, customer_update
from amanah.privacy.models import Anonymisation
from amanah.privacy.retention import retention_run

NIKS = iter(["1271015704850001", "1271015704850002", "1271015704850003", "1271015704850004"])


def _customer(system, branch, name, *, closed_years_ago=None, cif, before_closing=None):
    customer = customer_create(
        actor=system,
        data=CustomerInput(
            full_name=name,
            home_branch=branch,
            birth_date=None,
            phone="081399990000",
            email=f"{cif.lower()}@contoh.co.id",
            cif=cif,
            account_numbers=[f"99{cif[-4:]}0000"],
        ),
    )
    if before_closing:
        before_closing(customer)
    if closed_years_ago is not None:
        customer = customer_update(
            actor=system,
            customer=customer,
            data=CustomerInput(
                full_name=name,
                home_branch=branch,
                phone="081399990000",
                email=f"{cif.lower()}@contoh.co.id",
                status="CLOSED",
            ),
        )
        closed = timezone.now() - timedelta(days=365 * closed_years_ago + 2)
        Customer.objects.filter(pk=customer.pk).update(closed_at=closed, updated_at=closed)
    return customer


@pytest.fixture
def people(system, branch_a):
    return {
        "old": _customer(system, branch_a, "Ahmad Tua", closed_years_ago=11, cif="CIF1001"),
        "middle": _customer(system, branch_a, "Maria Tengah", closed_years_ago=6, cif="CIF1002"),
        "recent": _customer(system, branch_a, "Rudi Baru", closed_years_ago=1, cif="CIF1003"),
        "open": _customer(system, branch_a, "Wati Aktif", cif="CIF1004"),
        "complaint": _customer(
            system,
            branch_a,
            "Joko Mengadu",
            closed_years_ago=11,
            cif="CIF1005",
            before_closing=lambda customer: _complaint(system, customer),
        ),
    }


def _complaint(system, customer):
    return cases.case_create(
        actor=system,
        data=cases.CaseInput(
            customer=customer,
            channel="BRANCH",
            category_code="TRX_FAIL",
            priority="MEDIUM",
            description="Transfer gagal tetapi saldo terpotong.",
        ),
    )


def _values(customer):
    customer.refresh_from_db()
    types = set(customer.identifiers.values_list("id_type", flat=True))
    return customer.full_name, customer.phone_e164, customer.email, types


def test_only_what_should_is_anonymised_and_what_law_requires_is_kept(people, system):
    case = people["complaint"].cases.get()
    consent.consent_change(
        actor=system,
        customer=people["old"],
        consent_type="MARKETING",
        new_status="WITHDRAWN",
        channel="BRANCH",
        verification_method="IN_PERSON",
    )
    CustomerIdentifier.objects.create(customer=people["old"], id_type="NIK", id_value=next(NIKS))

    changed = retention_run()
    assert changed == {"CONTACT": 2, "IDENTITY": 1}

    name, phone, email, types = _values(people["old"])  # past both periods
    assert name.startswith("Nasabah anonim ") and phone == "" and email == ""
    assert types == {"CIF", "ACCOUNT_NO"}  # NIK gone, the bank's own numbers kept
    assert people["old"].birth_date is None and people["old"].gender == "U"
    assert ConsentRecord.objects.filter(customer=people["old"]).count() == 1  # proof kept

    name, phone, email, types = _values(people["middle"])  # past the contact period only
    assert name == "Maria Tengah" and phone == "" and email == ""
    assert types == {"CIF", "ACCOUNT_NO"}

    for key in ("recent", "open", "complaint"):  # too recent, not closed, open complaint
        name, phone, _email, _types = _values(people[key])
        assert phone == "+6281399990000", key
    case.refresh_from_db()
    assert case.customer_id == people["complaint"].pk

    rows = AuditLog.objects.filter(action="ANONYMISE_CUSTOMER")
    assert sorted((r.object_id, r.meta["data_class"]) for r in rows) == sorted(
        [
            (str(people["old"].pk), "CONTACT"),
            (str(people["middle"].pk), "CONTACT"),
            (str(people["old"].pk), "IDENTITY"),
        ]
    )
    assert all(r.actor_username == "integration:pdp-retention" for r in rows)
    assert "Ahmad" not in str(list(rows.values_list("meta", flat=True)))


def test_a_second_run_changes_nothing(people):
    assert retention_run()["CONTACT"] == 2
    before = AuditLog.objects.filter(action="ANONYMISE_CUSTOMER").count()
    assert retention_run() == {"CONTACT": 0, "IDENTITY": 0}
    assert AuditLog.objects.filter(action="ANONYMISE_CUSTOMER").count() == before
    assert Anonymisation.objects.count() == 3


def test_small_batches_reach_everyone(people, settings):
    settings.PDP_RETENTION_YEARS = {"CONTACT": 0}
    assert retention_run(batch=1)["CONTACT"] == 3  # every closed customer without a complaint
