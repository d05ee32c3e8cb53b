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

from amanah.core.errors import NotFound
from amanah.iam import authz
from amanah.knowledge.models import OPEN_STATUSES, Article, ArticleVersion, VersionStatus
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
    rows = _live(actor).filter(categories__contains=[category_code])
    return list(rows.order_by("-published_at", "title")[:limit])


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


def faq_articles() -> list[ArticleVersion]:
    """The public FAQ: the live version of every article whose live version is public.

    Unscoped on purpose (no one is signed in): only PUBLISHED, live, ``is_public`` versions,
    and the page shows only their title and body."""
    rows = ArticleVersion.objects.filter(
        status=VersionStatus.PUBLISHED, live_of__isnull=False, is_public=True
    )
    return list(rows.only("id", "title", "body", "categories").order_by("title"))
