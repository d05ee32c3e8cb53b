"""What integrations keeps about a data subject (UU PDP access export): inbound messages from
channels linked to the customer."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from amanah.core.contributions import SubjectSection
from amanah.core.exports import stored_rows
from amanah.integrations.models import InboundIntake


def rows(customer) -> dict:
    return {
        "integrations.InboundIntake": stored_rows(InboundIntake.objects.filter(customer=customer))
    }


def trail(customer) -> dict:
    ids = InboundIntake.objects.filter(customer=customer).values_list("pk", flat=True)
    return {"integrations.InboundIntake": [str(pk) for pk in ids]}


SECTION = SubjectSection(
    label=_("Pesan masuk dari kanal"),
    models=("integrations.InboundIntake",),
    rows=rows,
    trail=trail,
)
