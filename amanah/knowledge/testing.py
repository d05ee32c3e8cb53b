"""Factories for knowledge tests and the project-wide view permission table
(amanah/core/tests/test_view_permissions). Everything is built through the services."""

from __future__ import annotations

from amanah.core.testing import ViewCase
from amanah.knowledge import services
from amanah.knowledge.models import Article
from amanah.knowledge.policies import KB_VIEW, KB_WRITE


def write(actor, title="Cara membuka rekening tabungan", body=None, **fields) -> Article:
    data = services.ArticleInput(
        title=title,
        body=body or f"{title}: bawa KTP asli ke kantor cabang terdekat.",
        is_public=fields.pop("is_public", False),
        categories=tuple(fields.pop("categories", ())),
    )
    return services.article_create(actor=actor, data=data)


def publish(author, reviewer, article: Article) -> Article:
    """Submit the article's open version as ``author`` and publish it as ``reviewer``."""
    version = article.versions.get(status__in=("DRAFT", "RETURNED"))
    services.version_move(actor=author, version=version, to="REVIEW")
    services.version_move(actor=reviewer, version=version, to="PUBLISHED")
    article.refresh_from_db()
    return article


def _kb(w: dict) -> dict:
    """A published article, and a draft no member of staff wrote (so out of an agent's own
    scope); built on first use, by the system actor, whatever the matrix holds by then."""
    if "kb" not in w:
        system = _system()
        published = publish(system, system, write(system))
        draft = write(system, title="Draf kartu ATM terblokir")
        w["kb"] = {"published": published, "draft": draft, "draft_version": draft.versions.get()}
    return w["kb"]


def _system():
    from amanah.core.actors import SystemActor

    return SystemActor("system:test")


VIEW_CASES = [
    ViewCase("knowledge:list", KB_VIEW),
    ViewCase("knowledge:create", KB_WRITE),
    ViewCase(
        "knowledge:detail",
        KB_VIEW,
        kwargs=lambda w: {"article_id": _kb(w)["published"].pk},
        out_of_scope=lambda w: {"article_id": _kb(w)["draft"].pk},
    ),
    ViewCase(
        "knowledge:edit",
        KB_WRITE,
        kwargs=lambda w: {"article_id": _kb(w)["published"].pk},
        out_of_scope=lambda w: {"article_id": _kb(w)["draft"].pk},
    ),
    ViewCase(
        "knowledge:move",
        KB_VIEW,
        method="post",
        kwargs=lambda w: {"version_id": _kb(w)["published"].live_version_id},
        out_of_scope=lambda w: {"version_id": _kb(w)["draft_version"].pk},
        data=lambda w: {"to": "REVIEW"},
        ok_status=(303,),
    ),
    ViewCase(
        "knowledge:withdraw",
        KB_VIEW,
        method="post",
        kwargs=lambda w: {"version_id": _kb(w)["published"].live_version_id},
        out_of_scope=lambda w: {"version_id": _kb(w)["draft_version"].pk},
        data=lambda w: {"reason": "masih perlu diperbaiki"},
        ok_status=(303,),
    ),
]
