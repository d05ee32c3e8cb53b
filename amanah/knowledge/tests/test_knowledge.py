"""Knowledge base: four eyes, versions, typo-forgiving search, the case-page panel, the public
FAQ, scope (404s) and the English UI. Service-level where possible; a few page renders."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.urls import reverse
from django.utils import translation

from amanah.audit.models import AuditLog
from amanah.conftest import sign_in
from amanah.core import registry
from amanah.core.errors import NotFound, ServiceError
from amanah.core.roles import RoleKey as R
from amanah.knowledge import selectors, services
from amanah.knowledge.models import ArticleVersion
from amanah.knowledge.testing import publish, write
from amanah.workflow.contract import history_for


@pytest.fixture
def writer(make_user, branch_a):
    return make_user(R.AGENT, branches=[branch_a])


@pytest.fixture
def reviewer(make_user, branch_a):
    return make_user(R.SUPERVISOR, branches=[branch_a])


@pytest.fixture
def reader(make_user, branch_a):
    return make_user(R.RM, branches=[branch_a])  # may read, not write


def _edit(actor, article, **fields):
    data = services.ArticleInput(
        title=fields.get("title", "Cara membuka rekening tabungan"),
        body=fields.get("body", "Bawa KTP asli dan setoran awal."),
        is_public=fields.get("is_public", False),
        categories=tuple(fields.get("categories", ())),
    )
    return services.article_edit(actor=actor, article=article, data=data)


def test_four_eyes_the_author_cannot_publish_even_as_a_reviewer(reviewer, make_user, branch_a):
    author = reviewer  # holds knowledge.publish, and still may not decide on their own text
    article = write(author)
    version = article.versions.get()
    services.version_move(actor=author, version=version, to="REVIEW")
    with pytest.raises(ServiceError) as refused:
        services.version_move(actor=author, version=version, to="PUBLISHED")
    assert refused.value.code == "guard_failed"
    version.refresh_from_db()
    assert version.status == "REVIEW"

    other = make_user(R.SUPERVISOR, branches=[branch_a])
    services.version_move(actor=other, version=version, to="PUBLISHED")
    version.refresh_from_db()
    article.refresh_from_db()
    assert (version.status, version.published_by, article.live_version) == (
        "PUBLISHED",
        other,
        version,
    )
    assert [h.to_status for h in history_for(other, version)] == ["PUBLISHED", "REVIEW"]
    assert AuditLog.objects.filter(action="TRANSITION", object_id=str(version.pk)).count() == 2


def test_a_writer_cannot_publish_and_a_return_needs_a_note(writer, reviewer):
    version = write(writer).versions.get()
    services.version_move(actor=writer, version=version, to="REVIEW")
    with pytest.raises(PermissionDenied):
        services.version_move(actor=writer, version=version, to="PUBLISHED")
    with pytest.raises(ServiceError) as refused:
        services.version_move(actor=reviewer, version=version, to="RETURNED", review_note=" ")
    assert refused.value.field == "review_note"
    services.version_move(
        actor=reviewer, version=version, to="RETURNED", review_note="Lengkapi syaratnya."
    )
    version.refresh_from_db()
    assert (version.status, version.review_note) == ("RETURNED", "Lengkapi syaratnya.")


def test_a_published_edit_makes_a_new_version_and_keeps_the_history(writer, reviewer):
    article = publish(writer, reviewer, write(writer))
    first = article.live_version

    draft = _edit(writer, article, body="Bawa KTP asli, NPWP dan setoran awal.")
    assert (draft.number, draft.status) == (2, "DRAFT")
    article.refresh_from_db()
    assert article.live_version == first  # readers still see version 1
    again = _edit(writer, article, body="Bawa KTP asli, NPWP dan setoran awal Rp100.000.")
    assert again.pk == draft.pk and again.number == 2  # the open draft is edited in place

    publish(writer, reviewer, article)
    assert article.live_version_id == draft.pk
    first.refresh_from_db()
    assert first.status == "PUBLISHED"  # history kept, unchanged
    assert [v.number for v in selectors.article_versions(reviewer, article)] == [2, 1]
    actions = set(
        AuditLog.objects.filter(object_id=str(article.pk)).values_list("action", flat=True)
    )
    assert {"CREATE_ARTICLE", "CREATE_ARTICLE_VERSION", "UPDATE_ARTICLE"} <= actions


def test_a_version_under_review_takes_no_edits_and_bad_input_changes_nothing(writer):
    article = write(writer)
    with pytest.raises(ServiceError) as bad:
        _edit(writer, article, title="x\x00y")
    assert bad.value.field == "title"
    with pytest.raises(ServiceError) as unknown:
        _edit(writer, article, categories=["NOPE"])
    assert unknown.value.code == "category_unknown"
    version = article.versions.get()
    services.version_move(actor=writer, version=version, to="REVIEW")
    with pytest.raises(ServiceError) as in_review:
        _edit(writer, article)
    assert in_review.value.code == "version_in_review"
    assert article.versions.count() == 1


@pytest.mark.parametrize("typed", ["rekening", "rekning", "rekeneng", "REKENING tabungan"])
def test_search_forgives_indonesian_typing(writer, reviewer, reader, typed):
    wanted = publish(writer, reviewer, write(writer))
    publish(writer, reviewer, write(writer, title="Kartu ATM terblokir"))
    hits = selectors.article_search(actor=reader, query=typed)
    assert hits and hits[0].version.article_id == wanted.pk


@pytest.mark.parametrize(
    "hostile", ["", "   ", "'); DROP TABLE x; --", "a & | ! :* <->", "\x00\x01", "é" * 500, 42]
)
def test_search_survives_hostile_input(reader, hostile):
    assert isinstance(selectors.article_search(actor=reader, query=hostile), list)


def test_search_and_pages_leave_out_drafts_of_others(writer, reader, client):
    article = write(writer, title="Rahasia draf rekening")
    assert selectors.article_search(actor=reader, query="rekening") == []
    with pytest.raises(NotFound):
        selectors.article_get(reader, article.pk)
    page = sign_in(Client(), reader).get(reverse("knowledge:detail", args=[article.pk]))
    assert page.status_code == 404


def test_the_case_page_suggests_articles_of_the_cases_category(writer, reviewer, system, branch_a):
    from amanah.cases import services as cases
    from amanah.customers.services import CustomerInput, customer_create

    customer = customer_create(
        actor=system, data=CustomerInput(full_name="Budi Santoso", home_branch=branch_a)
    )
    case = cases.case_create(
        actor=reviewer,
        data=cases.CaseInput(
            customer=customer,
            channel="BRANCH",
            category_code="TRX_FAIL",
            priority="MEDIUM",
            description="Transfer gagal tetapi saldo terpotong.",
        ),
    )
    publish(writer, reviewer, write(writer, title="Transfer gagal", categories=["TRX_FAIL"]))
    publish(writer, reviewer, write(writer, title="Kartu ATM terblokir", categories=["CARD_ATM"]))
    write(writer, title="Draf transfer", categories=["TRX_FAIL"])  # not published

    panel = registry.case_panels.get("knowledge.suggestions")
    assert [v.title for v in panel.values(case, actor=reviewer)["articles"]] == ["Transfer gagal"]
    page = sign_in(Client(), reviewer).get(reverse("cases:detail", args=[case.pk]))
    assert b'data-testid="kb-suggestions"' in page.content and b"Transfer gagal" in page.content
    assert b"Draf transfer" not in page.content and b"Kartu ATM" not in page.content


def test_public_faq_shows_only_public_published_articles(writer, reviewer, client):
    public = publish(writer, reviewer, write(writer, title="Jam layanan cabang", is_public=True))
    publish(writer, reviewer, write(writer, title="Skrip internal agen", is_public=False))
    write(writer, title="Draf publik belum terbit", is_public=True)
    _edit(writer, public, title="Jam layanan cabang (baru)", is_public=True)  # draft v2

    page = client.get(reverse("faq:faq"))  # nobody signed in
    assert page.status_code == 200
    assert b"Jam layanan cabang" in page.content
    assert b"(baru)" not in page.content  # the live version, not the draft
    assert b"Skrip internal" not in page.content and b"Draf publik" not in page.content


def test_pages_for_writer_and_reviewer(writer, reviewer):
    client = sign_in(Client(), writer)
    created = client.post(
        reverse("knowledge:create"),
        {"title": "Lupa PIN", "body": "Datang ke cabang dengan KTP.", "categories": ["CARD_ATM"]},
    )
    assert created.status_code == 303
    version = ArticleVersion.objects.get(title="Lupa PIN")
    submit = client.post(reverse("knowledge:move", args=[version.pk]), {"to": "REVIEW"})
    assert submit.status_code == 303
    empty = client.post(reverse("knowledge:create"), {"title": "", "body": ""})
    assert empty.status_code == 400 and ArticleVersion.objects.count() == 1

    boss = sign_in(Client(), reviewer)
    detail = boss.get(reverse("knowledge:detail", args=[version.article_id]))
    assert b'data-testid="kb-move"' in detail.content
    boss.post(reverse("knowledge:move", args=[version.pk]), {"to": "PUBLISHED"})
    version.refresh_from_db()
    assert version.status == "PUBLISHED"
    found = client.get(reverse("knowledge:list"), {"q": "lupa pn"})
    assert b"Lupa PIN" in found.content


def test_english_smoke(writer, reviewer):
    article = publish(writer, reviewer, write(writer, is_public=True))
    client = sign_in(Client(), reviewer)
    client.cookies["django_language"] = "en"
    with translation.override(translation.get_language()):
        listing = client.get(reverse("knowledge:list"))
        detail = client.get(reverse("knowledge:detail", args=[article.pk]))
        anonymous = Client()
        anonymous.cookies["django_language"] = "en"
        faq = anonymous.get(reverse("faq:faq"))
    assert b"Knowledge base" in listing.content and b"Basis pengetahuan" not in listing.content
    assert b"Version history" in detail.content
    assert b"Frequently asked questions" in faq.content


@pytest.mark.parametrize("bad", ["²", "٣", "1" * 5000, "0x1", "-1", " 1", "1.0", "3"])
def test_a_bad_version_number_in_the_address_is_a_404_not_a_500(writer, reviewer, bad):
    article = publish(writer, reviewer, write(writer))  # one version: v1
    client = sign_in(Client(), reviewer)
    url = reverse("knowledge:detail", args=[article.pk])
    assert client.get(url, {"v": bad}).status_code == 404
    assert client.get(url, {"v": "1"}).status_code == 200
    assert client.get(url).status_code == 200


def test_the_templates_compare_no_code_literals_and_loops_use_the_display_filter():
    """DESIGN §3: no status literal in a template; a row's label in a loop through
    ``|display`` (one cached label table), not ``get_<field>_display``."""
    import pathlib
    import re

    folder = pathlib.Path(services.__file__).parent / "templates"
    literal = re.compile(r'(==|!=|\bin)\s*"[A-Z][A-Z_]+"|get_\w+_display')
    found = [
        f"{path.name}: {match.group(0)}"
        for path in folder.rglob("*.html")
        for match in literal.finditer(path.read_text())
    ]
    assert found == []


def test_the_page_and_the_faq_are_put_together_by_the_selectors(writer, reviewer):
    article = publish(writer, reviewer, write(writer, categories=["CARD_ATM"], is_public=True))
    _edit(writer, article, title="Cara membuka rekening (baru)")  # v2, a draft
    page = selectors.article_page(reviewer, article.pk)
    assert (page.shown.number, page.live.number, page.open_version.number) == (1, 1, 2)
    assert page.editable and [v.number for v in page.versions] == [2, 1]
    assert selectors.article_page(reviewer, article.pk, number="2").shown.number == 2
    assert selectors.edit_source(writer, article).number == 2
    with pytest.raises(NotFound):
        selectors.article_page(reviewer, article.pk, number="²")
    untagged = publish(writer, reviewer, write(writer, title="Jam layanan", is_public=True))
    groups = selectors.faq_groups()
    names = [name for name, _versions in groups]
    assert names[-1] == "" and len(names) == 2  # the category by name, "Umum" last
    assert [v.article_id for v in groups[-1][1]] == [untagged.pk]
    assert [v.article_id for v in groups[0][1]] == [article.pk]


@pytest.mark.parametrize(
    ("title", "code"),
    [
        ("", "title_required"),
        ("   ", "title_required"),
        ("x" * 201, "title_too_long"),
        ("Lupa\x00PIN", "title_invalid_characters"),
        ("Lupa PIN\nkartu", "title_multiline"),
        ("Lupa PIN\u2028kartu", "title_multiline"),
        ("Lupa\u200bPIN", "title_invisible_characters"),  # zero-width space
        ("Lupa \u202ePIN", "title_invisible_characters"),  # right-to-left override
    ],
)
def test_each_problem_with_a_title_has_its_own_code(writer, title, code):
    with pytest.raises(ServiceError) as refused:
        write(writer, title=title)
    assert (refused.value.code, refused.value.field) == (code, "title")
    assert not ArticleVersion.objects.exists()


def test_a_no_break_space_pasted_into_a_title_is_a_space(writer):
    article = write(writer, title="Lupa\u00a0PIN\tkartu\u202fATM")
    assert article.versions.get().title == "Lupa PIN kartu ATM"
    with pytest.raises(ServiceError) as refused:
        services.article_create(
            actor=writer, data=services.ArticleInput(title="Lupa PIN", body=" ")
        )
    assert refused.value.code == "body_required"
