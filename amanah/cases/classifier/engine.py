"""The text model: TF-IDF on words (1–2-grams) and on characters (2–5-grams inside words)
feeding a multinomial logistic regression, whose probabilities are the confidence and whose
weights explain a suggestion.

Why these parts: complaints are short, full of typos, abbreviations and regional spellings —
character n-grams inside words carry "bocr"/"bocor" and "meteranny"/"meteran" to the same
features, word n-grams keep "pipa induk" and "tidak keluar". A linear model trains in about a
second on the generated set, needs no calibration step for a usable probability, and its
weights say which words of a text pushed it to its label.

Why not a stored artefact: the model is trained from the generator (fixed seed) and the stored
corrections at first use in each process, then kept in memory (``model_for``). A pickle would
be tied to the scikit-learn version and be a binary blob nobody can review; the recipe (profile,
seed, corrections up to an id) is what the database keeps (``ClassifierModel``), and the same
recipe always gives the same model.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field

MAX_CHARS = 5000  # longer text is cut: the first part of a complaint says what it is about
MAX_EXPLAIN_WORDS = 400
TOP_WORDS = 5
SEED = 17
_TOKEN = re.compile(r"(?u)\b\w\w+\b")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def clean(text) -> str:
    """The text the model sees: a string, NUL and control characters removed, cut to
    ``MAX_CHARS``, Unicode normalised (NFKC: full-width letters, ligatures)."""
    if not isinstance(text, str):
        text = "" if text is None else str(text)
    text = unicodedata.normalize("NFKC", text[: MAX_CHARS * 2])
    return _CONTROL.sub(" ", text)[:MAX_CHARS]


@dataclass(frozen=True)
class Prediction:
    label: str
    confidence: float  # the model's probability of ``label``, 0..1
    words: tuple[str, ...] = ()  # words of the text that pushed it to ``label``, strongest first
    ranking: tuple[tuple[str, float], ...] = field(default=())  # every label with its probability


class TextModel:
    """A trained pipeline with its labels; ``predict`` never raises on any string."""

    def __init__(self, pipeline):
        self.pipeline = pipeline
        self.features = pipeline.named_steps["features"]
        self.classifier = pipeline.named_steps["classifier"]
        self.labels = tuple(str(label) for label in self.classifier.classes_)

    def predict(self, text) -> Prediction | None:
        """The best label for ``text`` with its confidence and words; None for a text with no
        word at all (nothing to go on)."""
        text = clean(text)
        if not _TOKEN.search(text):
            return None
        probabilities = self.pipeline.predict_proba([text])[0]
        best = int(probabilities.argmax())
        ranking = tuple(
            sorted(
                ((label, float(p)) for label, p in zip(self.labels, probabilities, strict=True)),
                key=lambda item: -item[1],
            )
        )
        return Prediction(
            label=self.labels[best],
            confidence=float(probabilities[best]),
            words=self.explain(text, best),
            ranking=ranking,
        )

    def explain(self, text: str, label_index: int) -> tuple[str, ...]:
        """The words of ``text`` whose own features weigh most for the label (each word scored
        alone: its word and character n-gram features times the label's weights)."""
        words = list(dict.fromkeys(w.lower() for w in _TOKEN.findall(text)))[:MAX_EXPLAIN_WORDS]
        if not words:
            return ()
        coef = self.classifier.coef_
        if coef.shape[0] == 1:  # two labels: one row of weights, for the second label
            weights = coef[0] if label_index == 1 else -coef[0]
        else:
            weights = coef[label_index]
        scores = self.features.transform(words) @ weights
        ranked = sorted(zip(scores, words, strict=True), key=lambda item: -item[0])
        return tuple(word for score, word in ranked[:TOP_WORDS] if score > 0)


def train(
    texts: Sequence[str], labels: Sequence[str], weights: Sequence[float] | None = None
) -> TextModel:
    """A model trained on ``texts`` (deterministic: same input, same model)."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import FeatureUnion, Pipeline

    pipeline = Pipeline(
        [
            (
                "features",
                FeatureUnion(
                    [
                        (
                            "words",
                            TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=1),
                        ),
                        (
                            "chars",
                            TfidfVectorizer(
                                analyzer="char_wb",
                                ngram_range=(2, 5),
                                sublinear_tf=True,
                                min_df=2,
                            ),
                        ),
                    ]
                ),
            ),
            (
                "classifier",
                LogisticRegression(
                    C=10.0, solver="saga", tol=1e-3, max_iter=300, random_state=SEED
                ),
            ),
        ]
    )
    fit = {"classifier__sample_weight": list(weights)} if weights is not None else {}
    pipeline.fit([clean(t) for t in texts], list(labels), **fit)
    return TextModel(pipeline)


@dataclass(frozen=True)
class ClassReport:
    label: str
    precision: float
    recall: float
    f1: float
    support: int


@dataclass(frozen=True)
class Evaluation:
    macro_f1: float
    accuracy: float
    classes: tuple[ClassReport, ...]
    errors: tuple[tuple[str, str, str], ...]  # (text, expected, predicted)

    def table(self) -> str:
        """Markdown table of the per-class figures."""
        lines = [
            "| kategori | precision | recall | F1 | n |",
            "|---|---:|---:|---:|---:|",
        ]
        for c in self.classes:
            lines.append(
                f"| {c.label} | {c.precision:.3f} | {c.recall:.3f} | {c.f1:.3f} | {c.support} |"
            )
        lines.append(f"| **macro** | | | **{self.macro_f1:.3f}** | |")
        lines.append(f"| accuracy | | | {self.accuracy:.3f} | |")
        return "\n".join(lines)


def evaluate(model: TextModel, rows: Sequence[tuple[str, str]]) -> Evaluation:
    """Per-class precision/recall/F1 and macro-F1 of ``model`` on (text, label) rows."""
    from sklearn.metrics import accuracy_score, f1_score, precision_recall_fscore_support

    expected = [label for _text, label in rows]
    # One batch through the pipeline (no explanations): the labels ``predict`` would give.
    predicted = [str(label) for label in model.pipeline.predict([clean(t) for t, _l in rows])]
    labels = sorted(set(expected))
    precision, recall, f1, support = precision_recall_fscore_support(
        expected, predicted, labels=labels, zero_division=0
    )
    return Evaluation(
        macro_f1=float(f1_score(expected, predicted, labels=labels, average="macro")),
        accuracy=float(accuracy_score(expected, predicted)),
        classes=tuple(
            ClassReport(label, float(p), float(r), float(f), int(n))
            for label, p, r, f, n in zip(labels, precision, recall, f1, support, strict=True)
        ),
        errors=tuple((text, e, p) for (text, e), p in zip(rows, predicted, strict=True) if e != p),
    )


class ModelCache:
    """One trained model per recipe key per process; training happens once, under a lock."""

    def __init__(self, keep: int = 4):
        self._models: dict = {}
        self._lock = threading.Lock()
        self._keep = keep

    def get(self, key, build):
        model = self._models.get(key)
        if model is not None:
            return model
        with self._lock:
            model = self._models.get(key)
            if model is None:
                model = build()
                if len(self._models) >= self._keep:
                    self._models.pop(next(iter(self._models)))
                self._models[key] = model
        return model

    def clear(self) -> None:
        with self._lock:
            self._models.clear()


CACHE = ModelCache()
