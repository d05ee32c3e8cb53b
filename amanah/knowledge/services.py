"""Every write of the knowledge base: create an article, save its open draft (a published
article gets a new version), and move a version through the workflow engine. Keyword-only,
actor first; permission and scope, validation, write, audit and event in one transaction.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from amanah.audit import services as audit
from amanah.audit.models import AuditAction
from amanah.cases.contract import case_categories
from amanah.core import events
from amanah.core.actors import user_or_none
from amanah.core.errors import NotFound, ServiceError
from amanah.core.inputs import problem_in_text, required_text
from amanah.iam import authz
from amanah.knowledge.models import (
    EDITABLE_STATUSES,
    OPEN_STATUSES,
    Article,
    ArticleVersion,
    VersionStatus,
)
from amanah.knowledge.policies import KB_WRITE
from amanah.workflow.contract import transition_apply, transition_revert

TITLE_MAX = 200
BODY_MAX = 20_000
NOTE_MAX = 1_000
ARTICLE_CREATED = "knowledge.article_created"
VERSION_SAVED = "knowledge.version_saved"


@dataclass(frozen=True)
class ArticleInput:
    title: str
    body: str
    is_public: bool = False
    categories: tuple[str, ...] = ()


def made_by(version: ArticleVersion, actor) -> bool:
    """True when ``actor`` wrote, last edited or submitted ``version`` (four eyes)."""
    user_id = getattr(user_or_none(actor), "pk", None)
    if user_id is None:
        return False
    return user_id in (version.created_by_id, version.edited_by_id, version.submitted_by_id)


# Spaces a title may hold that isprintable() calls unprintable: a tab, the no-break space of
# text pasted from a word processor, the other Unicode space separators. They become a space.
# (The other control characters are refused before, as control characters.)
_LINE_BREAKS = re.compile("[\n\r\u2028\u2029]")
_SPACES = re.compile("[^\\S\n\r\u2028\u2029]")


def _title(raw) -> str:
    """One line of visible text. A no-break (or other Unicode) space is a space; a line
    break and an invisible character (zero-width, text-direction overrides) are each refused
    with their own message — not one message about line breaks for everything
    ``isprintable()`` dislikes."""
    title = _SPACES.sub(" ", required_text(raw, field="title", label=_("Judul"), maximum=TITLE_MAX))
    if _LINE_BREAKS.search(title):
        raise ServiceError(
            "title_multiline", _("Judul harus satu baris (tanpa baris baru)."), field="title"
        )
    if not title.isprintable():
        raise ServiceError(
            "title_invisible_characters",
            _(
                "Judul memuat karakter tak terlihat (mis. spasi lebar-nol atau pengatur arah"
                " teks); hapus karakter itu."
            ),
            field="title",
        )
    return title


def _clean(data: ArticleInput) -> dict:
    title = _title(data.title)
    body = required_text(data.body, field="body", label=_("Isi artikel"), maximum=BODY_MAX)
    codes = list(dict.fromkeys(c for c in data.categories if isinstance(c, str)))
    if len(codes) != len(data.categories) or set(codes) - set(case_categories()):
        raise ServiceError(
            "category_unknown", _("Kategori pengaduan tidak dikenal."), field="categories"
        )
    return {"title": title, "body": body, "is_public": bool(data.is_public), "categories": codes}


def _audit_version(actor, version: ArticleVersion, action: AuditAction, **meta) -> None:
    audit.record(
        actor=actor,
        action=action,
        obj=version.article,
        meta={
            "version": str(version.pk),
            "number": version.number,
            "title_length": len(version.title),
            "body_length": len(version.body),
            "public": version.is_public,
            "categories": version.categories,
            **meta,
        },
    )


@transaction.atomic
def article_create(*, actor, data: ArticleInput) -> Article:
    """A new article with its first version, a DRAFT of the actor's."""
    authz.require(actor, KB_WRITE)
    values = _clean(data)
    user = user_or_none(actor)
    article = Article.objects.create(created_by=user)
    version = ArticleVersion.objects.create(
        article=article, number=1, created_by=user, edited_by=user, **values
    )
    _audit_version(actor, version, AuditAction.CREATE_ARTICLE)
    events.emit(ARTICLE_CREATED, actor=actor, article=article, version=version)
    return article


