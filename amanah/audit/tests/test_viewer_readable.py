"""The viewer a compliance officer can read: names instead of ids, labelled meta, one page per
row with its chain check, filters that refuse a bad range, the CSV in the reader's zone."""

import csv
import io
import uuid
from datetime import UTC, datetime

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from amanah.audit.models import AuditAction, AuditLog
from amanah.conftest import sign_in
from amanah.core.roles import RoleKey
from amanah.iam import services as iam
from amanah.iam.models import TimeZoneChoice

from .conftest import triggers_disabled


@pytest.fixture
def compliance(signed_in):
    return signed_in(RoleKey.COMPLIANCE)


@pytest.fixture
def objects(system, branch_a, make_user):
    """A customer, their case, a campaign and a member of staff, built through the services."""
    from amanah.cases import services as cases
    from amanah.customers.services import CustomerInput, customer_create
    from amanah.marketing import services as marketing

    customer = customer_create(
        actor=system, data=CustomerInput(full_name="Siti Aminah", home_branch=branch_a)
    )
    case = cases.case_create(
        actor=system,
        data=cases.CaseInput(
            customer=customer,
            channel="BRANCH",
            category_code="TRX_FAIL",
            priority="MEDIUM",
            description="Transfer gagal tetapi saldo terpotong.",
        ),
    )
    segment = marketing.segment_create(actor=system, name="Penabung", rules={"all": []})
    campaign = marketing.campaign_create(
        actor=system,
        name="Edukasi Tabungan",
        segment=segment,
        channel="EMAIL",
        message="Pesan edukasi nasabah.",
    )
    staff = make_user(RoleKey.AGENT, branches=[branch_a], full_name="Rahmat Hidayat")
    return {"customer": customer, "case": case, "campaign": campaign, "staff": staff}


def body(response) -> str:
    assert response.status_code == 200
    return response.content.decode()


def test_the_page_names_objects_and_actors_not_ids(compliance, objects, write_event, marker):
    client, _ = compliance
    staff = objects["staff"]
    for obj in (objects["customer"], objects["case"], objects["campaign"], staff):
        write_event(actor=staff, action=AuditAction.UPDATE_USER, obj=obj, meta={"marker": marker})
    gone = str(uuid.uuid4())
    write_event(object_type="cases.Case", object_id=gone, meta={"marker": marker})
    page = body(client.get("/audit/", {"actor": staff.username}))

    assert objects["case"].case_no in page
    assert "Nasabah: <strong>S*** A***</strong>" in page
    assert "Siti Aminah" not in page  # the customer's name only masked
    assert "Kampanye: <strong>Edukasi Tabungan</strong>" in page
    assert "Pengguna: <strong>Rahmat Hidayat</strong>" in page
    assert "Rahmat Hidayat <small>" + staff.username in page  # the actor by name too
    assert str(objects["customer"].pk) not in page and str(objects["case"].pk) not in page
    # An object that is gone: its type and a short id.
    page = body(client.get("/audit/", {"object_id": gone}))
    assert f"Kasus: <small>{gone[:8]}…</small>" in page


def test_names_cost_one_query_per_object_type(compliance, objects, write_event, marker):
    client, _ = compliance
    staff = objects["staff"]

    def write(times):
        for _ in range(times):
            for obj in (objects["customer"], objects["case"], objects["campaign"]):
                write_event(actor=staff, obj=obj, meta={"marker": marker})

    query = {"action": "DEMO_SEED", "actor": staff.username}
    write(1)
    with CaptureQueriesContext(connection) as few:
        body(client.get("/audit/", query))
    write(4)
    with CaptureQueriesContext(connection) as many:
        body(client.get("/audit/", query))
    assert len(many) == len(few)


def test_meta_is_labelled_fields_not_a_dict(compliance, write_event, marker):
    client, _ = compliance
    write_event(
        object_type=marker,
        meta={"reason": "permintaan nasabah", "rows": 3, "mfa_required": True, "zz_new": "x"},
    )
    page = body(client.get("/audit/", {"object_type": marker}))
    assert "<dt>Alasan</dt><dd>permintaan nasabah</dd>" in page
    assert "<dt>Jumlah baris</dt><dd>3</dd>" in page
    assert "<dt>Wajib MFA</dt><dd>ya</dd>" in page
    assert "<dt>zz_new</dt><dd>x</dd>" in page  # an unknown key shown with the key
    assert "{&#x27;" not in page and "{'" not in page


# --------------------------------------------------------------------------- one row


