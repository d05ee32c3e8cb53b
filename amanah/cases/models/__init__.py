"""The tables of cases, split by topic: ``choices`` (the codes and their labels), ``case`` (the
complaint, its log, categories, SLA policies, resolution codes, saved filters), ``routing``
(routing rules and members) and ``classifier`` (suggestions, trained versions). Every model
has a docstring; callers keep using ``from amanah.cases.models import …``."""

from amanah.cases.models.case import (
    Case,
    CaseActivity,
    CaseAttachment,
    CaseCategory,
    CaseNumberSequence,
    CaseSurvey,
    ResolutionCode,
    SavedQueueFilter,
    SlaPolicy,
)
from amanah.cases.models.choices import (
    FINAL_RESPONSE_MIN_LENGTH,
    OPEN_STATUSES,
    ActivityType,
    CaseStatus,
    Channel,
    NoteKind,
    Priority,
    RootCause,
    RoutingStrategy,
    SuggestionReason,
    SuggestionStatus,
    TimeUnit,
)
from amanah.cases.models.classifier import (
    CategorySuggestion,
    ClassifierModel,
)
from amanah.cases.models.routing import (
    RoutingMember,
    RoutingRule,
)

__all__ = [
    "FINAL_RESPONSE_MIN_LENGTH",
    "OPEN_STATUSES",
    "ActivityType",
    "Case",
    "CaseActivity",
    "CaseAttachment",
    "CaseCategory",
    "CaseNumberSequence",
    "CaseStatus",
    "CaseSurvey",
    "CategorySuggestion",
    "Channel",
    "ClassifierModel",
    "NoteKind",
    "Priority",
    "ResolutionCode",
    "RootCause",
    "RoutingMember",
    "RoutingRule",
    "RoutingStrategy",
    "SavedQueueFilter",
    "SlaPolicy",
    "SuggestionReason",
    "SuggestionStatus",
    "TimeUnit",
]
