"""Every write of documents: create, add a version, approve (through the workflow engine),
sign, verify, download (audited), rotate master keys. Keyword-only, actor first; permission
and scope, validation, write, audit in one transaction. Files are written before the rows and
removed again if the transaction fails inside the service (an orphan sealed file without its
wrapped key reveals nothing).
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from amanah.audit import services as audit
from amanah.audit.models import AuditAction
from amanah.core import events
from amanah.core.errors import NotFound, ServiceError
from amanah.core.inputs import problem_in_text
from amanah.documents import checks, signing, storage
from amanah.documents.doctypes import TYPES, DocumentStatus, Retention, retention_end, type_of
from amanah.documents.models import Document, DocumentVersion, SignatureStatus
from amanah.documents.owners import owner_get, require_openable
from amanah.documents.policies import (
    DOCUMENT_LEGAL_HOLD,
    DOCUMENT_SIGN,
    DOCUMENT_UPLOAD,
    DOCUMENT_VIEW,
)
from amanah.documents.selectors import made_by
from amanah.iam import authz
from amanah.workflow.contract import transition_apply, transition_revert

logger = logging.getLogger(__name__)
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


def _clean_title(title) -> str:
    title = title.strip() if isinstance(title, str) else ""
    if not title or len(title) > TITLE_MAX or not title.isprintable():
        raise ServiceError(
            "title_invalid", _("Judul wajib diisi, maks. 200 karakter."), field="title"
        )
    return title


def _doc_type(code: str) -> str:
    if not isinstance(code, str) or code not in TYPES:
        raise ServiceError("doc_type_unknown", _("Jenis dokumen tidak dikenal."), field="doc_type")
    return code


def _retention(code: str, doc_type: str) -> str:
    if not code:
        return str(type_of(doc_type).retention)
    if code not in Retention.values:
        raise ServiceError(
            "retention_unknown", _("Kelas retensi tidak dikenal."), field="retention"
        )
    return code


def _user(actor):
    """The staff member behind ``actor``, or None for system and integration actors."""
    return actor if hasattr(actor, "username") and getattr(actor, "pk", None) else None


def _next_number(document: Document) -> int:
    last = document.versions.order_by("-number").values_list("number", flat=True).first()
    return (last or 0) + 1


def _verify(checked: checks.CheckedFile) -> signing.Verification:
    if checked.content_type != "application/pdf":
        return signing.Verification(SignatureStatus.NONE, {})
    return signing.verify_pdf(checked.data)


def _store_version(
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
                uploaded_by=uploaded_by if uploaded_by is not None else _user(actor),
                uploaded_at=uploaded_at or timezone.now(),
            )
    except Exception:
        storage.discard(sealed.stored_name)
        raise
    return version


def _audit_upload(actor, document, version, action=AuditAction.UPLOAD_DOCUMENT, **meta):
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
    title = _clean_title(data.title)
    doc_type = _doc_type(data.doc_type)
    retention = _retention(data.retention, doc_type)
    if checked is None:
        checked = checks.check_upload(upload)
    user = _user(actor)
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
    version = _store_version(actor=actor, document=document, checked=checked, number=1)
    events.emit(VERSION_STORED, actor=actor, document=document, version=version)
    _audit_upload(actor, document, version, doc_type=doc_type)
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
    doc_type = _doc_type(data.doc_type)
    retention = _retention(data.retention, doc_type)
    at = uploaded_at or timezone.now()
    document = Document.objects.create(
        owner_kind=data.owner_kind,
        owner_id=str(owner.pk),
        title=_clean_title(data.title),
        doc_type=doc_type,
        retention=retention,
        created_by=uploaded_by,
        created_at=at,
        updated_at=at,
        retain_until=retention_end(retention, at),
    )
    version = _store_version(
        actor=actor,
        document=document,
        checked=checked,
        number=1,
        uploaded_by=uploaded_by,
        uploaded_at=at,
    )
    _audit_upload(actor, document, version, doc_type=doc_type, **source)
    return document


def _lock_document(actor, document_id) -> Document:
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


def _require_live(document: Document) -> None:
    if document.purged_at is not None:
        raise ServiceError(
            "document_purged",
            _("Dokumen ini sudah dimusnahkan sesuai masa retensinya; tidak dapat diubah."),
        )


def _new_content(document: Document, version: DocumentVersion) -> None:
    """A new version restarts the retention period (the class's years after it)."""
    document.updated_at = version.uploaded_at
    document.retain_until = retention_end(document.retention, version.uploaded_at)
    document.save(update_fields=["updated_at", "retain_until"])


@transaction.atomic
def version_add(*, actor, document: Document, upload) -> DocumentVersion:
    """A new immutable version; the earlier ones stay. Only a DRAFT takes new content."""
    authz.require(actor, DOCUMENT_UPLOAD)
    document = _lock_document(actor, document.pk)
    _require_live(document)
    if document.status != DocumentStatus.DRAFT:
        raise ServiceError(
            "document_not_draft",
            _("Versi baru hanya untuk dokumen berstatus Draf; batalkan keputusan dulu."),
            field="file",
        )
    checked = checks.check_upload(upload)
    version = _store_version(
        actor=actor, document=document, checked=checked, number=_next_number(document)
    )
    _new_content(document, version)
    events.emit(VERSION_STORED, actor=actor, document=document, version=version)
    _audit_upload(actor, document, version)
    return version


# --------------------------------------------------------------------------- approval


def _live(actor, document: Document) -> Document:
    """The row locked through the scope, refused once purged (the engine locks it again)."""
    document = _lock_document(actor, document.pk)
    _require_live(document)
    return document


@transaction.atomic
def document_submit(*, actor, document: Document) -> Document:
    document = _live(actor, document)
    return transition_apply(actor=actor, obj=document, to=DocumentStatus.SUBMITTED)


def _check_approver(actor, document: Document) -> None:
    """Clear messages before the engine's guard says the same in one line."""
    if made_by(document, actor):
        raise ServiceError(
            "four_eyes",
            _(
                "Empat mata: pengaju atau pengunggah versi ini tidak boleh menyetujui atau "
                "menolaknya sendiri."
            ),
        )
    if not authz.has_perm(actor, type_of(document.doc_type).approve_permission):
        raise ServiceError(
            "approver_not_allowed",
            _("Peran Anda tidak berwenang memutuskan jenis dokumen ini."),
        )


@transaction.atomic
def document_decide(*, actor, document: Document, approve: bool, reason: str = "") -> Document:
    """Approve or reject a SUBMITTED document (four eyes; per-type approver permission)."""
    document = _live(actor, document)
    _check_approver(actor, document)
    to = DocumentStatus.APPROVED if approve else DocumentStatus.REJECTED
    if approve:
        return transition_apply(actor=actor, obj=document, to=to)
    reason = (reason or "").strip()
    if "\x00" in reason or len(reason) > REASON_MAX:
        raise ServiceError("reason_invalid", _("Alasan maks. 500 karakter."), field="reason")
    return transition_apply(actor=actor, obj=document, to=to, decision_reason=reason)


@transaction.atomic
def document_rework(*, actor, document: Document) -> Document:
    document = _live(actor, document)
    return transition_apply(actor=actor, obj=document, to=DocumentStatus.DRAFT)


@transaction.atomic
def document_revert(*, actor, document: Document, reason: str) -> Document:
    document = _live(actor, document)
    return transition_revert(actor=actor, obj=document, reason=reason)


# --------------------------------------------------------------------------- reading


def _open(version: DocumentVersion) -> bytes:
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
    except storage.Tampered:
        logger.error("document integrity check failed on download")
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
    data = _open(version)
    audit.record(actor=actor, action=AuditAction.DOWNLOAD_DOCUMENT, obj=document, meta=meta)
    return version, data


# --------------------------------------------------------------------------- signatures


@transaction.atomic
def document_sign(*, actor, document: Document) -> DocumentVersion:
    """Sign the current PDF version with the organisation's certificate: a new version."""
    authz.require(actor, DOCUMENT_SIGN)
    document = _live(actor, document)
    if document.status != DocumentStatus.DRAFT:
        raise ServiceError(
            "document_not_draft", _("Hanya dokumen berstatus Draf yang dapat ditandatangani.")
        )
    current = document.versions.filter(is_current=True).first()
    if current is None or current.content_type != "application/pdf":
        raise ServiceError("not_pdf", _("Hanya berkas PDF yang dapat ditandatangani."))
    if not signing.configured():
        raise ServiceError(
            "signing_unavailable",
            _("Sertifikat penandatanganan organisasi belum dikonfigurasi oleh admin."),
        )
    data = _open(current)
    try:
        signed = signing.sign_pdf(data, reason=str(_("Disetujui oleh organisasi")))
    except Exception:  # noqa: BLE001 (pyHanko refuses some PDFs: say so, change nothing)
        logger.warning("document signing failed")
        raise ServiceError("signing_failed", _("PDF ini tidak dapat ditandatangani.")) from None
    checked = checks.CheckedFile(
        current.original_name,
        current.extension,
        "application/pdf",
        signed,
        hashlib.sha256(signed).hexdigest(),
    )
    version = _store_version(
        actor=actor, document=document, checked=checked, number=_next_number(document)
    )
    _new_content(document, version)
    events.emit(VERSION_STORED, actor=actor, document=document, version=version)
    _audit_upload(
        actor, document, version, action=AuditAction.SIGN_DOCUMENT, signed_from=current.number
    )
    return version


@transaction.atomic
def version_verify(*, actor, version_id) -> DocumentVersion:
    """Check the signatures of a stored PDF again (trust settings may have changed)."""
    version = version_for(actor, version_id)
    version = DocumentVersion.objects.select_for_update(of=("self",)).get(pk=version.pk)
    if version.content_type != "application/pdf":
        raise ServiceError("not_pdf", _("Hanya berkas PDF yang memiliki tanda tangan digital."))
    verification = signing.verify_pdf(_open(version))
    version.signature_status = str(verification.status)
    version.signature_detail = verification.detail
    version.signature_checked_at = timezone.now()
    version.save(update_fields=["signature_status", "signature_detail", "signature_checked_at"])
    audit.record(
        actor=actor,
        action=AuditAction.VERIFY_DOCUMENT_SIGNATURE,
        obj=version.document,
        meta={"version": str(version.pk), "signature": version.signature_status},
    )
    return version


# --------------------------------------------------------------------------- legal hold


@transaction.atomic
def document_legal_hold(*, actor, document: Document, hold: bool, reason: str) -> Document:
    """Hold a document back from the retention purge (a dispute, an investigation, a
    regulator's request) or release it, with a reason (10–500 characters; its length is
    audited, the text stays on the document while it is held). A released document whose
    period has passed goes with the retention job's next run."""
    authz.require(actor, DOCUMENT_LEGAL_HOLD)
    document = _live(actor, document)
    reason = (reason or "").strip()
    if not (REASON_MIN <= len(reason) <= REASON_MAX) or problem_in_text(reason):
        raise ServiceError(
            "reason_required", _("Tulis alasannya (10–500 karakter)."), field="reason"
        )
    if document.legal_hold == bool(hold):
        raise ServiceError(
            "legal_hold_unchanged",
            _("Dokumen ini sudah ditahan.") if hold else _("Dokumen ini tidak sedang ditahan."),
        )
    at = timezone.now()
    document.legal_hold = bool(hold)
    document.legal_hold_reason = reason if hold else ""
    document.legal_hold_by = _user(actor) if hold else None
    document.legal_hold_at = at if hold else None
    document.updated_at = at
    document.save(
        update_fields=[
            "legal_hold",
            "legal_hold_reason",
            "legal_hold_by",
            "legal_hold_at",
            "updated_at",
        ]
    )
    audit.record(
        actor=actor,
        action=AuditAction.LEGAL_HOLD_DOCUMENT if hold else AuditAction.RELEASE_LEGAL_HOLD_DOCUMENT,
        obj=document,
        meta={
            "reason_length": len(reason),
            "retain_until": document.retain_until.isoformat() if document.retain_until else None,
        },
    )
    return document


# --------------------------------------------------------------------------- customer merge


def move_customer_documents(absorbed, survivor) -> int:
    """Merge mover: a customer's documents (identity papers, consent forms) follow the person
    to the surviving record; the merge's own audit row counts them."""
    return Document.objects.filter(owner_kind=CUSTOMER_KIND, owner_id=str(absorbed.pk)).update(
        owner_id=str(survivor.pk), updated_at=timezone.now()
    )


# --------------------------------------------------------------------------- key rotation


def keys_rotate(*, actor, batch: int = 500) -> int:
    """Re-wrap every data key not under the active master key; files are not touched.

    Batched, each batch its own transaction with its rows locked (SKIP LOCKED: a second run
    at the same time takes other rows). Returns the number re-wrapped; audited per batch.
    """
    active = storage.active_key_id()
    total = 0
    while True:
        with transaction.atomic():
            rows = list(
                DocumentVersion.objects.exclude(key_id=active)
                .filter(shredded_at__isnull=True)  # a purged version has no key left
                .select_for_update(of=("self",), skip_locked=True)
                .order_by("pk")[:batch]
            )
            if not rows:
                return total
            for row in rows:
                data_key = storage.unwrap(bytes(row.wrapped_key), row.key_id, str(row.pk))
                row.wrapped_key = storage.wrap(data_key, active, str(row.pk))
                row.key_id = active
            DocumentVersion.objects.bulk_update(rows, ["wrapped_key", "key_id"])
            audit.record(
                actor=actor,
                action=AuditAction.ROTATE_DOCUMENT_KEYS,
                object_type="DOCUMENT_KEYS",
                object_id=active,
                meta={"rewrapped": len(rows)},
            )
            total += len(rows)