def test_detail_page_shows_the_row_its_place_and_an_intact_chain(compliance, objects, write_event):
    client, _ = compliance
    log = write_event(actor=objects["staff"], obj=objects["case"], meta={"reason": "uji"})
    page = body(client.get(f"/audit/{log.id}/"))
    assert objects["case"].case_no in page and "Rahmat Hidayat" in page
    assert str(objects["case"].pk) in page  # all fields: the id is there, beside the name
    assert "<dt>Alasan</dt><dd>uji</dd>" in page
    assert log.hash[:12] in page and log.prev_hash[:12] in page
    assert 'data-testid="verification" data-ok="1"' in page and "Utuh" in page


def test_a_tampered_row_shows_broken(compliance, write_event, marker):
    client, _ = compliance
    log = write_event(object_type=marker, object_id="1", meta={"n": 1})
    after = write_event(object_type=marker, object_id="2")
    with triggers_disabled() as cursor:
        cursor.execute("UPDATE audit_auditlog SET object_id = 'x' WHERE id = %s", [log.id])
    page = body(client.get(f"/audit/{log.id}/"))
    assert 'data-ok="0"' in page and "tidak cocok dengan hash-nya" in page
    # The next row's own content is intact: it shows ok (the whole walk is `audit verify`'s).
    assert 'data-ok="1"' in body(client.get(f"/audit/{after.id}/"))


def test_a_row_whose_predecessor_is_gone_shows_broken(compliance, write_event, marker):
    client, _ = compliance
    first, second = (write_event(object_type=marker) for _ in range(2))
    with triggers_disabled() as cursor:
        cursor.execute("DELETE FROM audit_auditlog WHERE id = %s", [first.id])
    page = body(client.get(f"/audit/{second.id}/"))
    assert 'data-ok="0"' in page and "dihapus atau dipindah" in page


def test_detail_missing_is_404_and_other_roles_403(compliance, signed_in, branch_a, write_event):
    client, _ = compliance
    log = write_event(object_type="T")
    assert client.get("/audit/999999999/").status_code == 404
    assert client.get("/audit/99999999999999999999999/").status_code == 404
    agent, _ = signed_in(RoleKey.AGENT, branches=[branch_a])
    assert agent.get(f"/audit/{log.id}/").status_code == 403


# --------------------------------------------------------------------------- filters


def test_several_actions_at_once(compliance, write_event, marker):
    client, _ = compliance
    logs = [
        write_event(object_type=marker, action=action)
        for action in (AuditAction.LOGIN, AuditAction.LOGOUT, AuditAction.EXPORT_DATA)
    ]
    response = client.get("/audit/", {"object_type": marker, "action": ["LOGIN", "EXPORT_DATA"]})
    assert [e.log.id for e in response.context["events"]] == [logs[2].id, logs[0].id]


def test_branch_filter_keeps_rows_of_that_branchs_staff(
    compliance, make_user, branch_a, branch_b, write_event, marker
):
    client, _ = compliance
    in_a = make_user(RoleKey.AGENT, branches=[branch_a])
    in_b = make_user(RoleKey.AGENT, branches=[branch_b])
    mine = write_event(actor=in_a, object_type=marker)
    write_event(actor=in_b, object_type=marker)
    response = client.get("/audit/", {"object_type": marker, "branch": str(branch_a.pk)})
    assert [e.log.id for e in response.context["events"]] == [mine.id]


BAD_FILTERS = [
    ({"date_from": "2026-03-10", "date_to": "2026-03-01"}, "sebelum tanggal awal"),
    ({"date_from": "2024-01-01", "date_to": "2026-01-01"}, "paling lama 366 hari"),
    ({"date_from": "9999-12-31"}, "antara tahun 1900 dan 2100"),
    ({"branch": str(uuid.uuid4())}, "Filter tidak valid"),
    ({"branch": "not-a-branch"}, "Filter tidak valid"),
    ({"date_from": "notadate"}, "Filter tidak valid"),
    ({"date_to": "2026-02-31"}, "Filter tidak valid"),
    ({"action": "NOT_AN_ACTION"}, "Filter tidak valid"),
    ({"object_type": "x" * 500}, "Filter tidak valid"),
]


def test_a_bad_filter_is_a_message_and_runs_no_query(compliance):
    # One signed-in client for every case (each sign-in passes the MFA step).
    client, _ = compliance
    for query, message in BAD_FILTERS:
        with CaptureQueriesContext(connection) as queries:
            response = client.get("/audit/", query)
        page = body(response)
        assert response.context["form_errors"], query
        assert message in page and 'data-testid="filter-error"' in page, query
        assert not [q for q in queries if 'FROM "audit_auditlog"' in q["sql"]], query


def test_the_api_refuses_a_reversed_range(system, make_user, client):
    user = make_user(RoleKey.COMPLIANCE)
    _token, raw = iam.api_token_create(actor=system, user=user, role="COMPLIANCE", name="t")
    response = client.get(
        "/api/v1/audit/events",
        {"date_from": "2026-03-10", "date_to": "2026-03-01"},
        headers={"authorization": f"Bearer {raw}"},
    )
    assert response.status_code == 400
    assert response.json()["code"] == "date_range_invalid"


