"""Reads of the knowledge base, scoped by the actor; and the public FAQ (deliberately unscoped:
public, published versions only, nothing else).

Search forgives Indonesian typing: each word of the query matches either as a full-text
lexeme (``simple`` configuration: no stemmer, words as typed) or by trigram *word* similarity
against the lower-cased text (``rekning`` / ``rekeneng`` find ``rekening``), both answered by
GIN indexes; rows are ranked by the full-text rank plus the words' similarities. The query is
only ever split into word characters and passed as values, never as tsquery syntax, so no
input can break the statement.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.contrib.postgres.search import SearchQuery, SearchRank, TrigramWordSimilarity
from django.db import connection, transaction
from django.db.models import FloatField, Q, Value

from amanah.cases.contract import case_categories
from amanah.core.errors import NotFound
from amanah.core.prepared import prepared
from amanah.iam import authz
from amanah.knowledge.models import (
    EDITABLE_STATUSES,
    OPEN_STATUSES,
    Article,
    ArticleVersion,
    VersionStatus,
)
from amanah.knowledge.policies import KB_VIEW

QUERY_MAX = 100
TERMS_MAX = 6
TRIGRAM_MIN = 3  # shorter words would resemble everything
# pg_trgm's default word-similarity threshold (0.6) misses one wrong letter in a word of seven
# or eight ("rekning" → "rekening" scores 0.55); 0.5 keeps those and the GIN index still
# answers the operator (the threshold is set for the search's own transaction only).
WORD_SIMILARITY_THRESHOLD = 0.5
RESULT_LIMIT = 20
SUGGESTION_LIMIT = 5


@dataclass(frozen=True)
class SearchHit:
    version: ArticleVersion
    score: float


def _live(actor):
    """The live (current published) version of every article the actor may read."""
    return (
        ArticleVersion.objects.visible_to(actor)
        .filter(status=VersionStatus.PUBLISHED, live_of__isnull=False)
        .select_related("article")
    )


def search_terms(query) -> list[str]:
    """The words of ``query``: lower case, word characters only, at most ``TERMS_MAX``."""
    if not isinstance(query, str):
        return []
    words = re.findall(r"\w+", query[:QUERY_MAX].lower())
    return list(dict.fromkeys(words))[:TERMS_MAX]


def _ranked(rows, terms: list[str]):
    fulltext = None
    matches = Q()
    score = Value(0.0, output_field=FloatField())
    for term in terms:
        query = SearchQuery(term, config="simple", search_type="plain")
        fulltext = query if fulltext is None else fulltext | query
        if len(term) >= TRIGRAM_MIN:
            matches |= Q(search_text__trigram_word_similar=term)
            score = score + TrigramWordSimilarity(term, "search_text")
    matches |= Q(search_vector=fulltext)
    return (
        rows.filter(matches)
        .annotate(score=SearchRank("search_vector", fulltext) + score)
        .order_by("-score", "title")
    )


def article_search(*, actor, query) -> list[SearchHit]:
    """Live articles the actor may read that match ``query``, best first (at most 20)."""
    authz.require(actor, KB_VIEW)
    terms = search_terms(query)
    if not terms:
        return []
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT set_config('pg_trgm.word_similarity_threshold', %s, true)",
            [str(WORD_SIMILARITY_THRESHOLD)],
        )
        rows = list(_ranked(_live(actor), terms)[:RESULT_LIMIT])
    return [SearchHit(v, round(v.score, 3)) for v in rows]


def article_list(actor) -> list[ArticleVersion]:
    """The live version of every article the actor may read, by title."""
    authz.require(actor, KB_VIEW)
    return list(_live(actor).order_by("title"))


def open_versions(actor) -> list[ArticleVersion]:
    """Drafts and versions under review the actor may see (writers: their own; reviewers:
    all), the ones waiting for review first."""
    authz.require(actor, KB_VIEW)
    rows = ArticleVersion.objects.visible_to(actor).filter(status__in=OPEN_STATUSES)
    return list(rows.select_related("created_by").order_by("-status", "-updated_at")[:100])


def articles_for_category(actor, category_code: str, *, limit: int = SUGGESTION_LIMIT):
    """Live articles tagged with the complaint category, newest publication first."""
    if not authz.has_perm(actor, KB_VIEW):
        return []
    return _tagged(actor, category_code=category_code, limit=limit)


@prepared(ArticleVersion, params=())
def _tagged(actor, *, category_code: str, limit: int):
    """Kept compiled per category (a handful, the case categories): every case page asks."""
    rows = _live(actor).filter(categories__contains=[category_code])
    return rows.order_by("-published_at", "title")[:limit]


def article_get(actor, article_id) -> Article:
    """The article if the actor may read any version of it; missing and out of scope → 404."""
    authz.require(actor, KB_VIEW)
    try:
        article = (
            Article.objects.visible_to(actor)
            .select_related("live_version")
            .filter(pk=article_id)
            .first()
        )
    except (ValueError, TypeError):
        article = None
    if article is None:
        raise NotFound()
    return article


def version_get(actor, version_id) -> ArticleVersion:
    """One version the actor may see; missing and out of scope → 404."""
    authz.require(actor, KB_VIEW)
    version = ArticleVersion.objects.visible_to(actor).filter(pk=version_id).first()
    if version is None:
        raise NotFound()
    return version


def article_versions(actor, article: Article) -> list[ArticleVersion]:
    """Every version of the article the actor may see, newest first (the history)."""
    rows = ArticleVersion.objects.visible_to(actor).filter(article=article)
    return list(rows.select_related("created_by", "published_by").order_by("-number"))


@dataclass(frozen=True)
class ArticlePage:
    """What an article's page shows: the version asked for (``?v=``) or the live one (else
    the open one, else the newest), the live and the open version, the history."""

    article: Article
    shown: ArticleVersion
    shown_categories: list[str]
    live: ArticleVersion | None
    open_version: ArticleVersion | None
    versions: list[ArticleVersion]

    @property
    def editable(self) -> bool:
        return self.open_version is not None and self.open_version.status in EDITABLE_STATUSES


_VERSION_NUMBER = re.compile(r"[0-9]{1,6}")


def _asked_for(versions: list[ArticleVersion], number: str | None) -> ArticleVersion | None:
    """The version ``?v=`` names; None without one. A value that is not a plain number of at
    most six ASCII digits (``²`` passes ``isdigit()`` and fails ``int()``; 5,000 digits exceed
    ``int()``'s limit) or names no version is a 404, like a missing article."""
    if number is None or number == "":
        return None
    if not isinstance(number, str) or not _VERSION_NUMBER.fullmatch(number):
        raise NotFound()
    version = next((v for v in versions if v.number == int(number)), None)
    if version is None:
        raise NotFound()
    return version


def article_page(actor, article_id, *, number: str | None = None) -> ArticlePage:
    """The article's page for the actor (404 when missing, out of scope or ``number`` names
    no version the actor may see)."""
    article = article_get(actor, article_id)
    versions = article_versions(actor, article)
    open_version = next((v for v in versions if v.status in OPEN_STATUSES), None)
    live = next((v for v in versions if v.pk == article.live_version_id), None)
    shown = _asked_for(versions, number) or live or open_version or versions[0]
    names = case_categories()
    return ArticlePage(
        article=article,
        shown=shown,
        shown_categories=[names.get(c, c) for c in shown.categories],
        live=live,
        open_version=open_version,
        versions=versions,
    )


def edit_source(actor, article: Article) -> ArticleVersion:
    """The version an edit starts from: the open one, else the live one, else the newest."""
    versions = article_versions(actor, article)
    return next((v for v in versions if v.status in OPEN_STATUSES), None) or next(
        (v for v in versions if v.pk == article.live_version_id), versions[0]
    )


def faq_articles() -> list[ArticleVersion]:
    """The public FAQ: the live version of every article whose live version is public.

    Unscoped on purpose (no one is signed in): only PUBLISHED, live, ``is_public`` versions,
    and the page shows only their title and body."""
    rows = ArticleVersion.objects.filter(
        status=VersionStatus.PUBLISHED, live_of__isnull=False, is_public=True
    )
    return list(rows.only("id", "title", "body", "categories").order_by("title"))


def faq_groups() -> list[tuple[str, list[ArticleVersion]]]:
    """The public FAQ by complaint category: ``[(category name, versions)]`` by name, an
    article in each of its categories, the uncategorised ones last under ``""`` (the page
    calls that group "Umum")."""
    names = case_categories()
    groups: dict[str, list] = {}
    for version in faq_articles():
        for code in version.categories or [""]:
            groups.setdefault(names.get(code, "") if code else "", []).append(version)
    return sorted(groups.items(), key=lambda kv: (kv[0] == "", kv[0]))
