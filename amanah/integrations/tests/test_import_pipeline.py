"""The batch import pipeline with the customers target: dry run, real run, idempotency,
all-or-nothing, file-level refusals, the stored mapping, the audit (counts only)."""

from __future__ import annotations

import io

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection

from amanah.audit.models import AuditAction, AuditLog
from amanah.core.errors import ServiceError
from amanah.core.roles import RoleKey as R
from amanah.customers.models import Customer, CustomerIdentifier, DuplicateFlag
from amanah.integrations import imports
from amanah.integrations.models import ImportBatch, ImportMapping, ImportRowError, ImportStatus

HEADER = "CIF;Nama lengkap;Kode cabang;NIK;Telepon;Tanggal lahir;Jenis kelamin;No. rekening\n"
ROWS = [
    "C0001;Siti Aminah;MDN01;1271014505900001;081260001001;1990-05-05;P;1000000001\n",
    "C0002;Budi Santoso;MDN01;1271010506850002;0812-6000-1002;05/06/1985;L;\n",
    "C0003;Rina Lubis;MDN01;;+62 812 6000 1003;;;1000000003\n",
]


@pytest.fixture
def steward(make_user, branch_a):
    return make_user(R.DATA_STEWARD, branches=[branch_a])


def upload(actor, text: str, *, name="nasabah.csv", mapping=None, encoding="utf-8"):
    return imports.import_batch_create(
        actor=actor,
        target="customers.customers",
        file_name=name,
        content=text.encode(encoding),
        mapping=mapping,
    )


def mapped(actor, text: str, **kwargs):
    batch = upload(actor, text, **kwargs)
    imports.import_mapping_set(
        actor=actor, batch_id=batch.pk, mapping=imports.suggested_mapping(batch)
    )
    return batch


def dry_run(batch):
    imports.batch_check(batch.pk)
    batch.refresh_from_db()
    return batch


def run(actor, batch):
    imports.import_batch_run(actor=actor, batch_id=batch.pk)
    imports.batch_run(batch.pk)
    batch.refresh_from_db()
    return batch


def test_dry_run_then_real_run_creates_customers_with_identifiers(steward, branch_a):
    batch = dry_run(mapped(steward, HEADER + "".join(ROWS)))
    assert batch.status == ImportStatus.VALID
    assert (batch.total_rows, batch.valid_rows, batch.error_rows) == (3, 3, 0)
    assert Customer.objects.count() == 0  # the dry run writes nothing

    batch = run(steward, batch)
    assert batch.status == ImportStatus.DONE, batch.failure
    assert (batch.created_rows, batch.unchanged_rows) == (3, 0)
    siti = Customer.objects.get(identifiers__id_value="C0001")
    assert siti.full_name == "Siti Aminah"
    assert siti.phone_e164 == "+6281260001001"
    assert siti.gender == "F" and str(siti.birth_date) == "1990-05-05"
    assert siti.home_branch == branch_a
    assert set(siti.identifiers.values_list("id_type", "id_value")) == {
        ("CIF", "C0001"),
        ("NIK", "1271014505900001"),
        ("ACCOUNT_NO", "1000000001"),
    }
    assert CustomerIdentifier.objects.count() == 3 + 2 + 2


def test_same_file_twice_changes_nothing(steward):
    run(steward, dry_run(mapped(steward, HEADER + "".join(ROWS))))
    before = (Customer.objects.count(), CustomerIdentifier.objects.count())
    again = run(steward, dry_run(mapped(steward, HEADER + "".join(ROWS))))
    assert again.status == ImportStatus.DONE, (
        again.failure,
        list(ImportRowError.objects.filter(batch=again).values_list("message", flat=True)),
    )
    assert (again.created_rows, again.unchanged_rows) == (0, 3)
    assert (Customer.objects.count(), CustomerIdentifier.objects.count()) == before


def test_dry_run_reports_every_error_with_line_column_reason(steward):
    text = HEADER + "".join(
        [
            ROWS[0],
            "C0002;Budi;MDN01;123;081260001002;;L;\n",  # NIK too short
            "C0003;Rina;MDN01;;0000;;;\n",  # bad phone
            "C0004;X;MDN01;;;;;\n",  # name too short
            "C0001;Siti lagi;MDN01;;;;;1000000001\n",  # duplicated key (CIF and account)
            "C0006;Ani;XXX99;;;;;\n",  # unknown branch
            "C0007;Ani;MDN01;3,17123E+15;;;;\n",  # Excel's scientific notation
        ]
    )
    batch = dry_run(mapped(steward, text))
    assert batch.status == ImportStatus.INVALID
    assert (batch.valid_rows, batch.error_rows) == (1, 6)
    errors = {(e.line, e.column): e.message for e in ImportRowError.objects.filter(batch=batch)}
    assert errors[(3, "NIK")] == "NIK harus 16 digit angka."
    assert errors[(4, "Telepon")] == "Nomor telepon tidak valid."
    assert (5, "Nama lengkap") in errors
    assert "baris 2" in errors[(6, "")]  # the key is the CIF with the account: no one column
    assert (7, "Kode cabang") in errors
    assert "notasi ilmiah" in errors[(8, "NIK")]
    with pytest.raises(ServiceError):  # an invalid batch cannot be run
        imports.import_batch_run(actor=steward, batch_id=batch.pk)
    assert Customer.objects.count() == 0


