"""What break-glass keeps about a data subject (UU PDP access export): who asked for
detailed access to the customer, why, who decided, and when it was open."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from amanah.breakglass.models import BreakGlassGrant
from amanah.core.contributions import SubjectSection
from amanah.core.exports import stored_rows


def rows(customer) -> dict:
    return {
        "breakglass.BreakGlassGrant": stored_rows(BreakGlassGrant.objects.filter(customer=customer))
    }


def trail(customer) -> dict:
    ids = BreakGlassGrant.objects.filter(customer=customer).values_list("pk", flat=True)
    return {"breakglass.BreakGlassGrant": [str(pk) for pk in ids]}


SECTION = SubjectSection(
    label=_("Akses darurat (break-glass) ke data nasabah"),
    models=("breakglass.BreakGlassGrant",),
    rows=rows,
    trail=trail,
)
