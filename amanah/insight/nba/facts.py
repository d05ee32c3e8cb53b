"""Every fact the NBA rules read for one customer, in one statement (the live 360 path).

One SELECT on the customer row brings, each through ``visible_to(actor)``: the latest RFM
segment and CLV proxy, the first open case (by SLA due moment) and whether one was ever a
fraud/scam case, the last RM contact, the oldest NEW lead, whether the customer objected to
profiling (consent's ``objects_to_profiling``), the marketing consent state, the
spending categories of the last 180 days, the recent decisions that keep a recommendation
quiet, a stamp of the rule table (``rules_stamp``: the rule cache's check), and consent's own
answer (``with_contact_checks``, the set form of ``contactability``) for each purpose and
channel the active rules ask about.

Building that statement through the ORM costs more CPU than running it, so it is a read kept
compiled (``core.prepared``) per grants, contact questions and consent's checks for them, and
whether merchants are readable; the customer and the moments are its parameters.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.contrib.postgres.expressions import ArraySubquery
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Case as SqlCase
from django.db.models import Count, Exists, OuterRef, Q, Subquery, Value, When
from django.db.models.expressions import Func, RawSQL
from django.db.models.functions import Concat
from django.utils import timezone

from amanah.cases.models import OPEN_STATUSES, Case
from amanah.consent.contract import (
    blocked_flag,
    objects_to_profiling,
    reason_codes,
    with_contact_checks,
)
from amanah.consent.models import ConsentState
from amanah.core.prepared import prepared
from amanah.customers.models import Customer
from amanah.insight.models import RfmScore, Transaction
from amanah.insight.nba.models import Decision, NbaDecision
from amanah.sales.models import Lead, LeadStatus, RmActivity

QUIET_DAYS = 30  # an accepted or rejected recommendation stays away this long
CATEGORY_DAYS = 180  # the spending categories' window (merchants.selectors.spending_categories)
FRAUD_CATEGORY = "FRAUD_SCAM"

# Every column of every rule row: any change to the table (a version, an outcome counted,
# a direct edit) changes it.
RULES_STAMP_SQL = "SELECT md5(string_agg(r::text, ',' ORDER BY r.code)) FROM insight_nbarule r"


_NO_TEXT = Value([], output_field=ArrayField(models.TextField()))


class _Codes(Func):
    """The codes whose condition holds, in order: ``ARRAY_REMOVE(ARRAY[CASE …], NULL)``."""

    template = "ARRAY_REMOVE(ARRAY[%(expressions)s]::text[], NULL)"
    output_field = ArrayField(models.TextField())


@dataclass(frozen=True)
class Row:
    """What the statement read, before the rules' facts are derived from it."""

    rfm_segment: str | None
    clv_proxy: str | None
    open_case_id: object
    open_case_due: datetime | None
    fraud_case_ever: bool
    last_contact: datetime | None
    lead_id: object
    lead_created_at: datetime | None
    marketing: str | None
    profiling_objected: bool
    categories: list
    quiet: set
    rules_stamp: str
    refusals: dict  # (purpose, channel) -> tuple of consent's reason codes


def _contact_reasons(purpose: str, channel: str) -> Subquery:
    """Consent's answer for the customer as an array of reason codes (its published set
    form, so it is the same rule as ``contactability``, in the same order)."""
    checked = with_contact_checks(
        Customer.objects.filter(pk=OuterRef("pk")), purpose, channel, reason="_first"
    )
    present = [c for c in reason_codes(purpose) if blocked_flag(c) in checked.query.annotations]
    codes = [SqlCase(When(Q(**{blocked_flag(c): True}), then=Value(c))) for c in present]
    if not codes:
        return _NO_TEXT
    return Subquery(checked.annotate(_codes=_Codes(*codes)).values("_codes")[:1])


