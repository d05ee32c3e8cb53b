"""Survey reads, scoped by the actor (``SurveyInvitation.objects.visible_to``).

:func:`survey_metrics` — seed 001 §9, over the invitations the actor may see (optionally one
customer, one branch, a period):

* **CSAT %** = answers 4–5 ÷ CSAT answers × 100;
* **NPS** = % promoters (9–10) − % detractors (0–6) of the NPS answers, −100 … 100;
* **CES** = the mean CES score (1–5), shown beside them;
* **response rate** = answered ÷ sent × 100, all types; an invitation that was never sent
  (no address, not contactable) is not in the denominator.

None where there is nothing to divide by. One aggregate query (conditional counts).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Avg, Count, OuterRef, Q, Subquery

from amanah.cases.models import Case
from amanah.core.errors import NotFound
from amanah.core.prepared import prepared
from amanah.iam import authz
from amanah.iam.models import Branch
from amanah.surveys.models import InvitationStatus, SurveyInvitation, SurveyType

ANSWERED = Q(responded_at__isnull=False)
SENT = Q(status__in=[InvitationStatus.SENT, InvitationStatus.RESPONDED])


@dataclass(frozen=True)
class SurveyMetrics:
    sent: int
    answered: int
    csat_answers: int
    csat_satisfied: int
    nps_answers: int
    promoters: int
    detractors: int
    ces_answers: int
    ces_mean: float | None

    @staticmethod
    def _pct(part: int, whole: int) -> float | None:
        return round(100 * part / whole, 1) if whole else None

    @property
    def csat_pct(self) -> float | None:
        return self._pct(self.csat_satisfied, self.csat_answers)

    @property
    def nps(self) -> float | None:
        if not self.nps_answers:
            return None
        return round(100 * (self.promoters - self.detractors) / self.nps_answers, 1)

    @property
    def response_rate(self) -> float | None:
        return self._pct(self.answered, self.sent)


def _scoped(actor, *, customer=None, branch=None, since=None, until=None):
    rows = SurveyInvitation.objects.visible_to(actor)
    if customer is not None:
        rows = rows.filter(customer=customer)
    if branch is not None:
        rows = rows.filter(branch=branch)
    if since is not None:
        rows = rows.filter(created_at__gte=since)
    if until is not None:
        rows = rows.filter(created_at__lt=until)
    return rows


def _figures() -> dict:
    csat = ANSWERED & Q(survey_type=SurveyType.CSAT)
    nps = ANSWERED & Q(survey_type=SurveyType.NPS)
    ces = ANSWERED & Q(survey_type=SurveyType.CES)
    return {
        "sent": Count("pk", filter=SENT),
        "answered": Count("pk", filter=ANSWERED),
        "csat_answers": Count("pk", filter=csat),
        "csat_satisfied": Count("pk", filter=csat & Q(score__gte=4)),
        "nps_answers": Count("pk", filter=nps),
        "promoters": Count("pk", filter=nps & Q(score__gte=9)),
        "detractors": Count("pk", filter=nps & Q(score__lte=6)),
        "ces_answers": Count("pk", filter=ces),
        "ces_mean": Avg("score", filter=ces),
    }


def _metrics(figures: dict) -> SurveyMetrics:
    figures = {k: v for k, v in figures.items() if k in SurveyMetrics.__dataclass_fields__}
    mean = figures.pop("ces_mean")
    return SurveyMetrics(**figures, ces_mean=round(float(mean), 2) if mean is not None else None)


def survey_metrics(actor, **filters) -> SurveyMetrics:
    """The figures over the invitations the actor may see (``customer``, ``branch``,
    ``since``, ``until`` narrow them); one query."""
    return _metrics(_scoped(actor, **filters).aggregate(**_figures()))


def survey_metrics_by_branch(actor, *, since=None, until=None) -> dict:
    """``{branch id: SurveyMetrics}`` for the branches with invitations the actor may see; one
    grouped query."""
    rows = (
        _scoped(actor, since=since, until=until)
        .order_by()
        .values("branch_id")
        .annotate(**_figures())
    )
    return {row["branch_id"]: _metrics(row) for row in rows}


@prepared(SurveyInvitation, params=("customer",))
def survey_recent(actor, *, customer, limit: int = 5) -> list[SurveyInvitation]:
    """The customer's latest invitations the actor may see (the 360 card).

    ``surveys.view`` is scoped by branch; a case may be narrower (an agent without
    ``case.view.branch`` opens only their own). So each row carries ``visible_case_no``: the
    case's number when the case is in ``Case.objects.visible_to(actor)``, else None — the card
    never names a case the reader may not open."""
    visible_case = Case.objects.visible_to(actor).filter(pk=OuterRef("case_id"))
    return (
        SurveyInvitation.objects.visible_to(actor)
        .filter(customer=customer)
        .annotate(visible_case_no=Subquery(visible_case.values("case_no")[:1]))
        .order_by("-created_at")[:limit]
    )


# A customer has a handful of invitations (one per closed case at most): for the 360 card
# they are read once and counted here. Past this many, the figures come from the database.
CUSTOMER_ROWS_COUNTED = 200


def customer_surveys(actor, *, customer, limit: int = 5) -> tuple[SurveyMetrics, list]:
    """The 360 card's figures and latest ``limit`` invitations of one customer, as far as the
    actor may see them: one read of the customer's invitations (``survey_recent``'s rows),
    the figures counted from it by :func:`_figures_of` — the same definitions as
    :func:`survey_metrics`, which answers instead when there are too many rows to count."""
    cap = max(CUSTOMER_ROWS_COUNTED, limit)
    rows = survey_recent(actor, customer=customer, limit=cap + 1)
    if len(rows) > cap:
        return survey_metrics(actor, customer=customer), rows[:limit]
    return _metrics(_figures_of(rows)), rows[:limit]


def _figures_of(rows) -> dict:
    """:func:`_figures` over rows already read (NULL scores count nowhere, as in SQL)."""
    sent_statuses = (InvitationStatus.SENT, InvitationStatus.RESPONDED)
    answered = [r for r in rows if r.responded_at is not None]
    by_type = {t: [r for r in answered if r.survey_type == t] for t in SurveyType.values}
    csat, nps = by_type[SurveyType.CSAT], by_type[SurveyType.NPS]
    ces, ces_scores = (
        by_type[SurveyType.CES],
        [r.score for r in by_type[SurveyType.CES] if r.score is not None],
    )
    return {
        "sent": sum(1 for r in rows if r.status in sent_statuses),
        "answered": len(answered),
        "csat_answers": len(csat),
        "csat_satisfied": sum(1 for r in csat if r.score is not None and r.score >= 4),
        "nps_answers": len(nps),
        "promoters": sum(1 for r in nps if r.score is not None and r.score >= 9),
        "detractors": sum(1 for r in nps if r.score is not None and r.score <= 6),
        "ces_answers": len(ces),
        "ces_mean": sum(ces_scores) / len(ces_scores) if ces_scores else None,
    }


def branch_for_report(actor, branch_id) -> Branch:
    """A branch in the actor's scope (``iam.authz.branch_scope``); NotFound otherwise."""
    branch = Branch.objects.filter(pk=branch_id).first()
    if branch is None or not authz.branch_scope(actor).allows(branch.pk):
        raise NotFound
    return branch


def branches_for_report(actor) -> list[Branch]:
    """The active branches in the actor's scope, by code."""
    return list(
        authz.filter_by_branch_scope(
            Branch.objects.filter(is_active=True), actor, field="pk"
        ).order_by("code")
    )
