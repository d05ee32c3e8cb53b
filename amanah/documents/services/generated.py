"""Documents the system makes itself (the case receipt, the PDAM's approved RAB, the DSAR
export): made, signed when a certificate is configured, and kept as a document of their owner —
once per key.

``document_generate`` is idempotent by ``key`` (``Document.generated_key``, UNIQUE): the first
call makes the PDF, signs it (``signing.sign_generated``), stores it as version 1 like an upload
(encrypted, its signature verified, so the document page shows signer, time, integrity and
whether it changed after signing), emits ``documents.version_stored`` and audits ISSUE_DOCUMENT;
every later call — a retried job, a second download, a message sent again — finds that
document and makes nothing. Two callers at once: the second one's INSERT waits on the first
one's uncommitted row and, once that commits, fails on the UNIQUE key; it then returns the
first one's document (had the first rolled back, the second one's INSERT goes through).

What was issued is what is kept: a generated document takes no new version and no later
signature (``require_not_generated``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from amanah.audit.models import AuditAction
from amanah.core import events
from amanah.core.errors import ServiceError
from amanah.documents import checks, signing
from amanah.documents.doctypes import retention_end
from amanah.documents.models import Document, DocumentVersion
from amanah.documents.owners import owner_get
from amanah.documents.policies import DOCUMENT_UPLOAD
from amanah.documents.services.base import (
    VERSION_STORED,
    DocumentInput,
    audit_upload,
    clean_title,
    doc_type_code,
    open_version,
    retention_code,
    store_version,
)
from amanah.iam import authz

KEY_MAX = 120


@dataclass(frozen=True)
class Generated:
    """The generated document of a key and its one version; ``created``: made by this call."""

    document: Document
    version: DocumentVersion
    created: bool


def require_not_generated(document: Document) -> None:
    if document.is_generated:
        raise ServiceError(
            "document_generated",
            _(
                "Dokumen ini diterbitkan oleh sistem dan disimpan apa adanya; tidak menerima "
                "versi baru atau tanda tangan susulan."
            ),
            field="file",
        )


def _clean_key(key) -> str:
    if not isinstance(key, str) or not key or len(key) > KEY_MAX or not key.isprintable():
        raise ValueError(f"a generated document's key is 1–{KEY_MAX} printable characters")
    return key


def _found(key: str, data: DocumentInput, owner) -> Generated | None:
    document = Document.objects.filter(generated_key=key).first()
    if document is None:
        return None
    if (document.owner_kind, document.owner_id) != (data.owner_kind, str(owner.pk)):
        raise ValueError("a generated document's key names another owner's document")
    return Generated(document, document.versions.get(number=1), created=False)


@transaction.atomic
def document_generate(
    *,
    actor,
    data: DocumentInput,
    key: str,
    filename: str,
    make: Callable[[], bytes],
    reason: str,
    location: str = "",
) -> Generated:
    """The generated PDF of ``key`` as a document of the owner in ``data``: made by ``make()``
    (unsigned PDF bytes), signed and stored the first time, found every time after."""
    key = _clean_key(key)
    authz.require(actor, DOCUMENT_UPLOAD)
    owner = owner_get(actor, data.owner_kind, data.owner_id)
    title = clean_title(data.title)
    doc_type = doc_type_code(data.doc_type)
    retention = retention_code(data.retention, doc_type)
    found = _found(key, data, owner)
    if found is not None:
        return found
    at = timezone.now()
    try:
        with transaction.atomic():  # a savepoint: a concurrent issuer's committed row wins
            document = Document.objects.create(
                owner_kind=data.owner_kind,
                owner_id=str(owner.pk),
                title=title,
                doc_type=doc_type,
                retention=retention,
                created_at=at,
                updated_at=at,
                retain_until=retention_end(retention, at),
                generated_key=key,
            )
    except IntegrityError:
        found = _found(key, data, owner)
        if found is None:
            raise
        return found
    pdf = signing.sign_generated(make(), reason=reason, location=location)
    if not pdf.startswith(b"%PDF"):
        raise ValueError("a generated document is a PDF")
    checked = checks.CheckedFile(
        filename, "pdf", "application/pdf", pdf, hashlib.sha256(pdf).hexdigest()
    )
    version = store_version(actor=actor, document=document, checked=checked, number=1)
    events.emit(VERSION_STORED, actor=actor, document=document, version=version)
    audit_upload(
        actor,
        document,
        version,
        action=AuditAction.ISSUE_DOCUMENT,
        doc_type=doc_type,
        generated=key.split(":", 1)[0],  # the kind ("cases.receipt"), the owner is above
    )
    return Generated(document, version, created=True)


def generated_find(key: str) -> Generated | None:
    """The generated document of ``key`` if it was made, without making it: for the system's
    own reads where nothing may be written (the dispatcher builds a message's attachments in
    its sending transaction)."""
    document = Document.objects.filter(generated_key=_clean_key(key)).first()
    if document is None:
        return None
    return Generated(document, document.versions.get(number=1), created=False)


def generated_issued(keys) -> set[str]:
    """Which of ``keys`` were issued already (a purged one's tombstone counts): one query for
    a batch, so a back-fill asks for the rest only."""
    keys = [_clean_key(key) for key in keys]
    return set(
        Document.objects.filter(generated_key__in=keys).values_list("generated_key", flat=True)
    )


def generated_content(generated: Generated) -> bytes:
    """The stored bytes of a generated document (for the system's own use: the copy messaging
    attaches to the customer's message, which the outbox records). A person's download goes
    through ``version_download`` and is audited. A changed file or a purged one: ServiceError
    (``document_tampered`` / ``document_purged``), never other bytes."""
    return open_version(generated.version)


def document_content(document: Document) -> bytes:
    """The newest version's bytes of a document, for the system's own use where the owner app
    has already decided who may have them (the WhatsApp media library's signed link, fetched
    by the provider). Same refusals as ``generated_content``."""
    return open_version(document.versions.order_by("-number").first())
