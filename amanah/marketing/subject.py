"""What marketing keeps about a data subject (UU PDP access export): each campaign's
eligibility decision for the customer (with its reason) and the campaign events."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from amanah.core.contributions import SubjectSection
from amanah.core.exports import stored_rows
from amanah.marketing.models import CampaignEligibility, CampaignEvent


def rows(customer) -> dict:
    return {
        "marketing.CampaignEligibility": stored_rows(
            CampaignEligibility.objects.filter(customer=customer)
        ),
        "marketing.CampaignEvent": stored_rows(CampaignEvent.objects.filter(customer=customer)),
    }


SECTION = SubjectSection(
    label=_("Kampanye pemasaran (kelayakan dan peristiwa)"),
    models=("marketing.CampaignEligibility", "marketing.CampaignEvent"),
    rows=rows,
)
