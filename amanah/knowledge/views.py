"""Knowledge-base pages: thin views over the services and selectors; the public FAQ."""

from __future__ import annotations

import re

from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from amanah.cases.contract import case_categories
from amanah.core.errors import NotFound
from amanah.core.permissions import PUBLIC
from amanah.core.view_helpers import Done, run_action, submit_form
from amanah.core.views import requires
from amanah.iam import authz
from amanah.knowledge import selectors, services
from amanah.knowledge.forms import ArticleForm, MoveForm, WithdrawForm
from amanah.knowledge.models import EDITABLE_STATUSES, OPEN_STATUSES
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


def _shown(versions, number: str | None):
    """The version ``?v=`` names; None without one. A value that is not a plain number of at
    most six ASCII digits (``²`` passes ``isdigit()`` and fails ``int()``; 5,000 digits exceed
    ``int()``'s limit) or names no version is a 404, like a missing article."""
    if number is None or number == "":
        return None
    if not re.fullmatch(r"[0-9]{1,6}", number):
        raise NotFound()
    version = next((v for v in versions if v.number == int(number)), None)
    if version is None:
        raise NotFound()
    return version


@requires(KB_VIEW)
def article_detail(request, article_id):
    actor = request.user
    article = selectors.article_get(actor, article_id)
    versions = selectors.article_versions(actor, article)
    open_version = next((v for v in versions if v.status in OPEN_STATUSES), None)
    live = next((v for v in versions if v.pk == article.live_version_id), None)
    shown = _shown(versions, request.GET.get("v")) or live or open_version or versions[0]
    names = case_categories()
    context = {
        "article": article,
        "shown": shown,
        "shown_categories": [names.get(c, c) for c in shown.categories],
        "live": live,
        "versions": versions,
        "open_version": open_version,
        "moves": available_transitions(actor, open_version) if open_version else [],
        "revert": available_revert(actor, open_version) if open_version else None,
        "can_write": authz.has_perm(actor, KB_WRITE),
        "editable": open_version is not None and open_version.status in EDITABLE_STATUSES,
    }
    return render(request, "knowledge/detail.html", context)


@requires(KB_WRITE)
def article_edit(request, article_id):
    article = selectors.article_get(request.user, article_id)
    versions = selectors.article_versions(request.user, article)
    source = next((v for v in versions if v.status in OPEN_STATUSES), None) or next(
        (v for v in versions if v.pk == article.live_version_id), versions[0]
    )
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

    context = {"article": article, "source": source}
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
    names = case_categories()
    groups: dict[str, list] = {}
    for version in selectors.faq_articles():
        for code in version.categories or [""]:
            groups.setdefault(names.get(code, "") if code else "", []).append(version)
    ordered = sorted(groups.items(), key=lambda kv: (kv[0] == "", kv[0]))
    return render(request, "knowledge/faq.html", {"groups": ordered})