def _lock_article(actor, article_id) -> Article:
    """The article, row-locked, through the actor's scope (missing or out of scope → 404).
    Holding it serialises the opening of a new version. Every write of a version takes it
    first, then the version: one lock order."""
    try:
        row = (
            Article.objects.visible_to(actor)
            .select_for_update(of=("self",))
            .filter(pk=article_id)
            .first()
        )
    except (ValueError, TypeError):
        row = None
    if row is None:
        raise NotFound()
    return row


@transaction.atomic
def article_edit(*, actor, article: Article, data: ArticleInput) -> ArticleVersion:
    """Save the article's content into its open DRAFT (or RETURNED) version, or — when it has
    none — into a new DRAFT numbered after the last one (published versions stay as they are).
    A version under review takes no edits: withdraw it or have it sent back first."""
    authz.require(actor, KB_WRITE)
    article = _lock_article(actor, article.pk)
    values = _clean(data)
    user = user_or_none(actor)
    open_version = (
        ArticleVersion.objects.visible_to(actor)
        .select_for_update(of=("self",))
        .filter(article=article, status__in=OPEN_STATUSES)
        .first()
    )
    if open_version is None and article.versions.filter(status__in=OPEN_STATUSES).exists():
        raise ServiceError(
            "version_open_elsewhere",
            _("Artikel ini sedang disunting orang lain; tunggu sampai versinya diterbitkan."),
        )
    if open_version is not None and open_version.status not in EDITABLE_STATUSES:
        raise ServiceError(
            "version_in_review",
            _("Versi ini sedang ditinjau; tarik pengajuannya dulu untuk mengubahnya."),
        )
    if open_version is None:
        last = article.versions.order_by("-number").values_list("number", flat=True).first()
        try:
            with transaction.atomic():
                version = ArticleVersion.objects.create(
                    article=article,
                    number=(last or 0) + 1,
                    created_by=user,
                    edited_by=user,
                    **values,
                )
        except IntegrityError:  # the partial unique index: someone opened one meanwhile
            raise ServiceError(
                "version_open_elsewhere",
                _("Artikel ini sedang disunting orang lain; tunggu sampai versinya diterbitkan."),
            ) from None
        action = AuditAction.CREATE_ARTICLE_VERSION
    else:
        version = open_version
        for name, value in values.items():
            setattr(version, name, value)
        version.edited_by, version.updated_at = user, timezone.now()
        version.save(update_fields=[*values, "edited_by", "updated_at"])
        action = AuditAction.UPDATE_ARTICLE
    article.updated_at = timezone.now()
    article.save(update_fields=["updated_at"])
    version.article = article
    _audit_version(actor, version, action)
    events.emit(VERSION_SAVED, actor=actor, article=article, version=version)
    return version


def _version(actor, version_id) -> ArticleVersion:
    try:
        version = ArticleVersion.objects.visible_to(actor).filter(pk=version_id).first()
    except (ValueError, TypeError):
        version = None
    if version is None:
        raise NotFound()
    return version


@transaction.atomic
def version_move(
    *, actor, version: ArticleVersion, to: str, review_note: str = ""
) -> ArticleVersion:
    """Submit, publish or send back a version through the workflow engine (which checks the
    permission and the four-eyes guard, locks the row, writes history, audit and event).

    The article is locked first, as ``article_edit`` does (article, then version): a
    publication updates the article's live version after the engine locked the version, and
    the other order met an edit holding the article — a deadlock."""
    version = _version(actor, version.pk)
    _lock_article(actor, version.article_id)
    data = {}
    if to == VersionStatus.RETURNED:
        note = review_note.strip() if isinstance(review_note, str) else ""
        if len(note) > NOTE_MAX or problem_in_text(note):
            raise ServiceError(
                "review_note_invalid",
                _("Catatan tinjauan maks. %d karakter.") % NOTE_MAX,
                field="review_note",
            )
        data["review_note"] = note
    return transition_apply(actor=actor, obj=version, to=to, **data)


@transaction.atomic
def version_withdraw(*, actor, version: ArticleVersion, reason: str) -> ArticleVersion:
    """The submitter takes a version back from review (a compensating move, with a reason);
    the article locked first, like every write of a version."""
    version = _version(actor, version.pk)
    _lock_article(actor, version.article_id)
    return transition_revert(actor=actor, obj=version, reason=reason)
