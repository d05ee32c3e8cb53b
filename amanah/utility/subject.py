"""What the water utility keeps about a data subject (UU PDP access export): the customer's
connection, its meter readings, bills and payment receipts."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from amanah.core.contributions import SubjectSection
from amanah.core.exports import stored_rows
from amanah.utility.models import Bill, Connection, MeterReading, Receipt


def rows(customer) -> dict:
    connections = Connection.objects.filter(customer=customer)
    return {
        "utility.Connection": stored_rows(connections),
        "utility.MeterReading": stored_rows(
            MeterReading.objects.filter(connection__in=connections)
        ),
        "utility.Bill": stored_rows(Bill.objects.filter(connection__in=connections)),
        "utility.Receipt": stored_rows(Receipt.objects.filter(connection__in=connections)),
    }


def trail(customer) -> dict:
    ids = Connection.objects.filter(customer=customer).values_list("pk", flat=True)
    return {"utility.Connection": [str(pk) for pk in ids]}


SECTION = SubjectSection(
    label=_("Sambungan air"),
    models=("utility.Connection", "utility.MeterReading", "utility.Bill", "utility.Receipt"),
    rows=rows,
    trail=trail,
)
