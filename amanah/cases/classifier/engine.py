"""The text model: TF-IDF on words (1–2-grams) and on characters (2–5-grams inside words)
feeding a multinomial logistic regression, whose probabilities are the confidence and whose
weights explain a suggestion.

Why these parts: complaints are short, full of typos, abbreviations and regional spellings —
character n-grams inside words carry "bocr"/"bocor" and "meteranny"/"meteran" to the same
features, word n-grams keep "pipa induk" and "tidak keluar". A linear model needs no
calibration step for a usable probability, and its weights say which words of a text pushed
it to its label.

Training is the job's (``training``), never a web request's: a trained model is written as
plain arrays (``dump``: the vocabularies, their IDF weights, the regression's coefficients, in
a NumPy ``.npz`` read back with ``allow_pickle=False``) — nothing in it can run code when
loaded, and the stored version is signed besides (``store``). ``load`` rebuilds the same
pipeline from those arrays through scikit-learn's own parameters (``vocabulary=``, ``idf_``,
``coef_``): the same probabilities to the last bit.
"""

from __future__ import annotations

import io
import json
import re
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

    def _ranking(self, probabilities) -> tuple[tuple[str, float], ...]:
        pairs = ((label, float(p)) for label, p in zip(self.labels, probabilities, strict=True))
        return tuple(sorted(pairs, key=lambda item: -item[1]))

    def predict(self, text) -> Prediction | None:
        """The best label for ``text`` with its confidence and words; None for a text with no
        word at all (nothing to go on)."""
        text = clean(text)
        if not _TOKEN.search(text):
            return None
        ranking = self._ranking(self.pipeline.predict_proba([text])[0])
        best = self.labels.index(ranking[0][0])
        return Prediction(ranking[0][0], ranking[0][1], self.explain(text, best), ranking)

    def predict_many(self, texts: Sequence) -> list[Prediction]:
        """``predict`` for many texts in one pass, without the words (evaluation); a text
        with no word gets None, as in ``predict``."""
        cleaned = [clean(t) for t in texts]
        probabilities = self.pipeline.predict_proba(cleaned) if cleaned else []
        out = []
        for text, row in zip(cleaned, probabilities, strict=True):
            if not _TOKEN.search(text):
                out.append(None)
                continue
            ranking = self._ranking(row)
            out.append(Prediction(ranking[0][0], ranking[0][1], (), ranking))
        return out

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


# The recipe: change any of it and bump RECIPE, so that the job trains a new version.
RECIPE = 1
FORMAT = 1  # of ``dump``: a stored model of another format is not loaded (the job retrains)
WORDS = {"ngram_range": (1, 2), "sublinear_tf": True, "min_df": 1}
CHARS = {"analyzer": "char_wb", "ngram_range": (2, 5), "sublinear_tf": True, "min_df": 2}
SOLVER = {"C": 10.0, "solver": "saga", "tol": 1e-3, "max_iter": 300, "random_state": SEED}
_PARTS = ("words", "chars")


def _pipeline(words, chars, classifier):
    from sklearn.pipeline import FeatureUnion, Pipeline

    return Pipeline(
        [
            ("features", FeatureUnion([("words", words), ("chars", chars)])),
            ("classifier", classifier),
        ]
    )


def train(
    texts: Sequence[str], labels: Sequence[str], weights: Sequence[float] | None = None
) -> TextModel:
    """A model trained on ``texts`` (deterministic: same input, same model). Slow (seconds to
    tens of seconds under load): only the training job calls it."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    pipeline = _pipeline(
        TfidfVectorizer(**WORDS), TfidfVectorizer(**CHARS), LogisticRegression(**SOLVER)
    )
    fit = {"classifier__sample_weight": list(weights)} if weights is not None else {}
    pipeline.fit([clean(t) for t in texts], list(labels), **fit)
    return TextModel(pipeline)


def import_runtime() -> None:
    """Import what loading and using a model needs (``cases.apps`` calls it at start-up when
    the classifier is on)."""
    import sklearn.feature_extraction.text  # noqa: F401
    import sklearn.linear_model  # noqa: F401
    import sklearn.pipeline  # noqa: F401


class UnreadableModel(ValueError):
    """Stored bytes that are not a model of this ``FORMAT``."""


def _terms(vectorizer):
    """The vocabulary's terms in column order."""
    terms = [""] * len(vectorizer.vocabulary_)
    for term, column in vectorizer.vocabulary_.items():
        terms[column] = term
    return terms


def dump(model: TextModel) -> bytes:
    """The model as plain arrays in a compressed ``.npz`` (no pickled object anywhere)."""
    import numpy as np

    arrays = {"meta": np.frombuffer(json.dumps({"format": FORMAT}).encode(), dtype=np.uint8)}
    for name, vectorizer in model.features.transformer_list:
        arrays[f"{name}_terms"] = np.array(_terms(vectorizer), dtype=str)
        arrays[f"{name}_idf"] = vectorizer.idf_
    arrays["coef"] = model.classifier.coef_
    arrays["intercept"] = model.classifier.intercept_
    arrays["classes"] = np.array(model.labels, dtype=str)
    out = io.BytesIO()
    np.savez_compressed(out, **arrays)
    return out.getvalue()


def load(blob: bytes) -> TextModel:
    """The model ``dump`` wrote, rebuilt from its arrays; ``UnreadableModel`` for anything else.
    Object arrays are refused (``allow_pickle=False``): loading runs no stored code."""
    import numpy as np
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    try:
        with np.load(io.BytesIO(bytes(blob)), allow_pickle=False) as stored:
            arrays = {name: stored[name] for name in stored.files}
        if json.loads(arrays["meta"].tobytes().decode()).get("format") != FORMAT:
            raise UnreadableModel("another format")
        parts = {}
        for name, params in zip(_PARTS, (WORDS, CHARS), strict=True):
            terms = arrays[f"{name}_terms"].tolist()
            vocabulary = {term: column for column, term in enumerate(terms)}
            vectorizer = TfidfVectorizer(**params, vocabulary=vocabulary)
            vectorizer.idf_ = arrays[f"{name}_idf"]
            parts[name] = vectorizer
        classifier = LogisticRegression(**SOLVER)
        classifier.coef_, classifier.intercept_ = arrays["coef"], arrays["intercept"]
        classifier.classes_ = arrays["classes"]
        classifier.n_features_in_ = classifier.coef_.shape[1]
        columns = sum(len(part.vocabulary_) for part in parts.values())
        rows = len(classifier.classes_) if len(classifier.classes_) > 2 else 1
        if classifier.coef_.shape != (rows, columns) or classifier.intercept_.shape != (rows,):
            raise UnreadableModel("shapes")
    except UnreadableModel:
        raise
    except Exception as broken:  # a truncated file, a missing array, wrong shapes
        raise UnreadableModel(type(broken).__name__) from broken
    return TextModel(_pipeline(parts["words"], parts["chars"], classifier))
