"""What sales keeps about a data subject (UU PDP access export): leads, RM activities,
opportunities and follow-up tasks."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from amanah.core.contributions import SubjectSection
from amanah.core.exports import stored_rows
from amanah.sales.models import FollowUpTask, Lead, Opportunity, RmActivity

MODELS = {
    "sales.Lead": Lead,
    "sales.RmActivity": RmActivity,
    "sales.Opportunity": Opportunity,
    "sales.FollowUpTask": FollowUpTask,
}


def rows(customer) -> dict:
    return {
        label: stored_rows(model.objects.filter(customer=customer))
        for label, model in MODELS.items()
    }


def trail(customer) -> dict:
    return {
        label: [
            str(pk) for pk in model.objects.filter(customer=customer).values_list("pk", flat=True)
        ]
        for label, model in MODELS.items()
    }


SECTION = SubjectSection(
    label=_("Penjualan (lead, aktivitas RM, peluang, tindak lanjut)"),
    models=tuple(MODELS),
    rows=rows,
    trail=trail,
)
