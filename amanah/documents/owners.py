"""Owner kinds: the models a document may belong to, registered by their apps.

An owner app calls ``documents.contract.register_owner("cases.Case", label=…, url=…)`` in its
own contract (documents never imports it). A document's scope is its owner's: the rows the
actor sees are those whose owner is in ``Owner.objects.visible_to(actor)`` — one ``IN``
subquery per registered kind, so the owner app's declaration decides, never a copy here.

Each kind also says which of its rows are about a customer (``of_customer``): the documents
section of a data subject's access export (``documents.subject``) lists the documents of
every such owner, so a new owner kind's files (a visit's photos, an e-mail's attachments)
are in the export without a special case there.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.apps import apps
from django.db import models
from django.db.models import Case, Exists, OuterRef, Q, When
from django.db.models.functions import Cast
from django.db.models.lookups import Exact
from django.utils.functional import Promise

from amanah.core import registry
from amanah.core.errors import NotFound


@dataclass(frozen=True)
class OwnerKind:
    key: str  # the model's label, "cases.Case"
    label: str | Promise  # Indonesian, lazy: "Kasus"
    url: Callable[[models.Model], str] | None = None  # the owner's own page
    describe: Callable[[models.Model], str] = str  # a short name without PII (e.g. the case no.)
    # fn(actor, owner) -> may the actor read the owner's details (its documents)? The owner
    # app's own rule, e.g. cases.may_see_sensitive; None: scope alone decides.
    may_open: Callable[[object, models.Model], bool] | None = None
    # fn(customer) -> a queryset of the owner rows about that customer (its cases, its work
    # orders, the messages linked to it), unscoped: the UU PDP access export lists their
    # documents. None: no row of this kind is about a customer.
    of_customer: Callable[[models.Model], models.QuerySet] | None = None

    @property
    def model(self) -> type[models.Model]:
        return apps.get_model(self.key)


def register_owner(
    key: str,
    *,
    label: str | Promise,
    url: Callable[[models.Model], str] | None = None,
    describe: Callable[[models.Model], str] = str,
    may_open: Callable[[object, models.Model], bool] | None = None,
    of_customer: Callable[[models.Model], models.QuerySet] | None = None,
) -> OwnerKind:
    """Let documents belong to ``key`` (a model with a declared scope); write-once."""
    kind = OwnerKind(key, label, url, describe, may_open, of_customer)
    registry.document_owners.register(key, kind)
    return kind


def owner_kind(key: str) -> OwnerKind:
    if not isinstance(key, str) or key not in registry.document_owners:
        raise NotFound()
    return registry.document_owners.get(key)


def owner_get(actor, key: str, owner_id) -> models.Model:
    """The owner through its own scope: unknown kind, missing or out of scope → NotFound;
    so is an owner whose details the actor may not read (the kind's ``may_open``)."""
    kind = owner_kind(key)
    try:
        owner = kind.model._default_manager.visible_to(actor).filter(pk=owner_id).first()
    except (ValueError, TypeError, models.ObjectDoesNotExist):
        owner = None
    if owner is None or (kind.may_open is not None and not kind.may_open(actor, owner)):
        raise NotFound()
    return owner


def owner_row(document) -> models.Model | None:
    """The owner row of a document, unscoped (the audit trail's question: which row grant,
    if any, lets the actor see it); None for a kind no longer registered."""
    if document.owner_kind not in registry.document_owners:
        return None
    model = registry.document_owners.get(document.owner_kind).model
    return model._default_manager.filter(pk=document.owner_id).first()


def require_openable(actor, document) -> None:
    """A document found through the scope is still hidden (404) when its owner kind says the
    actor may not read the owner's details (a fraud case's evidence for a role without it)."""
    if owner_kind(document.owner_kind).may_open is not None:
        owner_get(actor, document.owner_kind, document.owner_id)


def visible_documents(queryset: models.QuerySet, actor) -> models.QuerySet:
    """The declared scope of ``Document``: its owner is visible to the actor.

    One correlated ``EXISTS`` per kind, probing the owner's primary key for each document
    row. (``owner_id IN (SELECT pk::text …)`` under an OR cannot become a join: PostgreSQL
    hashed every owner the actor may see — a whole branch, or every customer for an
    all-branch role — for each query, even for one document.) ``owner_id`` is cast to the
    kind's key type only for rows of that kind (the CASE), so another kind's ids never meet
    the cast.
    """
    condition = Q(pk__in=[])
    for key, kind in registry.document_owners.items():
        pk_field = kind.model._meta.pk
        owner_pk = Case(
            When(Exact(OuterRef("owner_kind"), key), then=Cast(OuterRef("owner_id"), pk_field)),
            default=None,
            output_field=pk_field,
        )
        owners = kind.model._default_manager.visible_to(actor).filter(pk=owner_pk)
        condition |= Q(owner_kind=key) & Exists(owners)
    return queryset.filter(condition)
