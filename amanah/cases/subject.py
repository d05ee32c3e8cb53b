"""What cases keeps about a data subject (UU PDP access export): the customer's complaints
and requests with their activity log, attachments' records, satisfaction scores and the
category the classifier suggested for them."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from amanah.cases.models import (
    Case,
    CaseActivity,
    CaseAttachment,
    CaseSurvey,
    CategorySuggestion,
)
from amanah.core.contributions import SubjectSection
from amanah.core.exports import stored_rows


def rows(customer) -> dict:
    cases = Case.objects.filter(customer=customer)
    return {
        "cases.Case": stored_rows(cases),
        "cases.CaseActivity": stored_rows(CaseActivity.objects.filter(case__in=cases)),
        "cases.CaseAttachment": stored_rows(CaseAttachment.objects.filter(case__in=cases)),
        "cases.CaseSurvey": stored_rows(CaseSurvey.objects.filter(case__in=cases)),
        "cases.CategorySuggestion": stored_rows(CategorySuggestion.objects.filter(case__in=cases)),
    }


def trail(customer) -> dict:
    ids = Case.objects.filter(customer=customer).values_list("pk", flat=True)
    return {"cases.Case": [str(pk) for pk in ids]}


SECTION = SubjectSection(
    label=_("Pengaduan dan permintaan layanan"),
    models=(
        "cases.Case",
        "cases.CaseActivity",
        "cases.CaseAttachment",
        "cases.CaseSurvey",
        "cases.CategorySuggestion",
    ),
    rows=rows,
    trail=trail,
)
