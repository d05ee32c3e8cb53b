"""What consent keeps about a data subject (UU PDP access export): the consent history (every
change as the customer asked for it), the state it adds up to, per channel, and the
do-not-contact entry. Its audit rows are about the customer (customers' section names it)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from amanah.consent.models import (
    ChannelConsentState,
    ConsentRecord,
    ConsentState,
    ContactPreference,
    Suppression,
)
from amanah.core.contributions import SubjectSection
from amanah.core.exports import stored_rows


def rows(customer) -> dict:
    return {
        "consent.ConsentRecord": stored_rows(ConsentRecord.objects.filter(customer=customer)),
        "consent.ConsentState": stored_rows(ConsentState.objects.filter(customer=customer)),
        "consent.ChannelConsentState": stored_rows(
            ChannelConsentState.objects.filter(customer=customer)
        ),
        "consent.Suppression": stored_rows(Suppression.objects.filter(customer=customer)),
        "consent.ContactPreference": stored_rows(
            ContactPreference.objects.filter(customer=customer)
        ),
    }


SECTION = SubjectSection(
    label=_("Persetujuan (riwayat dan status)"),
    models=(
        "consent.ConsentRecord",
        "consent.ConsentState",
        "consent.ChannelConsentState",
        "consent.Suppression",
        "consent.ContactPreference",
    ),
    rows=rows,
)
