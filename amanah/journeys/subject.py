"""What journeys keep about a data subject (UU PDP access export): the customer's
enrollments, the steps each passed, and the tags an UPDATE node gave them."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from amanah.core.contributions import SubjectSection
from amanah.core.exports import stored_rows
from amanah.journeys.models import CustomerTag, JourneyEnrollment, JourneyStep


def rows(customer) -> dict:
    return {
        "journeys.JourneyEnrollment": stored_rows(
            JourneyEnrollment.objects.filter(customer=customer)
        ),
        "journeys.JourneyStep": stored_rows(
            JourneyStep.objects.filter(enrollment__customer=customer)
        ),
        "journeys.CustomerTag": stored_rows(CustomerTag.objects.filter(customer=customer)),
    }


SECTION = SubjectSection(
    label=_("Journey pemasaran (keikutsertaan, langkah, tag)"),
    models=("journeys.JourneyEnrollment", "journeys.JourneyStep", "journeys.CustomerTag"),
    rows=rows,
)
