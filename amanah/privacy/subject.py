"""What privacy keeps about a data subject (UU PDP access export): their earlier access
requests, their correction requests and the retention job's marks."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from amanah.core.contributions import SubjectSection
from amanah.core.exports import stored_rows
from amanah.privacy.models import AccessRequest, Anonymisation, CorrectionRequest

MODELS = {
    "privacy.AccessRequest": AccessRequest,
    "privacy.CorrectionRequest": CorrectionRequest,
    "privacy.Anonymisation": Anonymisation,
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
        if model is not Anonymisation
    }


SECTION = SubjectSection(
    label=_("Hak subjek data (UU PDP): permintaan akses dan koreksi"),
    models=tuple(MODELS),
    rows=rows,
    trail=trail,
)
