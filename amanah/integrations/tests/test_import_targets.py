"""The import targets other apps declare: transactions (insight) and deposits (follow-up
desk), through the same pipeline, with their domain events."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from amanah.core import events, registry
from amanah.core.roles import RoleKey as R
from amanah.customers.services import CustomerInput, customer_create
from amanah.followup import services as desk
from amanah.followup.models import Deposit, EntryReason
from amanah.insight.models import MonthlyRollup, Transaction
from amanah.integrations import imports
from amanah.integrations.models import ImportRowError, ImportStatus
from amanah.integrations.testing import sending_system


@pytest.fixture
def customer(system, branch_a):
    return customer_create(
        actor=system,
        data=CustomerInput(full_name="Siti Aminah", home_branch=branch_a, cif="C0001"),
    )


@pytest.fixture
def importer():
    return sending_system()


def import_text(actor, target: str, text: str):
    batch = imports.import_batch_create(
        actor=actor, target=target, file_name="x.csv", content=text.encode()
    )
    imports.import_mapping_set(
        actor=actor, batch_id=batch.pk, mapping=imports.suggested_mapping(batch)
    )
    imports.batch_check(batch.pk)
    batch.refresh_from_db()
    if batch.status == ImportStatus.VALID:
        imports.import_batch_run(actor=actor, batch_id=batch.pk)
        imports.batch_run(batch.pk)
        batch.refresh_from_db()
    return batch


def test_targets_are_declared_by_their_apps():
    keys = {k for k, _t in registry.import_targets.items()}
    assert {
        "customers.customers",
        "customers.products",
        "insight.transactions",
        "followup.deposits",
    } <= keys


TX = (
    "Referensi transaksi;CIF;Tanggal transaksi;Nominal (rupiah);Kanal;Kategori merchant\n"
    "TX-1;C0001;2026-01-05;150.000;QRIS;FNB\n"
    "TX-2;c0001;06/01/2026;20000;ATM;\n"
)


def test_transactions_import_records_rollup_and_event_and_is_idempotent(importer, system, customer):
    seen = []
    handler = events.EventHandler(
        "insight.transactions_recorded", lambda *, actor, count, **_: seen.append(count)
    )
    with registry.event_handlers.temporarily("insight.transactions_recorded:test", handler):
        batch = import_text(importer, "insight.transactions", TX)
    assert batch.status == ImportStatus.DONE, batch.failure
    assert (batch.created_rows, batch.unchanged_rows) == (2, 0)
    assert Transaction.objects.filter(customer=customer).count() == 2
    assert MonthlyRollup.objects.get(customer=customer).amount_total == 170_000
    assert seen == [2]
    again = import_text(importer, "insight.transactions", TX)
    assert (again.created_rows, again.unchanged_rows) == (0, 2)
    assert Transaction.objects.count() == 2


def test_transactions_for_an_unknown_customer_are_refused_in_the_dry_run(
    importer, system, customer
):
    text = TX + "TX-3;C9999;2026-01-07;1000;ATM;\nTX-4;C0001;2099-01-01;-5;FAX;\n"
    batch = import_text(importer, "insight.transactions", text)
    assert batch.status == ImportStatus.INVALID
    errors = set(ImportRowError.objects.filter(batch=batch).values_list("line", "column"))
    # line 5's negative amount is refused as the pipeline reads it (core.money), before the
    # target's own checks (its date)
    assert errors == {(4, "CIF"), (5, "Nominal (rupiah)")}
    assert not Transaction.objects.exists()


DEPOSITS = "Referensi setoran;CIF;Jumlah setoran;Waktu setoran\nDEP-1;C0001;25000;{at}\n"


def test_a_deposit_import_restarts_the_agents_window(
    importer, system, customer, make_user, settings
):
    settings.FOLLOWUP_WORKING_HOURS = False
    desk.desk_agent_add(actor=system, user=make_user(R.AGENT), capacity=10)
    start = timezone.now() - timedelta(hours=2)
    member = desk.member_enrol(
        actor=system,
        customer=customer,
        entry_reason=EntryReason.NEW_ACCOUNT,
        deposit_target="100000",
        now=start,
    )
    assert member.current_agent_id is not None
    at = timezone.localtime(start + timedelta(hours=1)).strftime("%Y-%m-%d %H:%M")
    batch = import_text(importer, "followup.deposits", DEPOSITS.format(at=at))
    assert batch.status == ImportStatus.DONE, batch.failure
    deposit = Deposit.objects.get(external_ref="DEP-1")
    assert deposit.reset_window
    member.refresh_from_db()
    assert member.window_start == deposit.deposited_at
    again = import_text(importer, "followup.deposits", DEPOSITS.format(at=at))
    assert (again.created_rows, again.unchanged_rows) == (0, 1)
    assert Deposit.objects.count() == 1


def test_a_deposit_for_nobody_on_the_desk_writes_nothing(importer, system, customer):
    batch = import_text(importer, "followup.deposits", DEPOSITS.format(at="2026-01-05 10:00"))
    assert batch.status == ImportStatus.INVALID
    assert ImportRowError.objects.get(batch=batch).column == "CIF"
    assert not Deposit.objects.exists()


PRODUCTS = (
    "CIF;Punya tabungan;Punya mobile banking;Punya pinjaman;Punya kartu kredit\n"
    "C0001;ya;1;tidak;0\n"
)


def test_product_indicators_sync_changes_only_what_differs(importer, system, customer):
    batch = import_text(importer, "customers.products", PRODUCTS)
    assert batch.status == ImportStatus.DONE, batch.failure
    assert (batch.created_rows, batch.unchanged_rows) == (1, 0)
    customer.refresh_from_db()
    assert (customer.has_savings, customer.has_mobile_banking, customer.has_loan) == (
        True,
        True,
        False,
    )
    again = import_text(importer, "customers.products", PRODUCTS)
    assert (again.created_rows, again.unchanged_rows) == (0, 1)
    unknown = import_text(importer, "customers.products", PRODUCTS.replace("C0001", "C0404"))
    assert unknown.status == ImportStatus.INVALID


RELATIONS = (
    "CIF asal;CIF tujuan;Jenis relasi;Keterangan (mis. Suami, Pemilik)\n"
    "C0001;C0002;Keluarga;Suami\n"
    "C0002;C0001;FAMILY;Istri\n"
    "c0001;C0003;grup usaha;\n"
)


@pytest.fixture
def others(system, branch_a):
    return [
        customer_create(
            actor=system,
            data=CustomerInput(full_name=name, home_branch=branch_a, cif=cif),
        )
        for name, cif in (("Budi Santoso", "C0002"), ("PT Maju Jaya", "C0003"))
    ]


def test_relations_import_links_customers_once_with_event(importer, system, customer, others):
    from amanah.customers.models import CustomerRelation

    seen = []
    handler = events.EventHandler(
        "customers.relations_imported", lambda *, actor, count: seen.append(count)
    )
    with registry.event_handlers.temporarily("customers.relations_imported:test", handler):
        batch = import_text(importer, "customers.relations", RELATIONS)
    assert batch.status == ImportStatus.DONE, batch.failure
    assert (batch.created_rows, batch.unchanged_rows) == (3, 0)
    assert seen == [3]
    husband = CustomerRelation.objects.get(from_customer=customer, to_customer=others[0])
    assert (husband.relation_type, husband.label) == ("FAMILY", "Suami")
    assert CustomerRelation.objects.get(to_customer=others[1]).relation_type == "GROUP"
    again = import_text(importer, "customers.relations", RELATIONS.replace("Suami", "Pasangan"))
    assert (again.status, again.created_rows, again.unchanged_rows) == (ImportStatus.DONE, 0, 3)
    assert CustomerRelation.objects.count() == 3  # idempotent by the pair and the type


def test_relations_with_unknown_keys_are_reported_per_row(importer, system, customer, others):
    from amanah.customers.models import CustomerRelation

    text = RELATIONS + (
        "C0001;C9999;Keluarga;\n"  # line 5: unknown target
        "C8888;C0002;Perusahaan;\n"  # line 6: unknown source
        "C0001;C0001;Keluarga;\n"  # line 7: itself
        "C0001;C0002;Sahabat;\n"  # line 8: unknown type
        "C0001;C0002;KELUARGA;Suami\n"  # line 9: the same relation as line 2
    )
    batch = import_text(importer, "customers.relations", text)
    assert batch.status == ImportStatus.INVALID
    errors = set(ImportRowError.objects.filter(batch=batch).values_list("line", "column"))
    assert errors == {
        (5, "CIF tujuan"),
        (6, "CIF asal"),
        (7, "CIF tujuan"),
        (8, "Jenis relasi"),
        (9, ""),
    }
    assert CustomerRelation.objects.count() == 0


def test_relations_outside_the_actors_scope_are_refused(
    system, customer, others, make_user, branch_b
):
    from amanah.core.roles import RoleKey as Role

    outside = customer_create(
        actor=system,
        data=CustomerInput(full_name="Rina Lubis", home_branch=branch_b, cif="C0404"),
    )
    steward = make_user(Role.DATA_STEWARD, branches=[customer.home_branch])
    batch = import_text(
        steward,
        "customers.relations",
        "CIF asal;CIF tujuan;Jenis relasi\nC0001;C0002;Keluarga\nC0001;C0404;Keluarga\n",
    )
    assert batch.status == ImportStatus.INVALID
    assert list(ImportRowError.objects.filter(batch=batch).values_list("line", "column")) == [
        (3, "CIF tujuan")
    ]
    assert outside.relations_in.count() == 0
