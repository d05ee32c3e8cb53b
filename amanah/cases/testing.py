"""Complaints for tests: the one way tests of several apps register a case; a complaint
classifier ready as the training job leaves it."""

from __future__ import annotations

import hashlib
import json
from unittest import mock

from amanah.cases import services as cases
from amanah.cases.classifier.engine import train as _REAL_TRAIN

COMPLAINT = "Saldo terpotong tetapi transfer gagal, mohon dicek."


def complaint(agent, customer, *, any_branch: bool = False, **fields):
    """A complaint of ``customer`` taken by ``agent`` at the branch counter (a failed transfer,
    medium priority); ``fields`` change any part of its ``CaseInput``; ``any_branch``: taken
    for a customer of another branch (intake at any office)."""
    data = {
        "customer": customer,
        "channel": "BRANCH",
        "category_code": "TRX_FAIL",
        "priority": "MEDIUM",
        "description": COMPLAINT,
        **fields,
    }
    return cases.case_create(actor=agent, data=cases.CaseInput(**data), any_branch=any_branch)


_TRAINED: dict = {}


def train_once(texts, labels, weights=None):
    """``engine.train`` run once per test process and training set (it is deterministic: the
    same set gives the same model), so each test's fresh database gets its version fast."""

    key = hashlib.sha256(
        json.dumps([list(texts), list(labels), list(weights or [])], ensure_ascii=False).encode()
    ).hexdigest()
    if key not in _TRAINED:
        _TRAINED[key] = _REAL_TRAIN(texts, labels, weights)
    return _TRAINED[key]


def classifier_ready(profile_key: str = "pdam"):
    """A deployment whose complaint classifier is ready, as the training job leaves it: the
    profile's categories seeded and a model version trained, stored and active (through
    ``training.classifier_train``, as the job's narrow actor)."""
    from amanah.cases.classifier import engine, training
    from amanah.cases.classifier.services import CLASSIFIER, seed_categories

    seed_categories(profile_key)
    with mock.patch.object(engine, "train", train_once):
        return training.classifier_train(actor=CLASSIFIER, profile_key=profile_key)