def test_a_refusal_at_write_time_leaves_nothing(steward, system, branch_a):
    """An account number taken between the dry run and the run: the whole batch is refused."""
    from amanah.customers.services import CustomerInput, customer_create

    batch = dry_run(mapped(steward, HEADER + "".join(ROWS)))
    assert batch.status == ImportStatus.VALID
    customer_create(
        actor=system,
        data=CustomerInput(
            full_name="Orang Lain", home_branch=branch_a, account_numbers=["1000000003"]
        ),
    )
    batch = run(steward, batch)
    assert batch.status == ImportStatus.FAILED
    assert Customer.objects.count() == 1  # only the one created by hand
    assert ImportRowError.objects.filter(batch=batch, line=4, column="No. rekening").exists()


def test_a_nik_already_held_is_flagged_not_lost(steward, system, branch_a):
    from amanah.customers.services import CustomerInput, customer_create

    holder = customer_create(
        actor=system,
        data=CustomerInput(
            full_name="Siti A", home_branch=branch_a, nik="1271014505900001", cif="OLD1"
        ),
    )
    batch = run(steward, dry_run(mapped(steward, HEADER + ROWS[0])))
    assert batch.status == ImportStatus.DONE
    new = Customer.objects.get(identifiers__id_value="C0001")
    assert not new.identifiers.filter(id_type="NIK").exists()
    assert DuplicateFlag.objects.filter(reason="SAME_NIK").count() == 1
    flag = DuplicateFlag.objects.get(reason="SAME_NIK")
    assert {flag.customer_a_id, flag.customer_b_id} == {holder.pk, new.pk}


def test_a_shared_phone_is_flagged_with_every_holder_not_merged_away(steward, branch_a):
    """Three rows with one phone, an existing holder and a merged-away one: each pair of the
    four live holders is flagged once, the merged-away customer never."""
    old = Customer.objects.create(
        full_name="Lama", name_search="lama", home_branch=branch_a, phone_e164="+6281260009999"
    )
    gone = Customer.objects.create(
        full_name="Digabung", name_search="digabung", home_branch=branch_a,
        phone_e164="+6281260009999", merged_into=old,
    )  # fmt: skip
    rows = "".join(f"S{n};Orang {n};MDN01;;081260009999;;;\n" for n in range(3))
    batch = run(steward, dry_run(mapped(steward, HEADER + rows)))
    assert batch.status == ImportStatus.DONE
    flags = DuplicateFlag.objects.filter(reason="SAME_PHONE")
    assert flags.count() == 6
    assert not flags.filter(customer_a=gone).exists()
    assert not flags.filter(customer_b=gone).exists()
    assert all(f.customer_a_id < f.customer_b_id for f in flags)


def test_a_phone_held_by_many_gives_at_most_20_flags_per_new_customer(steward, branch_a):
    Customer.objects.bulk_create(
        Customer(full_name=f"P{n}", name_search=f"p{n}", home_branch=branch_a,
                 phone_e164="+6281260008888")
        for n in range(25)
    )  # fmt: skip
    batch = run(steward, dry_run(mapped(steward, HEADER + "S1;Baru;MDN01;;081260008888;;;\n")))
    assert batch.status == ImportStatus.DONE
    new = Customer.objects.get(identifiers__id_value="S1")
    flags = DuplicateFlag.objects.filter(reason="SAME_PHONE")
    assert flags.count() == 20
    assert all(new.pk in (f.customer_a_id, f.customer_b_id) for f in flags)


def test_branch_outside_scope_is_refused(make_user, branch_a, branch_b):
    other = make_user(R.DATA_STEWARD, branches=[branch_b])
    batch = dry_run(mapped(other, HEADER + ROWS[0]))
    assert batch.status == ImportStatus.INVALID
    assert ImportRowError.objects.get(batch=batch).column == "Kode cabang"


