"""The training job's work (``cases.tasks.case_classifier_retrain_job``, nightly and queued by
intake when no model is there; ``amanah cases_classifier retrain`` does the same by hand):

1. :func:`classifier_train` — a new version when its recipe changed: the generated set (fixed
   seed) plus every human label so far (each weighing ``HUMAN_LABEL_WEIGHT`` generated
   complaints), trained, scored on the hand-written set (``evaluation.report``: per-class
   figures and the threshold for the target precision), stored signed (``store``) and made
   the active one only if its macro-F1 is not lower than the active version's on the same set.
   Idempotent: the recipe's fingerprint (training data, recipe, hand-written set) already
   trained and the active version readable → nothing to do. A version that scored worse is
   kept without its blob and not tried again.
2. :func:`classify_waiting` — the complaints that came in while no model was there, a batch
   at a time: each gets its suggestion, and its category when the system may set it, through
   the same decision and the same category change as intake and the agents.

The job acts as ``CLASSIFIER``, a narrow actor: it may view and update cases and train.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import asdict, dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from amanah.audit import services as audit
from amanah.audit.models import AuditAction
from amanah.cases.classifier import engine, evaluation, intake, profiles, store
from amanah.cases.classifier.services import CLASSIFIER, recategorize
from amanah.cases.models import (
    CaseCategory,
    CategorySuggestion,
    ClassifierModel,
    SuggestionStatus,
)
from amanah.cases.policies import CASE_UPDATE, CLASSIFIER_TRAIN
from amanah.core import events
from amanah.core.errors import NotFound
from amanah.iam import authz

log = logging.getLogger(__name__)

HUMAN_LABEL_WEIGHT = 3.0  # an agent's decision counts as three generated complaints
WAITING_BATCH = 200  # complaints classified per job run; the job queues itself for the rest


def human_labels(profile: profiles.Profile, upto: int) -> list[tuple[str, str]]:
    """(description, label) of every decided suggestion of the profile up to id ``upto``."""
    rows = (
        CategorySuggestion.objects.filter(profile=profile.key, chosen__isnull=False, pk__lte=upto)
        .order_by("pk")
        .values_list("case__description", "chosen_id")
    )
    out = []
    for text, category in rows.iterator(chunk_size=2000):
        label = profile.label_for_category(category)
        if label is not None:
            out.append((text, label.code))
    return out


def training_set(profile: profiles.Profile, upto: int):
    """(texts, labels, weights) of a recipe: the generated set plus the human labels."""
    rows = profile.generate(seed=engine.SEED)
    human = human_labels(profile, upto) if upto else []
    texts = [t for t, _label in rows] + [t for t, _label in human]
    labels = [label for _t, label in rows] + [label for _t, label in human]
    weights = [1.0] * len(rows) + [HUMAN_LABEL_WEIGHT] * len(human)
    return texts, labels, weights, len(human)


def fingerprint(profile: profiles.Profile, texts, labels, weights) -> str:
    """SHA-256 of everything a version is made and judged from."""
    digest = hashlib.sha256()
    head = {
        "recipe": engine.RECIPE,
        "format": engine.FORMAT,
        "seed": engine.SEED,
        "handwritten": profile.handwritten_fingerprint(),
    }
    digest.update(json.dumps(head, sort_keys=True).encode())
    for row in zip(texts, labels, weights, strict=True):
        digest.update(json.dumps(row, ensure_ascii=False).encode() + b"\n")
    return digest.hexdigest()


@dataclass(frozen=True)
class TrainResult:
    profile: str
    outcome: str  # "unchanged", "activated", "rejected" (scored worse)
    version: int
    macro_f1: float
    previous_f1: float | None
    labels: int
    threshold: float | None
    coverage: float | None  # share of the hand-written set it would set by itself


def _unchanged(row: ClassifierModel) -> TrainResult:
    at = (row.metrics or {}).get("at_threshold") or {}
    return TrainResult(
        row.profile,
        "unchanged",
        row.version,
        row.macro_f1,
        row.macro_f1,
        row.labels,
        row.threshold,
        at.get("coverage"),
    )


@transaction.atomic
def _store(actor, profile, *, digest, upto, labels, figures, previous, blob) -> ClassifierModel:
    """The new version row — the active one when it has a ``blob`` (only the model in use keeps
    its blob; the rows keep the recipe and the figures) — and its audit row."""
    latest = ClassifierModel.objects.filter(profile=profile.key).aggregate(v=Max("version"))["v"]
    if blob is not None:
        ClassifierModel.objects.filter(profile=profile.key, active=True).update(active=False)
        ClassifierModel.objects.filter(profile=profile.key, blob__isnull=False).update(
            blob=None, signature=""
        )
    row = ClassifierModel.objects.create(
        profile=profile.key,
        version=(latest or 0) + 1,
        labels_upto=upto,
        labels=labels,
        macro_f1=figures["macro_f1"],
        threshold=figures["threshold"],
        fingerprint=digest,
        metrics={k: v for k, v in figures.items() if k != "errors"},
        blob=blob,
        signature=store.sign(blob) if blob is not None else "",
        active=blob is not None,
    )
    # The model that sets categories by itself changed (or was tried and kept aside):
    # compliance sees when, on how many human labels and with which threshold.
    audit.record(
        actor=actor,
        action=AuditAction.RETRAIN_CLASSIFIER,
        obj=row,
        meta={
            "profile": profile.key,
            "version": row.version,
            "labels": labels,
            "macro_f1": round(figures["macro_f1"], 4),
            "previous_macro_f1": round(previous, 4) if previous is not None else None,
            "threshold": figures["threshold"],
            "outcome": "activated" if row.active else "rejected",
        },
    )
    return row


def _scores(profile, model, in_use) -> tuple[dict, float | None]:
    """The new model's figures on the hand-written set, and the macro-F1 of the one in use."""
    target = settings.CASE_CLASSIFIER_MIN_PRECISION
    handwritten = profile.handwritten()
    figures = evaluation.report(profile, model, handwritten, target=target)
    if in_use is None:
        return figures, None
    return figures, evaluation.report(profile, in_use, handwritten, target=target)["macro_f1"]


