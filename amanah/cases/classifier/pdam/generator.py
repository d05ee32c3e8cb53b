"""The PDAM training set: complaints composed from parts, deterministic by seed.

A complaint is an opening (greeting, none), a core statement of the problem (per label, many
phrasings and synonyms), optional details (an address "di Jl. …", a time "sejak pagi", an
effect), optional closing (a plea), then noise applied word by word: chat abbreviations
(gk, ga, tdk, sdh, blm, yg …), typos (a dropped, doubled or swapped letter), lower case and
punctuation dropped. Regional words (Medan/Batak, Javanese, Sundanese) and English code-mixing
come in as phrasings of their own where people would really write them.

The hand-written test set (``handwritten.csv``) is never produced here: a test checks that no
generated text equals one of its texts.
"""

from __future__ import annotations

import random

from amanah.cases.classifier.pdam.parts import (
    ABBREVIATIONS,
    CLOSINGS,
    DETAILS,
    OPENINGS,
    ORGS,
    PLACES,
    STREETS,
    TIMES,
)
from amanah.cases.classifier.pdam.phrases import CORE, WATER

LABELS = (
    "air_mati",
    "air_keruh",
    "tekanan_lemah",
    "pipa_bocor",
    "meter_rusak",
    "tagihan",
    "sambungan_baru",
    "lainnya",
    "penipuan",
    "petugas",
)


def _typo(word: str, rng: random.Random) -> str:
    if len(word) < 4 or not word.isalpha():
        return word
    i = rng.randrange(1, len(word) - 1)
    kind = rng.randrange(3)
    if kind == 0:  # dropped letter
        return word[:i] + word[i + 1 :]
    if kind == 1:  # doubled letter
        return word[:i] + word[i] + word[i:]
    return word[: i - 1] + word[i] + word[i - 1] + word[i + 1 :]  # swapped neighbours


def _noise(text: str, rng: random.Random) -> str:
    words = []
    for word in text.split():
        low = word.lower()
        if low in ABBREVIATIONS and rng.random() < 0.5:
            word = rng.choice(ABBREVIATIONS[low])
        elif rng.random() < 0.06:
            word = _typo(word, rng)
        words.append(word)
    out = " ".join(words)
    if rng.random() < 0.4:
        out = out.lower()
    if rng.random() < 0.3:
        out = out.replace(",", "").replace(".", "")
    return out


def _fill(template: str, rng: random.Random) -> str:
    return template.format(
        water=rng.choice(WATER),
        street=rng.choice(STREETS),
        n=rng.randint(1, 30),
        m=rng.randint(1, 12),
        h=rng.randint(5, 22),
        rp=rng.choice([80, 120, 150, 300, 450, 900]),
        org=rng.choice(ORGS),
    )


def complaint(label: str, rng: random.Random) -> str:
    """One generated complaint of ``label``."""
    parts = [rng.choice(OPENINGS), _fill(rng.choice(CORE[label]), rng)]
    extras = []
    if rng.random() < 0.5:
        extras.append(_fill(rng.choice(PLACES), rng))
    if rng.random() < 0.5:
        extras.append(_fill(rng.choice(TIMES), rng))
    rng.shuffle(extras)
    parts.extend(extras)
    if rng.random() < 0.5:
        parts.append(", " + _fill(rng.choice(DETAILS[label]), rng))
    if rng.random() < 0.15:  # a second phrasing of the same problem
        parts.append(", " + _fill(rng.choice(CORE[label]), rng))
    closing = rng.choice(CLOSINGS)
    if closing:
        parts.append(", " + closing)
    text = " ".join(p for p in parts if p).replace(" , ", ", ")
    return _noise(text, rng)


def generate(*, seed: int = 17, per_label: int = 250) -> list[tuple[str, str]]:
    """``per_label`` complaints of every label as (text, label), the same for the same seed."""
    rng = random.Random(seed)
    rows = [(complaint(label, rng), label) for label in LABELS for _ in range(per_label)]
    rng.shuffle(rows)
    return rows
