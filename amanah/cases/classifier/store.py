"""The stored model versions (``ClassifierModel``) and the model each process uses.

Every process — web workers, job workers — asks :func:`current` at each complaint: one small
indexed read of the active version's id and threshold (never the blob); only when that id
differs from the one the process holds does it read the blob, check its signature and load
it (``engine.load``: plain arrays, no pickle; about 0.1 s). Nothing here trains: with no
active version, or one that cannot be read (a wrong signature, another format), ``current``
answers None and the caller queues the training job.

The signature is an HMAC of the blob keyed from ``SECRET_KEY`` (``salted_hmac``): a row
written by anyone without the key — or a key rotated since — is not loaded; the job then
trains a new version signed with the current key.
"""

from __future__ import annotations

import hmac
import logging
import threading
from dataclasses import dataclass

from django.utils.crypto import salted_hmac

from amanah.cases.classifier import engine
from amanah.cases.models import ClassifierModel

log = logging.getLogger(__name__)

_SALT = "amanah.cases.classifier.model"


def sign(blob: bytes) -> str:
    return salted_hmac(_SALT, bytes(blob), algorithm="sha256").hexdigest()


def verified(blob, signature: str) -> bool:
    return bool(blob) and hmac.compare_digest(sign(bytes(blob)), signature or "")


@dataclass(frozen=True)
class Loaded:
    """A profile's active model as this process holds it."""

    pk: int
    version: int
    threshold: float | None  # None: the version sets no category by itself
    model: engine.TextModel


class _Held:
    """Per process: the model loaded for each profile, and the ids found unreadable (so a bad
    row costs one read of its blob, not one per complaint)."""

    def __init__(self):
        self.models: dict[str, Loaded] = {}
        self.unreadable: set[int] = set()
        self.lock = threading.Lock()

    def clear(self) -> None:
        with self.lock:
            self.models.clear()
            self.unreadable.clear()


HELD = _Held()


def _active(profile_key: str):
    return (
        ClassifierModel.objects.filter(profile=profile_key, active=True)
        .values_list("pk", "version", "threshold")
        .first()
    )


def read(pk: int) -> engine.TextModel | None:
    """The model of version row ``pk`` when its blob is signed by us and readable, else None."""
    row = ClassifierModel.objects.filter(pk=pk).values_list("blob", "signature").first()
    if row is None or not verified(row[0], row[1]):
        return None
    try:
        return engine.load(row[0])
    except engine.UnreadableModel:
        return None


def current(profile_key: str) -> Loaded | None:
    """The profile's active model, loaded once per process and version; None when there is
    none or it cannot be read. Never trains."""
    active = _active(profile_key)
    if active is None:
        return None
    pk, version, threshold = active
    held = HELD.models.get(profile_key)
    if held is not None and held.pk == pk:
        return held
    if pk in HELD.unreadable:
        return None
    with HELD.lock:
        held = HELD.models.get(profile_key)
        if held is not None and held.pk == pk:
            return held
        model = read(pk)
        if model is None:
            HELD.unreadable.add(pk)
            log.warning(
                "classifier: active version %s of profile %s is not readable (signature or "
                "format); complaints wait for the training job",
                version,
                profile_key,
            )
            return None
        held = Loaded(pk, version, threshold, model)
        HELD.models[profile_key] = held
        return held
