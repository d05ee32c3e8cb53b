"""What insight keeps about a data subject (UU PDP access export): transactions, monthly
rollups, RFM scores and Next Best Action decisions (profiling: the subject may see how they
were scored and what was recommended, with its reasons)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from amanah.core.contributions import SubjectSection
from amanah.core.exports import stored_rows
from amanah.insight.models import MonthlyRollup, RfmScore, Transaction
from amanah.insight.nba.models import NbaDecision

MODELS = {
    "insight.Transaction": Transaction,
    "insight.MonthlyRollup": MonthlyRollup,
    "insight.RfmScore": RfmScore,
    "insight.NbaDecision": NbaDecision,
}


def rows(customer) -> dict:
    return {
        label: stored_rows(model.objects.filter(customer=customer))
        for label, model in MODELS.items()
    }


def trail(customer) -> dict:
    ids = NbaDecision.objects.filter(customer=customer).values_list("pk", flat=True)
    return {"insight.NbaDecision": [str(pk) for pk in ids]}


SECTION = SubjectSection(
    label=_("Transaksi, profil nilai (RFM) dan rekomendasi (NBA)"),
    models=tuple(MODELS),
    rows=rows,
    trail=trail,
)
