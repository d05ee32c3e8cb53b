"""Reads of documents, always through the owner's scope."""

from __future__ import annotations

from django.db.models import Prefetch

from amanah.core.errors import NotFound
from amanah.documents.models import Document, DocumentVersion
from amanah.documents.owners import owner_get, require_openable
from amanah.documents.policies import DOCUMENT_VIEW
from amanah.iam import authz


def documents_of(actor, owner_kind: str, owner) -> list[Document]:
    """The owner's documents with their versions (newest first), for the panel."""
    authz.require(actor, DOCUMENT_VIEW)
    versions = DocumentVersion.objects.select_related("uploaded_by").order_by("-number")
    return list(
        Document.objects.visible_to(actor)
        .filter(owner_kind=owner_kind, owner_id=str(owner.pk))
        .prefetch_related(Prefetch("versions", queryset=versions))
        .order_by("-created_at")
    )


def owner_for(actor, owner_kind: str, owner_id):
    authz.require(actor, DOCUMENT_VIEW)
    return owner_get(actor, owner_kind, owner_id)


def document_get(actor, document_id) -> Document:
    authz.require(actor, DOCUMENT_VIEW)
    try:
        document = (
            Document.objects.visible_to(actor)
            .select_related("submitted_by", "created_by")
            .filter(pk=document_id)
            .first()
        )
    except (ValueError, TypeError):
        document = None
    if document is None:
        raise NotFound()
    require_openable(actor, document)
    return document


def versions_of(document: Document) -> list[DocumentVersion]:
    """The versions of a document already fetched through the actor's scope."""
    return list(document.versions.select_related("uploaded_by").order_by("-number"))


def made_by(document: Document, actor) -> bool:
    """Four eyes: ``actor`` is a maker of what would be decided — the one who submitted it, or
    the one whose upload (or signature) is the current version. A maker never decides."""
    actor_id = getattr(actor, "pk", None) if hasattr(actor, "username") else None
    if actor_id is None:
        return False
    if document.submitted_by_id == actor_id:
        return True
    return document.versions.filter(is_current=True, uploaded_by_id=actor_id).exists()
