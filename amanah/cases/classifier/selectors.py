"""The case page's classifier panel: the suggestion of a case the actor may open."""

from __future__ import annotations

from amanah.cases.classifier import profiles
from amanah.cases.classifier.services import OPEN_DECISIONS, rule_names
from amanah.cases.models import (
    CaseCategory,
    CategorySuggestion,
    SuggestionReason,
    SuggestionStatus,
)
from amanah.cases.policies import CASE_UPDATE
from amanah.cases.sensitivity import may_see_sensitive
from amanah.core.prepared import prepared
from amanah.iam import authz

SIGN_REASONS = (SuggestionReason.FRAUD_SIGNS, SuggestionReason.MISCONDUCT_SIGNS)


@prepared(CategorySuggestion, params=("case_id",))
def _suggestion_of(actor, *, case_id):
    return (
        CategorySuggestion.objects.visible_to(actor)
        .filter(case_id=case_id)
        .select_related("suggested", "chosen")
        .order_by("pk")[:1]
    )


def suggestion_panel(case, *, actor) -> dict:
    """The suggested category, its confidence and words, why the system did not set it by
    itself, what became of it, and whether the actor may accept it or pick another (an open
    case, a suggestion not yet decided). The words come from the complaint: not shown to an
    actor who may not read a sensitive case's details."""
    suggestion = _suggestion_of.first(actor, case_id=case.pk)
    if suggestion is None:
        return {"suggestion": None}
    open_decision = suggestion.status in OPEN_DECISIONS
    may_decide = open_decision and case.is_open and authz.has_perm(actor, CASE_UPDATE)
    return {
        "suggestion": suggestion,
        "percent": round(suggestion.confidence * 100),
        "pending": suggestion.status == SuggestionStatus.PENDING,
        "waiting": suggestion.status == SuggestionStatus.WAITING,
        "words": suggestion.words if may_see_sensitive(actor, case) else [],
        # A guard's matched phrases ("Tanda:"), not the model's words.
        "signs": suggestion.reason in SIGN_REASONS,
        "rules": rule_names(profiles.get(suggestion.profile), suggestion.priority_rules),
        "may_decide": may_decide,
        "categories": list(CaseCategory.objects.filter(active=True).values_list("code", "name"))
        if may_decide
        else [],
    }