# --------------------------------------------------------------------------- CSV, English


def test_csv_is_in_the_readers_zone_named_in_the_header(system, make_user, write_event, marker):
    makassar = iam.branch_save(
        actor=system, code="MKS01", name="KC Makassar", timezone_name=TimeZoneChoice.WITA
    )
    user = make_user(RoleKey.COMPLIANCE, home=makassar)
    client = sign_in(Client(), user)
    write_event(object_type=marker, at=datetime(2026, 3, 1, 16, 30, tzinfo=UTC))
    response = client.get("/audit/export.csv", {"object_type": marker})
    header, row = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert header[1] == "created_at (WITA)"
    assert row[1] == "2026-03-02T00:30:00+08:00"  # the next day already in Makassar
    assert AuditLog.objects.filter(action=AuditAction.EXPORT_AUDIT, actor_id=user.pk).exists()


def test_detail_page_in_english(compliance, write_event):
    client, _ = compliance
    log = write_event(object_type="T", meta={"reason": "uji"})
    client.cookies["django_language"] = "en"
    with translation.override(translation.get_language()):
        page = body(client.get(f"/audit/{log.id}/"))
    assert "Reason" in page and "Alasan" not in page
    assert "Intact" in page and "Utuh" not in page


def test_roles_statuses_and_break_glass_keys_read_as_labels(
    compliance, write_event, make_user, marker
):
    client, _ = compliance
    officer = make_user(RoleKey.COMPLIANCE, full_name="Dewi Kepatuhan")
    grant_id = str(uuid.uuid4())
    log = write_event(
        actor=officer,
        action=AuditAction.BREAK_GLASS_APPROVE,
        object_type="breakglass.BreakGlassGrant",
        object_id=grant_id,
        meta={
            "from": "REQUESTED",
            "to": "APPROVED",
            "break_glass": grant_id,
            "minutes": 60,
            "emergency": False,
            "zone": "WIB",
            "unmasked": 2,
            "role": "SUPERVISOR",
            "marker": marker,
        },
    )
    for page in (
        body(client.get("/audit/", {"object_id": grant_id})),
        body(client.get(f"/audit/{log.id}/")),
    ):
        assert "Compliance / Risk" in page and "(COMPLIANCE)" not in page
        assert "<dt>Dari</dt><dd>Menunggu persetujuan</dd>" in page
        assert "<dt>Ke</dt><dd>Disetujui</dd>" in page
        assert "<dt>Peran</dt><dd>Supervisor Layanan</dd>" in page
        for label in ("Akses darurat (ID)", "Durasi (menit)", "Darurat", "Zona waktu"):
            assert f"<dt>{label}</dt>" in page, label
        assert "<dt>Nama tidak disamarkan</dt><dd>2</dd>" in page
    # A code the object's status field does not know, or a type without one: as written.
    other = write_event(object_type=marker, meta={"from": "REQUESTED", "status": "X"})
    assert "<dt>Dari</dt><dd>REQUESTED</dd>" in body(client.get(f"/audit/{other.id}/"))


def test_a_workflow_moves_keys_read_as_labels(compliance, write_event, marker):
    """The meta a workflow move writes (workflow.services): the workflow by its name, the
    required fields (free text as its length) and the history line, all labelled."""
    client, _ = compliance
    log = write_event(
        object_type=marker,
        meta={
            "workflow": "cases.case",
            "history": 33,
            "resolution_code": "REFUND",
            "final_response_length": 52,
            "reason_length": 14,
            "revert": True,
            "zz_length": 3,
        },
    )
    page = body(client.get(f"/audit/{log.id}/"))
    assert "<dt>Alur kerja</dt><dd>Kasus</dd>" in page
    assert "<dt>Nomor riwayat alur kerja</dt><dd>33</dd>" in page
    assert "<dt>Kode penyelesaian</dt><dd>REFUND</dd>" in page
    assert "<dt>Jawaban akhir (jumlah karakter)</dt><dd>52</dd>" in page
    assert "<dt>Alasan (jumlah karakter)</dt><dd>14</dd>" in page
    assert "<dt>Pembatalan langkah</dt><dd>ya</dd>" in page
    assert "<dt>zz_length</dt><dd>3</dd>" in page  # not a field the house labels: as written
    client.post(reverse("core:set_language"), {"language": "en", "next": "/"})
    english = body(client.get(f"/audit/{log.id}/"))
    assert "<dt>Final response (characters)</dt><dd>52</dd>" in english
    assert "<dt>Workflow history line</dt><dd>33</dd>" in english
