"""An edit and a publication of one article at the same moment: no deadlock.

``article_edit`` locks the article, then its open version; the publication (the workflow
engine) locks the version, then updates the article (its live version). Each thread is held
at a barrier right after its first lock — the edit holding the article, the publication
holding the version — so without one lock order both go on to wait for each other and
PostgreSQL answers "deadlock detected". With the article locked first on both paths, the
second simply waits (the barrier gives up after a moment).

The work commits (threads on connections of their own, ``consent.testing.committed``) and is
removed afterwards.
"""

from __future__ import annotations

import contextlib
import threading

from amanah.consent.testing import committed  # noqa: F401 (fixture)
from amanah.core.testing import run_in_threads
from amanah.knowledge import contract, services
from amanah.knowledge.models import Article, ArticleVersion
from amanah.knowledge.testing import write
from amanah.workflow.models import TransitionHistory


def test_an_edit_and_a_publication_at_once_do_not_deadlock(committed, monkeypatch):  # noqa: F811
    editor = publisher = committed.system  # no person: four eyes does not apply

    def in_review():
        article = write(editor, title="Lupa PIN kartu ATM")
        version = article.versions.get()
        services.version_move(actor=editor, version=version, to="REVIEW")
        return article, version

    article, version = committed.run(in_review)

    def remove():
        ids = list(ArticleVersion.objects.filter(article=article).values_list("pk", flat=True))
        TransitionHistory.objects.filter(object_id__in=[str(pk) for pk in ids]).delete()
        Article.objects.filter(pk=article.pk).update(live_version=None)
        ArticleVersion.objects.filter(article=article).delete()
        Article.objects.filter(pk=article.pk).delete()

    committed.on_cleanup(remove)
    first_locks = threading.Barrier(2)
    role = threading.local()

    def hold():
        with contextlib.suppress(threading.BrokenBarrierError):
            first_locks.wait(timeout=3)

    real_lock_article, real_made_by = services._lock_article, contract.made_by

    def lock_article_then_hold(*args, **kwargs):
        row = real_lock_article(*args, **kwargs)
        if role.name == "edit":
            hold()  # holding the article
        return row

    def made_by_then_hold(*args, **kwargs):
        if role.name == "publish":
            hold()  # the engine holds the version (the guard runs after its lock)
        return real_made_by(*args, **kwargs)

    monkeypatch.setattr(services, "_lock_article", lock_article_then_hold)
    monkeypatch.setattr(contract, "made_by", made_by_then_hold)

    def work(n: int) -> None:
        if n == 0:
            role.name = "edit"
            data = services.ArticleInput(title="Lupa PIN", body="Datang ke cabang dengan KTP.")
            services.article_edit(actor=editor, article=article, data=data)
        else:
            role.name = "publish"
            services.version_move(actor=publisher, version=version, to="PUBLISHED")

    errors = run_in_threads(work, 2, timeout=30)
    # The edit either met the version under review (refused) or came after the publication
    # (a new draft); never a database error.
    assert [getattr(e, "code", repr(e)) for e in errors] in ([], ["version_in_review"])
    assert committed.run(lambda: Article.objects.get(pk=article.pk).live_version_id) == version.pk
