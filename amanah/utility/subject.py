"""What the water utility keeps about a data subject (UU PDP access export): the customer's
connection, its meter readings, bills and payment receipts, and its new-connection application
(survey, RAB lines, installments and late fees), the notices sent about them, and which of the
customer's complaints were counted in an area incident."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from amanah.core.contributions import SubjectSection
from amanah.core.exports import stored_rows
from amanah.utility.incidents.models import IncidentComplaint
from amanah.utility.models import (
    Bill,
    Connection,
    CustomerNotice,
    Installation,
    Installment,
    LateFee,
    MeterReading,
    RabLine,
    Receipt,
)


def rows(customer) -> dict:
    connections = Connection.objects.filter(customer=customer)
    return {
        "utility.Connection": stored_rows(connections),
        "utility.MeterReading": stored_rows(
            MeterReading.objects.filter(connection__in=connections)
        ),
        "utility.Bill": stored_rows(Bill.objects.filter(connection__in=connections)),
        "utility.Receipt": stored_rows(Receipt.objects.filter(connection__in=connections)),
        "utility.Installation": stored_rows(
            Installation.objects.filter(connection__in=connections)
        ),
        "utility.RabLine": stored_rows(
            RabLine.objects.filter(installation__connection__in=connections)
        ),
        "utility.Installment": stored_rows(
            Installment.objects.filter(installation__connection__in=connections)
        ),
        "utility.LateFee": stored_rows(
            LateFee.objects.filter(installment__installation__connection__in=connections)
        ),
        "utility.CustomerNotice": stored_rows(
            CustomerNotice.objects.filter(connection__in=connections)
        ),
        "utility.IncidentComplaint": stored_rows(
            IncidentComplaint.objects.filter(case__customer=customer)
        ),
    }


def trail(customer) -> dict:
    ids = Connection.objects.filter(customer=customer).values_list("pk", flat=True)
    return {"utility.Connection": [str(pk) for pk in ids]}


SECTION = SubjectSection(
    label=_("Sambungan air"),
    models=(
        "utility.Connection",
        "utility.MeterReading",
        "utility.Bill",
        "utility.Receipt",
        "utility.Installation",
        "utility.RabLine",
        "utility.Installment",
        "utility.LateFee",
        "utility.CustomerNotice",
        "utility.IncidentComplaint",
    ),
    rows=rows,
    trail=trail,
)
