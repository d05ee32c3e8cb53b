"""Names for the sources of messages, given by the apps that own them.

The outbox knows a message's ``source`` and ``source_id`` (a campaign's id, a case's id …) but
messaging sits below those apps and must not import them. An app registers a resolver for
its source — ``register_source_labels(MessageSource.CAMPAIGN, names)``, where ``names(ids)``
returns ``{id: label}`` in one query — and pages such as the channel analytics show the label
(the campaign's name) instead of a bare id. An id without a label keeps the id.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from amanah.core.registry import Registry

LabelResolver = Callable[[list[str]], dict[str, str]]

source_labels = Registry("message source labels")


def register_source_labels(source: str, resolve: LabelResolver) -> LabelResolver:
    """Register how ids of ``source`` get their labels (once per source)."""
    return source_labels.register(source, resolve)


def labels_for(source: str, ids: Iterable[str]) -> dict[str, str]:
    """``{id: label}`` for the ids the owner knows (none when no owner registered)."""
    ids = sorted({str(i) for i in ids if i})
    if not ids or source not in source_labels:
        return {}
    return source_labels.get(source)(ids)
