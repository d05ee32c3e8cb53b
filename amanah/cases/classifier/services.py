"""The classifier at intake, the agent's decision on a suggestion, the retraining job and the
seeding of a profile's categories.

Intake (``cases.services.case_create``, the one path for every new case) asks
``plan_intake`` before it validates and ``record_intake`` after its own audit row:

* the profile's classifier is off (``CASE_CLASSIFIER_PROFILE`` = "") → nothing changes;
* the agent left the category empty and the confidence is at or above
  ``CASE_CLASSIFIER_THRESHOLD`` → the category and the priority are set by the system
  (``CLASSIFIER``: a CLASSIFY line on the case's log and an UPDATE_CASE audit row with the
  confidence);
* empty and below the threshold → the profile's fallback category ("Lainnya") until an agent
  accepts the suggestion or picks another on the case page (``suggestion_decide``);
* the agent chose a category → it stands; the suggestion is kept with the agent's choice, a
  human label for the retraining like every decision on the case page.

The priority is the label's own, raised by the profile's rules (main-pipe leak, area-wide
outage, vulnerable customer) and never below the one the agent gave.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from amanah.audit import services as audit
from amanah.audit.models import AuditAction
from amanah.cases.classifier import engine, profiles
from amanah.cases.models import (
    ActivityType,
    Case,
    CaseCategory,
    CategorySuggestion,
    ClassifierModel,
    Priority,
    SlaPolicy,
    SuggestionStatus,
)
from amanah.cases.policies import CASE_UPDATE
from amanah.core import events
from amanah.core.actors import declare_actor
from amanah.core.errors import ServiceError
from amanah.iam import authz

log = logging.getLogger(__name__)

# The system, when it sets a category and priority itself.
CLASSIFIER = declare_actor("cases-classifier", permissions=(CASE_UPDATE,), all_branches=True)
PRIORITY_ORDER = (Priority.LOW, Priority.MEDIUM, Priority.HIGH, Priority.CRITICAL)
HUMAN_LABEL_WEIGHT = 3.0  # an agent's decision counts as three generated complaints


def active_profile_key() -> str:
    return settings.CASE_CLASSIFIER_PROFILE or ""


def active_profile() -> profiles.Profile | None:
    return profiles.get(active_profile_key())


def _higher(a: str, b: str) -> str:
    return max(a, b, key=lambda p: PRIORITY_ORDER.index(p) if p in PRIORITY_ORDER else -1)


# --- the model in use ---------------------------------------------------------------------


def _human_labels(profile: profiles.Profile, upto: int) -> list[tuple[str, str]]:
    """(description, label) of every decided suggestion of the profile up to id ``upto``."""
    rows = (
        CategorySuggestion.objects.filter(profile=profile.key, chosen__isnull=False, pk__lte=upto)
        .order_by("pk")
        .values_list("case__description", "chosen_id")
    )
    out = []
    for text, category in rows:
        label = profile.label_for_category(category)
        if label is not None:
            out.append((text, label.code))
    return out


def train_model(profile: profiles.Profile, upto: int = 0) -> engine.TextModel:
    """The model of a recipe: the generated set (fixed seed) plus the human labels up to id
    ``upto``, each weighing ``HUMAN_LABEL_WEIGHT``. Same recipe, same model."""
    rows = profile.generate(seed=engine.SEED)
    human = _human_labels(profile, upto) if upto else []
    texts = [t for t, _label in rows] + [t for t, _label in human]
    labels = [label for _t, label in rows] + [label for _t, label in human]
    weights = [1.0] * len(rows) + [HUMAN_LABEL_WEIGHT] * len(human)
    return engine.train(texts, labels, weights if human else None)


def _active_row(profile: profiles.Profile) -> ClassifierModel | None:
    return ClassifierModel.objects.filter(profile=profile.key, active=True).first()


def model_for(profile: profiles.Profile) -> tuple[engine.TextModel, int]:
    """The profile's model in use and its version (0: the generated set alone), trained once
    per process and recipe (``engine.CACHE``)."""
    row = _active_row(profile)
    upto, version = (row.labels_upto, row.version) if row else (0, 0)
    model = engine.CACHE.get((profile.key, upto), lambda: train_model(profile, upto))
    return model, version


# --- intake -------------------------------------------------------------------------------


@dataclass(frozen=True)
class IntakePlan:
    profile: str
    status: str  # SuggestionStatus
    suggested: str  # category code
    confidence: float
    words: tuple[str, ...]
    priority: str
    rules: tuple[str, ...]
    category_code: str  # what the case gets
    model_version: int


def priority_for(profile, label: str, text: str, customer, given: str = "") -> tuple[str, list]:
    """The priority of a complaint of ``label`` and the rules that raised it."""
    item = profile.label(label)
    priority = item.priority if item else Priority.MEDIUM
    if given in PRIORITY_ORDER:
        priority = _higher(priority, given)
    lowered = engine.clean(text).lower()
    fired = []
    for rule in profile.rules:
        if rule.applies(lowered, label, customer):
            fired.append(rule.code)
            priority = _higher(priority, rule.priority)
    return priority, fired


def plan_intake(*, category_code: str, priority: str, text: str, customer) -> IntakePlan | None:
    """What the classifier does with a new complaint (see the module docstring); None when
    the classifier is off. Never raises on the text."""
    profile = active_profile()
    if profile is None:
        return None
    categories = {label.category for label in profile.labels}
    present = set(
        CaseCategory.objects.filter(code__in=categories, active=True).values_list("code", flat=True)
    )
    if present != categories:
        if not category_code:
            raise ServiceError(
                "classifier_not_ready",
                _("Kategori klasifikasi otomatis belum disiapkan; pilih kategori (hubungi Admin)."),
                field="category",
            )
        log.warning("classifier: the categories of profile %s are not seeded", profile.key)
        return None
    model, version = model_for(profile)
    prediction = model.predict(text)
    fallback = profile.label(profile.fallback)
    label = prediction.label if prediction else fallback.code
    confidence = round(prediction.confidence, 4) if prediction else 0.0
    suggested = profile.label(label).category
    if category_code:
        status, chosen = SuggestionStatus.MANUAL, category_code
        decided = profile.label_for_category(category_code)
        rule_label = decided.code if decided else label
    elif confidence >= settings.CASE_CLASSIFIER_THRESHOLD:
        status, chosen, rule_label = SuggestionStatus.AUTO, suggested, label
    else:
        status, chosen, rule_label = SuggestionStatus.PENDING, fallback.category, label
    if priority and status == SuggestionStatus.MANUAL:
        new_priority, fired = priority, []  # the agent chose both: theirs stand
    else:
        new_priority, fired = priority_for(profile, rule_label, text, customer, priority)
    return IntakePlan(
        profile=profile.key,
        status=status,
        suggested=suggested,
        confidence=confidence,
        words=prediction.words if prediction else (),
        priority=new_priority,
        rules=tuple(fired),
        category_code=chosen,
        model_version=version,
    )


def record_intake(*, actor, case: Case, plan: IntakePlan) -> CategorySuggestion:
    """Keep the suggestion with the case; for an automatic setting, the CLASSIFY line and the
    audit row by the system with the confidence. Inside ``case_create``'s transaction, after
    its own audit row."""
    from amanah.cases.services import _log

    manual = plan.status == SuggestionStatus.MANUAL
    suggestion = CategorySuggestion.objects.create(
        case=case,
        profile=plan.profile,
        model_version=plan.model_version,
        suggested_id=plan.suggested,
        confidence=plan.confidence,
        words=list(plan.words),
        priority=plan.priority,
        priority_rules=list(plan.rules),
        status=plan.status,
        chosen_id=plan.category_code if manual else None,
        decided_by=actor if manual and getattr(actor, "pk", None) else None,
        decided_at=timezone.now() if manual else None,
    )
    percent = round(plan.confidence * 100)
    if plan.status == SuggestionStatus.AUTO:
        _log(
            case,
            CLASSIFIER,
            ActivityType.CLASSIFY,
            _("Kategori dan prioritas diatur otomatis oleh sistem (keyakinan %(p)s%%)")
            % {"p": percent},
            category=plan.category_code,
            priority=plan.priority,
            confidence=plan.confidence,
            rules=list(plan.rules),
        )
        audit.record(
            actor=CLASSIFIER,
            action=AuditAction.UPDATE_CASE,
            obj=case,
            meta={
                "change": "auto_classify",
                "category": plan.category_code,
                "priority": plan.priority,
                "confidence": plan.confidence,
                "model_version": plan.model_version,
                "rules": list(plan.rules),
            },
        )
    elif plan.status == SuggestionStatus.PENDING:
        _log(
            case,
            CLASSIFIER,
            ActivityType.CLASSIFY,
            _("Saran kategori menunggu keputusan petugas (keyakinan %(p)s%%)") % {"p": percent},
            suggested=plan.suggested,
            confidence=plan.confidence,
        )
    return suggestion


# --- the agent's decision -----------------------------------------------------------------


@transaction.atomic
def suggestion_decide(*, actor, case: Case, category_code: str) -> CategorySuggestion:
    """The agent accepts the suggested category or picks another (a correction): the case
    takes it (with its SLA policy at the case's priority; the clocks run on), the decision is
    kept for the retraining, logged and audited."""
    from amanah.cases.services import _locked_in_scope, _log

    authz.require(actor, CASE_UPDATE)
    case = _locked_in_scope(actor, case)
    suggestion = (
        CategorySuggestion.objects.select_for_update(of=("self",)).filter(case=case).first()
    )
    if suggestion is None or suggestion.status not in (
        SuggestionStatus.AUTO,
        SuggestionStatus.PENDING,
    ):
        raise ServiceError(
            "no_open_suggestion", _("Tidak ada saran kategori yang menunggu keputusan.")
        )
    if not case.is_open:
        raise ServiceError("case_not_open", _("Kasus sudah tidak terbuka."))
    code = category_code.strip() if isinstance(category_code, str) else ""
    if not code or len(code) > 20 or not code.isprintable():
        raise ServiceError("category_required", _("Pilih kategori yang berlaku."), field="category")
    category = CaseCategory.objects.filter(code=code, active=True).first()
    if category is None:
        raise ServiceError("category_required", _("Pilih kategori yang berlaku."), field="category")
    policy = SlaPolicy.objects.filter(
        category=category, priority=case.priority, active=True
    ).first()
    if policy is None:
        raise ServiceError(
            "no_sla_rule",
            _("Belum ada aturan SLA untuk kategori dan prioritas ini; hubungi Admin."),
            field="category",
        )
    previous = case.category_id
    now = timezone.now()
    accepted = category.code == suggestion.suggested_id
    suggestion.status = SuggestionStatus.ACCEPTED if accepted else SuggestionStatus.CORRECTED
    suggestion.chosen = category
    suggestion.decided_by = actor if getattr(actor, "pk", None) else None
    suggestion.decided_at = now
    suggestion.save(update_fields=["status", "chosen", "decided_by", "decided_at"])
    if previous != category.code:
        case.category = category
        case.sla_policy = policy
        case.updated_at = now
        case.save(update_fields=["category", "sla_policy", "updated_at"])
    from amanah.cases.services import CASE_CLASSIFIED

    # Before the audit row: the chain lock is taken last (handlers may lock rows of their own).
    events.emit(CASE_CLASSIFIED, actor=actor, case=case, source=suggestion.status)
    _log(
        case,
        actor,
        ActivityType.CLASSIFY,
        _("Saran kategori diterima") if accepted else _("Kategori dikoreksi petugas"),
        suggested=suggestion.suggested_id,
        chosen=category.code,
        confidence=suggestion.confidence,
    )
    audit.record(
        actor=actor,
        action=AuditAction.UPDATE_CASE,
        obj=case,
        meta={
            "change": "category_decision",
            "from": previous,
            "to": category.code,
            "suggested": suggestion.suggested_id,
            "confidence": suggestion.confidence,
            "accepted": accepted,
        },
    )
    return suggestion


# --- retraining ---------------------------------------------------------------------------


@dataclass(frozen=True)
class RetrainResult:
    profile: str
    outcome: str  # "unchanged" (no new labels), "activated", "rejected" (scored worse)
    version: int
    macro_f1: float
    previous_f1: float
    labels: int


def retrain(profile_key: str | None = None) -> RetrainResult | None:
    """Train with every human label so far; use the new model only if its macro-F1 on the
    hand-written set is not lower than the active one's. Idempotent: with no new label since
    the last training it does nothing; a rejected recipe is kept, so it is not tried again."""
    profile = profiles.get(
        profile_key if profile_key is not None else settings.CASE_CLASSIFIER_PROFILE
    )
    if profile is None:
        return None
    upto = (
        CategorySuggestion.objects.filter(profile=profile.key, chosen__isnull=False).aggregate(
            m=Max("pk")
        )["m"]
        or 0
    )
    active = _active_row(profile)
    latest = ClassifierModel.objects.filter(profile=profile.key).order_by("-version").first()
    if latest is not None and latest.labels_upto >= upto:
        current = active or latest
        return RetrainResult(
            profile.key,
            "unchanged",
            current.version,
            current.macro_f1,
            current.macro_f1,
            current.labels,
        )
    handwritten = profile.handwritten()
    if active is not None:
        previous_f1 = active.macro_f1
    else:
        previous_f1 = engine.evaluate(model_for(profile)[0], handwritten).macro_f1
    model = train_model(profile, upto)
    score = engine.evaluate(model, handwritten).macro_f1
    labels = len(_human_labels(profile, upto))
    better = score >= previous_f1
    with transaction.atomic():
        version = (latest.version if latest else 0) + 1
        if better:
            ClassifierModel.objects.filter(profile=profile.key, active=True).update(active=False)
        trained = ClassifierModel.objects.create(
            profile=profile.key,
            version=version,
            labels_upto=upto,
            labels=labels,
            macro_f1=score,
            active=better,
        )
        # The model that sets categories by itself changed (or was tried and kept aside):
        # compliance must see when and on how many human labels, not only a log line.
        audit.record(
            actor=CLASSIFIER,
            action=AuditAction.RETRAIN_CLASSIFIER,
            obj=trained,
            meta={
                "profile": profile.key,
                "version": version,
                "labels": labels,
                "macro_f1": round(score, 4),
                "previous_macro_f1": round(previous_f1, 4),
                "outcome": "activated" if better else "rejected",
            },
        )
    if better:
        engine.CACHE.get((profile.key, upto), lambda: model)  # this process has it already
    log.info(
        "classifier retrained: profile=%s version=%s macro_f1=%.3f previous=%.3f labels=%s %s",
        profile.key,
        version,
        score,
        previous_f1,
        labels,
        "activated" if better else "rejected",
    )
    return RetrainResult(
        profile.key, "activated" if better else "rejected", version, score, previous_f1, labels
    )


# --- seeding ------------------------------------------------------------------------------

# Targets per priority (working hours/days) for a profile's categories; a utility's service
# complaints are not OJK's: no regulatory profile, no extension.
PROFILE_TARGETS = {
    "CRITICAL": (2, "HOURS", 1, "DAYS"),
    "HIGH": (4, "HOURS", 2, "DAYS"),
    "MEDIUM": (1, "DAYS", 5, "DAYS"),
    "LOW": (2, "DAYS", 10, "DAYS"),
}


@transaction.atomic
def seed_categories(profile_key: str) -> int:
    """The profile's categories with an SLA policy per priority (idempotent); how many
    categories were created. For the profile's deployment only: the bank's stay as they are."""
    profile = profiles.get(profile_key)
    if profile is None:
        raise ServiceError("unknown_profile", _("Profil klasifikasi tidak dikenal."))
    created = 0
    for label in profile.labels:
        category, new = CaseCategory.objects.get_or_create(
            code=label.category, defaults={"name": label.name}
        )
        created += int(new)
        for priority, (fr, fr_unit, res, res_unit) in PROFILE_TARGETS.items():
            SlaPolicy.objects.get_or_create(
                category=category,
                priority=priority,
                active=True,
                defaults={
                    "first_response_value": fr,
                    "first_response_unit": fr_unit,
                    "resolution_value": res,
                    "resolution_unit": res_unit,
                    "regulatory": False,
                    "extension_days": 0,
                    "created_by": f"system:classifier-{profile.key}",
                },
            )
    return created
