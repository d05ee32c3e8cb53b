"""May this customer join the desk? One rule, in two forms side by side (DESIGN §2.1: "where a
rule must also run set-based, keep both forms side by side and test that they agree";
``tests/test_enrolment.py`` does):

* ``join_refusal(customer)`` — the code of the first reason the customer may not join, or "":
  for one enrolment (``member_enrol``, ``member_import``), which turns it into a ServiceError;
* ``joinable(customers)`` — the same rule as a filter over a queryset: for the enrolment job,
  thousands of customers in one statement (``enrolment``).

Who may not join: a closed or merged customer (CLOSED, MERGED — the desk lets them go,
``services.exits``); one who withdrew marketing consent altogether (the desk exists to
persuade, and they said no); one on the do-not-contact list (consent's ``Suppression``: asked
not to be offered anything, through any channel). The caller holds consent's lock on the
customer (``lock_customer_for_consent``), so a withdrawal or a do-not-contact at the same
moment either committed before this looks, or waits and then finds the member to let go.

Whether the customer is already on the desk is not part of it: ``member_enrol`` answers that
after the desk's lock (``already_member``), the job's INSERT skips open members
(``ON CONFLICT DO NOTHING`` on the one-open-membership index).
"""

from __future__ import annotations

from django.db.models import Exists, OuterRef, QuerySet
from django.utils.translation import gettext_lazy as _

from amanah.consent.models import ConsentState, ConsentStatus, ConsentType, Suppression
from amanah.customers.models import Customer, CustomerStatus

CUSTOMER_CLOSED = "customer_closed"
CONSENT_WITHDRAWN = "consent_withdrawn"
DO_NOT_CONTACT = "do_not_contact"

REFUSALS = {
    CUSTOMER_CLOSED: _("Nasabah ini sudah ditutup atau digabung."),
    CONSENT_WITHDRAWN: _("Nasabah ini telah menarik persetujuan pemasaran."),
    DO_NOT_CONTACT: _("Nasabah ini ada di daftar jangan dihubungi."),
}


def _marketing_withdrawn() -> QuerySet:
    return ConsentState.objects.filter(
        customer=OuterRef("pk"),
        consent_type=ConsentType.MARKETING,
        status=ConsentStatus.WITHDRAWN,
    )


def join_refusal(customer: Customer) -> str:
    """The first reason ``customer`` may not join the desk (a code of ``REFUSALS``), or ""."""
    row = (
        Customer.objects.filter(pk=customer.pk)
        .annotate(
            withdrawn=Exists(_marketing_withdrawn()),
            suppressed=Exists(Suppression.objects.filter(customer=OuterRef("pk"))),
        )
        .values("status", "merged_into", "withdrawn", "suppressed")
        .get()
    )
    if row["status"] == CustomerStatus.CLOSED or row["merged_into"]:
        return CUSTOMER_CLOSED
    if row["withdrawn"]:
        return CONSENT_WITHDRAWN
    if row["suppressed"]:
        return DO_NOT_CONTACT
    return ""


def joinable(customers: QuerySet[Customer]) -> QuerySet[Customer]:
    """``customers`` less those ``join_refusal`` refuses (the same rule, as SQL: two NOT EXISTS
    on the consent state's and the do-not-contact list's unique customer keys)."""
    return (
        customers.filter(merged_into__isnull=True)
        .exclude(status=CustomerStatus.CLOSED)
        .exclude(Exists(_marketing_withdrawn()))
        .exclude(Exists(Suppression.objects.filter(customer=OuterRef("pk"))))
    )
