"""What the knowledge base offers the rest of the house.

The version workflow ``knowledge.version`` (DRAFT → REVIEW → PUBLISHED or RETURNED, four
eyes) and its
event ``knowledge.version.transitioned``; ``knowledge.article_created`` and
``knowledge.version_saved`` from the services. On the case page, the articles for the case's
category (a panel registered with cases, which sits below). In the menu: the knowledge base.
Ask: ``articles_for_category(actor, code)``, ``article_search(actor=, query=)``.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy, gettext_noop

from amanah.cases.contract import CasePanel, register_case_panel
from amanah.core import events, registry
from amanah.core.actors import user_or_none
from amanah.core.contributions import NavItem
from amanah.knowledge.models import Article, VersionStatus
from amanah.knowledge.policies import KB_PUBLISH, KB_VIEW, KB_WRITE
from amanah.knowledge.selectors import article_search, articles_for_category
from amanah.knowledge.services import ARTICLE_CREATED, VERSION_SAVED, made_by
from amanah.workflow.contract import TransitionSpec, WorkflowSpec, declare_workflow, register_guard

__all__ = ["article_search", "articles_for_category"]

S = VersionStatus
WORKFLOW_KEY = "knowledge.version"


def _another_pair_of_eyes(version, data) -> bool:
    """Nobody who wrote, last edited or submitted the version decides on it."""
    return not made_by(version, data.get("actor"))


FOUR_EYES = register_guard(
    "knowledge.version.four_eyes",
    _another_pair_of_eyes,
    message=gettext_lazy(
        "Keputusan butuh pihak kedua: penulis, penyunting terakhir atau pengaju versi ini "
        "tidak boleh menerbitkan atau mengembalikannya."
    ),
)


def _on_apply(version, *, transition, data, at):
    """Who submitted / published, and the article's live version on publication (the version
    it replaces stays PUBLISHED as history). Only one version is open, so publications of one
    article cannot overtake each other."""
    actor = data.get("actor")
    user = user_or_none(actor)
    version.updated_at = at
    fields = ["updated_at"]
    if transition.to_status == S.REVIEW and not transition.is_revert:
        version.submitted_by = user
        version.review_note = ""
        fields += ["submitted_by", "review_note"]
    if transition.to_status == S.PUBLISHED:
        version.published_by, version.published_at = user, at
        fields += ["published_by", "published_at"]
        Article.objects.filter(pk=version.article_id).update(live_version=version, updated_at=at)
        data["audit"]["number"] = version.number
    if transition.to_status == S.RETURNED:
        # sent back: the reviewer's note (a required model field) is saved by the engine
        version.submitted_by = None
        fields.append("submitted_by")
    return fields


declare_workflow(
    WorkflowSpec(
        key=WORKFLOW_KEY,
        model="knowledge.ArticleVersion",
        status_field="status",
        label=gettext_noop("Penerbitan artikel pengetahuan"),
        on_apply=_on_apply,
        transitions=(
            TransitionSpec(S.DRAFT, S.REVIEW, KB_WRITE, gettext_noop("Ajukan tinjauan")),
            TransitionSpec(
                S.REVIEW, S.PUBLISHED, KB_PUBLISH, gettext_noop("Terbitkan"), guard=FOUR_EYES
            ),
            TransitionSpec(
                S.REVIEW,
                S.RETURNED,
                KB_PUBLISH,
                gettext_noop("Kembalikan ke penulis"),
                guard=FOUR_EYES,
                required=("review_note",),
            ),
            TransitionSpec(S.RETURNED, S.REVIEW, KB_WRITE, gettext_noop("Ajukan lagi")),
            TransitionSpec(
                S.REVIEW, S.DRAFT, KB_WRITE, gettext_noop("Tarik pengajuan"), is_revert=True
            ),
        ),
    )
)

events.declare(ARTICLE_CREATED)
events.declare(VERSION_SAVED)


def _suggestions(case, *, actor) -> dict:
    return {"articles": articles_for_category(actor, case.category_id), "case": case}


register_case_panel(
    "knowledge.suggestions",
    CasePanel(KB_VIEW, "knowledge/_case_panel.html", _suggestions),
)

registry.navigation.register(
    "knowledge.list",
    NavItem(gettext_lazy("Pengetahuan"), "knowledge:list", KB_VIEW, "main"),
    order=60,
)
