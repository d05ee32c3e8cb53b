"""NBA reads triggered by a user, each through ``visible_to(actor)``."""

from __future__ import annotations

from django.db.models import Count, Q

from amanah.consent.contract import profiled
from amanah.insight.nba.models import (
    ActionType,
    ChangeStatus,
    Decision,
    NbaDecision,
    NbaRule,
    NbaRuleChange,
    Outcome,
    PortfolioRecommendation,
)

PENDING_SHOWN = 5
WORKLIST_SHOWN = 200


def pending_outcomes(customer, actor) -> list[NbaDecision]:
    """Accepted recommendations of this customer still waiting for their outcome."""
    return list(
        NbaDecision.objects.visible_to(actor)
        .filter(customer=customer, decision=Decision.ACCEPTED, outcome=Outcome.PENDING)
        .order_by("-decided_at")[:PENDING_SHOWN]
    )


def rule_list(*, actor) -> list[NbaRule]:
    return list(NbaRule.objects.visible_to(actor).order_by("code"))


def rule_get(*, actor, code) -> NbaRule:
    from amanah.core.errors import NotFound

    rule = (
        NbaRule.objects.visible_to(actor).filter(pk=code).first() if isinstance(code, str) else None
    )
    if rule is None:
        raise NotFound()
    return rule


def open_changes(*, actor) -> list[NbaRuleChange]:
    return list(
        NbaRuleChange.objects.visible_to(actor)
        .filter(status=ChangeStatus.PROPOSED)
        .order_by("created_at")
    )


def rates_by_action_type(*, actor) -> list[dict]:
    """Acceptance rate (accepted of decided) and success rate (SUCCESS of settled outcomes)
    per action type, over the decisions the actor may see, in one aggregate."""
    rows = (
        NbaDecision.objects.visible_to(actor)
        .values("action_type")
        .annotate(
            decided=Count("pk"),
            accepted=Count("pk", filter=Q(decision=Decision.ACCEPTED)),
            settled=Count("pk", filter=Q(outcome__in=[Outcome.SUCCESS, Outcome.FAILED])),
            success=Count("pk", filter=Q(outcome=Outcome.SUCCESS)),
        )
    )
    found = {r["action_type"]: r for r in rows}
    out = []
    for code, label in ActionType.choices:
        r = found.get(code, {"decided": 0, "accepted": 0, "settled": 0, "success": 0})
        out.append(
            {
                "code": code,
                "label": label,
                **{k: r[k] for k in ("decided", "accepted", "settled", "success")},
                "acceptance": 100 * r["accepted"] / r["decided"] if r["decided"] else None,
                "success_rate": 100 * r["success"] / r["settled"] if r["settled"] else None,
            }
        )
    return out


def _worklist(actor):
    """The actor's own worklist rows whose customer the actor may still see and may still
    profile (a scope taken away, or an objection to profiling, since the nightly run hides
    the row at once)."""
    from amanah.customers.models import Customer

    return profiled(
        PortfolioRecommendation.objects.visible_to(actor).filter(
            customer__in=Customer.objects.visible_to(actor)
        ),
        "customer_id",
    )


def portfolio_worklist(actor) -> list[PortfolioRecommendation]:
    """The RM's customers with recommendations, highest top score first."""
    return list(
        _worklist(actor)
        .select_related("customer")
        .order_by("-top_score", "customer_id")[:WORKLIST_SHOWN]
    )


def portfolio_badge(actor) -> int:
    """The menu's badge: customers of the actor's portfolio with a recommendation (capped)."""
    from amanah.core.navigation import BADGE_CAP

    return _worklist(actor)[:BADGE_CAP].count()
