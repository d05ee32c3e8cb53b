"""The media library of WhatsApp templates (seed 001 §6E): what a template's header shows.

``media_upload`` (message_template.manage: MARKETING, ADMIN) takes a JPEG/PNG (an IMAGE
header, at most ``IMAGE_MAX_BYTES`` = 5 MB, the Cloud API's limit for images) or a PDF (a
DOCUMENT header, at most ``DOCUMENTS_MAX_BYTES``). The bytes are checked by documents'
upload check (sniffed type against the extension, executables refused) and kept as a
document of the new ``MediaAsset`` (encrypted at rest, retained like any upload), written by
``STORE``, an integration actor holding only the document upload and the library's view: a
marketer needs no right on other owners' documents. Audited ``UPLOAD_TEMPLATE_MEDIA`` with
the acting person; event ``messaging.media_uploaded``.

``media_withdraw`` takes an asset out of the designer's choices — refused while a draft,
pending or approved version's header names it (its messages would lose their picture).

A header names the asset by id; when a message is rendered the id becomes ``public_url``: a
signed link under ``AMANAH_PUBLIC_URL`` that the provider fetches (``views_media.media_file``,
public like the tracking links: the signature is the permission, and what it opens is an
advertisement sent to customers anyway). The path ends with the file name, so a PDF reads as
a document (``providers.whatsapp._media``).
"""

from __future__ import annotations

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from amanah.audit import services as audit
from amanah.audit.models import AuditAction
from amanah.core import events
from amanah.core.actors import declare_actor, user_or_none
from amanah.core.errors import NotFound, ServiceError
from amanah.documents.contract import DocumentInput, check_upload, document_create
from amanah.documents.policies import DOCUMENT_UPLOAD
from amanah.iam import authz
from amanah.messaging.models import MediaAsset, MediaKind, TemplateVersion, VersionStatus
from amanah.messaging.policies import TEMPLATE_MANAGE, TEMPLATE_VIEW

OWNER_KIND = "messaging.MediaAsset"
MEDIA_UPLOADED = "messaging.media_uploaded"
IMAGE_MAX_BYTES = 5 * 1024 * 1024
KINDS = {
    "image/jpeg": MediaKind.IMAGE,
    "image/png": MediaKind.IMAGE,
    "application/pdf": MediaKind.DOCUMENT,
}
ACCEPT = "image/jpeg,image/png,application/pdf,.jpg,.jpeg,.png,.pdf"  # a hint; the bytes decide
SALT = "messaging.media"
STORE = declare_actor("messaging-media", permissions=(DOCUMENT_UPLOAD, TEMPLATE_VIEW))


def max_bytes(kind: str) -> int:
    return IMAGE_MAX_BYTES if kind == MediaKind.IMAGE else settings.DOCUMENTS_MAX_BYTES


def _refuse(code: str, message: str, field: str = "file") -> ServiceError:
    return ServiceError(code, message, field=field)


def _clean_name(name: str) -> str:
    name = " ".join((name or "").split())
    if not 3 <= len(name) <= 120:
        raise _refuse("name_invalid", _("Nama media 3–120 karakter."), field="name")
    return name


def _kind_of(upload) -> tuple[str, object]:
    """The asset kind of a checked upload, refused when WhatsApp could not show it."""
    if upload is None:
        raise _refuse("file_missing", _("Pilih berkas gambar (JPG/PNG) atau PDF."))
    checked = check_upload(upload, field="file")
    kind = KINDS.get(checked.content_type)
    if kind is None:
        raise _refuse(
            "media_type", _("Media templat WhatsApp hanya gambar JPG/PNG atau dokumen PDF.")
        )
    if len(checked.data) > max_bytes(kind):
        raise _refuse(
            "media_too_large",
            _("%(kind)s maks. %(mb)d MB.")
            % {"kind": MediaKind(kind).label, "mb": max_bytes(kind) // 2**20},
        )
    return kind, checked


@transaction.atomic
def media_upload(*, actor, name: str, upload) -> MediaAsset:
    """A new asset of the library with its file stored as a document (see the docstring)."""
    authz.require(actor, TEMPLATE_MANAGE)
    name = _clean_name(name)
    kind, checked = _kind_of(upload)
    asset = MediaAsset.objects.create(
        name=name,
        kind=kind,
        content_type=checked.content_type,
        extension="jpg" if checked.extension == "jpeg" else checked.extension,
        size=len(checked.data),
        created_by=user_or_none(actor),
    )
    asset.document = document_create(
        actor=STORE,
        data=DocumentInput(
            owner_kind=OWNER_KIND, owner_id=str(asset.pk), title=name, doc_type="GENERAL"
        ),
        checked=checked,
    )
    asset.save(update_fields=["document"])
    events.emit(MEDIA_UPLOADED, actor=actor, asset=asset)
    audit.record(
        actor=actor,
        action=AuditAction.UPLOAD_TEMPLATE_MEDIA,
        obj=asset,
        meta={"kind": kind, "content_type": checked.content_type, "size": asset.size},
    )
    return asset


def in_use(asset: MediaAsset) -> bool:
    """Does a draft, pending or approved version's header name the asset?"""
    return TemplateVersion.objects.filter(
        status__in=(VersionStatus.DRAFT, VersionStatus.PENDING_APPROVAL, VersionStatus.APPROVED),
        blocks__contains=[{"type": "HEADER", "media": str(asset.pk)}],
    ).exists()


@transaction.atomic
def media_withdraw(*, actor, asset_id) -> MediaAsset:
    authz.require(actor, TEMPLATE_MANAGE)
    asset = (
        MediaAsset.objects.visible_to(actor)
        .select_for_update()
        .filter(pk=asset_id, withdrawn_at__isnull=True)
        .first()
    )
    if asset is None:
        raise NotFound()
    if in_use(asset):
        raise ServiceError(
            "media_in_use",
            _("Media ini dipakai templat yang masih berlaku; ganti kepalanya dulu."),
        )
    asset.withdrawn_at = timezone.now()
    asset.save(update_fields=["withdrawn_at"])
    audit.record(actor=actor, action=AuditAction.WITHDRAW_TEMPLATE_MEDIA, obj=asset, meta={})
    return asset


def offered(actor, kind: str | None = None):
    """The assets the designer offers the actor (not withdrawn), newest first."""
    rows = MediaAsset.objects.visible_to(actor).filter(
        withdrawn_at__isnull=True, document__isnull=False
    )
    return rows.filter(kind=kind) if kind else rows


def file_name(asset: MediaAsset) -> str:
    return f"{slugify(asset.name)[:60] or 'media'}.{asset.extension}"


def path(asset_id: str, filename: str) -> str:
    """The signed path of an asset's file (relative: for our own pages)."""
    token = signing.dumps(str(asset_id), salt=SALT)
    return reverse("messaging:media_file", args=[token, filename])


def public_url(asset_id: str, filename: str) -> str:
    """The link the provider fetches for a header."""
    return settings.PUBLIC_URL + path(asset_id, filename)


def asset_of_token(token: str) -> MediaAsset | None:
    try:
        asset_id = signing.loads(token, salt=SALT)
    except signing.BadSignature:
        return None
    return (  # the id was signed by us: always a well-formed one
        MediaAsset.objects.select_related("document")
        .filter(pk=asset_id, withdrawn_at__isnull=True, document__isnull=False)
        .first()
    )
