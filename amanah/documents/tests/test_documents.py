"""Documents: versions, encryption at rest, upload checks, scope, audited downloads."""

import io
import os
import zipfile

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import translation

from amanah.audit.models import AuditLog
from amanah.conftest import sign_in
from amanah.core.errors import NotFound, ServiceError
from amanah.documents import checks, services, storage
from amanah.documents.models import Document, DocumentVersion
from amanah.documents.tests.conftest import pdf_bytes, upload

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f"
    b"\x15\xc4\x89\x00\x00\x00\nIDATx\x9cc\x00\x01\x00\x00\x05\x00\x01\r\n-\xb4\x00\x00\x00\x00IEND"
    b"\xaeB`\x82"
)


def document_owner_customer(document):
    from amanah.cases.models import Case

    return Case.objects.get(pk=document.owner_id).customer


def stored_blob(version) -> bytes:
    return storage.path_of(version.stored_name).read_bytes()


def test_versions_are_kept_and_one_is_current(make_document, supervisor):
    document = make_document()
    second = services.version_add(
        actor=supervisor, document=document, upload=upload("rab-v2.pdf", pdf_bytes("versi dua"))
    )
    versions = list(document.versions.order_by("number"))
    assert [v.number for v in versions] == [1, 2]
    assert [v.is_current for v in versions] == [False, True]
    assert second.uploaded_by == supervisor and second.content_type == "application/pdf"
    assert versions[0].sha256 != versions[1].sha256 and versions[0].size > 0
    _v, data = services.version_download(actor=supervisor, version_id=versions[0].pk)
    assert data == pdf_bytes()  # the first version is still there, unchanged


def test_round_trip_and_no_plaintext_in_the_store(make_document, supervisor):
    marker = "RAHASIA-PLAINTEXT-MARKER-12345"
    document = make_document(data=pdf_bytes(marker))
    version = document.versions.get()
    blob = stored_blob(version)
    assert marker.encode() not in blob and b"%PDF" not in blob
    assert marker.encode() not in bytes(version.wrapped_key)
    assert version.stored_name not in version.original_name  # the server chose the name
    _v, data = services.version_download(actor=supervisor, version_id=version.pk)
    assert data == pdf_bytes(marker)


