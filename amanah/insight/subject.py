"""What insight keeps about a data subject (UU PDP access export): transactions, monthly
rollups and RFM scores (profiling: the subject may see how they were scored)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from amanah.core.contributions import SubjectSection
from amanah.core.exports import stored_rows
from amanah.insight.models import MonthlyRollup, RfmScore, Transaction


def rows(customer) -> dict:
    return {
        "insight.Transaction": stored_rows(Transaction.objects.filter(customer=customer)),
        "insight.MonthlyRollup": stored_rows(MonthlyRollup.objects.filter(customer=customer)),
        "insight.RfmScore": stored_rows(RfmScore.objects.filter(customer=customer)),
    }


SECTION = SubjectSection(
    label=_("Transaksi dan profil nilai (RFM)"),
    models=("insight.Transaction", "insight.MonthlyRollup", "insight.RfmScore"),
    rows=rows,
)
