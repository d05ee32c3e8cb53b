"""A refused marketing post says why: on its form with 400, as a flash message after a 303
back to the campaign, or (the builder's live preview) in the preview box with 400."""

import pytest
from django.test import Client
from django.utils.html import escape

from amanah.conftest import sign_in
from amanah.core.errors import ServiceError
from amanah.core.view_helpers import REFUSED_FRAGMENT_HEADER
from amanah.marketing import sending
from amanah.marketing import services as mkt
from amanah.marketing.models import Campaign, Segment
from amanah.marketing.testing import OFFER_KEY
from amanah.marketing.tests.test_marketing import (  # noqa: F401  (fixtures)
    SEGMENT,
    marketer,
    offers,
    people,
)

TOO_LONG = "X" * 41  # a branch code longer than any the rules accept


def _rule_refusal(actor) -> ServiceError:
    """What the service says about the too-long branch code (the test does not copy its text)."""
    rules = {"all": [{"field": "branch", "op": "in", "value": [TOO_LONG]}]}
    with pytest.raises(ServiceError) as refused:
        mkt.segment_preview(actor=actor, rules=rules)
    return refused.value


def test_a_refused_segment_comes_back_on_its_form_with_400(people, marketer):  # noqa: F811
    expected = _rule_refusal(marketer)
    client = sign_in(Client(), marketer)
    response = client.post("/marketing/segments/new/", {"name": "Salah", "branches": TOO_LONG})
    assert response.status_code == 400
    page = response.content.decode()
    assert escape(expected.message) in page and 'data-testid="segment-form"' in page
    assert not Segment.objects.exists()


def test_an_unknown_branch_code_is_refused_next_to_its_field(people, marketer):  # noqa: F811
    rules = {"all": [{"field": "branch", "op": "in", "value": ["MDN01", "ZZZ99"]}]}
    with pytest.raises(ServiceError) as refused:
        mkt.segment_create(actor=marketer, name="Salah", rules=rules)
    assert (refused.value.code, refused.value.field) == ("rule_invalid", "branches")
    assert "ZZZ99" in refused.value.message and "MDN01" not in refused.value.message
    segment = mkt.segment_create(actor=marketer, name="Benar", rules=SEGMENT)
    with pytest.raises(ServiceError):
        mkt.segment_update(actor=marketer, segment=segment, rules=rules)
    assert segment.versions.count() == 1
    client = sign_in(Client(), marketer)
    response = client.post("/marketing/segments/new/", {"name": "Salah", "branches": "zzz99"})
    assert response.status_code == 400
    form = response.context["form"]
    assert form.errors["branches"] == [refused.value.message]
    assert list(Segment.objects.values_list("name", flat=True)) == ["Benar"]


def test_the_preview_shows_a_refusal_in_its_box_with_400(people, marketer):  # noqa: F811
    expected = _rule_refusal(marketer)
    client = sign_in(Client(), marketer)
    refused = client.post("/marketing/segments/preview/", {"name": "x", "branches": TOO_LONG})
    assert (refused.status_code, refused[REFUSED_FRAGMENT_HEADER]) == (400, "1")
    assert escape(expected.message) in refused.content.decode()
    unnamed = client.post("/marketing/segments/preview/", {"branches": "MDN01"})
    assert unnamed.status_code == 400 and "Periksa isian aturan." in unnamed.content.decode()
    counted = client.post("/marketing/segments/preview/", {"name": "x", "branches": "MDN01"})
    assert counted.status_code == 200 and REFUSED_FRAGMENT_HEADER not in counted


def test_a_refused_campaign_comes_back_on_its_form_with_400(people, marketer):  # noqa: F811
    segment = mkt.segment_create(actor=marketer, name="Penabung", rules=SEGMENT)
    client = sign_in(Client(), marketer)
    response = client.post(
        "/marketing/campaigns/new/",
        {
            "name": "Promo",
            "segment": str(segment.pk),
            "channel": "EMAIL",
            "template_key": OFFER_KEY,
            "promo_code": "kode promo!",
        },
    )
    assert response.status_code == 400
    assert "Kode promo 1–32 huruf besar" in response.content.decode()
    assert not Campaign.objects.exists()


def test_a_refused_campaign_action_flashes_why_after_303(people, marketer):  # noqa: F811
    segment = mkt.segment_create(actor=marketer, name="Penabung", rules=SEGMENT)
    campaign = mkt.campaign_create(
        actor=marketer,
        name="Promo",
        segment=segment,
        channel="EMAIL",
        template_key=OFFER_KEY,
    )
    mkt.campaign_submit(actor=marketer, campaign=campaign)
    with pytest.raises(ServiceError) as expected:  # not approved yet: nothing to send
        sending.campaign_execute(actor=marketer, campaign=campaign, confirmed=True)
    client = sign_in(Client(), marketer)
    url = f"/marketing/campaigns/{campaign.pk}/"
    refused = client.post(f"{url}execute/", {"confirm": "yes"}, follow=True)
    assert refused.redirect_chain == [(url, 303)]
    assert escape(expected.value.message) in refused.content.decode()
    unknown = client.post(f"{url}launch/", follow=True)
    assert unknown.redirect_chain == [(url, 303)]
    assert "Aksi tidak dikenal." in unknown.content.decode()
    campaign.refresh_from_db()
    assert campaign.status == "SUBMITTED"