def classifier_train(*, actor, profile_key: str | None = None) -> TrainResult | None:
    """A new version of the profile's classifier when its recipe changed (module docstring);
    None when no profile is in use."""
    authz.require(actor, CLASSIFIER_TRAIN)
    key = profile_key if profile_key is not None else settings.CASE_CLASSIFIER_PROFILE
    profile = profiles.get(key)
    if profile is None:
        return None
    decided = CategorySuggestion.objects.filter(profile=profile.key, chosen__isnull=False)
    upto = decided.aggregate(m=Max("pk"))["m"] or 0
    texts, labels, weights, human = training_set(profile, upto)
    digest = fingerprint(profile, texts, labels, weights)
    active = ClassifierModel.objects.filter(profile=profile.key, active=True).defer("blob").first()
    in_use = store.read(active.pk) if active is not None else None
    tried = ClassifierModel.objects.filter(profile=profile.key, fingerprint=digest).exists()
    if in_use is not None and tried:
        return _unchanged(active)
    model = engine.train(texts, labels, weights)
    figures, previous = _scores(profile, model, in_use)
    better = previous is None or figures["macro_f1"] >= previous
    try:
        row = _store(
            actor,
            profile,
            digest=digest,
            upto=upto,
            labels=human,
            figures=figures,
            previous=previous,
            blob=engine.dump(model) if better else None,
        )
    except IntegrityError:  # another training stored its version at the same moment
        latest = ClassifierModel.objects.filter(profile=profile.key).order_by("-version").first()
        return _unchanged(latest)
    at = figures["at_threshold"] or {}
    result = TrainResult(
        profile.key,
        "activated" if better else "rejected",
        row.version,
        figures["macro_f1"],
        previous,
        human,
        figures["threshold"],
        at.get("coverage"),
    )
    log.info("classifier trained: %s", json.dumps(asdict(result)))
    return result


