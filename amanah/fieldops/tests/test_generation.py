"""Work orders from arrears: the loan-arrears import (idempotent by account and as-of date),
set-based generation by rule (idempotent, no duplicate open work order, scope), the best
known location and address quality, and assignment by territory with load balancing."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone

from amanah.core.errors import ServiceError
from amanah.customers.addresses import ADDRESS_INCOMPLETE_SQL, address_text_incomplete
from amanah.fieldops import generate, services, visits
from amanah.fieldops.models import (
    KnownLocation,
    LoanArrears,
    LocationSource,
    WoOrigin,
    WorkOrder,
    WoStatus,
)
from amanah.fieldops.testing import customer_in
from amanah.integrations.models import ImportStatus
from amanah.integrations.tests.test_import_targets import import_text
from amanah.workflow.models import TransitionHistory

RULE = generate.Rule(min_days=30, min_amount=Decimal("1000000"))
SOURCE = "fieldops.loan_arrears"


def arrears(customer, dpd: int, amount: int, *, account: str = "", address="", at=None):
    return LoanArrears.objects.create(
        customer=customer,
        account_no=account or f"L-{customer.pk.hex[:10]}",
        as_of=timezone.localdate(),
        days_past_due=dpd,
        outstanding=Decimal(amount),
        installments_due=dpd // 30,
        address=address,
        latitude=at[0] if at else None,
        longitude=at[1] if at else None,
    )


@pytest.fixture
def importer():
    """Who sends the arrears: the loan system's API key (its grants travel with the run)."""
    from amanah.integrations.testing import sending_system

    return sending_system()


def test_loan_arrears_import_is_idempotent_by_account_and_date(importer, system, branch_a):
    customer = customer_in(branch_a)
    cif = customer.identifiers.get(id_type="CIF").id_value
    day = (timezone.localdate() - timedelta(days=1)).isoformat()
    text = (
        "CIF;Nomor rekening pinjaman;Per tanggal;Hari tunggakan (DPD);Tunggakan (rupiah);"
        "Alamat;Lintang;Bujur\n"
        f"{cif};KR-001;{day};45;2500000;Jl. Mawar RT 01 RW 02 No. 3;3.59;98.67\n"
        f"{cif};KR-002;{day};10;100000;;;\n"
    )
    batch = import_text(importer, SOURCE, text)
    assert batch.status == ImportStatus.DONE, batch.failure
    assert (batch.created_rows, batch.unchanged_rows) == (2, 0)
    again = import_text(importer, SOURCE, text)
    assert (again.created_rows, again.unchanged_rows) == (0, 2)
    assert LoanArrears.objects.count() == 2


def test_a_bad_arrears_row_is_refused_with_its_reason(importer, system, branch_a):
    text = (
        "CIF;Nomor rekening pinjaman;Per tanggal;Hari tunggakan (DPD);Tunggakan (rupiah);"
        "Lintang;Bujur\n"
        "X1;KR-9;2099-01-01;-3;abc;40.0;10\n"
    )
    batch = import_text(importer, SOURCE, text)
    assert batch.status != ImportStatus.DONE
    assert LoanArrears.objects.count() == 0


def test_generation_by_rule_is_idempotent_and_skips_open_work_orders(system, branch_a):
    due, small, recent = (customer_in(branch_a, f"P{n}") for n in range(3))
    arrears(due, 60, 2_000_000, address="Jl. Kenanga No. 5")
    arrears(due, 35, 500_000, account="L-second")  # a second loan: summed per customer
    arrears(small, 90, 200_000)
    arrears(recent, 10, 9_000_000)
    assert generate.work_orders_generate(actor=system, source=SOURCE, rule=RULE) == 1
    wo = WorkOrder.objects.get()
    assert (wo.customer_id, wo.status, wo.origin) == (due.pk, WoStatus.NEW, WoOrigin.RULE)
    assert (wo.days_past_due, wo.outstanding) == (60, Decimal("2500000.00"))
    assert wo.billing["accounts"] == 2 and wo.billing["kind"] == "LOAN"
    assert wo.address_incomplete  # no RT/RW
    assert wo.location_source == LocationSource.NONE
    # a second run, and one after the work order moved on, make nothing twice
    assert generate.work_orders_generate(actor=system, source=SOURCE, rule=RULE) == 0
    WorkOrder.objects.filter(pk=wo.pk).update(status=WoStatus.VISITED)
    assert generate.work_orders_generate(actor=system, source=SOURCE, rule=RULE) == 0
    # once closed, the customer still in arrears gets a new one
    WorkOrder.objects.filter(pk=wo.pk).update(status=WoStatus.CLOSED)
    assert generate.work_orders_generate(actor=system, source=SOURCE, rule=RULE) == 1


def test_segment_rule_and_the_supervisors_branches(system, branch_a, branch_b, supervisor_a):
    here, there = customer_in(branch_a), customer_in(branch_b)
    for customer in (here, there):
        arrears(customer, 40, 3_000_000)
    segment_rule = generate.Rule(30, Decimal(0), segment="PRIORITAS")
    assert generate.work_orders_generate(actor=system, source=SOURCE, rule=segment_rule) == 0
    assert generate.work_orders_generate(actor=supervisor_a, source=SOURCE, rule=RULE) == 1
    assert WorkOrder.objects.get().branch_id == branch_a.pk


