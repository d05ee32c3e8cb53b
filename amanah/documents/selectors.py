"""Reads of documents, always through the owner's scope."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Prefetch
from django.urls import reverse

from amanah.core.errors import NotFound
from amanah.core.prepared import prepared
from amanah.documents.models import Document, DocumentVersion
from amanah.documents.owners import owner_get, owner_kind, require_openable
from amanah.documents.policies import DOCUMENT_UPLOAD, DOCUMENT_VIEW
from amanah.iam import authz


def documents_of(actor, owner_kind: str, owner) -> list[Document]:
    """The owner's documents with their versions (newest first), for the panel."""
    authz.require(actor, DOCUMENT_VIEW)
    return _owned(actor, owner_kind=owner_kind, owner_id=str(owner.pk))


@prepared(Document, params=("owner_id",))
def _owned(actor, *, owner_kind: str, owner_id: str):
    versions = DocumentVersion.objects.select_related("uploaded_by").order_by("-number")
    return (
        Document.objects.visible_to(actor)
        .filter(owner_kind=owner_kind, owner_id=owner_id)
        .prefetch_related(Prefetch("versions", queryset=versions))
        .order_by("-created_at")
    )


@dataclass(frozen=True)
class OwnerDocuments:
    """What an owner's own page shows of its documents: the list, and the link to them."""

    url: str  # the owner's documents page (list and upload)
    documents: list[Document]
    may_upload: bool


def owner_documents(actor, kind: str, owner) -> OwnerDocuments | None:
    """For the owner's page (``owner`` already fetched through the actor's scope): its
    documents and the link to their list — or None when the actor may not see them (no
    ``document.view``, or the kind's ``may_open`` says no), so the page shows nothing."""
    if not authz.has_perm(actor, DOCUMENT_VIEW):
        return None
    entry = owner_kind(kind)
    if entry.may_open is not None and not entry.may_open(actor, owner):
        return None
    return OwnerDocuments(
        url=reverse("documents:owner", args=[kind, owner.pk]),
        documents=documents_of(actor, kind, owner),
        may_upload=authz.has_perm(actor, DOCUMENT_UPLOAD),
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