@pytest.mark.parametrize("how", ["flip_byte", "truncate", "swap_file"])
def test_tampered_file_is_refused(make_document, supervisor, how):
    document = make_document()
    version = document.versions.get()
    path = storage.path_of(version.stored_name)
    blob = bytearray(path.read_bytes())
    if how == "flip_byte":
        blob[len(blob) // 2] ^= 0x01
        path.write_bytes(bytes(blob))
    elif how == "truncate":
        path.write_bytes(bytes(blob[:-10]))
    else:  # another version's (valid) file under this name: bound to its own version id
        other = make_document(title="lain").versions.get()
        path.write_bytes(stored_blob(other))
    before = AuditLog.objects.filter(action="DOWNLOAD_DOCUMENT").count()
    with pytest.raises(ServiceError) as refused:
        services.version_download(actor=supervisor, version_id=version.pk)
    assert refused.value.code == "document_tampered"
    assert AuditLog.objects.filter(action="DOWNLOAD_DOCUMENT").count() == before


def test_a_file_reencrypted_with_its_own_key_is_caught_by_its_hash(
    make_document, supervisor, caplog
):
    """Authenticated decryption catches any change made without the key; the sha256 of the
    plaintext catches the one made with it (an insider holding the master key seals other
    content under the version's own data key: it decrypts, and is still refused)."""
    version = make_document().versions.get()
    data_key = storage.unwrap(bytes(version.wrapped_key), version.key_id, str(version.pk))
    nonce = os.urandom(storage.NONCE)
    forged = AESGCM(data_key).encrypt(nonce, pdf_bytes("isi palsu"), str(version.pk).encode())
    storage.path_of(version.stored_name).write_bytes(storage.MAGIC + nonce + forged)
    with pytest.raises(ServiceError) as refused:
        services.version_download(actor=supervisor, version_id=version.pk)
    assert refused.value.code == "document_tampered" and "hash" in refused.value.message
    assert "does not match its sha256" in caplog.text and str(version.pk) in caplog.text


def test_a_tampered_download_is_refused_on_the_page_with_a_clear_message(
    make_document, supervisor, caplog
):
    document = make_document()
    version = document.versions.get()
    path = storage.path_of(version.stored_name)
    blob = bytearray(path.read_bytes())
    blob[-1] ^= 0x01  # the authentication tag
    path.write_bytes(bytes(blob))
    client = sign_in(Client(), supervisor)
    response = client.get(reverse("documents:download", args=[version.pk]))
    assert response.status_code == 303  # no file: back to the document, saying why
    assert response["Location"] == reverse("documents:detail", args=[document.pk])
    page = client.get(response["Location"]).content.decode()
    assert "Berkas tersimpan tidak utuh (gagal verifikasi enkripsi/hash)" in page
    assert "fails authentication" in caplog.text
    assert not AuditLog.objects.filter(action="DOWNLOAD_DOCUMENT").exists()


def test_changed_hash_in_the_database_is_refused(make_document, supervisor):
    version = make_document().versions.get()
    DocumentVersion.objects.filter(pk=version.pk).update(sha256="0" * 64)
    with pytest.raises(ServiceError, match="tidak utuh"):
        services.version_download(actor=supervisor, version_id=version.pk)


def test_master_key_rotation_rewraps_without_touching_files(
    make_document, supervisor, settings, system
):
    document = make_document()
    version = document.versions.get()
    blob_before, wrapped_before = stored_blob(version), bytes(version.wrapped_key)
    settings.DOCUMENTS_MASTER_KEYS = {"k2": "b" * 40, "k1": "a" * 40}
    settings.DOCUMENTS_ACTIVE_KEY_ID = "k2"
    assert services.keys_rotate(actor=system) == 1
    version.refresh_from_db()
    assert version.key_id == "k2" and bytes(version.wrapped_key) != wrapped_before
    assert stored_blob(version) == blob_before  # the file is not re-encrypted
    settings.DOCUMENTS_MASTER_KEYS = {"k2": "b" * 40}  # the old key retired
    _v, data = services.version_download(actor=supervisor, version_id=version.pk)
    assert data == pdf_bytes()
    assert services.keys_rotate(actor=system) == 0
    assert AuditLog.objects.filter(action="ROTATE_DOCUMENT_KEYS").exists()


def test_without_the_master_key_the_database_reveals_nothing(make_document, supervisor, settings):
    version = make_document().versions.get()
    settings.DOCUMENTS_MASTER_KEYS = {"k1": "c" * 40}  # a different secret under the same id
    with pytest.raises(ServiceError) as refused:
        services.version_download(actor=supervisor, version_id=version.pk)
    assert refused.value.code == "document_tampered"


def _zip(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return buffer.getvalue()


DOCX_PARTS = {"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w:document/>"}


@pytest.mark.parametrize(
    ("name", "data", "code"),
    [
        ("ktp.pdf", PNG, "file_type_mismatch"),
        ("foto.png", b"%PDF-1.4 bukan gambar", "file_type_mismatch"),
        ("setup.pdf", b"MZ\x90\x00" + b"\x00" * 200, "file_executable"),
        ("run.png", b"\x7fELF\x02\x01\x01" + b"\x00" * 200, "file_executable"),
        ("program.exe", b"MZ\x90\x00", "file_type_not_allowed"),
        ("kosong.pdf", b"", "file_empty"),
        ("nama\x00.pdf", pdf_bytes(), "file_name_invalid"),
        ("x" * 300 + ".pdf", pdf_bytes(), "file_name_invalid"),
        (
            "bom.docx",
            _zip({**DOCX_PARTS, "word/bomb.xml": b"\x00" * (30 * 1024 * 1024)}),
            "file_zip_bomb",
        ),
    ],
)
def test_bad_uploads_are_refused_before_anything_is_stored(
    make_document, settings, name, data, code
):
    settings.DOCUMENTS_MAX_UNCOMPRESSED_BYTES = 20 * 1024 * 1024
    before = Document.objects.count()
    with pytest.raises(ServiceError) as refused:
        make_document(name=name, data=data)
    assert refused.value.code == code and refused.value.field == "file"
    assert Document.objects.count() == before
    root = settings.DOCUMENTS_STORAGE_DIR
    assert not root.exists() or not any(p.is_file() for p in root.rglob("*"))


def _damaged_docx(how: str) -> bytes:
    data = bytearray(_zip({**DOCX_PARTS, "word/document.xml": b"<w:document/>" * 200}))
    if how == "broken deflate stream":
        at = data.find(b"word/document.xml") + len("word/document.xml")
        data[at + 2 : at + 30] = bytes(b ^ 0xFF for b in data[at + 2 : at + 30])
    else:  # "encrypted": the flag bit in every local and central header
        for signature, flags in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
            at = data.find(signature)
            while at != -1:
                data[at + flags] |= 1
                at = data.find(signature, at + 4)
    return bytes(data)


@pytest.mark.parametrize("how", ["broken deflate stream", "encrypted"])
def test_a_damaged_docx_is_refused_as_corrupt(how):
    with pytest.raises(ServiceError) as refused:
        checks.check_upload(upload("kontrak.docx", _damaged_docx(how)))
    assert refused.value.code == "file_corrupt"


def test_oversize_is_refused(make_document, settings):
    settings.DOCUMENTS_MAX_BYTES = 1024
    with pytest.raises(ServiceError) as refused:
        make_document(data=pdf_bytes() + b"%" * 2048)
    assert refused.value.code == "file_too_large"
    assert not Document.objects.exists()
    root = settings.DOCUMENTS_STORAGE_DIR
    assert not root.exists() or not any(p.is_file() for p in root.rglob("*"))


def test_an_oversize_upload_is_not_kept_while_it_streams(settings):
    """Past the limit the request keeps no more bytes of the file (no 4 GB temp file first);
    the file arrives empty with a size above the limit, and the upload check refuses it."""
    settings.UPLOAD_MAX_BYTES = settings.DOCUMENTS_MAX_BYTES = 64 * 1024
    body = pdf_bytes() + b"%" * (256 * 1024)
    request = RequestFactory().post("/", {"title": "RAB", "file": upload("rab.pdf", body)})
    received = request.FILES["file"]
    assert received.size > 64 * 1024 and received.read() == b""
    with pytest.raises(ServiceError) as refused:
        checks.check_upload(received)
    assert refused.value.code == "file_too_large"


def test_a_real_docx_passes(make_document):
    document = make_document(name="kontrak.docx", data=_zip(DOCX_PARTS), doc_type="CONTRACT")
    assert document.versions.get().extension == "docx"


def test_scope_follows_the_owner(make_document, outsider, supervisor, make_user, branch_a):
    document = make_document()
    version = document.versions.get()
    assert Document.objects.visible_to(supervisor).filter(pk=document.pk).exists()
    assert not Document.objects.visible_to(outsider).filter(pk=document.pk).exists()
    with pytest.raises(NotFound):
        services.version_download(actor=outsider, version_id=version.pk)
    client = sign_in(Client(), outsider)
    assert client.get(reverse("documents:detail", args=[document.pk])).status_code == 404
    url = reverse("documents:download", args=[version.pk])
    assert client.get(url).status_code == 404
    mine = sign_in(Client(), supervisor)
    assert mine.get(url).status_code == 200
    # a second owner kind next to the case's: each row is checked against its own kind
    of_customer = services.document_create(
        actor=supervisor,
        data=services.DocumentInput(
            "customers.Customer", str(document_owner_customer(document).pk), "KTP", "GENERAL"
        ),
        upload=upload("ktp.pdf", pdf_bytes()),
    )
    seen = set(Document.objects.visible_to(supervisor).values_list("pk", flat=True))
    assert seen == {document.pk, of_customer.pk}
    assert not Document.objects.visible_to(outsider).exists()


def test_upload_to_an_owner_out_of_scope_is_not_found(case, outsider):
    with pytest.raises(NotFound):
        services.document_create(
            actor=outsider,
            data=services.DocumentInput("cases.Case", str(case.pk), "Bukti", "EVIDENCE"),
            upload=upload("b.pdf", pdf_bytes()),
        )
    with pytest.raises(NotFound):
        services.document_create(
            actor=outsider,
            data=services.DocumentInput("iam.User", "1", "Bukti", "EVIDENCE"),
            upload=upload("b.pdf", pdf_bytes()),
        )


def test_every_download_is_audited_with_the_version(make_document, supervisor):
    document = make_document()
    version = document.versions.get()
    response = sign_in(Client(), supervisor).get(reverse("documents:download", args=[version.pk]))
    assert response.status_code == 200 and response.content == pdf_bytes()
    assert response["X-Content-Type-Options"] == "nosniff"
    log = AuditLog.objects.filter(action="DOWNLOAD_DOCUMENT").latest("id")
    assert log.object_id == str(document.pk)
    assert log.meta["version"] == str(version.pk) and log.meta["number"] == 1


def test_a_sensitive_type_needs_a_reason_to_open(make_document, supervisor):
    document = make_document(doc_type="IDENTITY", name="ktp.png", data=PNG, title="KTP")
    version = document.versions.get()
    with pytest.raises(ServiceError) as refused:
        services.version_download(actor=supervisor, version_id=version.pk, reason="")
    assert refused.value.code == "reason_required"
    client = sign_in(Client(), supervisor)
    url = reverse("documents:download", args=[version.pk])
    page = client.get(url)
    assert page.status_code == 200 and b"reason-form" in page.content
    assert not AuditLog.objects.filter(action="DOWNLOAD_DOCUMENT").exists()
    response = client.post(url, {"reason": "verifikasi identitas pasang baru"})
    assert response.status_code == 200 and response.content == PNG
    log = AuditLog.objects.filter(action="DOWNLOAD_DOCUMENT").latest("id")
    assert log.meta["reason_length"] == len("verifikasi identitas pasang baru")
    # the reason is typed in a textarea: a line break is text, a control character is not
    services.version_download(actor=supervisor, version_id=version.pk, reason="baris 1\nbaris 2")
    with pytest.raises(ServiceError):
        services.version_download(actor=supervisor, version_id=version.pk, reason="alasan\x07bel")


def test_panel_lists_and_uploads(case, supervisor):
    client = sign_in(Client(), supervisor)
    url = reverse("documents:owner", args=["cases.Case", case.pk])
    assert client.get(url).status_code == 200
    bad = client.post(
        reverse("documents:upload", args=["cases.Case", case.pk]),
        {"title": "Bukti", "doc_type": "EVIDENCE", "file": upload("bukti.pdf", PNG)},
    )
    assert bad.status_code == 400 and b"tidak sesuai" in bad.content
    assert not Document.objects.exists()
    good = client.post(
        reverse("documents:upload", args=["cases.Case", case.pk]),
        {"title": "Bukti", "doc_type": "EVIDENCE", "file": upload("bukti.pdf", pdf_bytes())},
    )
    assert good.status_code == 303
    document = Document.objects.get()
    assert client.get(good["Location"]).status_code == 200
    assert document.retention == "STANDARD" and document.status == "DRAFT"


def test_english_smoke(make_document, supervisor):
    document = make_document()
    client = sign_in(Client(), supervisor)
    client.cookies["django_language"] = "en"
    with translation.override(translation.get_language()):
        page = client.get(reverse("documents:detail", args=[document.pk]))
    assert page.status_code == 200
    assert b"Upload a new version" in page.content and b"Unggah" not in page.content


def test_a_customers_documents_follow_a_merge(case, supervisor, system):
    from amanah.core import registry
    from amanah.customers.services import CustomerInput, customer_create

    absorbed = case.customer
    survivor = customer_create(
        actor=system, data=CustomerInput(full_name="Budi S.", home_branch=absorbed.home_branch)
    )
    document = services.document_create(
        actor=supervisor,
        data=services.DocumentInput("customers.Customer", str(absorbed.pk), "KTP", "GENERAL"),
        upload=upload("ktp.pdf", pdf_bytes()),
    )
    assert registry.merge_movers.get("documents.customer")(absorbed, survivor) == 1
    document.refresh_from_db()
    assert document.owner_id == str(survivor.pk)


def test_a_sensitive_cases_evidence_is_hidden_from_who_may_not_read_its_details(
    case, supervisor, other_supervisor
):
    """Without timeline.sensitive, a supervisor still sees the fraud case (branch scope) but
    not its details — its evidence documents included: 404 like out of scope."""
    from amanah.cases import services as cases
    from amanah.cases.policies import TIMELINE_SENSITIVE
    from amanah.iam import authz
    from amanah.iam.models import RolePermission

    fraud = cases.case_create(
        actor=supervisor,
        data=cases.CaseInput(
            customer=case.customer,
            channel="BRANCH",
            category_code="FRAUD_SCAM",
            priority="HIGH",
            description="Nasabah tertipu telepon mengaku petugas bank.",
        ),
    )
    document = services.document_create(
        actor=supervisor,
        data=services.DocumentInput("cases.Case", str(fraud.pk), "Bukti", "EVIDENCE"),
        upload=upload("bukti.pdf", pdf_bytes()),
    )
    RolePermission.objects.filter(role_id="SUPERVISOR", permission=TIMELINE_SENSITIVE).delete()
    authz.forget(other_supervisor)
    authz.forget(supervisor)
    version = document.versions.get()
    with pytest.raises(NotFound):
        services.version_download(actor=other_supervisor, version_id=version.pk)
    client = sign_in(Client(), other_supervisor)
    assert client.get(reverse("documents:detail", args=[document.pk])).status_code == 404
    assert client.get(reverse("documents:owner", args=["cases.Case", fraud.pk])).status_code == 404
    # whoever handles the case still opens it
    assert services.version_download(actor=supervisor, version_id=version.pk)[1] == pdf_bytes()
