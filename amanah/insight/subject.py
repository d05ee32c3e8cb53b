"""What insight keeps about a data subject (UU PDP access export): transactions, monthly
rollups, RFM scores, Next Best Action decisions and the nightly worklist row (profiling: the
subject may see how they were scored and what was recommended, with its reasons) and service
recoveries, merchant promos recommended to them."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from amanah.core.contributions import SubjectSection
from amanah.core.exports import stored_rows
from amanah.insight.merchants.models import MerchantRecommendation
from amanah.insight.models import MonthlyRollup, RfmScore, Transaction
from amanah.insight.nba.models import NbaDecision, PortfolioRecommendation
from amanah.insight.recovery.models import ServiceRecovery

MODELS = {
    "insight.Transaction": Transaction,
    "insight.MonthlyRollup": MonthlyRollup,
    "insight.RfmScore": RfmScore,
    "insight.NbaDecision": NbaDecision,
    "insight.PortfolioRecommendation": PortfolioRecommendation,
    "insight.ServiceRecovery": ServiceRecovery,
    "insight.MerchantRecommendation": MerchantRecommendation,
}


def rows(customer) -> dict:
    return {
        label: stored_rows(model.objects.filter(customer=customer))
        for label, model in MODELS.items()
    }


def trail(customer) -> dict:
    ids = NbaDecision.objects.filter(customer=customer).values_list("pk", flat=True)
    recoveries = ServiceRecovery.objects.filter(customer=customer).values_list("pk", flat=True)
    return {
        "insight.NbaDecision": [str(pk) for pk in ids],
        "insight.ServiceRecovery": [str(pk) for pk in recoveries],
    }


SECTION = SubjectSection(
    label=_(
        "Transaksi, profil nilai (RFM), rekomendasi (NBA), pemulihan layanan dan promo merchant"
    ),
    models=tuple(MODELS),
    rows=rows,
    trail=trail,
)
