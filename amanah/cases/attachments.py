"""Case attachments: the content decides the type, the server decides the name.

A file is accepted only when its bytes are one of the allowed types *and* its extension says
the same thing (a ``.pdf`` that is really an executable is refused). Files live outside the
web root (``AMANAH_VAR_DIR/attachments``) and are served only by a permission-checked view.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from pathlib import Path

import filetype
from django.conf import settings
from django.utils.translation import gettext as _

from amanah.cases.models import CaseAttachment
from amanah.core.errors import ServiceError

MAX_BYTES = 5 * 1024 * 1024
# sniffed MIME type -> extensions a customer's file of that type may carry
ALLOWED = {
    "application/pdf": {"pdf"},
    "image/jpeg": {"jpg", "jpeg"},
    "image/png": {"png"},
}


def storage_root() -> Path:
    return Path(settings.VAR_DIR) / "attachments"


def _path(stored_name: str) -> Path:
    return storage_root() / stored_name[:2] / stored_name


@dataclass(frozen=True)
class CheckedFile:
    """An upload whose size, sniffed type and extension passed: safe to store."""

    original_name: str
    data: bytes
    mime: str
    extension: str


def check(upload, *, field: str = "file") -> CheckedFile:
    """Refuse an empty, oversized or disguised file — before anything is written anywhere.

    ``field`` names the form field the refusal belongs to.
    """
    size = getattr(upload, "size", 0) or 0
    if size == 0:
        raise ServiceError("file_empty", _("Berkas kosong."), field=field)
    if size > MAX_BYTES:
        raise ServiceError("file_too_large", _("Berkas maks. 5 MB."), field=field)
    data = upload.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:  # the declared size is the client's word; the bytes are not
        raise ServiceError("file_too_large", _("Berkas maks. 5 MB."), field=field)
    kind = filetype.guess(data[:8192])
    extension = Path(upload.name or "").suffix.lower().lstrip(".")
    if kind is None or kind.mime not in ALLOWED:
        raise ServiceError("file_type", _("Hanya PDF, JPG atau PNG yang diterima."), field=field)
    if extension not in ALLOWED[kind.mime]:
        raise ServiceError(
            "file_extension_mismatch",
            _("Isi berkas tidak sesuai dengan ekstensinya."),
            field=field,
        )
    return CheckedFile(Path(upload.name).name[:200], data, kind.mime, kind.extension)


def store(*, case, checked: CheckedFile, uploaded_by) -> CaseAttachment:
    """Write a checked file and its row (inside the caller's transaction)."""
    stored_name = f"{uuid.uuid4().hex}.{checked.extension}"
    path = _path(stored_name)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(checked.data)
    # Written before the row: if the transaction then fails, an unreferenced file stays
    # behind (harmless, never served); the reverse could leave a row without its file.
    return CaseAttachment.objects.create(
        case=case,
        original_name=checked.original_name,
        stored_name=stored_name,
        content_type=checked.mime,
        size=len(checked.data),
        sha256=hashlib.sha256(checked.data).hexdigest(),
        uploaded_by=uploaded_by if getattr(uploaded_by, "pk", None) else None,
    )


def open_stored(attachment: CaseAttachment):
    return _path(attachment.stored_name).open("rb")
