"""Photos of a visit (issue 19): the agent who recorded a visit result adds photos of the
door, the meter, the empty house. Each is kept as a document of the work order (owner kind
``fieldops.WorkOrder``) through documents — encrypted at rest, versioned, audited
UPLOAD_DOCUMENT — titled with the visit's number, so the work order's page shows them.

Before anything is stored: the file must be a JPEG or PNG (documents' upload check sniffs the
bytes against the extension), at most ``FIELDOPS_PHOTO_MAX_BYTES``, and at most
``MAX_PIXELS`` (a decompression bomb is refused before it is decoded). The picture is then
decoded and written again by Pillow without its metadata — EXIF (with the phone's GPS
position, its serial number, the time), XMP, comments — after turning it upright from the
EXIF orientation. The position of a visit is the device's geolocation captured with the
result (``visits.visit_record``), never a photo's metadata.
"""

from __future__ import annotations

import io

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from amanah.core.errors import ServiceError
from amanah.documents.contract import DocumentInput, check_upload, document_create
from amanah.documents.models import Document
from amanah.fieldops.models import VisitResult
from amanah.fieldops.policies import WO_WORK
from amanah.fieldops.selectors import own_visit_get
from amanah.iam import authz

OWNER_KIND = "fieldops.WorkOrder"
DOC_TYPE = "GENERAL"
IMAGE_TYPES = {"image/jpeg": ("JPEG", "jpg"), "image/png": ("PNG", "png")}
MAX_PIXELS = 40_000_000  # a 40-megapixel phone camera; more is not a photo of a door
PHOTOS_PER_WORK_ORDER = 20
ACCEPT = "image/jpeg,image/png,.jpg,.jpeg,.png"  # the file input's hint; the bytes decide


def max_bytes() -> int:
    return settings.FIELDOPS_PHOTO_MAX_BYTES


def _refuse(code: str, message: str) -> ServiceError:
    return ServiceError(code, message, field="photo")


def strip_metadata(data: bytes, content_type: str) -> bytes:
    """The picture again, upright, without EXIF/XMP/comments (a new file from the pixels)."""
    pil_format, _ext = IMAGE_TYPES[content_type]
    try:
        with Image.open(io.BytesIO(data)) as image:
            width, height = image.size
            if width * height > MAX_PIXELS:
                raise _refuse("photo_too_large", _("Ukuran gambar (piksel) terlalu besar."))
            image.load()
            upright = ImageOps.exif_transpose(image)
            mode = "RGB" if pil_format == "JPEG" or "A" not in upright.getbands() else "RGBA"
            pixels = upright.convert(mode)
            # a new image from the pixels alone: nothing of the file's metadata comes along
            clean = Image.frombytes(mode, pixels.size, pixels.tobytes())
            out = io.BytesIO()
            if pil_format == "JPEG":
                clean.save(out, "JPEG", quality=88, optimize=True)
            else:
                clean.save(out, "PNG", optimize=True)
            return out.getvalue()
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
        raise _refuse("photo_corrupt", _("Gambar rusak dan tidak dapat dibuka.")) from None


def visit_photo_add(*, actor, visit_id, upload):
    """Add a photo to the actor's own visit result; refused (nothing stored) when the file is
    not a JPEG/PNG, too big, or damaged. NotFound for a visit that is not the actor's."""
    authz.require(actor, WO_WORK)
    visit = own_visit_get(actor=actor, visit_id=visit_id)
    if upload is None:
        raise _refuse("photo_missing", _("Pilih foto untuk diunggah."))
    if upload.size is None or upload.size > max_bytes():
        raise _refuse(
            "photo_too_big",
            _("Foto lebih besar dari %(mb)s MB.") % {"mb": f"{max_bytes() / 1_048_576:.0f}"},
        )
    checked = check_upload(upload, field="photo")
    if checked.content_type not in IMAGE_TYPES:
        raise _refuse("photo_type", _("Hanya foto JPG atau PNG yang dapat diunggah."))
    clean = strip_metadata(checked.data, checked.content_type)
    _format, extension = IMAGE_TYPES[checked.content_type]
    number = f"VOC-{visit.pk:07d}"
    stripped = check_upload(
        SimpleUploadedFile(f"{number}.{extension}", clean, content_type=checked.content_type),
        field="photo",
    )
    with transaction.atomic():
        # the visit's row lock orders concurrent uploads, so the cap holds
        VisitResult.objects.select_for_update(of=("self",)).filter(pk=visit.pk).first()
        if photo_count(visit.work_order_id) >= PHOTOS_PER_WORK_ORDER:
            raise _refuse(
                "photo_limit",
                _("Paling banyak %(n)d foto per work order.") % {"n": PHOTOS_PER_WORK_ORDER},
            )
        # the title is a code, the same in every language: "Foto VOC-0000123"
        return document_create(
            actor=actor,
            data=DocumentInput(
                owner_kind=OWNER_KIND,
                owner_id=str(visit.work_order_id),
                title=f"Foto {number}",
                doc_type=DOC_TYPE,
            ),
            checked=stripped,
        )


def photo_count(work_order_id) -> int:
    return Document.objects.filter(owner_kind=OWNER_KIND, owner_id=str(work_order_id)).count()
