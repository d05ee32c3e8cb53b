"""May this customer be profiled? Consent's second published rule (UU PDP Pasal 10).

UU PDP Pasal 10 gives the data subject the right to object to decisions taken only on
automated processing, profiling included. The house profiles customers in five places: the
RFM segment and CLV proxy (insight), the Next Best Action with the RMs' nightly worklists
(insight), the partner-merchant suggestions (insight), the lead score (sales) and a journey's
RFM branch (journeys). Each asks this rule and never reads the consent state itself.

The rule: a customer is profiled unless the current state of their PROFILING consent (the
overall one, :class:`~amanah.consent.models.ConsentState`) is WITHDRAWN — they objected
("menolak profiling"). No record means no objection: profiling is an objection right, not an
opt-in like marketing offers. A later GRANTED lifts the objection. A PROFILING record for one
contact channel says nothing: profiling is not done on a channel.

It comes in two forms kept side by side and tested to agree (``tests/test_profiling.py``):

* :func:`profiling` — one customer: :class:`Profiling` (``allowed``, ``reason``, ``label``),
  read once per 360 view;
* :func:`objects_to_profiling` (an ``Exists`` over the customer of the outer row) and
  :func:`profiled` (a queryset without the objectors) for the ORM, and
  ``consent.sql.objects_to_profiling_sql(column)`` for a statement written by hand (the
  nightly RFM run).

An objection takes effect the moment it commits: readers ask at read time, so a result
computed before it (a score of last night's run, a worklist row) is neither shown nor used
from then on, and the nightly jobs leave the objector out. What happens to those earlier
results is the readers' side of the rule, written down in ``docs/privacy.md`` ("Objection to
profiling").
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Exists, OuterRef, QuerySet
from django.utils.translation import gettext_lazy as _

from amanah.consent.models import ConsentState, ConsentStatus, ConsentType
from amanah.core import reads

# The reason code readers keep (a lead's score, an NBA panel) and its Indonesian label.
PROFILING_OBJECTED = "PROFILING_OBJECTED"
PROFILING_OBJECTED_LABEL = _("Tidak diprofilkan: nasabah menolak profiling (UU PDP Pasal 10)")


@dataclass(frozen=True)
class Profiling:
    """The answer for one customer: ``allowed``, or the objection and since when."""

    allowed: bool
    objected_at: datetime | None = None

    @property
    def reason(self) -> str:
        return "" if self.allowed else PROFILING_OBJECTED

    @property
    def label(self) -> str:
        return "" if self.allowed else str(PROFILING_OBJECTED_LABEL)


def _objections():
    return ConsentState.objects.filter(
        consent_type=ConsentType.PROFILING, status=ConsentStatus.WITHDRAWN
    )


def profiling(customer) -> Profiling:
    """May ``customer`` be profiled? One query (once per customer inside
    ``consent.answered_once()``, e.g. the 360 page, whose cards all ask)."""
    key = ("consent.profiling", customer.pk)
    return reads.remembered(key, lambda: _profiling(customer.pk))


def _profiling(customer_id) -> Profiling:
    state = (
        ConsentState.objects.filter(customer_id=customer_id, consent_type=ConsentType.PROFILING)
        .values("status", "effective_at")
        .first()
    )
    if state is None or state["status"] != ConsentStatus.WITHDRAWN:
        return Profiling(True)
    return Profiling(False, state["effective_at"])


def objects_to_profiling(customer: str = "pk") -> Exists:
    """The set form: true for a row whose customer (the outer row's field ``customer``:
    ``"pk"`` on a Customer queryset, ``"customer_id"`` on a score or a lead) objected."""
    return Exists(_objections().filter(customer_id=OuterRef(customer)))


def profiled(rows: QuerySet, customer: str = "pk") -> QuerySet:
    """``rows`` without those whose customer objected to profiling (``customer`` as in
    :func:`objects_to_profiling`)."""
    return rows.filter(~objects_to_profiling(customer))
