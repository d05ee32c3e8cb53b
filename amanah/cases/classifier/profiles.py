"""What a deployment profile gives the classifier: its labels and their case categories, the
generated training set, the hand-written evaluation set, and the priority rules.

The classifier itself is generic (``engine``); a profile is data. Only ``pdam`` exists so far;
``settings.CASE_CLASSIFIER_PROFILE`` names the one in use ("" = off, the bank default).
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path


@dataclass(frozen=True)
class Label:
    code: str  # the model's label
    category: str  # the CaseCategory code it stands for
    name: str  # the category's Indonesian name (seeded)
    priority: str  # the priority a complaint of this label gets when no rule raises it


@dataclass(frozen=True)
class PriorityRule:
    code: str  # shown to the agent and kept on the suggestion, e.g. MAIN_PIPE_LEAK
    priority: str
    applies: Callable[..., bool]  # fn(text (lower case), label, customer) -> bool


@dataclass(frozen=True)
class Profile:
    key: str
    labels: tuple[Label, ...]
    fallback: str  # the label whose category a complaint keeps until an agent decides
    generate: Callable[..., list[tuple[str, str]]]  # fn(seed=) -> [(text, label)]
    handwritten_path: Path
    rules: tuple[PriorityRule, ...]

    def label(self, code: str) -> Label | None:
        return next((item for item in self.labels if item.code == code), None)

    def label_for_category(self, category_code: str) -> Label | None:
        return next((item for item in self.labels if item.category == category_code), None)

    def handwritten(self) -> list[tuple[str, str]]:
        return _read_csv(self.handwritten_path)


@cache
def _read_csv(path: Path) -> list[tuple[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return [(row["text"], row["label"]) for row in csv.DictReader(handle)]


def get(key: str) -> Profile | None:
    from amanah.cases.classifier import pdam

    return {pdam.PROFILE.key: pdam.PROFILE}.get(key or "")
