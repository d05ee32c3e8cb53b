"""What customers keeps about a data subject (UU PDP access export): the master record (and
the records merged into it), identifiers, relations, portfolio, duplicate flags, merges and
the fraud flag's changes — their dates and who made them, the reason withheld: it is a note
of a fraud investigation (UU 27/2022 Pasal 15: the subject's rights give way to law
enforcement), kept for compliance, shown to holders of the fraud flag permission."""

from __future__ import annotations

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from amanah.core.contributions import SubjectSection
from amanah.core.exports import stored_rows
from amanah.customers.models import (
    Customer,
    CustomerIdentifier,
    CustomerRelation,
    DuplicateFlag,
    FraudFlagChange,
    MergeRequest,
    PortfolioAssignment,
)

WITHHELD = {
    "customers.FraudFlagChange": {
        "reason": "catatan investigasi fraud (dikecualikan untuk penegakan hukum, UU PDP Pasal 15)",
    }
}


def _people(customer) -> Q:
    """The customer and the records merged into it (the same person's earlier records)."""
    return Q(pk=customer.pk) | Q(merged_into=customer)


def _ids(customer) -> list:
    return list(Customer.objects.filter(_people(customer)).values_list("pk", flat=True))


def rows(customer) -> dict:
    ids = _ids(customer)
    return {
        "customers.Customer": stored_rows(Customer.objects.filter(pk__in=ids)),
        "customers.CustomerIdentifier": stored_rows(
            CustomerIdentifier.objects.filter(customer_id__in=ids)
        ),
        "customers.CustomerRelation": stored_rows(
            CustomerRelation.objects.filter(Q(from_customer_id__in=ids) | Q(to_customer_id__in=ids))
        ),
        "customers.PortfolioAssignment": stored_rows(
            PortfolioAssignment.objects.filter(customer_id__in=ids)
        ),
        "customers.DuplicateFlag": stored_rows(
            DuplicateFlag.objects.filter(Q(customer_a_id__in=ids) | Q(customer_b_id__in=ids))
        ),
        "customers.MergeRequest": stored_rows(
            MergeRequest.objects.filter(Q(survivor_id__in=ids) | Q(absorbed_id__in=ids))
        ),
        "customers.FraudFlagChange": stored_rows(
            FraudFlagChange.objects.filter(customer_id__in=ids),
            withheld=WITHHELD["customers.FraudFlagChange"],
        ),
    }


def trail(customer) -> dict:
    ids = _ids(customer)
    merges = MergeRequest.objects.filter(Q(survivor_id__in=ids) | Q(absorbed_id__in=ids))
    return {
        "customers.Customer": [str(pk) for pk in ids],
        "customers.MergeRequest": [str(pk) for pk in merges.values_list("pk", flat=True)],
    }


SECTION = SubjectSection(
    label=_("Data induk nasabah"),
    models=(
        "customers.Customer",
        "customers.CustomerIdentifier",
        "customers.CustomerRelation",
        "customers.PortfolioAssignment",
        "customers.DuplicateFlag",
        "customers.MergeRequest",
        "customers.FraudFlagChange",
    ),
    rows=rows,
    trail=trail,
    withheld=WITHHELD,
)
