"""How a model does on the hand-written set, and the threshold chosen from it.

Two views of the same rows:

* **the model alone** (its best label for every text): per-class precision, recall and F1,
  macro-F1 — what the retraining compares versions by;
* **what intake would do** (``decision.decide`` with the guards, at each candidate
  threshold): how many complaints the system would set by itself and how many of those
  right. The threshold is the lowest candidate from which on every higher one keeps that
  precision at or above the target (``CASE_CLASSIFIER_MIN_PRECISION``, 98 %); none: the
  version never sets a category by itself, every complaint goes to an agent.

Everything is plain data (``report`` returns a JSON-ready dict) so the version row keeps it
and ``amanah cases_classifier evaluate`` prints the tables of docs/classifier.md from it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from amanah.cases.classifier import decision, engine
from amanah.cases.classifier.profiles import Profile
from amanah.cases.models import SuggestionStatus

CANDIDATES = tuple(round(0.30 + step * 0.01, 2) for step in range(70))  # 0.30 … 0.99


def _per_class(labels, expected, predicted) -> tuple[list[dict], float, float]:
    from sklearn.metrics import accuracy_score, precision_recall_fscore_support

    precision, recall, f1, support = precision_recall_fscore_support(
        expected, predicted, labels=labels, zero_division=0
    )
    rows = [
        {"label": label, "precision": p, "recall": r, "f1": f, "n": int(n)}
        for label, p, r, f, n in zip(labels, precision, recall, f1, support, strict=True)
    ]
    macro = sum(row["f1"] for row in rows) / len(rows) if rows else 0.0
    return rows, float(macro), float(accuracy_score(expected, predicted)) if expected else 0.0


def _decided(profile, texts, predictions) -> list[decision.Decision]:
    """Each row's decision at threshold 0: the threshold only ever turns an AUTO into a
    low-confidence PENDING (``decision.decide``, step 4), so a row is set automatically at
    threshold t exactly when it is AUTO here and its confidence is at least t — the guards
    and the model are asked once per row, not once per candidate."""
    return [
        decision.decide(profile, text, prediction, 0.0)
        for text, prediction in zip(texts, predictions, strict=True)
    ]


def _point(profile, expected, decided, threshold) -> dict:
    """What intake does with every row at ``threshold``."""
    auto, right, wrong_on_human = Counter(), Counter(), 0
    held_own = Counter()
    for truth, made in zip(expected, decided, strict=True):
        if made.status == SuggestionStatus.AUTO and made.confidence >= threshold:
            auto[made.label] += 1
            right[made.label] += made.label == truth
            label = profile.label(truth)
            wrong_on_human += bool(label is not None and not label.automatic)
        elif made.label == truth:
            held_own[truth] += 1
    total_auto, total_right = sum(auto.values()), sum(right.values())
    return {
        "threshold": threshold,
        "auto": total_auto,
        "right": total_right,
        "precision": total_right / total_auto if total_auto else None,
        "coverage": total_auto / len(expected) if expected else 0.0,
        "auto_on_human_only": wrong_on_human,
        "per_label": {label: [auto[label], right[label]] for label in sorted(auto)},
        "held_with_own_label": dict(sorted(held_own.items())),
    }


def choose(points: Sequence[dict], target: float) -> float | None:
    """The lowest threshold from which on every candidate keeps ``target`` precision (a
    candidate that sets nothing keeps it)."""
    chosen = None
    for point in sorted(points, key=lambda p: -p["threshold"]):
        if point["precision"] is not None and point["precision"] < target:
            break
        chosen = point["threshold"]
    return chosen


def report(
    profile: Profile, model: engine.TextModel, rows, *, target: float, fixed: float | None = None
) -> dict:
    """The model's figures on ``rows`` (text, label), the sweep and the chosen threshold —
    or, with ``fixed``, the figures at that threshold (a version's own, on other rows)."""
    texts = [text for text, _label in rows]
    expected = [label for _text, label in rows]
    predictions = model.predict_many(texts)
    predicted = [p.label if p else profile.fallback for p in predictions]
    labels = sorted(set(expected) | set(model.labels))
    classes, macro, accuracy = _per_class(labels, expected, predicted)
    decided = _decided(profile, texts, predictions)
    points = [_point(profile, expected, decided, t) for t in CANDIDATES]
    threshold = choose(points, target) if fixed is None else fixed
    at = _point(profile, expected, decided, threshold) if threshold is not None else None
    return {
        "n": len(rows),
        "macro_f1": macro,
        "accuracy": accuracy,
        "classes": classes,
        "target_precision": target,
        "threshold": threshold,
        "at_threshold": at,
        "sweep": [p for p in points if round(p["threshold"] * 100) % 5 == 0],
        "errors": [
            [text, truth, guess]
            for text, truth, guess in zip(texts, expected, predicted, strict=True)
            if truth != guess
        ],
    }


def _pct(value) -> str:
    return "—" if value is None else f"{value * 100:.1f} %"


def markdown(profile: Profile, figures: dict) -> str:
    """The tables of docs/classifier.md from a ``report``."""
    at = figures.get("at_threshold") or {"per_label": {}, "held_with_own_label": {}}
    lines = [
        f"{figures['n']} hand-written complaints; macro-F1 {figures['macro_f1']:.3f}, "
        f"accuracy {figures['accuracy']:.3f}; threshold {figures['threshold']} (target "
        f"precision {figures['target_precision'] * 100:.0f} %): precision "
        f"{_pct(at.get('precision'))}, coverage {_pct(at.get('coverage'))}",
        "",
        "| kategori | otomatis? | model: precision | recall | F1 | n | diterapkan otomatis "
        "(benar) | precision otomatis | cakupan | ditahan dengan kategori sendiri |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in figures["classes"]:
        label = profile.label(row["label"])
        auto, right = at["per_label"].get(row["label"], [0, 0])
        held = at["held_with_own_label"].get(row["label"], 0)
        lines.append(
            f"| {row['label']} | {'ya' if label and label.automatic else 'tidak'} | "
            f"{row['precision']:.3f} | {row['recall']:.3f} | {row['f1']:.3f} | {row['n']} | "
            f"{auto} ({right}) | {_pct(right / auto if auto else None)} | "
            f"{_pct(right / row['n'] if row['n'] else None)} | {held} |"
        )
    lines += [
        "",
        "| ambang | diterapkan otomatis | benar | precision | cakupan | "
        "otomatis pada lainnya/penipuan/petugas |",
        "|---:|---:|---:|---:|---:|---:|",
    ]
    for point in figures["sweep"]:
        lines.append(
            f"| {point['threshold']:.2f} | {point['auto']} | {point['right']} | "
            f"{_pct(point['precision'])} | {_pct(point['coverage'])} | "
            f"{point['auto_on_human_only']} |"
        )
    return "\n".join(lines)
