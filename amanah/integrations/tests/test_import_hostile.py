"""Hostile input to the batch import, through the HTTP upload page and the API: generated CSVs
(hypothesis) never answer 500 and never leave a partial batch; wrong encodings, NUL bytes,
100 kB cells and formula cells are reported, and the downloads neutralise formulas."""

from __future__ import annotations

import csv
import io
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from amanah.conftest import sign_in
from amanah.core.roles import RoleKey as R
from amanah.customers.models import Customer, CustomerIdentifier
from amanah.integrations import imports
from amanah.integrations.models import ImportBatch, ImportRowError, ImportStatus
from amanah.integrations.testing import make_system

HEADER = ["CIF", "Nama lengkap", "Kode cabang", "NIK", "Telepon", "No. rekening"]
GOOD = ["C0001", "Siti Aminah", "MDN01", "1271014505900001", "081260001001", "1000000001"]


@pytest.fixture
def steward(make_user, branch_a):
    return make_user(R.DATA_STEWARD, branches=[branch_a])


@pytest.fixture
def browser(steward):
    from django.test import Client

    return sign_in(Client(), steward)


def post_file(browser, content: bytes, name="nasabah.csv"):
    return browser.post(
        reverse("integrations:import_upload"),
        {"target": "customers.customers", "source": "", "file": SimpleUploadedFile(name, content)},
    )


def drive(steward, batch: ImportBatch) -> ImportBatch:
    """Map by the header's names, dry run, and run when the dry run passed."""
    imports.import_mapping_set(
        actor=steward, batch_id=batch.pk, mapping=imports.suggested_mapping(batch)
    )
    imports.batch_check(batch.pk)
    batch.refresh_from_db()
    if batch.status == ImportStatus.VALID:
        imports.import_batch_run(actor=steward, batch_id=batch.pk)
        imports.batch_run(batch.pk)
        batch.refresh_from_db()
    return batch


def to_csv(rows) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";")
    writer.writerow(HEADER)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8", "surrogatepass")


CELL = st.one_of(
    st.sampled_from(
        [
            "",
            "MDN01",
            "XXX99",
            "C0001",
            "1271014505900001",
            "1271010506850002",
            "3,17123E+15",
            "081260001001",
            '=HYPERLINK("http://x")',
            "+6281260001002",
            "@SUM(A1)",
            "-1",
            'Budi "Santoso"',
            "a;b",
            "baris\nbaru",
            "\x00",
            "é",
        ]
    ),
    st.text(max_size=30),
    st.from_regex(r"C[0-9]{4}", fullmatch=True),
    st.from_regex(r"10000000[0-9]{2}", fullmatch=True),
)
ROW = st.lists(CELL, min_size=0, max_size=8)


def _counts():
    return Customer.objects.count(), CustomerIdentifier.objects.count()


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(rows=st.lists(ROW, min_size=0, max_size=6), raw_tail=st.binary(max_size=20))
def test_generated_csv_through_the_upload_page(browser, steward, rows, raw_tail):
    content = to_csv(rows) + raw_tail
    savepoint = transaction.savepoint()
    try:
        before = _counts()
        response = post_file(browser, content)
        assert response.status_code in (303, 400), response.status_code
        batch = ImportBatch.objects.order_by("-created_at").first()
        if response.status_code == 400:
            assert batch is None
            assert _counts() == before
            return
        batch = drive(steward, batch)
        customers, identifiers = _counts()
        if batch.status == ImportStatus.DONE:
            assert customers - before[0] == batch.created_rows
            assert batch.created_rows + batch.unchanged_rows == batch.valid_rows
        else:  # a dry run or a run that refused: nothing written at all
            assert batch.status in (ImportStatus.INVALID, ImportStatus.FAILED)
            assert (customers, identifiers) == before
            assert ImportRowError.objects.filter(batch=batch).exists()
        for url in ("import_detail", "import_progress"):
            page = browser.get(reverse(f"integrations:{url}", kwargs={"batch_id": batch.pk}))
            assert page.status_code == 200
        download = browser.get(
            reverse("integrations:import_download", kwargs={"batch_id": batch.pk, "kind": "errors"})
        )
        assert download.status_code == 200
        for row in csv.reader(io.StringIO(b"".join(download.streaming_content).decode())):
            assert not any(cell.startswith(("=", "+", "-", "@")) for cell in row)
    finally:
        transaction.savepoint_rollback(savepoint)


@pytest.fixture
def api_key(db, branch_a):
    return make_system(
        "core-banking-import",
        permissions=["integration.import.run", "customer.manage"],
        all_branches=True,
    )[2]


def api(raw, method, url, body=None):
    from django.test import Client

    client = Client()
    kwargs = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}
    if method == "post":
        return client.post(url, json.dumps(body), content_type="application/json", **kwargs)
    return client.get(url, **kwargs)


