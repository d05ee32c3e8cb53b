"""Upload checks, all before anything is stored: size, name, sniffed type against the
extension, executables, and zip bombs in zip-based formats (docx, xlsx).

The type comes from the bytes (``filetype``, pure Python), never from the client's name or
Content-Type header; the extension must say the same thing.
"""

from __future__ import annotations

import hashlib
import io
import zipfile
import zlib
from dataclasses import dataclass

import filetype
from django.conf import settings
from django.utils.translation import gettext as _

from amanah.core.errors import ServiceError

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# extension -> the sniffed MIME type its bytes must have
ALLOWED = {
    "pdf": "application/pdf",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "png": "image/png",
    "docx": DOCX,
    "xlsx": XLSX,
}
ZIP_BASED = {DOCX, XLSX}
EXECUTABLE = {
    "application/x-msdownload",
    "application/x-executable",
    "application/x-elf",
    "application/x-mach-binary",
    "application/x-sharedlib",
    "application/vnd.microsoft.portable-executable",
}
NAME_MAX = 200
CHUNK = 64 * 1024


@dataclass(frozen=True)
class CheckedFile:
    original_name: str
    extension: str
    content_type: str
    data: bytes
    sha256: str


def _refuse(code: str, message: str, field: str) -> ServiceError:
    return ServiceError(code, message, field=field)


def _clean_name(name: str, field: str) -> tuple[str, str]:
    name = (name or "").replace("\\", "/").rsplit("/", 1)[-1].strip()
    if not name or len(name) > NAME_MAX or not name.isprintable():
        raise _refuse("file_name_invalid", _("Nama berkas tidak sah (maks. 200 karakter)."), field)
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if extension not in ALLOWED:
        raise _refuse(
            "file_type_not_allowed",
            _("Jenis berkas tidak diizinkan. Gunakan PDF, JPG, PNG, DOCX atau XLSX."),
            field,
        )
    return name, extension


def _read(upload, field: str) -> bytes:
    limit = settings.DOCUMENTS_MAX_BYTES
    size = getattr(upload, "size", None)
    if size is not None and size > limit:
        raise _refuse("file_too_large", _("Berkas maks. %d MB.") % (limit // 2**20), field)
    data = upload.read(limit + 1)
    if len(data) > limit:  # the declared size is the client's word; the bytes are not
        raise _refuse("file_too_large", _("Berkas maks. %d MB.") % (limit // 2**20), field)
    if not data:
        raise _refuse("file_empty", _("Berkas kosong."), field)
    return data


def _looks_executable(data: bytes, sniffed: str | None) -> bool:
    magic = data[:2] == b"MZ" or data[:4] in (b"\x7fELF", b"\xcf\xfa\xed\xfe")
    return sniffed in EXECUTABLE or magic


def _check_zip(data: bytes, field: str) -> None:
    """Bound the real uncompressed size and ratio by decompressing (headers can lie)."""
    limit = settings.DOCUMENTS_MAX_UNCOMPRESSED_BYTES
    ratio = settings.DOCUMENTS_MAX_ZIP_RATIO
    bomb = _refuse(
        "file_zip_bomb",
        _("Berkas terkompresi terlalu besar saat dibuka (dugaan zip bomb); ditolak."),
        field,
    )
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
            if len(members) > 5000:
                raise bomb
            total = 0
            for member in members:
                with archive.open(member) as stream:
                    while chunk := stream.read(CHUNK):
                        total += len(chunk)
                        if total > limit or total > ratio * max(len(data), 1):
                            raise bomb
    # zlib.error: a broken deflate stream; RuntimeError: an encrypted member (a password is
    # asked for); ValueError: a damaged header. All are a corrupt file, never a 500.
    except (
        zipfile.BadZipFile,
        zipfile.LargeZipFile,
        NotImplementedError,
        OSError,
        EOFError,
        zlib.error,
        RuntimeError,
        ValueError,
    ):
        raise _refuse("file_corrupt", _("Berkas rusak dan tidak dapat dibuka."), field) from None


def check_upload(upload, *, field: str = "file") -> CheckedFile:
    """Refuse a bad upload with a clear message; returns the bytes and what they are."""
    name, extension = _clean_name(getattr(upload, "name", ""), field)
    data = _read(upload, field)
    kind = filetype.guess(data)
    sniffed = kind.mime if kind else None
    if _looks_executable(data, sniffed):
        raise _refuse("file_executable", _("Berkas program (executable) tidak diizinkan."), field)
    if sniffed != ALLOWED[extension]:
        raise _refuse(
            "file_type_mismatch",
            _("Isi berkas tidak sesuai dengan ekstensinya (.%(ext)s).") % {"ext": extension},
            field,
        )
    if sniffed in ZIP_BASED:
        _check_zip(data, field)
    return CheckedFile(name, extension, sniffed, data, hashlib.sha256(data).hexdigest())
