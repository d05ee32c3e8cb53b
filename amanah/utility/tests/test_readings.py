"""Meter readings: through the service and as the ``utility.meter_readings`` import target."""

from __future__ import annotations

import datetime as dt

import pytest

from amanah.core.errors import NotFound, ServiceError
from amanah.core.roles import RoleKey as R
from amanah.integrations import imports
from amanah.integrations.models import ImportRowError, ImportStatus
from amanah.utility import services, testing
from amanah.utility.models import MeterReading

JAN, FEB, MAR = dt.date(2026, 1, 1), dt.date(2026, 2, 1), dt.date(2026, 3, 1)


def test_lower_reading_refused_unless_meter_replaced(db, branch_a):
    conn = testing.connection(branch_a)
    testing.read(conn, JAN, 100)
    with pytest.raises(ServiceError) as refused:
        testing.read(conn, FEB, 90)
    assert refused.value.code == "reading_lower" and "ganti meter" in refused.value.message
    testing.read(conn, FEB, 3, replacement=True)
    testing.read(conn, FEB, 999)  # the same period again: unchanged (idempotent)
    assert MeterReading.objects.get(connection=conn, period=FEB).reading == 3


def test_readings_of_another_branch_are_not_found(db, branch_a, branch_b, make_user):
    theirs = testing.connection(branch_b)
    user = make_user(R.SUPERVISOR, branches=[branch_a])
    with pytest.raises(NotFound):
        services.readings_record(actor=user, rows=[services.ReadingRow(theirs.pk, JAN, 5)])


def _import(actor, text: str):
    batch = imports.import_batch_create(
        actor=actor, target="utility.meter_readings", file_name="meter.csv", content=text.encode()
    )
    mapping = {
        "No. sambungan": "connection_number",
        "Periode": "period",
        "Angka meter": "reading",
        "Ganti meter": "replacement",
    }
    imports.import_mapping_set(actor=actor, batch_id=batch.pk, mapping=mapping)
    imports.batch_check(batch.pk)
    batch.refresh_from_db()
    if batch.status == ImportStatus.VALID:
        imports.import_batch_run(actor=actor, batch_id=batch.pk)
        imports.batch_run(batch.pk)
        batch.refresh_from_db()
    return batch


def test_import_is_idempotent_and_refuses_lower_readings_with_reason(db, branch_a):
    from amanah.integrations.testing import sending_system

    # the meter system's key: its grants travel with the run
    importer = sending_system("utility.connection.view")
    conn = testing.connection(branch_a, number="01-000001")
    other = testing.connection(branch_a, number="01-000002")
    text = (
        "No. sambungan;Periode;Angka meter;Ganti meter\n"
        "01-000001;2026-01;100;\n"
        "01-000001;2026-02;120;tidak\n"
        "01-000002;2026-01;1.050;\n"
    )
    batch = _import(importer, text)
    assert batch.status == ImportStatus.DONE, batch.failure
    assert (batch.created_rows, batch.unchanged_rows) == (3, 0)
    again = _import(importer, text)
    assert (again.created_rows, again.unchanged_rows) == (0, 3)
    assert MeterReading.objects.get(connection=other, period=JAN).reading == 1050
    bad = _import(
        importer,
        "No. sambungan;Periode;Angka meter;Ganti meter\n"
        "01-000001;2026-03;110;\n"
        "01-000002;2026-02;7;ya\n"
        "01-999999;2026-02;7;\n"
        "01-000002;2099-02;7;\n"
        "01-000002;2026-02;-7;\n",
    )
    assert bad.status != ImportStatus.DONE
    messages = {e.line: e.message for e in ImportRowError.objects.filter(batch=bad)}
    assert "lebih kecil" in messages[2]  # 110 < 120 without a meter replacement
    assert 3 not in messages  # the replacement is fine
    assert set(messages) >= {2, 4, 5, 6}
    assert MeterReading.objects.filter(connection=conn).count() == 2
