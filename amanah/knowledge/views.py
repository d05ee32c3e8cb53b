"""Knowledge-base pages: thin views over the services and selectors; the public FAQ."""

from __future__ import annotations

from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from amanah.core.permissions import PUBLIC
from amanah.core.view_helpers import Done, run_action, submit_form
from amanah.core.views import requires
from amanah.iam import authz
from amanah.knowledge import selectors, services
from amanah.knowledge.forms import ArticleForm, MoveForm, WithdrawForm
from amanah.knowledge.models import VersionStatus
from amanah.knowledge.policies import KB_VIEW, KB_WRITE
from amanah.workflow.contract import available_revert, available_transitions


@requires(KB_VIEW)
def article_list(request):
    query = request.GET.get("q", "")
    actor = request.user
    context = {
        "query": query,
        "hits": selectors.article_search(actor=actor, query=query) if query.strip() else None,
        "articles": selectors.article_list(actor),
        "open_versions": selectors.open_versions(actor),
        "can_write": authz.has_perm(actor, KB_WRITE),
    }
    return render(request, "knowledge/list.html", context)


def _input(data: dict) -> services.ArticleInput:
    return services.ArticleInput(
        title=data["title"],
        body=data["body"],
        is_public=data["is_public"],
        categories=tuple(data["categories"]),
    )


@requires(KB_WRITE)
def article_create(request):
    form = ArticleForm(request.POST or None)

    def submit(data):
        article = services.article_create(actor=request.user, data=_input(data))
        return Done(reverse("knowledge:detail", args=[article.pk]), _("Draf artikel disimpan."))

    return submit_form(request, form, submit, template="knowledge/edit.html", context={})


@requires(KB_VIEW)
def article_detail(request, article_id):
    actor = request.user
    page = selectors.article_page(actor, article_id, number=request.GET.get("v"))
    open_version = page.open_version
    context = {
        "article": page.article,
        "shown": page.shown,
        "shown_categories": page.shown_categories,
        "live": page.live,
        "versions": page.versions,
        "open_version": open_version,
        "moves": available_transitions(actor, open_version) if open_version else [],
        "revert": available_revert(actor, open_version) if open_version else None,
        "can_write": authz.has_perm(actor, KB_WRITE),
        "editable": page.editable,
    }
    return render(request, "knowledge/detail.html", context)


@requires(KB_WRITE)
def article_edit(request, article_id):
    article = selectors.article_get(request.user, article_id)
    source = selectors.edit_source(request.user, article)
    initial = {
        "title": source.title,
        "body": source.body,
        "is_public": source.is_public,
        "categories": source.categories,
    }
    form = ArticleForm(request.POST or None, initial=initial)
    back = reverse("knowledge:detail", args=[article.pk])

    def submit(data):
        services.article_edit(actor=request.user, article=article, data=_input(data))
        return Done(back, _("Draf artikel disimpan."))

    # a published source: the save opens a new version, the published one stays live
    context = {"article": article, "source_is_published": source.status == VersionStatus.PUBLISHED}
    return submit_form(request, form, submit, template="knowledge/edit.html", context=context)


def _version_and_back(request, version_id):
    version = selectors.version_get(request.user, version_id)
    return version, reverse("knowledge:detail", args=[version.article_id])


@requires(KB_VIEW)
@require_POST
def version_move(request, version_id):
    version, back = _version_and_back(request, version_id)
    form = MoveForm(request.POST)

    def move():
        data = form.cleaned_data
        services.version_move(
            actor=request.user, version=version, to=data["to"], review_note=data["review_note"]
        )
        return _("Status artikel diperbarui.")

    return run_action(request, move, back=back, form=form)


@requires(KB_VIEW)
@require_POST
def version_withdraw(request, version_id):
    version, back = _version_and_back(request, version_id)
    form = WithdrawForm(request.POST)

    def withdraw():
        services.version_withdraw(
            actor=request.user, version=version, reason=form.cleaned_data["reason"]
        )
        return _("Pengajuan ditarik; versi kembali menjadi draf.")

    return run_action(request, withdraw, back=back, form=form)


@requires(PUBLIC, mfa_exempt=True)
def faq(request):
    """The public FAQ: published public articles, grouped by complaint category; no login."""
    return render(request, "knowledge/faq.html", {"groups": selectors.faq_groups()})