def test_the_rule_refuses_what_is_not_a_rule():
    for days, amount, segment in (
        ("abc", 0, ""),
        (0, 0, ""),
        (30, "-1", ""),
        (30, "NaN", ""),
        (30, 0, "A\x00B"),
        (10**9, 0, ""),
    ):
        with pytest.raises(ServiceError):
            generate.rule_clean(days, amount, segment)
    assert generate.rule_clean("30", "1000", " vip ") == generate.Rule(30, Decimal(1000), "VIP")


def test_an_agent_may_not_generate(agent_a1):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        generate.work_orders_generate(actor=agent_a1, source=SOURCE, rule=RULE)


def test_the_field_confirmed_location_wins_over_the_source(system, branch_a):
    customer = customer_in(branch_a)
    arrears(customer, 40, 3_000_000, at=(3.1, 98.1))
    generate.work_orders_generate(actor=system, source=SOURCE, rule=RULE)
    wo = WorkOrder.objects.get()
    assert (wo.latitude, wo.location_source) == (3.1, LocationSource.GEOCODED)


@pytest.mark.parametrize(
    "address",
    [
        "",
        "Jl. Melati RT 03 RW 05 No. 12",
        "jl melati rt.3/rw.5 no 12",
        "Jl. Melati RT003 RW005 Nomor 7",
        "Jl. Melati No. 12",
        "Gg. Damai RT 1 RW 2",
        "Dusun III tanpa nomor",
        "PRT 3 RW 4 No 1",
    ],
)
def test_address_quality_is_one_rule_in_sql_and_python(db, address):
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ADDRESS_INCOMPLETE_SQL.format(col="%s::text"), [address] * 3)
        assert cursor.fetchone()[0] == address_text_incomplete(address)


def test_assignment_balances_load_within_the_territory(
    system, branch_a, branch_b, agent_a1, agent_a2, agent_b
):
    busy = [customer_in(branch_a, f"Sibuk {n}") for n in range(2)]
    for customer in busy:
        wo = services.work_order_create(actor=system, customer_id=customer.pk)
        services.work_order_assign(actor=system, work_order_id=wo.pk, agent_id=agent_a1.pk)
    for n in range(4):
        arrears(customer_in(branch_a, f"Baru {n}"), 40 + n, 2_000_000)
    arrears(customer_in(branch_b), 50, 2_000_000)
    assert generate.work_orders_generate(actor=system, source=SOURCE, rule=RULE) == 5
    assert generate.work_orders_assign(actor=system) == 5
    open_by_agent = {
        agent.pk: WorkOrder.objects.filter(agent=agent, status=WoStatus.ASSIGNED).count()
        for agent in (agent_a1, agent_a2, agent_b)
    }
    assert open_by_agent == {agent_a1.pk: 3, agent_a2.pk: 3, agent_b.pk: 1}
    lines = TransitionHistory.objects.filter(workflow__key=generate.WORKFLOW, to_status="ASSIGNED")
    assert lines.count() == 7
    assert generate.work_orders_assign(actor=system) == 0  # nothing left: idempotent


def test_a_branch_without_agents_keeps_its_work_orders_new(system, branch_b):
    arrears(customer_in(branch_b), 50, 2_000_000)
    generate.work_orders_generate(actor=system, source=SOURCE, rule=RULE)
    assert generate.work_orders_assign(actor=system) == 0
    assert WorkOrder.objects.get().status == WoStatus.NEW


def test_next_work_order_starts_from_an_accepted_correction(
    system, branch_a, agent_a1, supervisor_a
):
    from amanah.fieldops.models import Outcome
    from amanah.fieldops.testing import visit_input

    customer = customer_in(branch_a)
    arrears(customer, 40, 3_000_000, at=(3.1, 98.1))
    generate.work_orders_generate(actor=system, source=SOURCE, rule=RULE)
    generate.work_orders_assign(actor=system)
    wo = WorkOrder.objects.get()
    visit = visits.visit_record(
        actor=agent_a1,
        data=visit_input(
            wo, outcome=Outcome.ATK, latitude=3.2, longitude=98.2, position_confirmed=True
        ),
    )
    visits.correction_decide(actor=supervisor_a, correction_id=visit.correction.pk, accept=True)
    assert KnownLocation.objects.get(customer=customer).latitude == 3.2
    services.work_order_move(actor=supervisor_a, work_order_id=wo.pk, to=WoStatus.CLOSED)
    assert generate.work_orders_generate(actor=system, source=SOURCE, rule=RULE) == 1
    fresh = WorkOrder.objects.exclude(pk=wo.pk).get()
    assert (fresh.latitude, fresh.longitude, fresh.location_source) == (3.2, 98.2, "FIELD")


def test_the_daily_job_generates_and_assigns_once(settings, branch_a, agent_a1):
    from amanah.fieldops.tasks import generate_job

    arrears(customer_in(branch_a), 45, 2_000_000)
    settings.FIELDOPS_RULE = {"min_days": 0, "min_amount": "0", "segment": ""}
    assert generate_job(timestamp=0) == {"skipped": "rule off"}
    settings.FIELDOPS_RULE = {"min_days": 30, "min_amount": "1000000", "segment": ""}
    # every source the deployment shows (the bank: not the utility's water bills)
    assert generate_job(timestamp=0) == {
        "created": {SOURCE: 1},
        "assigned": 1,
    }
    assert generate_job(timestamp=0) == {
        "created": {SOURCE: 0},
        "assigned": 0,
    }
    assert WorkOrder.objects.get().agent_id == agent_a1.pk
