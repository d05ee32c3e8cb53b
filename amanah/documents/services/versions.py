"""New documents and new versions: each upload an immutable version (checked before anything
is stored, sealed, verified when a PDF), audited UPLOAD_DOCUMENT; and reading a version back
(audited DOWNLOAD_DOCUMENT with the version)."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from amanah.audit import services as audit
from amanah.audit.models import AuditAction
from amanah.core import events
from amanah.core.actors import user_or_none
from amanah.core.errors import ServiceError
from amanah.core.inputs import problem_in_text
from amanah.documents import checks
from amanah.documents.doctypes import DocumentStatus, retention_end, type_of
from amanah.documents.models import Document, DocumentVersion
from amanah.documents.owners import owner_get
from amanah.documents.policies import DOCUMENT_UPLOAD
from amanah.documents.services.base import (
    REASON_MAX,
    REASON_MIN,
    VERSION_STORED,
    DocumentInput,
    audit_upload,
    clean_title,
    doc_type_code,
    lock_document,
    new_content,
    next_number,
    open_version,
    require_live,
    retention_code,
    store_version,
    version_for,
)
from amanah.documents.services.generated import require_not_generated
from amanah.iam import authz

check_upload = checks.check_upload  # for an owner's own form (checked before it writes)


@transaction.atomic
def document_create(
    *, actor, data: DocumentInput, upload=None, checked: checks.CheckedFile | None = None
) -> Document:
    """A new document of an owner the actor may see, with its first version (DRAFT).

    ``upload`` is checked here; an owner app that must refuse a bad file before it writes
    anything of its own (case intake) checks it first with :func:`check_upload` and passes
    the result as ``checked``.
    """
    authz.require(actor, DOCUMENT_UPLOAD)
    owner = owner_get(actor, data.owner_kind, data.owner_id)
    title = clean_title(data.title)
    doc_type = doc_type_code(data.doc_type)
    retention = retention_code(data.retention, doc_type)
    if checked is None:
        checked = checks.check_upload(upload)
    user = user_or_none(actor)
    at = timezone.now()
    document = Document.objects.create(
        owner_kind=data.owner_kind,
        owner_id=str(owner.pk),
        title=title,
        doc_type=doc_type,
        retention=retention,
        created_by=user,
        created_at=at,
        updated_at=at,
        retain_until=retention_end(retention, at),
    )
    version = store_version(actor=actor, document=document, checked=checked, number=1)
    events.emit(VERSION_STORED, actor=actor, document=document, version=version)
    audit_upload(actor, document, version, doc_type=doc_type)
    return document


@transaction.atomic
def document_import(
    *,
    actor,
    data: DocumentInput,
    checked: checks.CheckedFile,
    uploaded_by=None,
    uploaded_at=None,
    source: dict,
) -> Document:
    """A file from an earlier store (the old case attachments) as a new document whose first
    version keeps its original uploader and time. Audited UPLOAD_DOCUMENT with ``source``
    (where it came from, ids only). No event: nothing new happened to the owner."""
    authz.require(actor, DOCUMENT_UPLOAD)
    owner = owner_get(actor, data.owner_kind, data.owner_id)
    doc_type = doc_type_code(data.doc_type)
    retention = retention_code(data.retention, doc_type)
    at = uploaded_at or timezone.now()
    document = Document.objects.create(
        owner_kind=data.owner_kind,
        owner_id=str(owner.pk),
        title=clean_title(data.title),
        doc_type=doc_type,
        retention=retention,
        created_by=uploaded_by,
        created_at=at,
        updated_at=at,
        retain_until=retention_end(retention, at),
    )
    version = store_version(
        actor=actor,
        document=document,
        checked=checked,
        number=1,
        uploaded_by=uploaded_by,
        uploaded_at=at,
    )
    audit_upload(actor, document, version, doc_type=doc_type, **source)
    return document


@transaction.atomic
def version_add(*, actor, document: Document, upload) -> DocumentVersion:
    """A new immutable version; the earlier ones stay. Only a DRAFT takes new content."""
    authz.require(actor, DOCUMENT_UPLOAD)
    document = lock_document(actor, document.pk)
    require_live(document)
    require_not_generated(document)
    if document.status != DocumentStatus.DRAFT:
        raise ServiceError(
            "document_not_draft",
            _("Versi baru hanya untuk dokumen berstatus Draf; batalkan keputusan dulu."),
            field="file",
        )
    checked = checks.check_upload(upload)
    version = store_version(
        actor=actor, document=document, checked=checked, number=next_number(document)
    )
    new_content(document, version)
    events.emit(VERSION_STORED, actor=actor, document=document, version=version)
    audit_upload(actor, document, version)
    return version


def clean_open_reason(reason: str) -> str:
    reason = (reason or "").strip()
    # A textarea: line breaks are ordinary text; control characters are not.
    if not (REASON_MIN <= len(reason) <= REASON_MAX) or problem_in_text(reason):
        raise ServiceError(
            "reason_required",
            _("Dokumen sensitif: tulis alasan membuka (10–500 karakter)."),
            field="reason",
        )
    return reason


@transaction.atomic
def version_download(*, actor, version_id, reason: str = "") -> tuple[DocumentVersion, bytes]:
    """The plaintext of a version, audited DOWNLOAD_DOCUMENT with the version (and the length
    of the reason a sensitive type requires). Tampered bytes → a clear refusal, nothing sent."""
    version = version_for(actor, version_id)
    document = version.document
    meta = {"version": str(version.pk), "number": version.number, "doc_type": document.doc_type}
    if type_of(document.doc_type).sensitive:
        meta["reason_length"] = len(clean_open_reason(reason))
    data = open_version(version)
    audit.record(actor=actor, action=AuditAction.DOWNLOAD_DOCUMENT, obj=document, meta=meta)
    return version, data