@prepared(Customer, params=("customer", "now", "quiet_since", "spent_since"))
def _statement(
    actor, *, customer, now, quiet_since, spent_since, questions, checks, with_categories
):
    """``checks`` (consent's reason codes per question) is part of the shape only: a blocker
    registered or removed (a test's, another profile's) changes the contact parts."""
    cases = Case.objects.visible_to(actor).filter(customer=OuterRef("pk"))
    open_cases = cases.filter(status__in=OPEN_STATUSES).order_by("sla_due_at", "pk")
    rfm = RfmScore.objects.visible_to(actor).filter(customer=OuterRef("pk")).order_by("-run_id")
    lead = (
        Lead.objects.visible_to(actor)
        .filter(customer=OuterRef("pk"), status=LeadStatus.NEW)
        .order_by("created_at", "pk")
    )
    quiet = NbaDecision.objects.filter(customer=OuterRef("pk")).filter(
        Q(decision=Decision.SNOOZED, snoozed_until__gt=now)
        | Q(decision__in=[Decision.ACCEPTED, Decision.REJECTED], decided_at__gte=quiet_since)
    )
    columns = {
        "rfm_segment": Subquery(rfm.values("segment")[:1]),
        "clv_proxy": Subquery(rfm.values("clv_proxy")[:1]),
        "open_case_id": Subquery(open_cases.values("pk")[:1]),
        "open_case_due": Subquery(open_cases.values("sla_due_at")[:1]),
        "fraud_case_ever": Exists(cases.filter(category_id=FRAUD_CATEGORY)),
        "last_contact": Subquery(
            RmActivity.objects.visible_to(actor)
            .filter(customer=OuterRef("pk"))
            .order_by("-created_at")
            .values("created_at")[:1]
        ),
        "lead_id": Subquery(lead.values("pk")[:1]),
        "lead_created_at": Subquery(lead.values("created_at")[:1]),
        "marketing": Subquery(
            ConsentState.objects.filter(customer=OuterRef("pk"), consent_type="MARKETING").values(
                "status"
            )[:1]
        ),
        "profiling_objected": objects_to_profiling(),
        "quiet": ArraySubquery(
            quiet.annotate(
                _key=Concat(
                    "rule_id", Value("|"), "related_entity_id", output_field=models.TextField()
                )
            ).values("_key")
        ),
        "categories": _categories(actor, spent_since) if with_categories else _NO_TEXT,
        "rules_stamp": RawSQL(RULES_STAMP_SQL, ()),  # noqa: S611 — constant SQL, no values
    }
    for n, (purpose, channel) in enumerate(questions):
        columns[f"contact_{n}"] = _contact_reasons(purpose, channel)
    return Customer.objects.filter(pk=customer.pk).annotate(**columns).values(*columns)


def _categories(actor, spent_since) -> ArraySubquery:
    """The merchant categories the customer paid in since the window's start, most used
    first (``merchants.selectors.spending_categories``' order)."""
    return ArraySubquery(
        Transaction.objects.visible_to(actor)
        .filter(customer=OuterRef("pk"), booked_on__gte=spent_since)
        .exclude(merchant_category="")
        .values("merchant_category")
        .annotate(n=Count("pk"))
        .order_by("-n", "merchant_category")
        .values("merchant_category")
    )


def read(customer, actor, questions: tuple, *, with_categories: bool, now=None) -> Row:
    """The statement for ``customer`` as ``actor`` sees it; ``questions`` are the (purpose,
    channel) pairs whose contactability it answers."""
    now = now or timezone.now()
    (got,) = _statement(
        actor,
        customer=customer,
        now=now,
        quiet_since=now - timedelta(days=QUIET_DAYS),
        spent_since=timezone.localdate(now) - timedelta(days=CATEGORY_DAYS)
        if with_categories
        else None,  # read only with the categories
        questions=questions,
        checks=tuple(tuple(reason_codes(purpose)) for purpose, _channel in questions),
        with_categories=with_categories,
    )
    return Row(
        rfm_segment=got["rfm_segment"],
        clv_proxy=got["clv_proxy"],
        open_case_id=got["open_case_id"],
        open_case_due=got["open_case_due"],
        fraud_case_ever=bool(got["fraud_case_ever"]),
        last_contact=got["last_contact"],
        lead_id=got["lead_id"],
        lead_created_at=got["lead_created_at"],
        marketing=got["marketing"],
        profiling_objected=bool(got["profiling_objected"]),
        categories=list(got["categories"] or []),
        quiet={tuple(k.split("|", 1)) for k in got["quiet"] or []},
        rules_stamp=got["rules_stamp"] or "",
        refusals={q: tuple(got[f"contact_{n}"] or ()) for n, q in enumerate(questions)},
    )
