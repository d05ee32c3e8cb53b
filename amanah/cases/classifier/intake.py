"""The classifier at intake. ``cases.services.case_create`` — the one path for every new case —
asks :func:`plan_intake` before it validates and :func:`record_intake` after its own audit row:

* the profile's classifier is off (``CASE_CLASSIFIER_PROFILE`` = "") → nothing changes;
* the agent chose a category → it stands (a human label for the retraining);
* else ``decision.decide``: the system sets category and priority itself (AUTO, a line and
  an audit row by ``integration:cases-classifier``), or the complaint waits for an agent with
  the reason (PENDING: low confidence, a category only people set, signs of fraud or of an
  officer's misconduct — under that sensitive category then), or no model is there yet
  (WAITING: the training job is queued, and classifies it once it has trained one).

Nothing here trains: the model is the active stored version (``store.current``), loaded once
per process; a web request that finds none files the complaint and queues the job.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.utils import timezone
from django.utils.translation import gettext as _

from amanah.audit import services as audit
from amanah.audit.models import AuditAction
from amanah.cases.classifier import decision, store
from amanah.cases.classifier.services import (
    CLASSIFIER,
    active_profile,
    priority_for,
    priority_reason,
    threshold_of,
)
from amanah.cases.models import (
    ActivityType,
    Case,
    CaseCategory,
    CategorySuggestion,
    Priority,
    SuggestionReason,
    SuggestionStatus,
)
from amanah.core.actors import user_or_none
from amanah.core.errors import ServiceError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class IntakePlan:
    profile: str
    status: str  # SuggestionStatus
    reason: str  # SuggestionReason ("" when the system or the agent set the category)
    suggested: str | None  # category code; None without a model
    confidence: float
    words: tuple[str, ...]
    priority: str
    given_priority: str  # the agent's priority at intake, "" when left to the classifier
    rules: tuple[str, ...]
    category_code: str  # what the case gets
    model_version: int


def _categories_ready(profile, category_code: str) -> bool:
    categories = {label.category for label in profile.labels}
    present = set(
        CaseCategory.objects.filter(code__in=categories, active=True).values_list("code", flat=True)
    )
    if present == categories:
        return True
    if not category_code:
        raise ServiceError(
            "classifier_not_ready",
            _("Kategori klasifikasi otomatis belum disiapkan; pilih kategori (hubungi Admin)."),
            field="category",
        )
    log.warning("classifier: the categories of profile %s are not seeded", profile.key)
    return False


def judge(profile, text: str, loaded) -> decision.Decision:
    """``decision.decide`` with the loaded model (or none) and the threshold in force."""
    prediction = loaded.model.predict(text) if loaded is not None else None
    return decision.decide(
        profile, text, prediction, threshold_of(loaded), have_model=loaded is not None
    )


def plan_intake(*, category_code: str, priority: str, text: str, customer) -> IntakePlan | None:
    """What the classifier does with a new complaint (see the module docstring); None when
    the classifier is off. Never raises on the text, never trains."""
    profile = active_profile()
    if profile is None or not _categories_ready(profile, category_code):
        return None
    loaded = store.current(profile.key)
    made = judge(profile, text, loaded)
    suggested = profile.label(made.label).category if made.label else None
    given = priority if priority in Priority.values else ""  # anything else is refused later
    if category_code:
        decided = profile.label_for_category(category_code)
        status, reason, chosen = SuggestionStatus.MANUAL, "", category_code
        rule_label = decided.code if decided else (made.label or made.hold)
    else:
        status, reason = made.status, made.reason
        chosen = profile.label(made.hold).category
        rule_label = made.label or made.hold
    if priority and status == SuggestionStatus.MANUAL:
        new_priority, fired = priority, []  # the agent chose both: theirs stand
    else:
        new_priority, fired = priority_for(profile, rule_label, text, customer, given)
    return IntakePlan(
        profile=profile.key,
        status=status,
        reason=reason,
        suggested=suggested,
        confidence=made.confidence,
        words=made.words,
        priority=new_priority,
        given_priority=given,
        rules=tuple(fired),
        category_code=chosen,
        model_version=loaded.version if loaded is not None else 0,
    )


def auto_line(case: Case, profile, *, confidence, rules, model_version) -> None:
    """The case log's line and the audit row of a category the system set itself (by
    ``CLASSIFIER``; the confidence, the version and the rules — never the text or its words)."""
    from amanah.cases.services.base import _log

    label = profile.label_for_category(case.category_id) if profile else None
    reason = priority_reason(profile, case.priority, label and label.code, rules)
    _log(
        case,
        CLASSIFIER,
        ActivityType.CLASSIFY,
        _("Kategori dan prioritas diatur otomatis oleh sistem (keyakinan %(p)s%%); prioritas %(r)s")
        % {"p": round(confidence * 100), "r": reason},
        category=case.category_id,
        priority=case.priority,
        confidence=confidence,
        rules=list(rules),
    )
    audit.record(
        actor=CLASSIFIER,
        action=AuditAction.UPDATE_CASE,
        obj=case,
        meta={
            "change": "auto_classify",
            "category": case.category_id,
            "priority": case.priority,
            "confidence": confidence,
            "model_version": model_version,
            "rules": list(rules),
        },
    )


def waiting_line(case: Case, reason: str, confidence: float, suggested) -> None:
    """The case log's line for a complaint that waits for an agent (or for a model)."""
    from amanah.cases.services.base import _log

    if reason == SuggestionReason.NO_MODEL:
        text = _("Model klasifikasi belum tersedia: kategori disarankan setelah pelatihan")
    else:
        text = _("Saran kategori menunggu keputusan petugas: %(why)s (keyakinan %(p)s%%)") % {
            "why": SuggestionReason(reason).label,
            "p": round(confidence * 100),
        }
    _log(
        case,
        CLASSIFIER,
        ActivityType.CLASSIFY,
        text,
        suggested=suggested,
        confidence=confidence,
        reason=reason,
    )