def test_mapping_is_kept_per_source(steward):
    text = "nomor cif,nama,cabang\nC0009,Dewi Lestari,MDN01\n"
    batch = upload(steward, text)
    assert imports.suggested_mapping(batch) == {}
    mapping = {"nomor cif": "cif", "nama": "full_name", "cabang": "branch"}
    imports.import_mapping_set(actor=steward, batch_id=batch.pk, mapping=mapping)
    assert ImportMapping.objects.get(source="manual", target="customers.customers").columns == (
        mapping
    )
    assert imports.suggested_mapping(upload(steward, text)) == mapping
    assert dry_run(batch).status == ImportStatus.VALID


def test_mapping_without_a_required_field_is_refused(steward):
    batch = upload(steward, HEADER + ROWS[0])
    with pytest.raises(ServiceError) as refused:
        imports.import_mapping_set(actor=steward, batch_id=batch.pk, mapping={"CIF": "cif"})
    assert "Nama lengkap" in refused.value.message


@pytest.mark.parametrize(
    ("content", "code"),
    [
        ("CIF;Nama\nC1;Désirée\n".encode("latin-1"), "import_encoding"),
        ("\ufeffCIF;Nama\n".encode("utf-16"), "import_encoding"),
        (b"", "import_empty"),
        (b"CIF;Nama lengkap\n", "import_no_rows"),
        (b"CIF;CIF\nC1;C2\n", "import_header"),
        (b'CIF,Nama\n"C1,unterminated\n', "import_csv"),
    ],
)
def test_unreadable_files_are_refused_at_upload(steward, content, code):
    with pytest.raises(ServiceError) as refused:
        imports.import_batch_create(
            actor=steward, target="customers.customers", file_name="x.csv", content=content
        )
    assert refused.value.code == code


def test_bom_and_comma_separated_files_are_read(steward):
    text = "\ufeffCIF,Nama lengkap,Kode cabang\nC0001,Siti Aminah,MDN01\n"
    batch = dry_run(mapped(steward, text))
    assert batch.columns == ["CIF", "Nama lengkap", "Kode cabang"]
    assert batch.status == ImportStatus.VALID


def test_xlsx_with_numbers_excel_made_of_nik_and_phone(steward):
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["CIF", "Nama lengkap", "Kode cabang", "NIK", "Telepon"])
    sheet.append(["C0001", "Siti Aminah", "MDN01", 1271014505900001, 81260001001])
    sheet.append([None, None, None, None, None])  # a blank row Excel leaves: skipped
    out = io.BytesIO()
    book.save(out)
    batch = imports.import_batch_create(
        actor=steward, target="customers.customers", file_name="n.xlsx", content=out.getvalue()
    )
    assert batch.total_rows == 1
    imports.import_mapping_set(
        actor=steward, batch_id=batch.pk, mapping=imports.suggested_mapping(batch)
    )
    batch = run(steward, dry_run(batch))
    assert batch.status == ImportStatus.DONE, list(ImportRowError.objects.values("message"))
    customer = Customer.objects.get()
    assert customer.phone_e164 == "+6281260001001"
    assert customer.identifiers.filter(id_type="NIK", id_value="1271014505900001").exists()


def test_not_an_xlsx_is_refused(steward):
    with pytest.raises(ServiceError) as refused:
        imports.import_batch_create(
            actor=steward, target="customers.customers", file_name="n.xlsx", content=b"PK\x03\x04x"
        )
    assert refused.value.code == "import_xlsx"


def test_too_big_a_file_is_refused(steward, settings):
    settings.INTEGRATIONS_IMPORT_MAX_BYTES = 100
    with pytest.raises(ServiceError) as refused:
        upload(steward, HEADER + "".join(ROWS))
    assert refused.value.code == "import_too_big"


def test_every_step_is_audited_with_counts_never_contents(steward):
    batch = run(steward, dry_run(mapped(steward, HEADER + "".join(ROWS))))
    logs = AuditLog.objects.filter(object_id=str(batch.pk)).order_by("id")
    actions = [log.action for log in logs]
    assert actions[:3] == [
        AuditAction.IMPORT_UPLOAD,
        AuditAction.IMPORT_MAPPING,
        AuditAction.IMPORT_DRY_RUN,
    ]
    assert logs.last().meta["created"] == 3
    text = " ".join(str(log.meta) for log in logs)
    for secret in ("Siti", "1271014505900001", "6000", "C0001"):
        assert secret not in text


def test_without_the_target_permission_nothing_is_accepted(make_user):
    admin = make_user(R.ADMIN)  # may import, but may not manage customers
    with pytest.raises(PermissionDenied) as refused:
        upload(admin, HEADER + ROWS[0])
    assert str(refused.value) == "customer.manage"
    assert not ImportBatch.objects.exists()


def test_staging_is_unlogged(db):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relpersistence FROM pg_class WHERE relname = 'integrations_importstagedrow'"
        )
        assert cursor.fetchone()[0] == "u"