JSON_CELL = st.one_of(CELL, st.integers(), st.floats(allow_nan=True), st.booleans(), st.none())


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    rows=st.lists(
        st.dictionaries(
            st.sampled_from(["cif", "full_name", "branch", "nik", "phone", "x"]), JSON_CELL
        ),
        max_size=5,
    )
)
def test_generated_rows_through_the_api(api_key, rows):
    savepoint = transaction.savepoint()
    try:
        before = _counts()
        response = api(
            api_key, "post", "/api/v1/imports", {"target": "customers.customers", "rows": rows}
        )
        assert response.status_code in (201, 400, 422), response.content
        if response.status_code != 201:
            assert _counts() == before
            return
        batch_id = response.json()["batch_id"]
        imports.batch_check(batch_id)
        state = api(api_key, "get", f"/api/v1/imports/{batch_id}").json()
        if state["status"] == "VALID":
            assert api(api_key, "post", f"/api/v1/imports/{batch_id}/run").status_code == 200
            imports.batch_run(batch_id)
            state = api(api_key, "get", f"/api/v1/imports/{batch_id}").json()
        if state["status"] == "DONE":
            assert _counts()[0] - before[0] == state["created_rows"]
        else:
            assert _counts() == before
            errors = api(api_key, "get", f"/api/v1/imports/{batch_id}/errors")
            assert errors.status_code == 200 and errors.json()
    finally:
        transaction.savepoint_rollback(savepoint)


def test_api_import_end_to_end_and_idempotent(api_key):
    body = {
        "target": "customers.customers",
        "rows": [
            {"cif": "C0001", "full_name": "Siti Aminah", "branch": "MDN01", "phone": 81260001001},
            {"cif": "C0002", "full_name": "Budi Santoso", "branch": "MDN01"},
        ],
    }
    for expected_created in (2, 0):
        response = api(api_key, "post", "/api/v1/imports", body)
        assert response.status_code == 201, response.content
        batch_id = response.json()["batch_id"]
        assert response.json()["status"] == "CHECKING"
        imports.batch_check(batch_id)
        assert api(api_key, "post", f"/api/v1/imports/{batch_id}/run").json()["status"] == "QUEUED"
        imports.batch_run(batch_id)
        state = api(api_key, "get", f"/api/v1/imports/{batch_id}").json()
        assert state["status"] == "DONE"
        assert state["created_rows"] == expected_created
    assert Customer.objects.count() == 2
    batch = ImportBatch.objects.get(pk=batch_id)
    assert batch.source == "core-banking-import" and batch.system is not None


def test_api_without_the_permission_is_forbidden(db, branch_a):
    raw = make_system("no-import", permissions=["customer.manage"], all_branches=True)[2]
    response = api(raw, "post", "/api/v1/imports", {"target": "customers.customers", "rows": []})
    assert response.status_code == 403


def test_api_refused_mapping_keeps_nothing(api_key):
    body = {"target": "customers.customers", "rows": [{"a": "1"}], "mapping": {"a": "cif"}}
    response = api(api_key, "post", "/api/v1/imports", body)
    assert response.status_code == 400
    assert response.json()["code"] == "import_mapping"
    assert not ImportBatch.objects.exists()


def test_wrong_encoding_upload_is_a_clear_400(browser):
    response = post_file(browser, "CIF;Nama lengkap\nC1;Désirée\n".encode("cp1252"))
    assert response.status_code == 400
    assert "UTF-8" in response.content.decode()
    assert not ImportBatch.objects.exists()


def test_nul_and_huge_cells_and_formulas_are_reported_and_neutralised(browser, steward):
    rows = [
        GOOD,
        ["C0002", "Budi\x00Santoso", "MDN01", "", "", ""],
        ["C0003", "x" * 100_000, "MDN01", "", "", ""],
        ["=cmd|' /C calc'!A0", "Rina", "MDN01", "", "", ""],
    ]
    response = post_file(browser, to_csv(rows))
    assert response.status_code == 303
    batch = drive(steward, ImportBatch.objects.get())
    assert batch.status == ImportStatus.INVALID
    assert Customer.objects.count() == 0
    lines = set(ImportRowError.objects.filter(batch=batch).values_list("line", flat=True))
    assert lines == {3, 4, 5}
    download = browser.get(
        reverse("integrations:import_download", kwargs={"batch_id": batch.pk, "kind": "errors"})
    )
    text = b"".join(download.streaming_content).decode()
    assert "x" * 1000 not in text  # reasons, never the cells
    for row in csv.reader(io.StringIO(text)):
        assert not any(cell.startswith(("=", "+", "-", "@")) for cell in row)