def queue_training() -> None:
    """The training job, unless one is already waiting (it trains the first model and then
    classifies the complaints that waited for it)."""
    from amanah.cases.tasks import case_classifier_retrain_job
    from amanah.core.tasks import defer_unless_waiting

    defer_unless_waiting(case_classifier_retrain_job, timestamp=int(timezone.now().timestamp()))


def record_intake(*, actor, case: Case, plan: IntakePlan) -> CategorySuggestion:
    """Keep the suggestion with the case; its line (and audit row, when the system set the
    category); the training job queued when no model could be asked. Inside ``case_create``'s
    transaction, after its own audit row."""
    from amanah.cases.classifier import profiles

    manual = plan.status == SuggestionStatus.MANUAL
    suggestion = CategorySuggestion.objects.create(
        case=case,
        profile=plan.profile,
        model_version=plan.model_version,
        suggested_id=plan.suggested,
        confidence=plan.confidence,
        words=list(plan.words),
        priority=plan.priority,
        given_priority=plan.given_priority,
        priority_rules=list(plan.rules),
        status=plan.status,
        reason=plan.reason,
        chosen_id=plan.category_code if manual else None,
        decided_by=user_or_none(actor) if manual else None,
        decided_at=timezone.now() if manual else None,
    )
    if plan.status == SuggestionStatus.AUTO:
        auto_line(
            case,
            profiles.get(plan.profile),
            confidence=plan.confidence,
            rules=plan.rules,
            model_version=plan.model_version,
        )
    elif not manual:
        waiting_line(case, plan.reason, plan.confidence, plan.suggested)
    if plan.model_version == 0 and (plan.status == SuggestionStatus.WAITING or manual):
        queue_training()
    return suggestion


def waiting_rows(profile_key: str):
    """The complaints of a profile that wait for a model, oldest first."""
    return CategorySuggestion.objects.filter(
        profile=profile_key, status=SuggestionStatus.WAITING
    ).order_by("pk")
