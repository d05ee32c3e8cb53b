"""Signatures on stored PDFs: sign the current version with the organisation's certificate
(a new version, audited SIGN_DOCUMENT) and verify a version again (audited
VERIFY_DOCUMENT_SIGNATURE). Every PDF is also verified when it is stored (``base``)."""

from __future__ import annotations

import hashlib

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from amanah.audit import services as audit
from amanah.audit.models import AuditAction
from amanah.core import events
from amanah.core.errors import ServiceError
from amanah.documents import checks, signing
from amanah.documents.doctypes import DocumentStatus
from amanah.documents.models import Document, DocumentVersion
from amanah.documents.policies import DOCUMENT_SIGN
from amanah.documents.services.base import (
    VERSION_STORED,
    audit_upload,
    live,
    logger,
    new_content,
    next_number,
    open_version,
    store_version,
    version_for,
)
from amanah.documents.services.generated import require_not_generated
from amanah.iam import authz


@transaction.atomic
def document_sign(*, actor, document: Document) -> DocumentVersion:
    """Sign the current PDF version with the organisation's certificate: a new version."""
    authz.require(actor, DOCUMENT_SIGN)
    document = live(actor, document)
    require_not_generated(document)
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
    data = open_version(current)
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
    version = store_version(
        actor=actor, document=document, checked=checked, number=next_number(document)
    )
    new_content(document, version)
    events.emit(VERSION_STORED, actor=actor, document=document, version=version)
    audit_upload(
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
    verification = signing.verify_pdf(open_version(version))
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
