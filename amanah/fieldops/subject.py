"""What field operations keep about a data subject (UU PDP access export): the visit work
orders about the customer, the visits' results (position, outcome, promise), coordinate
corrections, the known location and the loan arrears imported for them."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from amanah.core.contributions import SubjectSection
from amanah.core.exports import stored_rows
from amanah.fieldops.models import (
    CoordinateCorrection,
    KnownLocation,
    LoanArrears,
    VisitResult,
    WorkOrder,
)


def rows(customer) -> dict:
    work_orders = WorkOrder.objects.filter(customer=customer)
    return {
        "fieldops.WorkOrder": stored_rows(work_orders),
        "fieldops.VisitResult": stored_rows(VisitResult.objects.filter(work_order__in=work_orders)),
        "fieldops.CoordinateCorrection": stored_rows(
            CoordinateCorrection.objects.filter(work_order__in=work_orders)
        ),
        "fieldops.KnownLocation": stored_rows(KnownLocation.objects.filter(customer=customer)),
        "fieldops.LoanArrears": stored_rows(LoanArrears.objects.filter(customer=customer)),
    }


def trail(customer) -> dict:
    ids = WorkOrder.objects.filter(customer=customer).values_list("pk", flat=True)
    return {"fieldops.WorkOrder": [str(pk) for pk in ids]}


SECTION = SubjectSection(
    label=_("Kunjungan lapangan"),
    models=(
        "fieldops.WorkOrder",
        "fieldops.VisitResult",
        "fieldops.CoordinateCorrection",
        "fieldops.KnownLocation",
        "fieldops.LoanArrears",
    ),
    rows=rows,
    trail=trail,
)
