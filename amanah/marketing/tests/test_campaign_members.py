"""The campaign's member list (issue 16): the segment's customers with the hard gate's
verdict and reason, masked, filtered and paginated; customers outside the segment are not
members; only the roles granted campaign.members.view see it."""

import pytest
from django.test import Client

from amanah.conftest import sign_in
from amanah.core.roles import RoleKey as R
from amanah.marketing import selectors
from amanah.marketing import services as mkt
from amanah.marketing.tests.test_marketing import (  # noqa: F401  (fixtures)
    approved,
    marketer,
    offers,
    people,
)


@pytest.fixture
def evaluated(approved, marketer):  # noqa: F811
    mkt.campaign_evaluate(actor=marketer, campaign=approved)
    approved.refresh_from_db()
    return approved


def _url(campaign) -> str:
    return f"/marketing/campaigns/{campaign.pk}/members/"


def _rows(page: str) -> int:
    return page.count('data-testid="member"')


def test_members_with_verdict_and_reason_masked(evaluated, marketer):  # noqa: F811
    client = sign_in(Client(), marketer)
    page = client.get(_url(evaluated)).content.decode()
    # The four savers of MDN01; the customer of the other branch is not a member.
    assert _rows(page) == 4
    assert 'data-reason="NOT_IN_SEGMENT_RULE"' not in page and "O*** S***" not in page
    for masked in ("A*** F*** L***", "S*** A***", "B*** S***", "T*** P***"):
        assert masked in page
    for name in ("Ahmad", "Siti Aminah", "Budi", "Tanpa Persetujuan"):
        assert name not in page
    assert 'data-reason="ELIGIBLE"' in page  # Siti
    assert "Persetujuan pemasaran tidak diberikan" in page  # the labels, not the codes
    detail = client.get(f"/marketing/campaigns/{evaluated.pk}/").content.decode()
    assert 'data-testid="members-link"' in detail


def test_filters_and_pages(evaluated, marketer, monkeypatch):  # noqa: F811
    client = sign_in(Client(), marketer)
    page = client.get(_url(evaluated), {"verdict": "ELIGIBLE"}).content.decode()
    assert _rows(page) == 1 and "S*** A***" in page
    page = client.get(_url(evaluated), {"verdict": "NO_CONSENT"}).content.decode()
    assert _rows(page) >= 1 and 'data-reason="ELIGIBLE"' not in page
    assert _rows(client.get(_url(evaluated), {"branch": "pms01"}).content.decode()) == 0
    assert _rows(client.get(_url(evaluated), {"branch": "mdn01"}).content.decode()) == 4

    monkeypatch.setattr(selectors, "MEMBERS_PAGE", 3)
    first = client.get(_url(evaluated), {"branch": "MDN01"}).content.decode()
    assert _rows(first) == 3 and 'data-testid="next-page"' in first
    assert "branch=MDN01&amp;page=2" in first
    second = client.get(_url(evaluated), {"branch": "MDN01", "page": "2"}).content.decode()
    assert _rows(second) == 1 and 'data-testid="next-page"' not in second
    assert 'data-testid="prev-page"' in second


@pytest.mark.parametrize(
    "query", [{"verdict": "ANYTHING"}, {"page": "0"}, {"page": "x"}, {"branch": "A" * 11}]
)
def test_a_bad_filter_is_a_400_not_a_500(evaluated, marketer, query):  # noqa: F811
    response = sign_in(Client(), marketer).get(_url(evaluated), query)
    assert response.status_code == 400
    assert 'data-testid="members"' not in response.content.decode()


@pytest.mark.parametrize(
    ("role", "status"),
    [(R.MARKETING, 200), (R.COMPLIANCE, 200), (R.DIRECTOR, 403), (R.AGENT, 403), (R.RM, 403)],
)
def test_who_may_see_the_members(evaluated, make_user, role, status):
    client = sign_in(Client(), make_user(role))
    assert client.get(_url(evaluated)).status_code == status
    detail = client.get(f"/marketing/campaigns/{evaluated.pk}/")
    if detail.status_code == 200:  # the director sees the report, not the link
        assert ('data-testid="members-link"' in detail.content.decode()) is (status == 200)


def test_a_missing_campaign_is_a_404(marketer, db):  # noqa: F811
    client = sign_in(Client(), marketer)
    response = client.get("/marketing/campaigns/00000000-0000-0000-0000-000000000000/members/")
    assert response.status_code == 404


def test_a_member_is_found_by_exact_cif_or_phone_never_by_name(
    evaluated,
    marketer,  # noqa: F811
):
    """Search by an exact CIF or phone (the name stays masked; a name or a part of a number is
    refused or finds nobody); each search audited with a hash of the term, never the term."""
    from amanah.audit.models import AuditLog
    from amanah.customers.models import Customer, CustomerIdentifier

    siti = Customer.objects.get(full_name="Siti Aminah")
    # Her CIF, as the core banking sync would attach it (identifiers are not edited here).
    CustomerIdentifier.objects.create(
        customer=siti, id_type="CIF", id_value="CIF7700002", is_primary=True
    )
    client = sign_in(Client(), marketer)
    for term in ("CIF7700002", "cif 770 0002", siti.phone_e164, "0" + siti.phone_e164[3:]):
        page = client.get(_url(evaluated), {"q": term}).content.decode()
        assert _rows(page) == 1, term
        table = page[page.index('data-testid="members"') : page.index("</table>")]
        assert "S*** A***" in table and "Siti" not in table and siti.phone_e164 not in table
    for term in ("CIF770000", siti.phone_e164[:-2], "CIF0000000"):
        assert _rows(client.get(_url(evaluated), {"q": term}).content.decode()) == 0, term
    audits = AuditLog.objects.filter(action="SEARCH_CUSTOMER", object_type="CAMPAIGN_MEMBERS")
    assert audits.count() == 7
    assert all("CIF77" not in str(a.meta) and a.meta["query_hash"] for a in audits)
    for bad in ("Siti Aminah", "S*** A***", "x" * 41, "ab", "CIF\x00123"):
        response = client.get(_url(evaluated), {"q": bad})
        assert response.status_code == 400, bad
        assert 'data-testid="member"' not in response.content.decode()
    # combined with a verdict filter
    page = client.get(_url(evaluated), {"q": "CIF7700002", "verdict": "NO_CONSENT"})
    assert _rows(page.content.decode()) == 0