# --- the complaints that waited for a model ------------------------------------------------


def classify_waiting(*, actor, profile_key: str | None = None, batch: int | None = None):
    """Classify up to ``batch`` (``WAITING_BATCH``) complaints that waited for a model, oldest
    first; (how many, whether more are waiting). Nothing without a readable active model."""
    authz.require(actor, CASE_UPDATE)
    batch = batch or WAITING_BATCH
    key = profile_key if profile_key is not None else settings.CASE_CLASSIFIER_PROFILE
    profile = profiles.get(key)
    loaded = store.current(profile.key) if profile is not None else None
    if loaded is None:
        return 0, False
    rows = list(intake.waiting_rows(profile.key).values_list("pk", "case_id")[: batch + 1])
    done = sum(_classify_one(actor, profile, loaded, pk, case_id) for pk, case_id in rows[:batch])
    return done, len(rows) > batch


@transaction.atomic
def _classify_one(actor, profile, loaded, pk, case_id) -> int:
    """One waiting complaint: the case row locked first (as every case service), then its
    suggestion; 0 when an agent decided meanwhile or the case is out of reach."""
    from amanah.cases.models import Case
    from amanah.cases.services.base import _locked_in_scope

    try:
        case = _locked_in_scope(actor, Case(pk=case_id))
    except NotFound:
        return 0
    suggestion = (
        CategorySuggestion.objects.select_for_update(of=("self",))
        .filter(pk=pk, status=SuggestionStatus.WAITING)
        .first()
    )
    if suggestion is None:
        return 0
    made = intake.judge(profile, case.description, loaded)
    label = profile.label(made.label) if made.label else None
    suggestion.suggested_id = label.category if label else None
    suggestion.confidence, suggestion.words = made.confidence, list(made.words)
    suggestion.model_version, suggestion.reason = loaded.version, made.reason
    if not case.is_open:  # closed meanwhile: the suggestion for the record, the case as it is
        suggestion.status = SuggestionStatus.PENDING
        suggestion.save()
        return 1
    suggestion.status = made.status
    hold = CaseCategory.objects.get(pk=profile.label(made.hold).category)
    recategorize(
        case,
        profile=profile,
        category=hold,
        rule_label=made.label or made.hold,
        suggestion=suggestion,
        now=timezone.now(),
    )
    suggestion.save()
    _announce(actor, case, profile, loaded, made, suggestion)
    return 1


def _announce(actor, case, profile, loaded, made, suggestion) -> None:
    """The classified complaint's log line: set automatically (and ``case_classified``), or
    waiting for an agent (with its UPDATE_CASE audit row)."""
    from amanah.cases.services.base import CASE_CLASSIFIED

    if suggestion.status == SuggestionStatus.AUTO:
        events.emit(CASE_CLASSIFIED, actor=actor, case=case, source=SuggestionStatus.AUTO)
        intake.auto_line(
            case,
            profile,
            confidence=made.confidence,
            rules=suggestion.priority_rules,
            model_version=loaded.version,
        )
    else:
        intake.waiting_line(case, made.reason, made.confidence, suggestion.suggested_id)
        audit.record(
            actor=actor,
            action=AuditAction.UPDATE_CASE,
            obj=case,
            meta={
                "change": "classify_waiting",
                "category": case.category_id,
                "priority": case.priority,
                "reason": made.reason,
                "model_version": loaded.version,
            },
        )


def run_job() -> dict:
    """The job: train when the recipe changed, then a batch of waiting complaints; queued
    again while more wait."""
    result = classifier_train(actor=CLASSIFIER)
    if result is None:
        return {"outcome": "off"}
    done, more = classify_waiting(actor=CLASSIFIER, profile_key=result.profile)
    if more and done:
        intake.queue_training()
    return {**asdict(result), "classified": done, "more": more}
