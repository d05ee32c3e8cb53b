"""What the system does with one complaint's text: set its category itself, or hold it for an
agent with the reason — the one rule, used by intake, by the training job for complaints that
waited for a model, and by the evaluation that chooses the threshold (so the figures in
docs/classifier.md measure exactly what intake does).

In order:

1. a **guard** of the profile matches (signs of fraud in PDAM's name, of an officer's
   misconduct): the complaint waits for an agent under the guard's (sensitive) category,
   whatever the model says — the model is trained on technical complaints and reads "pipa
   bocor" in a scam story as a leak;
2. no model, or no word to go on: it waits (under the fallback category);
3. the model's label is one the system never sets by itself ("lainnya", fraud, misconduct):
   it waits, under that label's category when it is a sensitive one, else the fallback's;
4. the confidence is below the threshold: it waits under the fallback category;
5. else the system sets the category (AUTO).
"""

from __future__ import annotations

from dataclasses import dataclass

from amanah.cases.classifier import engine
from amanah.cases.classifier.profiles import Profile
from amanah.cases.models import SuggestionReason, SuggestionStatus


@dataclass(frozen=True)
class Decision:
    status: str  # SuggestionStatus: AUTO, PENDING or WAITING
    label: str | None  # the suggested label; None when nothing could be suggested
    confidence: float  # the model's probability of ``label`` (0 without a model)
    words: tuple[str, ...]  # the model's words, or a guard's signs
    reason: str  # SuggestionReason ("" for AUTO)
    hold: str  # the label whose category the case takes until an agent decides (or AUTO's)


def _probability(prediction: engine.Prediction | None, label: str) -> float:
    if prediction is None:
        return 0.0
    return next((p for name, p in prediction.ranking if name == label), 0.0)


def decide(
    profile: Profile,
    text: str,
    prediction: engine.Prediction | None,
    threshold: float | None,
    *,
    have_model: bool = True,
) -> Decision:
    """The decision for ``text`` given the model's ``prediction`` (None: no model, or no
    word in the text) and the automatic-setting ``threshold`` (None: never)."""
    found = profile.guard(engine.clean(text).lower())
    if found is not None:
        guard, signs = found
        return Decision(
            SuggestionStatus.PENDING,
            guard.label,
            round(_probability(prediction, guard.label), 4),
            signs,
            guard.reason,
            guard.label,
        )
    if not have_model:
        return Decision(
            SuggestionStatus.WAITING, None, 0.0, (), SuggestionReason.NO_MODEL, profile.fallback
        )
    if prediction is None:
        return Decision(
            SuggestionStatus.PENDING,
            profile.fallback,
            0.0,
            (),
            SuggestionReason.NO_WORDS,
            profile.fallback,
        )
    label = profile.label(prediction.label)
    confidence = round(prediction.confidence, 4)
    if label is None or not label.automatic:
        code = label.code if label is not None else profile.fallback
        hold = code if label is not None and label.sensitive else profile.fallback
        return Decision(
            SuggestionStatus.PENDING,
            code,
            confidence,
            prediction.words,
            SuggestionReason.HUMAN_ONLY,
            hold,
        )
    if threshold is None or confidence < threshold:
        return Decision(
            SuggestionStatus.PENDING,
            label.code,
            confidence,
            prediction.words,
            SuggestionReason.LOW_CONFIDENCE,
            profile.fallback,
        )
    return Decision(SuggestionStatus.AUTO, label.code, confidence, prediction.words, "", label.code)