def test_results_download_names_created_and_unchanged_rows(browser, steward):
    drive(steward, ImportBatch.objects.get(pk=_upload(browser, [GOOD])))
    batch = drive(
        steward,
        ImportBatch.objects.get(
            pk=_upload(browser, [GOOD, ["C0009", "Dewi Lestari", "MDN01", "", "", ""]])
        ),
    )
    assert batch.status == ImportStatus.DONE
    download = browser.get(
        reverse("integrations:import_download", kwargs={"batch_id": batch.pk, "kind": "results"})
    )
    rows = list(csv.reader(io.StringIO(b"".join(download.streaming_content).decode())))
    assert rows[1:] == [
        ["2", "C0001/1000000001", "sudah ada, tidak diubah"],  # the key: CIF and account
        ["3", "C0009", "dibuat atau diubah"],
    ]


def _upload(browser, rows):
    response = post_file(browser, to_csv(rows))
    assert response.status_code == 303
    return response["Location"].rstrip("/").split("/")[-1]


def test_pages_show_progress_polling_while_running(browser, steward):
    batch_id = _upload(browser, [GOOD])
    batch = ImportBatch.objects.get(pk=batch_id)
    page = browser.get(reverse("integrations:import_detail", kwargs={"batch_id": batch_id}))
    assert "Pemetaan kolom" in page.content.decode()
    response = browser.post(
        reverse("integrations:import_mapping", kwargs={"batch_id": batch_id}),
        {
            f"col_{n}": f
            for n, f in enumerate(["cif", "full_name", "branch", "nik", "phone", "account_no"])
        },
    )
    assert response.status_code == 303
    batch.refresh_from_db()
    assert batch.status == ImportStatus.CHECKING
    progress = browser.get(reverse("integrations:import_progress", kwargs={"batch_id": batch_id}))
    assert 'hx-trigger="every 2s"' in progress.content.decode()
    imports.batch_check(batch_id)
    page = browser.get(reverse("integrations:import_detail", kwargs={"batch_id": batch_id}))
    assert "Impor sekarang" in page.content.decode()
    assert "hx-trigger" not in page.content.decode().split('id="import-progress"')[1].split(">")[0]
    browser.post(reverse("integrations:import_start", kwargs={"batch_id": batch_id}))
    imports.batch_run(batch_id)
    listing = browser.get(reverse("integrations:import_list"))
    assert "Selesai diimpor" in listing.content.decode()


def test_a_file_over_the_limit_is_refused_while_it_streams(browser, settings):
    settings.UPLOAD_MAX_BYTES = settings.INTEGRATIONS_IMPORT_MAX_BYTES = 1024
    response = post_file(browser, to_csv([GOOD] * 200))
    assert response.status_code == 400
    assert "terlalu besar" in response.content.decode()
    assert not ImportBatch.objects.exists()


# --------------------------------------------------------------------------- upload limit per route


def test_only_the_import_route_takes_files_over_the_site_wide_limit(browser, settings):
    """UPLOAD_MAX_BYTES stays small for every page; the import upload takes up to
    INTEGRATIONS_IMPORT_MAX_BYTES (the file is kept whole while it streams)."""
    settings.UPLOAD_MAX_BYTES = 4 * 1024
    settings.INTEGRATIONS_IMPORT_MAX_BYTES = 1024 * 1024
    content = to_csv([[f"C{n:04d}", *GOOD[1:3], "", "", ""] for n in range(1, 400)])
    assert settings.UPLOAD_MAX_BYTES < len(content) < settings.INTEGRATIONS_IMPORT_MAX_BYTES
    response = post_file(browser, content)
    assert response.status_code == 303
    assert ImportBatch.objects.get().total_rows == 399


def test_a_body_over_its_routes_limit_gets_a_413_page_unread(browser, settings, monkeypatch):
    from amanah.core import uploads

    monkeypatch.setattr(uploads, "FORM_ALLOWANCE", 0)
    settings.UPLOAD_MAX_BYTES = 4 * 1024
    settings.INTEGRATIONS_IMPORT_MAX_BYTES = 64 * 1024
    body = b"x" * (16 * 1024)  # over the site-wide limit, under the import's
    elsewhere = browser.generic("POST", "/nasabah/", body, content_type="text/plain")
    assert elsewhere.status_code == 413
    assert "Berkas terlalu besar untuk halaman ini (maks. 4 KB)" in elsewhere.content.decode()
    api = browser.generic("POST", "/api/v1/imports", body, content_type="application/json")
    assert api.status_code == 413 and api.json()["code"] == "too_large"
    imports_route = browser.generic(
        "POST", reverse("integrations:import_upload"), body, content_type="text/plain"
    )
    assert imports_route.status_code != 413  # within the import route's own limit
    over = browser.generic(
        "POST", reverse("integrations:import_upload"), body * 8, content_type="text/plain"
    )
    assert over.status_code == 413 and "(maks. 64 KB)" in over.content.decode()
