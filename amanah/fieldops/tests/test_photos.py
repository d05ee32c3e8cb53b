"""Visit photos: a JPEG with EXIF (GPS included) is stored through documents without any
metadata and shown on the work order; a file of another type, one too big, a damaged one and
another agent's visit are refused with nothing stored, nothing audited."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from PIL import Image

from amanah.audit.models import AuditAction, AuditLog
from amanah.conftest import sign_in
from amanah.core.errors import NotFound, ServiceError
from amanah.documents import storage
from amanah.documents.models import Document, DocumentVersion
from amanah.fieldops import photos, visits
from amanah.fieldops.models import Outcome
from amanah.fieldops.testing import customer_in, visit_input, work_order


def _jpeg_with_gps() -> bytes:
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x0112] = 6  # orientation: rotate 90° to stand upright
    exif.get_ifd(0x8825).update({1: "N", 2: (3.0, 35.0, 42.0), 3: "E", 4: (98.0, 40.0, 20.0)})
    out = io.BytesIO()
    Image.new("RGB", (40, 20), (200, 30, 30)).save(out, "JPEG", exif=exif.tobytes())
    return out.getvalue()


def _visit(agent, branch):
    wo = work_order(customer_in(branch), agent)
    return visits.visit_record(actor=agent, data=visit_input(wo, outcome=Outcome.ATK))


def _stored(document) -> bytes:
    version = DocumentVersion.objects.get(document=document)
    return storage.open_sealed(
        stored_name=version.stored_name,
        key_id=version.key_id,
        wrapped_key=bytes(version.wrapped_key),
        version_id=str(version.pk),
        sha256=version.sha256,
    )


def test_photo_is_stored_without_metadata_and_shown_on_the_work_order(agent_a1, branch_a):
    visit = _visit(agent_a1, branch_a)
    raw = _jpeg_with_gps()
    assert Image.open(io.BytesIO(raw)).getexif()  # the phone's file carries EXIF + GPS
    uploads = AuditLog.objects.filter(action=AuditAction.UPLOAD_DOCUMENT).count()
    client = sign_in(Client(), agent_a1)
    url = reverse("fieldops:photo_add", kwargs={"visit_id": visit.pk})
    response = client.post(url, {"photo": SimpleUploadedFile("IMG_0001.jpg", raw)})
    assert response.status_code == 303

    document = Document.objects.get(owner_kind=photos.OWNER_KIND)
    assert document.owner_id == str(visit.work_order_id)
    assert document.title == f"Foto VOC-{visit.pk:07d}"
    kept = _stored(document)
    image = Image.open(io.BytesIO(kept))
    assert image.format == "JPEG" and image.size == (20, 40)  # turned upright
    assert not image.getexif() and b"Exif" not in kept and b"PhoneMaker" not in kept
    assert AuditLog.objects.filter(action=AuditAction.UPLOAD_DOCUMENT).count() == uploads + 1
    # the visit's position is the device's, never the photo's
    visit.refresh_from_db()
    assert (visit.latitude, visit.longitude) == (3.5952, 98.6722)

    page = client.get(reverse("fieldops:detail", kwargs={"work_order_id": visit.work_order_id}))
    assert document.title.encode() in page.content


@pytest.mark.parametrize(
    "name, content, code",
    [
        ("surat.pdf", b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n", "photo_type"),
        ("foto.jpg", b"%PDF-1.4\n1 0 obj<<>>endobj\n%%EOF\n", "file_type_mismatch"),
        ("foto.jpg", b"\xff\xd8\xff\xe0" + b"\x00" * 64, "photo_corrupt"),
        ("besar.jpg", None, "photo_too_big"),
    ],
    ids=["pdf", "pdf-named-jpg", "damaged-jpg", "too-big"],
)
def test_refused_photos_change_nothing(name, content, code, agent_a1, branch_a, settings):
    visit = _visit(agent_a1, branch_a)
    if content is None:
        settings.FIELDOPS_PHOTO_MAX_BYTES = 1000
        content = _jpeg_with_gps() + b"\x00" * 1000
    before = (
        Document.objects.count(),
        AuditLog.objects.filter(action=AuditAction.UPLOAD_DOCUMENT).count(),
    )
    with pytest.raises(ServiceError) as refused:
        photos.visit_photo_add(
            actor=agent_a1, visit_id=visit.pk, upload=SimpleUploadedFile(name, content)
        )
    assert refused.value.code == code
    # through the page: the reason as a flash, back to the work order, still nothing stored
    client = sign_in(Client(), agent_a1)
    url = reverse("fieldops:photo_add", kwargs={"visit_id": visit.pk})
    response = client.post(url, {"photo": SimpleUploadedFile(name, content)}, follow=True)
    assert response.status_code == 200 and b"flash" in response.content
    after = (
        Document.objects.count(),
        AuditLog.objects.filter(action=AuditAction.UPLOAD_DOCUMENT).count(),
    )
    assert after == before


def test_only_the_visits_agent_adds_photos(agent_a1, agent_a2, supervisor_a, branch_a):
    visit = _visit(agent_a1, branch_a)
    upload = SimpleUploadedFile("foto.jpg", _jpeg_with_gps())
    with pytest.raises(NotFound):
        photos.visit_photo_add(actor=agent_a2, visit_id=visit.pk, upload=upload)
    url = reverse("fieldops:photo_add", kwargs={"visit_id": visit.pk})
    assert sign_in(Client(), agent_a2).post(url, {"photo": upload}).status_code == 404
    missing = reverse("fieldops:photo_add", kwargs={"visit_id": 10**9})
    assert sign_in(Client(), agent_a1).post(missing, {}).status_code == 404
    assert Document.objects.filter(owner_kind=photos.OWNER_KIND).count() == 0
