"""What surveys keep about a data subject (UU PDP access export): invitations and answers."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from amanah.core.contributions import SubjectSection
from amanah.core.exports import stored_rows
from amanah.surveys.models import SurveyInvitation


def rows(customer) -> dict:
    return {
        "surveys.SurveyInvitation": stored_rows(SurveyInvitation.objects.filter(customer=customer))
    }


def trail(customer) -> dict:
    ids = SurveyInvitation.objects.filter(customer=customer).values_list("pk", flat=True)
    return {"surveys.SurveyInvitation": [str(pk) for pk in ids]}


SECTION = SubjectSection(
    label=_("Survei kepuasan"),
    models=("surveys.SurveyInvitation",),
    rows=rows,
    trail=trail,
)
