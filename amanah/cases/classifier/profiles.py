"""What a deployment profile gives the classifier: its labels and their case categories, the
generated training set, the hand-written evaluation set, the priority rules and the guards.

The classifier itself is generic (``engine``); a profile is data. Only ``pdam`` exists so far;
``settings.CASE_CLASSIFIER_PROFILE`` names the one in use ("" = off, the bank default).
"""

from __future__ import annotations

import csv
import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

MAX_SIGNS = 5


@dataclass(frozen=True)
class Label:
    code: str  # the model's label
    category: str  # the CaseCategory code it stands for
    name: str  # the category's Indonesian name (seeded)
    priority: str  # the priority a complaint of this label gets when no rule raises it
    # False: the system never sets this category by itself, whatever its confidence — an
    # agent decides ("lainnya", fraud, misconduct: see docs/classifier.md).
    automatic: bool = True
    # Seeded as a sensitive category (details for permitted roles, no offers meanwhile), and
    # the category a complaint with its signs waits under until an agent decides.
    sensitive: bool = False


@dataclass(frozen=True)
class PriorityRule:
    code: str  # shown to the agent and kept on the suggestion, e.g. MAIN_PIPE_LEAK
    priority: str
    applies: Callable[..., bool]  # fn(text (lower case), label, customer) -> bool
    name: str = ""  # what the agent reads (Indonesian, from the catalogue)


@dataclass(frozen=True)
class Guard:
    """Signs in the text that take a complaint out of the automatic path, whatever the model
    says: it waits for an agent under ``label``'s category, with ``reason`` and the matched
    words shown. Checked in order; the first that matches wins."""

    reason: str  # a SuggestionReason code
    label: str
    find: Callable[[str], tuple[str, ...]]  # fn(text, lower case) -> the matched phrases


def pattern_guard(reason: str, label: str, *patterns: re.Pattern) -> Guard:
    """A guard that matches when every one of ``patterns`` is found; its signs are the
    phrases found (at most ``MAX_SIGNS``, in the order of the patterns and the text)."""

    def find(text: str) -> tuple[str, ...]:
        found = []
        for pattern in patterns:
            hits = [hit.group(0).strip() for hit in pattern.finditer(text)]
            if not hits:
                return ()
            found.extend(hits)
        return tuple(dict.fromkeys(found))[:MAX_SIGNS]

    return Guard(reason, label, find)


@dataclass(frozen=True)
class Profile:
    key: str
    labels: tuple[Label, ...]
    fallback: str  # the label whose category a complaint keeps until an agent decides
    generate: Callable[..., list[tuple[str, str]]]  # fn(seed=) -> [(text, label)]
    handwritten_path: Path
    rules: tuple[PriorityRule, ...]
    guards: tuple[Guard, ...] = ()

    def label(self, code: str) -> Label | None:
        return next((item for item in self.labels if item.code == code), None)

    def label_for_category(self, category_code: str) -> Label | None:
        return next((item for item in self.labels if item.category == category_code), None)

    def handwritten(self) -> list[tuple[str, str]]:
        """The hand-written evaluation set: (text, label), never trained on."""
        return _read_csv(self.handwritten_path)

    def handwritten_fingerprint(self) -> str:
        return hashlib.sha256(self.handwritten_path.read_bytes()).hexdigest()

    def guard(self, text: str) -> tuple[Guard, tuple[str, ...]] | None:
        """The first guard whose signs are in ``text`` (lower case), with the signs."""
        for guard in self.guards:
            signs = guard.find(text)
            if signs:
                return guard, signs
        return None


@cache
def _read_csv(path: Path) -> list[tuple[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return [(row["text"], row["label"]) for row in csv.DictReader(handle)]


def get(key: str) -> Profile | None:
    from amanah.cases.classifier import pdam

    return {pdam.PROFILE.key: pdam.PROFILE}.get(key or "")
