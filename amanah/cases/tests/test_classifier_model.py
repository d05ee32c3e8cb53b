"""The PDAM complaint classifier on its own (no database): its figures on the hand-written set
and the threshold chosen from them, the guards, the stored format, the explanation, the
generator's variety and determinism, hostile text."""

import collections
import io

import numpy as np
import pytest

from amanah.cases.classifier import decision, engine, evaluation
from amanah.cases.classifier.pdam import PROFILE
from amanah.cases.classifier.pdam.generator import generate
from amanah.cases.testing import train_once

MIN_MACRO_F1 = 0.80
MIN_COVERAGE = 0.40  # of the hand-written set, set automatically at the chosen threshold
TECHNICAL = {label.code for label in PROFILE.labels if label.automatic}


@pytest.fixture(scope="module")
def model():
    rows = generate(seed=engine.SEED)
    return train_once([t for t, _l in rows], [label for _t, label in rows])


@pytest.fixture(scope="module")
def figures(model):
    return evaluation.report(PROFILE, model, PROFILE.handwritten(), target=0.98)


def test_the_hand_written_set_is_large_separate_and_covers_every_label():
    rows = PROFILE.handwritten()
    assert len(rows) >= 500
    counts = collections.Counter(label for _text, label in rows)
    assert set(counts) == {label.code for label in PROFILE.labels}
    assert min(counts.values()) >= 40
    generated = {engine.clean(t).lower().strip() for t, _label in generate(seed=engine.SEED)}
    assert not [t for t, _l in rows if engine.clean(t).lower().strip() in generated]


def test_the_chosen_threshold_keeps_98_percent_precision_on_hand_written_text(figures):
    """The threshold the training job gives a version: from it on, at least 98 % of what the
    system sets by itself is right on text written independently of the generator — and it
    still sets a useful share by itself."""
    at = figures["at_threshold"]
    assert figures["threshold"] is not None and at is not None
    assert at["precision"] >= 0.98, at
    assert at["coverage"] >= MIN_COVERAGE, at
    for point in figures["sweep"]:
        if point["threshold"] >= figures["threshold"] and point["auto"]:
            assert point["precision"] >= 0.98, point
    assert figures["macro_f1"] >= MIN_MACRO_F1


def test_fraud_and_misconduct_are_never_set_as_a_technical_category(model, figures):
    """Whatever the threshold, no fraud or misconduct complaint of the hand-written set is set
    automatically as a technical category; nearly all wait under their own (sensitive)
    category for an agent."""
    rows = [(t, label) for t, label in PROFILE.handwritten() if label in ("penipuan", "petugas")]
    predictions = model.predict_many([t for t, _l in rows])
    held_own = 0
    for (text, label), prediction in zip(rows, predictions, strict=True):
        made = decision.decide(PROFILE, text, prediction, figures["threshold"])
        assert made.status != "AUTO", (text, made)
        held_own += made.hold == label
    assert held_own >= 0.8 * len(rows)


@pytest.mark.parametrize(
    ("text", "label", "reason"),
    [
        (
            "Penipuan! ada orang datang pakai seragam PDAM bilang pipa bocor harus bayar "
            "perbaikan 300 ribu",
            "penipuan",
            "FRAUD_SIGNS",
        ),
        (
            "Ada SMS katanya tagihan air saya menunggak, suruh klik link untuk bayar",
            "penipuan",
            "FRAUD_SIGNS",
        ),
        (
            "Yang telepon mengaku dari bagian meter PDAM, minta kode OTP",
            "penipuan",
            "FRAUD_SIGNS",
        ),
        (
            "Petugas pencatat meter minta uang rokok 50 ribu supaya tagihan tidak naik",
            "petugas",
            "MISCONDUCT_SIGNS",
        ),
        ("teknisi yg perbaiki pipa kasar sekali sama ibu saya", "petugas", "MISCONDUCT_SIGNS"),
    ],
)
def test_the_guards_hold_fraud_and_misconduct_for_an_agent(model, text, label, reason):
    made = decision.decide(PROFILE, text, model.predict(text), 0.0)  # even at threshold 0
    assert (made.status, made.label, made.reason, made.hold) == ("PENDING", label, reason, label)
    assert made.words  # the signs, shown to the agent


@pytest.mark.parametrize(
    "text",
    [
        "Air mati sejak subuh, petugas sudah datang tapi belum selesai",
        "Tagihan saya naik drastis padahal petugas baca meter bilang normal",
        "Mohon info nomor rekening resmi PDAM untuk bayar tagihan",
        "Pipa bocor di depan rumah, airnya deras sekali",
    ],
)
def test_ordinary_complaints_pass_the_guards(text):
    assert PROFILE.guard(engine.clean(text).lower()) is None


def test_lainnya_is_never_set_by_itself(model):
    text = "Saya mau balik nama pelanggan karena rumah sudah dibeli"
    prediction = model.predict(text)
    assert prediction.label == "lainnya"
    made = decision.decide(PROFILE, text, prediction, 0.0)
    assert (made.status, made.reason, made.hold) == ("PENDING", "HUMAN_ONLY", "lainnya")


def test_the_stored_format_gives_the_same_model_and_runs_no_code(model):
    blob = engine.dump(model)
    again = engine.load(blob)
    texts = [t for t, _l in PROFILE.handwritten()[:50]]
    assert np.array_equal(model.pipeline.predict_proba(texts), again.pipeline.predict_proba(texts))
    assert again.predict(texts[0]).words == model.predict(texts[0]).words
    # An object array (a pickle inside the .npz) is refused, as is anything not ours.
    sneaky = io.BytesIO()
    np.savez(sneaky, meta=np.array([{"format": 1}], dtype=object))
    for bad in (sneaky.getvalue(), b"", b"not a model", blob[: len(blob) // 2]):
        with pytest.raises(engine.UnreadableModel):
            engine.load(bad)


def test_the_explanation_words_are_words_of_the_text(model):
    text = "Air keruh sejak pagi di Jl. Kenari no 12, warnanya coklat"
    prediction = model.predict(text)
    assert prediction.label == "air_keruh"
    assert prediction.words and "keruh" in prediction.words
    assert all(word in text.lower() for word in prediction.words)
    assert 0 < prediction.confidence <= 1
    assert prediction.ranking[0] == (prediction.label, prediction.confidence)


@pytest.mark.parametrize(
    "text",
    ["", "   ", "\x00\x00\x00", "!!!???...", None, 12345, "a" * 100_000, "pipa bocor\x00 " * 8000],
)
def test_hostile_text_never_raises(model, text):
    prediction = model.predict(text)
    assert prediction is None or prediction.label in model.labels
    made = decision.decide(PROFILE, text if isinstance(text, str) else "", prediction, 0.5)
    assert made.status in ("AUTO", "PENDING")


def test_the_generator_is_deterministic_and_varied():
    first = generate(seed=3, per_label=200)
    assert first == generate(seed=3, per_label=200)
    assert first != generate(seed=4, per_label=200)
    texts = [t for t, _label in first]
    assert len(set(texts)) > 0.95 * len(texts)
    joined = " ".join(texts).lower()
    for marker in ("jl.", "sejak", "dari kemarin", " gk ", "tdk", "banyu", "cai", "kali", "water"):
        assert marker in joined, marker
