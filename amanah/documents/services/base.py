"""What the document services share: input checks, storing a version (file first, then its
row), the audit line of an upload, locking a document through its owner's scope, opening a
version's bytes. Not for callers outside ``documents.services``."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from amanah.audit import services as audit
from amanah.audit.models import AuditAction
from amanah.core.actors import user_or_none
from amanah.core.errors import NotFound, ServiceError
from amanah.documents import checks, signing, storage
from amanah.documents.doctypes import TYPES, Retention, retention_end, type_of
from amanah.documents.models import Document, DocumentVersion, SignatureStatus
from amanah.documents.owners import require_openable
from amanah.documents.policies import DOCUMENT_VIEW
from amanah.iam import authz

logger = logging.getLogger("amanah.documents.services")
# Emitted whenever a version is stored (a new document, a new version, a signature):
# fn(*, actor, document, version), in the upload's transaction (declared in the contract).
VERSION_STORED = "documents.version_stored"
TITLE_MAX = 200
REASON_MIN, REASON_MAX = 10, 500
CUSTOMER_KIND = "customers.Customer"


@dataclass(frozen=True)
class DocumentInput:
    owner_kind: str
    owner_id: str
    title: str
    doc_type: str
    retention: str = ""


def clean_title(title) -> str:
    title = title.strip() if isinstance(title, str) else ""
    if not title or len(title) > TITLE_MAX or not title.isprintable():
        raise ServiceError(
            "title_invalid", _("Judul wajib diisi, maks. 200 karakter."), field="title"
        )
    return title


def doc_type_code(code: str) -> str:
    if not isinstance(code, str) or code not in TYPES:
        raise ServiceError("doc_type_unknown", _("Jenis dokumen tidak dikenal."), field="doc_type")
    return code


def retention_code(code: str, doc_type: str) -> str:
    if not code:
        return str(type_of(doc_type).retention)
    if code not in Retention.values:
        raise ServiceError(
            "retention_unknown", _("Kelas retensi tidak dikenal."), field="retention"
        )
    return code


def next_number(document: Document) -> int:
    last = document.versions.order_by("-number").values_list("number", flat=True).first()
    return (last or 0) + 1


def _verify(checked: checks.CheckedFile) -> signing.Verification:
    if checked.content_type != "application/pdf":
        return signing.Verification(SignatureStatus.NONE, {})
    return signing.verify_pdf(checked.data)


def store_version(
    *,
    actor,
    document: Document,
    checked: checks.CheckedFile,
    number: int,
    uploaded_by=None,
    uploaded_at=None,
):
    """Seal the bytes, then the row; the file goes again if the row cannot be written.

    ``uploaded_by``/``uploaded_at`` default to the actor and now (an import keeps the
    original upload's)."""
    version_id = uuid.uuid4()
    verification = _verify(checked)
    sealed = storage.seal(checked.data, str(version_id))
    try:
        with transaction.atomic():
            DocumentVersion.objects.filter(document=document, is_current=True).update(
                is_current=False
            )
            version = DocumentVersion.objects.create(
                id=version_id,
                document=document,
                number=number,
                is_current=True,
                original_name=checked.original_name,
                extension=checked.extension,
                content_type=checked.content_type,
                size=len(checked.data),
                sha256=checked.sha256,
                stored_name=sealed.stored_name,
                key_id=sealed.key_id,
                wrapped_key=sealed.wrapped_key,
                signature_status=str(verification.status),
                signature_detail=verification.detail,
                signature_checked_at=timezone.now(),
                uploaded_by=uploaded_by if uploaded_by is not None else user_or_none(actor),
                uploaded_at=uploaded_at or timezone.now(),
            )
    except Exception:
        storage.discard(sealed.stored_name)
        raise
    return version


def audit_upload(actor, document, version, action=AuditAction.UPLOAD_DOCUMENT, **meta):
    audit.record(
        actor=actor,
        action=action,
        obj=document,
        meta={
            "owner_kind": document.owner_kind,
            "owner_id": document.owner_id,
            "version": str(version.pk),
            "number": version.number,
            "size": version.size,
            "content_type": version.content_type,
            "signature": version.signature_status,
            **meta,
        },
    )


def lock_document(actor, document_id) -> Document:
    """The document, row-locked, through the owner's scope; missing or out of scope → 404."""
    try:
        row = (
            Document.objects.visible_to(actor)
            .select_for_update(of=("self",))
            .filter(pk=document_id)
            .first()
        )
    except (ValueError, TypeError):
        row = None
    if row is None:
        raise NotFound()
    require_openable(actor, row)
    return row


def require_live(document: Document) -> None:
    if document.purged_at is not None:
        raise ServiceError(
            "document_purged",
            _("Dokumen ini sudah dimusnahkan sesuai masa retensinya; tidak dapat diubah."),
        )


def live(actor, document: Document) -> Document:
    """The row locked through the scope, refused once purged (the engine locks it again)."""
    document = lock_document(actor, document.pk)
    require_live(document)
    return document


def new_content(document: Document, version: DocumentVersion) -> None:
    """A new version restarts the retention period (the class's years after it)."""
    document.updated_at = version.uploaded_at
    document.retain_until = retention_end(document.retention, version.uploaded_at)
    document.save(update_fields=["updated_at", "retain_until"])


def open_version(version: DocumentVersion) -> bytes:
    """The plaintext of a stored version; a shredded key or a file that fails authenticated
    decryption or its sha256 is a clear refusal (nothing is returned)."""
    if version.shredded_at is not None:
        raise ServiceError(
            "document_purged",
            _(
                "Dokumen ini sudah dimusnahkan sesuai masa retensinya; kuncinya dihancurkan "
                "dan isinya tidak dapat dibuka lagi."
            ),
        )
    try:
        return storage.open_sealed(
            stored_name=version.stored_name,
            key_id=version.key_id,
            wrapped_key=bytes(version.wrapped_key),
            version_id=str(version.pk),
            sha256=version.sha256,
        )
    except storage.Tampered as failed:  # which check failed: no name, no content
        logger.error("document version %s refused: %s", version.pk, failed)
        raise ServiceError(
            "document_tampered",
            _(
                "Berkas tersimpan tidak utuh (gagal verifikasi enkripsi/hash); unduhan ditolak. "
                "Hubungi admin."
            ),
        ) from None


def version_for(actor, version_id) -> DocumentVersion:
    authz.require(actor, DOCUMENT_VIEW)
    try:
        version = (
            DocumentVersion.objects.visible_to(actor)
            .select_related("document")
            .filter(pk=version_id)
            .first()
        )
    except (ValueError, TypeError):
        version = None
    if version is None:
        raise NotFound()
    require_openable(actor, version.document)
    return version
